//! The pure, per-measurement work the daemon does besides the condition itself, so that its CPU
//! in the load test can be split into parts: reading Prometheus' answer, the two `step_run`s of a
//! measuring reconcile, the `step_run` of the no-op reconcile that the watch event of our own
//! status write triggers, and the JSON of the status write and of that watch event.

use std::hint::black_box;

use chrono::{DateTime, Utc};
use gitcanary::analysis::prometheus::parse_response;
use gitcanary::analysis::run::{TakenMeasurement, step_run};
use gitcanary::api::{AnalysisRun, Measurement};
use serde_json::json;

use super::expr::ns_per_call;
use super::stats::env_or;

const T0: i64 = 1_700_000_000;

fn at(second: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + second, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

fn rfc3339(second: i64) -> String {
    at(second).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn measurement(second: i64) -> serde_json::Value {
    json!({"phase": "Successful", "startedAt": rfc3339(second), "finishedAt": rfc3339(second), "value": "[0.95]"})
}

/// A run as the load test creates it, 30 s in: 10 measurements retained (the default).
pub fn bench_run(address: &str, index: usize, with_status: bool) -> serde_json::Value {
    let mut run = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": format!("bench-{index:03}"), "namespace": "default",
                     "labels": {"app.kubernetes.io/part-of": "analysis-bench"}},
        "spec": {"metrics": [{
            "name": "success-rate",
            "interval": "1s",
            "successCondition": "result[0] > 0.90",
            "failureLimit": 3,
            "provider": {"prometheus": {
                "address": address,
                "query": format!("bench_success_rate{{run=\"{index}\"}}"),
            }},
        }]},
    });
    if with_status {
        let measurements: Vec<_> = (20..30).map(measurement).collect();
        run["status"] = json!({
            "phase": "Running",
            "startedAt": rfc3339(0),
            "runSummary": {"count": 1, "successful": 0},
            "dryRunSummary": {},
            "metricResults": [{
                "name": "success-rate", "phase": "Running", "count": 30, "successful": 30,
                "measurements": measurements,
                "metadata": {"ResolvedPrometheusQuery": format!("bench_success_rate{{run=\"{index}\"}}")},
            }],
        });
    }
    run
}

pub fn run() {
    let repeats: usize = env_or("ANALYSIS_BENCH_REPEATS", 11);
    let batch_ms: f64 = env_or("ANALYSIS_BENCH_BATCH_MS", 20.0);
    let run: AnalysisRun =
        serde_json::from_value(bench_run("http://127.0.0.1:9090", 7, true)).expect("run parses");
    let body = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000030,"0.95"]}]}}"#;
    let taken = TakenMeasurement {
        metric: "success-rate".into(),
        measurement: serde_json::from_value::<Measurement>(measurement(30)).expect("measurement"),
        metadata: Default::default(),
    };
    // Sanity: at 30 s the metric is due; folding the measurement in schedules the next one.
    let due = step_run(&run, at(30), &[]);
    assert_eq!(due.measure.len(), 1, "a measurement is due at 30 s");
    let folded = step_run(&run, at(30), std::slice::from_ref(&taken));
    assert_eq!(folded.requeue_at, Some(at(31)));
    let mut written = run.clone();
    written.status = Some(folded.status.clone());
    let json = serde_json::to_vec(&written).expect("serialises");

    println!(
        "per-measurement pure work in the daemon (one run, 10 retained measurements; median ns)"
    );
    let figures = [
        (
            "parse_response (one-sample vector)",
            ns_per_call(repeats, batch_ms, || {
                black_box(parse_response(200, black_box(body)).is_ok());
            }),
        ),
        (
            "step_run, nothing due (watch-event reconcile)",
            ns_per_call(repeats, batch_ms, || {
                black_box(step_run(black_box(&run), at(29), &[]));
            }),
        ),
        (
            "step_run, due (before measuring)",
            ns_per_call(repeats, batch_ms, || {
                black_box(step_run(black_box(&run), at(30), &[]));
            }),
        ),
        (
            "step_run, folding one measurement in",
            ns_per_call(repeats, batch_ms, || {
                black_box(step_run(
                    black_box(&run),
                    at(30),
                    std::slice::from_ref(&taken),
                ));
            }),
        ),
        (
            "AnalysisRun clone (store get + measuring copy)",
            ns_per_call(repeats, batch_ms, || {
                black_box(black_box(&run).clone());
            }),
        ),
        (
            &*format!("status write body: serialise ({} bytes)", json.len()),
            ns_per_call(repeats, batch_ms, || {
                black_box(serde_json::to_vec(black_box(&written)).is_ok());
            }),
        ),
        (
            "watch event: deserialise the run",
            ns_per_call(repeats, batch_ms, || {
                black_box(serde_json::from_slice::<AnalysisRun>(black_box(&json)).is_ok());
            }),
        ),
    ];
    let mut total = 0.0;
    for (what, ns) in figures {
        println!("  {what:<52} {ns:>10.0} ns");
        total += ns;
    }
    println!(
        "  {:<52} {:>10.1} us  (x100 runs/s = {:.2}% of one core)",
        "sum",
        total / 1000.0,
        total * 100.0 / 1e9 * 100.0
    );
}
