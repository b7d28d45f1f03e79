use super::*;

#[test]
fn counters_follow_each_measurement() {
    // phases recorded → (count, successful, failed, inconclusive, error, consecutiveError, consecutiveSuccess)
    let cases: Vec<(Vec<AnalysisPhase>, [i32; 7])> = vec![
        (vec![Successful], [1, 1, 0, 0, 0, 0, 1]),
        (vec![Successful, Successful], [2, 2, 0, 0, 0, 0, 2]),
        (vec![Successful, Failed], [2, 1, 1, 0, 0, 0, 0]),
        (vec![Successful, Inconclusive], [2, 1, 0, 1, 0, 0, 0]),
        (vec![Error], [0, 0, 0, 0, 1, 1, 0]),
        (vec![Error, Error, Successful], [1, 1, 0, 0, 2, 0, 1]),
        (vec![Successful, Error], [1, 1, 0, 0, 1, 1, 0]),
        (vec![Error, Failed, Error], [1, 0, 1, 0, 2, 1, 0]),
        (vec![Inconclusive, Error], [1, 0, 0, 1, 1, 1, 0]),
    ];
    for (phases, want) in cases {
        let r = measured("m", &phases);
        let got = [
            r.count,
            r.successful,
            r.failed,
            r.inconclusive,
            r.error,
            r.consecutive_error,
            r.consecutive_success,
        ];
        assert_eq!(got, want, "{phases:?}");
        assert_eq!(r.measurements.len(), phases.len());
    }
}

#[test]
fn an_in_flight_measurement_is_replaced_and_counted_once_complete() {
    let mut r = new_result("m", false);
    record(&mut r, measurement(Running, None));
    assert_eq!((r.count, r.measurements.len()), (0, 1));
    record(&mut r, measurement(Successful, Some(1)));
    assert_eq!((r.count, r.successful, r.measurements.len()), (1, 1, 1));
}

#[test]
fn metric_phase_rules() {
    struct Case {
        what: &'static str,
        tweak: fn(&mut MetricSettings),
        phases: Vec<AnalysisPhase>,
        terminating: bool,
        want: AnalysisPhase,
        reason: Option<&'static str>,
    }
    fn keep(_: &mut MetricSettings) {}
    let case = |what, tweak, phases: &[AnalysisPhase], terminating, want, reason| Case {
        what,
        tweak,
        phases: phases.to_vec(),
        terminating,
        want,
        reason,
    };
    let cases = vec![
        case("no measurement yet", keep, &[], false, Pending, None),
        case(
            "no measurement, terminating",
            keep,
            &[],
            true,
            Successful,
            None,
        ),
        case(
            "unbounded keeps running",
            keep,
            &[Successful],
            false,
            Running,
            None,
        ),
        case(
            "unbounded succeeds on termination",
            keep,
            &[Successful],
            true,
            Successful,
            None,
        ),
        case(
            "default failureLimit 0: one failure fails",
            keep,
            &[Failed],
            false,
            Failed,
            Some("failed (1) > failureLimit (0)"),
        ),
        case(
            "failureLimit 2 tolerates two",
            |s| s.failure_limit = 2,
            &[Failed, Failed],
            false,
            Running,
            None,
        ),
        case(
            "failureLimit 2, third fails",
            |s| s.failure_limit = 2,
            &[Failed, Failed, Failed],
            false,
            Failed,
            Some("failed (3) > failureLimit (2)"),
        ),
        case(
            "failureLimit -1 never fails",
            |s| {
                s.failure_limit = -1;
                s.consecutive_success_limit = 3
            },
            &[Failed, Failed, Failed, Failed],
            false,
            Running,
            None,
        ),
        case(
            "inconclusiveLimit 0",
            keep,
            &[Inconclusive],
            false,
            Inconclusive,
            Some("inconclusive (1) > inconclusiveLimit (0)"),
        ),
        case(
            "inconclusiveLimit 1 tolerates one",
            |s| s.inconclusive_limit = 1,
            &[Inconclusive],
            false,
            Running,
            None,
        ),
        case(
            "four errors are tolerated",
            keep,
            &[Error, Error, Error, Error],
            false,
            Running,
            None,
        ),
        case(
            "the fifth error errors the metric",
            keep,
            &[Error, Error, Error, Error, Error],
            false,
            Error,
            Some("consecutiveErrors (5) > consecutiveErrorLimit (4)"),
        ),
        case(
            "errors interrupted by a success reset",
            keep,
            &[
                Error, Error, Error, Error, Successful, Error, Error, Error, Error,
            ],
            false,
            Running,
            None,
        ),
        case(
            "consecutiveErrorLimit 0",
            |s| s.consecutive_error_limit = 0,
            &[Error],
            false,
            Error,
            Some("consecutiveErrors (1) > consecutiveErrorLimit (0)"),
        ),
        case(
            "Error beats Inconclusive and Failed",
            |s| s.consecutive_error_limit = 0,
            &[Failed, Inconclusive, Error],
            false,
            Error,
            Some("consecutiveErrors (1) > consecutiveErrorLimit (0)"),
        ),
        case(
            "Inconclusive beats Failed",
            keep,
            &[Failed, Inconclusive],
            false,
            Inconclusive,
            Some("inconclusive (1) > inconclusiveLimit (0)"),
        ),
        case(
            "count reached",
            |s| s.count = 2,
            &[Successful, Successful],
            false,
            Successful,
            None,
        ),
        case(
            "count not reached",
            |s| s.count = 3,
            &[Successful, Successful],
            false,
            Running,
            None,
        ),
        case(
            "errors do not count",
            |s| s.count = 2,
            &[Successful, Error],
            false,
            Running,
            None,
        ),
        case(
            "count 0 with no interval means one",
            |s| s.interval = None,
            &[Successful],
            false,
            Successful,
            None,
        ),
        case(
            "failures under the limit still succeed at count",
            |s| {
                s.count = 3;
                s.failure_limit = 1
            },
            &[Successful, Failed, Successful],
            false,
            Successful,
            None,
        ),
        case(
            "consecutive successes complete early",
            |s| s.consecutive_success_limit = 2,
            &[Successful, Successful],
            false,
            Successful,
            None,
        ),
        case(
            "streak broken keeps running",
            |s| {
                s.consecutive_success_limit = 2;
                s.failure_limit = 1
            },
            &[Successful, Failed, Successful],
            false,
            Running,
            None,
        ),
        case(
            "count reached without streak, both limits: Inconclusive",
            |s| {
                s.count = 3;
                s.consecutive_success_limit = 2;
                s.failure_limit = 1
            },
            &[Successful, Failed, Successful],
            false,
            Inconclusive,
            Some(
                "count (3) reached with consecutiveSuccess (1) < consecutiveSuccessLimit (2) and failed (1) <= failureLimit (1)",
            ),
        ),
        case(
            "count reached without streak, only success limit: Failed",
            |s| {
                s.count = 3;
                s.consecutive_success_limit = 2;
                s.failure_limit = -1
            },
            &[Successful, Failed, Successful],
            false,
            Failed,
            Some("count (3) reached with consecutiveSuccess (1) < consecutiveSuccessLimit (2)"),
        ),
    ];
    for c in cases {
        let mut s = settings("m");
        (c.tweak)(&mut s);
        let r = measured("m", &c.phases);
        let verdict = assess_metric(&s, &r, c.terminating);
        assert_eq!(verdict.phase, c.want, "{}", c.what);
        assert_eq!(verdict.reason.as_deref(), c.reason, "{}", c.what);
    }
}

#[test]
fn in_flight_and_completed_metrics() {
    let s = settings("m");
    let mut r = measured("m", &[Successful]);
    record(&mut r, measurement(Running, None));
    assert_eq!(assess_metric(&s, &r, false).phase, Running);
    assert_eq!(assess_metric(&s, &r, true).phase, Running);

    let mut done = measured("m", &[Failed]);
    done.phase = Failed;
    let verdict = assess_metric(&s, &done, false);
    assert_eq!(verdict.phase, Failed);
    assert_eq!(
        verdict.reason.as_deref(),
        Some("failed (1) > failureLimit (0)")
    );
    // A completed phase sticks even if the counters would say otherwise now.
    done.phase = Successful;
    assert_eq!(assess_metric(&s, &done, false).phase, Successful);
}
