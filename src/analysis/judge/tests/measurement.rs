use super::*;
use crate::analysis::expr::Value;

fn v(x: f64) -> Value {
    Value::Array(vec![Value::Float(x)])
}

#[test]
fn truth_table() {
    // (success, failure, result, phase)
    let cases: Vec<(Option<&str>, Option<&str>, Value, AnalysisPhase)> = vec![
        // neither condition: Argo's code says Successful (its docs say Inconclusive)
        (None, None, v(0.1), Successful),
        (Some(""), Some("  "), v(0.1), Successful),
        // only success
        (Some("result[0] > 0.9"), None, v(0.95), Successful),
        (Some("result[0] > 0.9"), None, v(0.5), Failed),
        // only failure
        (None, Some("result[0] < 0.9"), v(0.5), Failed),
        (None, Some("result[0] < 0.9"), v(0.95), Successful),
        // both
        (
            Some("result[0] > 0.9"),
            Some("result[0] < 0.5"),
            v(0.95),
            Successful,
        ),
        (
            Some("result[0] > 0.9"),
            Some("result[0] < 0.5"),
            v(0.3),
            Failed,
        ),
        (
            Some("result[0] > 0.9"),
            Some("result[0] < 0.5"),
            v(0.7),
            Inconclusive,
        ),
        // failure wins when both are true
        (
            Some("result[0] > 0.1"),
            Some("result[0] > 0.2"),
            v(0.3),
            Failed,
        ),
        // errors
        (Some("result[0] > 0.9"), None, Value::Array(vec![]), Error),
        (Some("result > 0.9"), None, v(0.95), Error),
        (None, Some("result[0]"), v(0.95), Error),
        (Some("bogus > 1"), None, v(0.95), Error),
    ];
    for (success, failure, result, want) in cases {
        let judged = Conditions::new(success, failure).judge(&result, None);
        assert_eq!(
            judged.phase, want,
            "success {success:?} failure {failure:?} result {result:?}: {judged:?}"
        );
        assert_eq!(judged.message.is_some(), want == Error, "{judged:?}");
    }
}

#[test]
fn error_messages() {
    let vector = |xs: &[f64]| Value::Array(xs.iter().copied().map(Value::Float).collect());
    // (success, failure, result, query, message)
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Value,
        Option<&'a str>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            Some("result[0] > 0.90"),
            None,
            vector(&[]),
            None,
            "could not evaluate successCondition \"result[0] > 0.90\": metric result is nil or empty: no data returned from the metric provider",
        ),
        (
            Some("result[0] > 0.90"),
            None,
            Value::Nil,
            Some("sum(rate(x{a=\"b\"}[1m]))\n  /\n  sum(rate(y[1m]))"),
            "could not evaluate successCondition \"result[0] > 0.90\": metric result is nil or empty: no data returned from the metric provider for query: sum(rate(x{a=\"b\"}[1m])) / sum(rate(y[1m]))",
        ),
        (
            None,
            Some("result >= 0.95"),
            vector(&[0.5]),
            Some("q"),
            "could not evaluate failureCondition \"result >= 0.95\": invalid operation: >= (mismatched types []float64 and float64)",
        ),
        (
            Some("result[0]"),
            None,
            vector(&[0.5]),
            None,
            "could not evaluate successCondition \"result[0]\": expected bool, but got float64",
        ),
        (
            Some("invalidVariable > 1"),
            None,
            vector(&[]),
            Some("q"),
            "could not evaluate successCondition \"invalidVariable > 1\": unknown name invalidVariable (1:1)",
        ),
    ];
    for (success, failure, result, query, want) in cases {
        let judged = Conditions::new(success, failure).judge(&result, query);
        assert_eq!(judged.phase, Error);
        assert_eq!(judged.message.as_deref(), Some(want));
    }
}

#[test]
fn empty_results_are_fine_when_the_condition_handles_them() {
    let conditions = Conditions::new(Some("len(result) == 0 || result[0] < 2"), None);
    let judged = conditions.judge(&Value::Array(vec![]), Some("q"));
    assert_eq!(judged.phase, Successful);
}

#[test]
fn compile_errors_are_visible_before_measuring() {
    assert_eq!(
        Conditions::new(Some("result[0] > 0.9"), Some("nope(")).compile_error(),
        Some("failureCondition \"nope(\": unknown name nope (1:1)".to_owned())
    );
    assert_eq!(
        Conditions::new(Some("result[0] > 0.9"), None).compile_error(),
        None
    );
}
