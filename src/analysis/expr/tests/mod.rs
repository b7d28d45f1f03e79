//! Table tests: (condition, `result`, expected value or error substring).

mod compile;
mod conditions;
mod functions;
mod operators;

use super::{Program, Value};

pub(super) enum Want {
    Is(Value),
    Fails(&'static str),
}

pub(super) use Want::{Fails, Is};

pub(super) fn b(v: bool) -> Want {
    Is(Value::Bool(v))
}
pub(super) fn i(v: i64) -> Want {
    Is(Value::Int(v))
}
pub(super) fn f(v: f64) -> Want {
    Is(Value::Float(v))
}
pub(super) fn s(v: &str) -> Want {
    Is(Value::String(v.to_owned()))
}

pub(super) fn scalar(v: f64) -> Value {
    Value::Float(v)
}
pub(super) fn vector(values: &[f64]) -> Value {
    Value::Array(values.iter().copied().map(Value::Float).collect())
}
pub(super) fn empty() -> Value {
    Value::Array(Vec::new())
}
pub(super) fn json(text: &str) -> Value {
    let parsed: serde_json::Value = serde_json::from_str(text).expect("test JSON is valid");
    Value::from(&parsed)
}

pub(super) fn run_table(cases: Vec<(&str, Value, Want)>) {
    let mut failures = Vec::new();
    for (source, result, want) in cases {
        let got = Program::compile(source)
            .map_err(|e| e.to_string())
            .and_then(|p| p.eval(&result).map_err(|e| e.to_string()));
        let ok = match (&got, &want) {
            (Ok(Value::Float(g)), Is(Value::Float(w))) if g.is_nan() && w.is_nan() => true,
            (Ok(g), Is(w)) => g == w,
            (Err(e), Fails(needle)) => e.contains(needle),
            _ => false,
        };
        if !ok {
            let wanted = match &want {
                Is(v) => format!("{v:?}"),
                Fails(needle) => format!("error containing {needle:?}"),
            };
            failures.push(format!(
                "{source:?} with result {result:?}: got {got:?}, want {wanted}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
