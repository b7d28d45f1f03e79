//! Condition-language cost: compile once, evaluate many times (the four conditions),
//! plus compile cost and the whole per-measurement judgement (`Conditions::judge`, including
//! turning the measured value into an expression value).

use std::hint::black_box;
use std::time::Instant;

use gitcanary::analysis::MeasurementValue;
use gitcanary::analysis::expr::{Program, Value};
use gitcanary::analysis::judge::Conditions;

use super::stats::{env_or, median};

struct Case {
    what: &'static str,
    source: &'static str,
    input: Value,
}

fn cases() -> Vec<Case> {
    let hundred: Vec<Value> = (0..100).map(|i| Value::Float(f64::from(i) * 3.5)).collect();
    vec![
        Case {
            what: "result[0] > 0.90 on [0.95]",
            source: "result[0] > 0.90",
            input: Value::Array(vec![Value::Float(0.95)]),
        },
        Case {
            what: "len(result) > 0 && result[0] < 2 on [0.95]",
            source: "len(result) > 0 && result[0] < 2",
            input: Value::Array(vec![Value::Float(0.95)]),
        },
        Case {
            what: "all(result, {# < 1000}) on 100 elements",
            source: "all(result, {# < 1000})",
            input: Value::Array(hundred),
        },
        Case {
            what: "isNaN(result) on a scalar",
            source: "isNaN(result)",
            input: Value::Float(0.95),
        },
    ]
}

/// Median over `repeats` batches of the time of one call of `f`, in ns; each batch is sized to
/// take about `batch_ms` so that timer resolution does not matter.
pub fn ns_per_call(repeats: usize, batch_ms: f64, mut f: impl FnMut()) -> f64 {
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        let took = t.elapsed().as_secs_f64() * 1000.0;
        if took >= batch_ms / 4.0 || n >= 1 << 30 {
            n = ((n as f64) * batch_ms / took.max(1e-6)).ceil().max(1.0) as u64;
            break;
        }
        n *= 4;
    }
    let samples = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_secs_f64() * 1e9 / n as f64
        })
        .collect();
    median(samples)
}

pub fn run() {
    let repeats: usize = env_or("ANALYSIS_BENCH_REPEATS", 11);
    let batch_ms: f64 = env_or("ANALYSIS_BENCH_BATCH_MS", 20.0);
    println!(
        "expression evaluation (compile once, evaluate many times; median of {repeats} batches of ~{batch_ms} ms)"
    );
    println!(
        "  {:<46} {:>12} {:>12} {:>14}",
        "condition and input", "eval ns", "compile ns", "judge ns"
    );
    let filter = std::env::var("ANALYSIS_BENCH_EXPR_FILTER").unwrap_or_default();
    for case in cases().into_iter().filter(|c| c.source.contains(&filter)) {
        let program = Program::compile(case.source).unwrap_or_else(|e| panic!("{e}"));
        // Sanity: every case evaluates to a bool (true, except isNaN of 0.95).
        let value = program
            .eval_bool(&case.input)
            .unwrap_or_else(|e| panic!("{}: {e}", case.source));
        let eval = ns_per_call(repeats, batch_ms, || {
            black_box(program.eval_bool(black_box(&case.input)).is_ok());
        });
        let compile = ns_per_call(repeats, batch_ms, || {
            black_box(Program::compile(black_box(case.source)).is_ok());
        });
        // What one measurement costs in `Measurer::query`: the measured value turned into an
        // expression value, then the metric's cached conditions judge it.
        let conditions = Conditions::new(Some(case.source), None);
        let measured = match &case.input {
            Value::Float(x) => MeasurementValue::Scalar(*x),
            Value::Array(items) => MeasurementValue::Vector(
                items
                    .iter()
                    .map(|v| match v {
                        Value::Float(x) => *x,
                        _ => f64::NAN,
                    })
                    .collect(),
            ),
            _ => MeasurementValue::Scalar(f64::NAN),
        };
        let judge = ns_per_call(repeats, batch_ms, || {
            let value = black_box(&measured).to_value();
            black_box(conditions.judge(&value, Some("q")));
        });
        println!(
            "  {:<46} {eval:>12.1} {compile:>12.1} {judge:>14.1}   (= {value})",
            case.what
        );
    }
    // Where the time of the vector cases goes: naming `result` copies the whole vector.
    let hundred = Value::Array((0..100).map(|i| Value::Float(f64::from(i))).collect());
    for (what, source) in [
        ("diagnostic: `result` alone, 100 elements", "result"),
        ("diagnostic: `len(result)`, 100 elements", "len(result)"),
    ] {
        let program = Program::compile(source).unwrap_or_else(|e| panic!("{e}"));
        let eval = ns_per_call(repeats, batch_ms, || {
            black_box(program.eval(black_box(&hundred)).is_ok());
        });
        println!("  {what:<46} {eval:>12.1}");
    }
}
