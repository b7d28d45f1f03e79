//! Analysis-layer timings (the figures): 100 concurrent AnalysisRuns each measuring every
//! second, judged by the daemon's analysis loop:
//! - scheduling drift per measurement (target p99 < 50 ms), CPU and memory of the daemon, and the
//!   requests it sends to the API server;
//! - the cost of evaluating a condition per measurement (compile once, evaluate many times), and
//!   the rest of the pure per-measurement work, to account for the daemon's CPU.
//!
//! Run with `cargo bench --bench analysis` (or build with `--no-run` and run the binary it names).
//! Prints figures and their ratios to the targets; asserts nothing about timings.
//!
//! Environment (defaults are the issue's):
//! - `ANALYSIS_BENCH_ONLY` = `expr` | `load`: one part only;
//! - `ANALYSIS_BENCH_RUNS` (100), `ANALYSIS_BENCH_SECONDS` (25, from creating the runs),
//!   `ANALYSIS_BENCH_WARMUP` (5 s not counted), `ANALYSIS_BENCH_POLL` (status polled every 2 s);
//! - `ANALYSIS_BENCH_UPDATE_LATENCY_MS` (0): latency localkube adds to each status write;
//! - `ANALYSIS_BENCH_LOOP` = `child` (default: `gitcanary run` as a child process) | `inproc`
//!   (`analysis::controller::run` in this process) | `concurrent` (a what-if loop in this process
//!   with `ANALYSIS_BENCH_CONCURRENCY` (16) reconciles in flight and, with
//!   `ANALYSIS_BENCH_SPREAD=1`, each run's due time moved to a fixed phase within the second);
//! - `ANALYSIS_BENCH_REPEATS` (11 batches), `ANALYSIS_BENCH_BATCH_MS` (20 ms per batch),
//!   `ANALYSIS_BENCH_EXPR_FILTER` (only conditions containing this text);
//! - `ANALYSIS_BENCH_DAEMON_LOG` (the daemon's `GITCANARY_LOG`, default `warn`);
//! - `ANALYSIS_BENCH_DAEMON`: the `gitcanary` binary to run (default: the one cargo built).
//!
//! How drift is measured is described in `analysis_support/load.rs`.

mod analysis_support;

use analysis_support::{expr, load, pipeline};

fn main() {
    let only = std::env::var("ANALYSIS_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "expr" {
        expr::run();
        println!();
        pipeline::run();
    }
    if only.is_empty() || only == "load" {
        let settings = load::Settings::from_env();
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(load::run(&settings));
    }
}
