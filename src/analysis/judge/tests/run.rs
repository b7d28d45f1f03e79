use super::*;
use crate::api::RunSummary;

struct Setup {
    settings: Vec<MetricSettings>,
    dry: Vec<bool>,
}

impl Setup {
    fn new(metrics: &[(&str, bool)]) -> Setup {
        Setup {
            settings: metrics.iter().map(|(n, _)| settings(n)).collect(),
            dry: metrics.iter().map(|(_, d)| *d).collect(),
        }
    }

    fn assess(&self, results: &mut [MetricResult], terminate: bool) -> RunVerdict {
        let metrics: Vec<RunMetric<'_>> = self
            .settings
            .iter()
            .zip(&self.dry)
            .map(|(settings, dry_run)| RunMetric {
                settings,
                dry_run: *dry_run,
            })
            .collect();
        assess_run(&metrics, results, terminate)
    }
}

fn dry(mut r: MetricResult) -> MetricResult {
    r.dry_run = true;
    r
}

#[test]
fn worse_order() {
    let order = [Successful, Running, Pending, Inconclusive, Error, Failed];
    for (i, a) in order.iter().enumerate() {
        for (j, b) in order.iter().enumerate() {
            assert_eq!(is_worse(*a, *b), j > i, "{a:?} vs {b:?}");
        }
    }
}

#[test]
fn running_until_every_metric_is_done() {
    let setup = Setup::new(&[("a", false), ("b", false)]);
    // b never measured yet
    let mut results = vec![measured("a", &[Successful])];
    let verdict = setup.assess(&mut results, false);
    assert_eq!((verdict.phase, verdict.message), (Running, None));
    assert_eq!(results[0].phase, Running);
}

#[test]
fn a_failed_metric_decides_the_run_and_stops_the_others() {
    let setup = Setup::new(&[("a", false), ("b", false)]);
    let mut results = vec![measured("a", &[Failed]), measured("b", &[Successful])];
    let verdict = setup.assess(&mut results, false);
    assert_eq!(verdict.phase, Failed);
    assert_eq!(
        verdict.message.as_deref(),
        Some("Metric \"a\" assessed Failed due to failed (1) > failureLimit (0)")
    );
    assert_eq!(results[0].phase, Failed);
    assert_eq!(results[1].phase, Successful, "terminated with the run");
    assert_eq!(
        verdict.run_summary,
        RunSummary {
            count: 2,
            successful: 1,
            failed: 1,
            inconclusive: 0,
            error: 0
        }
    );
}

#[test]
fn the_worst_metric_names_the_run_message_with_the_last_error() {
    let setup = Setup::new(&[("errs", false), ("fails", false), ("unsure", false)]);
    let mut results = vec![
        measured("errs", &[Error, Error, Error, Error, Error]),
        measured("fails", &[Failed]),
        measured("unsure", &[Inconclusive]),
    ];
    let verdict = setup.assess(&mut results, false);
    assert_eq!(verdict.phase, Failed, "Failed is worse than Error");
    assert_eq!(
        verdict.message.as_deref(),
        Some("Metric \"fails\" assessed Failed due to failed (1) > failureLimit (0)")
    );

    let setup = Setup::new(&[("ok", false), ("errs", false)]);
    let mut results = vec![
        measured("ok", &[Successful]),
        measured("errs", &[Error, Error, Error, Error, Error]),
    ];
    let verdict = setup.assess(&mut results, false);
    assert_eq!(verdict.phase, Error);
    assert_eq!(
        verdict.message.as_deref(),
        Some(
            "Metric \"errs\" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): \"Error Message: query failed\""
        )
    );
    assert_eq!(results[1].message.as_deref(), Some("query failed"));
}

#[test]
fn all_successful_has_no_message() {
    let mut setup = Setup::new(&[("a", false), ("b", false)]);
    for s in &mut setup.settings {
        s.count = 1;
    }
    let mut results = vec![measured("a", &[Successful]), measured("b", &[Successful])];
    let verdict = setup.assess(&mut results, false);
    assert_eq!((verdict.phase, verdict.message), (Successful, None));
    assert_eq!(verdict.run_summary.successful, 2);
}

#[test]
fn dry_run_metrics_never_decide() {
    let setup = Setup::new(&[("real", false), ("trial", true)]);
    let mut results = vec![
        measured("real", &[Successful]),
        dry(measured("trial", &[Failed])),
    ];
    let verdict = setup.assess(&mut results, false);
    assert_eq!(
        verdict.phase, Running,
        "the real metric is unbounded and not terminated"
    );
    assert_eq!(results[1].phase, Failed);
    assert_eq!(
        results[1].message.as_deref(),
        Some("Metric assessed Failed due to failed (1) > failureLimit (0)")
    );
    assert_eq!(
        verdict.dry_run_summary,
        RunSummary {
            count: 1,
            failed: 1,
            ..Default::default()
        }
    );
    assert_eq!(verdict.run_summary.count, 1);

    let setup = Setup::new(&[("only", true)]);
    let mut results = vec![dry(measured("only", &[Failed]))];
    let verdict = setup.assess(&mut results, false);
    assert_eq!((verdict.phase, verdict.message), (Successful, None));
}

#[test]
fn termination() {
    let setup = Setup::new(&[("a", false), ("b", false)]);
    // nothing measured yet: terminated runs succeed
    let mut results = vec![];
    let verdict = setup.assess(&mut results, true);
    assert_eq!(verdict.phase, Successful);
    assert_eq!(verdict.message.as_deref(), Some("Run Terminated"));

    // unbounded metrics succeed when terminated
    let mut results = vec![measured("a", &[Successful]), measured("b", &[Successful])];
    let verdict = setup.assess(&mut results, true);
    assert_eq!(verdict.phase, Successful);
    assert_eq!(verdict.message.as_deref(), Some("Run Terminated"));
    assert!(results.iter().all(|r| r.phase == Successful));

    // a limit already crossed still decides a terminated run
    let mut results = vec![measured("a", &[Failed]), measured("b", &[Successful])];
    let verdict = setup.assess(&mut results, true);
    assert_eq!(verdict.phase, Failed);
    assert_eq!(
        verdict.message.as_deref(),
        Some("Metric \"a\" assessed Failed due to failed (1) > failureLimit (0)")
    );
}

#[test]
fn terminating_rules() {
    let mut failed = measured("a", &[Failed]);
    failed.phase = Failed;
    assert!(is_terminating(false, std::slice::from_ref(&failed)));
    assert!(is_terminating(true, &[]));
    assert!(!is_terminating(false, &[measured("a", &[Successful])]));
    let mut dry_failed = dry(failed.clone());
    dry_failed.phase = Failed;
    assert!(!is_terminating(false, &[dry_failed.clone()]));
    assert!(is_terminating(false, &[dry_failed, failed]));
}
