use std::time::Duration;

use super::*;
use crate::api::MeasurementRetention;

#[test]
fn next_measurement_times() {
    struct Case {
        what: &'static str,
        tweak: fn(&mut MetricSettings),
        phases: Vec<AnalysisPhase>,
        started: Option<i64>,
        now: i64,
        want: Option<i64>,
    }
    fn keep(_: &mut MetricSettings) {}
    let case = |what, tweak, phases: &[AnalysisPhase], started, now, want| Case {
        what,
        tweak,
        phases: phases.to_vec(),
        started,
        now,
        want,
    };
    // measured() finishes measurement i at second i
    let cases = vec![
        case(
            "first measurement right away",
            keep,
            &[],
            Some(0),
            5,
            Some(0),
        ),
        case(
            "first measurement after initialDelay",
            |s| s.initial_delay = Some(Duration::from_secs(60)),
            &[],
            Some(0),
            5,
            Some(60),
        ),
        case(
            "not started yet counts from now",
            |s| s.initial_delay = Some(Duration::from_secs(60)),
            &[],
            None,
            5,
            Some(65),
        ),
        case(
            "interval after a measurement",
            keep,
            &[Successful],
            Some(0),
            5,
            Some(20),
        ),
        case(
            "interval after a failure",
            |s| s.failure_limit = 3,
            &[Failed],
            Some(0),
            5,
            Some(20),
        ),
        case("10 s after an error", keep, &[Error], Some(0), 5, Some(10)),
        case(
            "10 s after an error even with a long interval",
            |s| s.interval = Some(Duration::from_secs(300)),
            &[Successful, Error],
            Some(0),
            5,
            Some(11),
        ),
        case(
            "retry an error without interval",
            |s| s.interval = None,
            &[Error],
            Some(0),
            5,
            Some(10),
        ),
        case(
            "none once count is reached",
            |s| s.count = 2,
            &[Successful, Successful],
            Some(0),
            5,
            None,
        ),
        case(
            "errors do not use up count",
            |s| s.count = 2,
            &[Successful, Error],
            Some(0),
            5,
            Some(11),
        ),
        case(
            "single measurement without interval",
            |s| s.interval = None,
            &[Successful],
            Some(0),
            5,
            None,
        ),
    ];
    for c in cases {
        let mut s = settings("m");
        (c.tweak)(&mut s);
        let result = (!c.phases.is_empty()).then(|| measured("m", &c.phases));
        let got = next_measurement_at(&s, result.as_ref(), c.started.map(at), at(c.now));
        assert_eq!(got, c.want.map(at), "{}", c.what);
    }
}

#[test]
fn completed_and_in_flight_metrics() {
    let s = settings("m");
    let mut done = measured("m", &[Successful]);
    done.phase = Successful;
    assert_eq!(
        next_measurement_at(&s, Some(&done), Some(at(0)), at(100)),
        None
    );

    let mut in_flight = measured("m", &[Successful]);
    record(&mut in_flight, measurement(Running, None));
    assert_eq!(
        next_measurement_at(&s, Some(&in_flight), Some(at(0)), at(100)),
        Some(at(100))
    );
    if let Some(last) = in_flight.measurements.last_mut() {
        last.resume_at = Some(to_time(at(130)));
    }
    assert_eq!(
        next_measurement_at(&s, Some(&in_flight), Some(at(0)), at(100)),
        Some(at(130))
    );
}

#[test]
fn trimming_keeps_the_newest() {
    let mut r = measured("m", &[Successful; 12]);
    trim_measurements(&mut r, 10);
    assert_eq!(r.measurements.len(), 10);
    assert_eq!(r.measurements[0].finished_at, Some(to_time(at(2))));
    assert_eq!(r.count, 12, "counters keep the full history");
    trim_measurements(&mut r, 20);
    assert_eq!(r.measurements.len(), 10);
}

#[test]
fn retention_and_dry_run_selection() {
    let names = ["success-rate", "latency-p99", "errors"];
    let rule = |name: &str, limit| MeasurementRetention {
        metric_name: name.to_owned(),
        limit,
    };
    let limits =
        retention_limits(&[rule("latency.*", 3), rule("errors", 0)], &names).expect("valid");
    assert_eq!(limits["success-rate"], DEFAULT_MEASUREMENT_RETENTION);
    assert_eq!(limits["latency-p99"], 3);
    assert_eq!(limits["errors"], DEFAULT_MEASUREMENT_RETENTION);
    let limits = retention_limits(&[rule("*", 2), rule("errors", 5)], &names).expect("valid");
    assert_eq!((limits["success-rate"], limits["errors"]), (2, 5));
    assert_eq!(
        retention_limits(&[rule("nomatch", 2)], &names).map_err(|e| e.to_string()),
        Err("measurementRetention[0]: metricName \"nomatch\" matches no metric".to_owned())
    );

    let dry = |name: &str| crate::api::DryRun {
        metric_name: name.to_owned(),
    };
    let selected = dry_run_metrics(&[dry("rate")], &names).expect("valid");
    assert_eq!(
        selected.into_iter().collect::<Vec<_>>(),
        vec!["success-rate"]
    );
    assert_eq!(
        dry_run_metrics(&[dry("*")], &names).expect("valid").len(),
        3
    );
    assert_eq!(
        dry_run_metrics(&[dry("(")], &names).map_err(|e| e.to_string()),
        Err("dryRun[0]: metricName \"(\" is not a valid regular expression".to_owned())
    );
}
