use super::*;
use crate::api::{AnalysisPhase::*, DryRun, MeasurementRetention, TtlStrategy};

fn started(run: &AnalysisRun, now: i64) -> (AnalysisRun, RunUpdate) {
    let update = step_run(run, at(now), &[]);
    let mut next = run.clone();
    next.status = Some(update.status.clone());
    (next, update)
}

fn apply(run: &mut AnalysisRun, update: &RunUpdate) {
    run.status = Some(update.status.clone());
}

#[test]
fn the_seed_metric_waits_for_its_initial_delay_then_measures_every_20s() {
    let (mut run, update) = started(&seed_run(), 0);
    assert_eq!(update.status.phase, Some(Running));
    assert_eq!(update.status.started_at, Some(to_time(at(0))));
    assert!(update.measure.is_empty(), "initialDelay is 60s");
    assert_eq!(update.requeue_at, Some(at(60)));

    let update = step_run(&run, at(59), &[]);
    assert!(update.measure.is_empty());
    let update = step_run(&run, at(60), &[]);
    assert_eq!(
        update.measure,
        vec![MeasureTask {
            metric: "success-rate".into(),
            index: 0,
            resume: false
        }]
    );

    let update = step_run(&run, at(61), &[taken(Successful, 61, "[0.95]")]);
    apply(&mut run, &update);
    assert_eq!(
        update.status.phase,
        Some(Running),
        "unbounded metric keeps going"
    );
    assert!(update.measure.is_empty());
    assert_eq!(update.requeue_at, Some(at(81)));
    let result = &update.status.metric_results[0];
    assert_eq!(
        (result.phase, result.count, result.successful),
        (Running, 1, 1)
    );
    assert_eq!(result.measurements[0].value.as_deref(), Some("[0.95]"));
    assert_eq!(
        result
            .metadata
            .get("ResolvedPrometheusQuery")
            .map(String::as_str),
        Some("q")
    );
    assert_eq!(step_run(&run, at(81), &[]).measure.len(), 1);
}

#[test]
fn a_failed_measurement_fails_the_seed_run() {
    let (run, _) = started(&seed_run(), 0);
    let update = step_run(&run, at(60), &[taken(Failed, 60, "[0.5]")]);
    assert_eq!(update.status.phase, Some(Failed));
    assert_eq!(
        update.status.message.as_deref(),
        Some("Metric \"success-rate\" assessed Failed due to failed (1) > failureLimit (0)")
    );
    assert_eq!(update.status.completed_at, Some(to_time(at(60))));
    assert_eq!(update.requeue_at, None);
    let summary = update.status.run_summary.clone().unwrap_or_default();
    assert_eq!((summary.count, summary.failed), (1, 1));

    let mut done = run.clone();
    done.status = Some(update.status.clone());
    let again = step_run(&done, at(500), &[taken(Successful, 500, "[1]")]);
    assert_eq!(again.status, update.status, "a completed run never changes");
}

#[test]
fn five_errors_in_a_row_error_the_run() {
    let (mut run, _) = started(&seed_run(), 0);
    let mut now = 60;
    for attempt in 1..=5 {
        let due = step_run(&run, at(now), &[]);
        assert_eq!(due.measure.len(), 1, "attempt {attempt} at {now}");
        let update = step_run(&run, at(now), &[taken(Error, now, "[]")]);
        apply(&mut run, &update);
        if attempt < 5 {
            assert_eq!(update.status.phase, Some(Running));
            assert_eq!(
                update.requeue_at,
                Some(at(now + 10)),
                "errors retry after 10s"
            );
            now += 10;
        } else {
            assert_eq!(update.status.phase, Some(Error));
            assert_eq!(
                update.status.message.as_deref(),
                Some(
                    "Metric \"success-rate\" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): \"Error Message: no data\""
                )
            );
        }
    }
}

#[test]
fn termination_ends_the_run_successfully() {
    let (mut run, _) = started(&seed_run(), 0);
    let update = step_run(&run, at(60), &[taken(Successful, 60, "[0.95]")]);
    apply(&mut run, &update);
    run.spec.terminate = true;
    let update = step_run(&run, at(70), &[]);
    assert_eq!(update.status.phase, Some(Successful));
    assert_eq!(update.status.message.as_deref(), Some("Run Terminated"));
    assert!(update.measure.is_empty());

    // terminated before the first measurement
    let mut fresh = seed_run();
    fresh.spec.terminate = true;
    let update = step_run(&fresh, at(0), &[]);
    assert_eq!(update.status.phase, Some(Successful));
    assert_eq!(update.status.metric_results.len(), 0);
}

#[test]
fn in_flight_measurements_are_resumed_or_terminated() {
    let (mut run, _) = started(&seed_run(), 0);
    let mut running = taken(Running, 60, "");
    running.measurement.finished_at = None;
    let update = step_run(&run, at(60), &[running]);
    apply(&mut run, &update);
    assert_eq!(update.status.metric_results[0].phase, Running);
    let due = step_run(&run, at(61), &[]);
    assert!(due.measure[0].resume);

    run.spec.terminate = true;
    let update = step_run(&run, at(62), &[]);
    let last = update.status.metric_results[0]
        .measurements
        .last()
        .cloned()
        .expect("measured");
    assert_eq!(
        (last.phase, last.message.as_deref()),
        (Successful, Some("Metric Terminated"))
    );
    assert_eq!(update.status.phase, Some(Successful));
}

#[test]
fn spec_problems_error_the_run_at_once() {
    let mut run = seed_run();
    run.spec.args.retain(|a| a.name != "namespace");
    let update = step_run(&run, at(0), &[]);
    assert_eq!(update.status.phase, Some(Error));
    assert_eq!(
        update.status.message.as_deref(),
        Some("Unable to resolve metric arguments: failed to resolve {{args.namespace}}")
    );

    let mut run = seed_run();
    run.spec.metrics[0].interval = Some("every 20s".into());
    let update = step_run(&run, at(0), &[]);
    assert_eq!(update.status.phase, Some(Error));
    assert!(
        update.status.message.as_deref().is_some_and(
            |m| m.starts_with("Analysis spec invalid: metric \"success-rate\": interval")
        ),
        "{:?}",
        update.status.message
    );

    let mut run = seed_run();
    run.spec.dry_run = vec![DryRun {
        metric_name: "latency".into(),
    }];
    let update = step_run(&run, at(0), &[]);
    assert_eq!(
        update.status.message.as_deref(),
        Some("Analysis spec invalid: dryRun[0]: metricName \"latency\" matches no metric")
    );
    assert_eq!(update.status.completed_at, Some(to_time(at(0))));
}

#[test]
fn dry_run_metrics_are_measured_but_do_not_decide() {
    let mut run = seed_run();
    run.spec.dry_run = vec![DryRun {
        metric_name: "success.*".into(),
    }];
    run.spec.metrics[0].count =
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(1));
    let (run, _) = started(&run, 0);
    let update = step_run(&run, at(60), &[taken(Failed, 60, "[0.5]")]);
    assert_eq!(update.status.phase, Some(Successful));
    assert_eq!(update.status.message, None);
    let result = &update.status.metric_results[0];
    assert!(result.dry_run);
    assert_eq!(result.phase, Failed);
    let dry = update.status.dry_run_summary.clone().unwrap_or_default();
    assert_eq!((dry.count, dry.failed), (1, 1));
}

#[test]
fn measurements_are_trimmed_to_the_retention_limit() {
    let mut run = seed_run();
    run.spec.measurement_retention = vec![MeasurementRetention {
        metric_name: "success-rate".into(),
        limit: 2,
    }];
    let (mut run, _) = started(&run, 0);
    for i in 0..4 {
        let now = 60 + 20 * i;
        let update = step_run(&run, at(now), &[taken(Successful, now, "[0.95]")]);
        apply(&mut run, &update);
    }
    let result = &run.status.as_ref().expect("status").metric_results[0];
    assert_eq!((result.count, result.measurements.len()), (4, 2));
    assert_eq!(result.measurements[1].finished_at, Some(to_time(at(120))));
}

#[test]
fn ttl_of_finished_runs() {
    let (run, _) = started(&seed_run(), 0);
    let update = step_run(&run, at(60), &[taken(Failed, 60, "[0.5]")]);
    let mut done = run.clone();
    done.status = Some(update.status);
    assert_eq!(expires_at(&done), None, "no ttlStrategy");
    done.spec.ttl_strategy = Some(TtlStrategy {
        seconds_after_completion: Some(600),
        seconds_after_failure: Some(30),
        seconds_after_success: None,
    });
    assert_eq!(expires_at(&done), Some(at(90)));
    if let Some(status) = done.status.as_mut() {
        status.phase = Some(Successful);
    }
    assert_eq!(expires_at(&done), Some(at(660)));
}

#[test]
fn fail_run_records_the_reason() {
    let status = fail_run(
        Default::default(),
        at(5),
        "Unable to resolve metric arguments: x".into(),
    );
    assert_eq!(status.phase, Some(Error));
    assert_eq!(
        (status.started_at, status.completed_at),
        (Some(to_time(at(5))), Some(to_time(at(5))))
    );
}
