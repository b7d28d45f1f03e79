//! The conditions Argo's docs and users write, against scalar, vector and empty-vector results.

use super::*;

#[test]
fn documented_conditions_on_prometheus_results() {
    let cases = vec![
        // vector results: index first
        ("result[0] > 0.90", vector(&[0.95]), b(true)),
        ("result[0] > 0.90", vector(&[0.5]), b(false)),
        (
            "result[0] > 0.90",
            empty(),
            Fails("index out of range: 0 (array length is 0)"),
        ),
        ("result[0] >= 0.95", vector(&[0.95]), b(true)),
        ("result[-1] == 11", vector(&[10.0, 11.0]), b(true)),
        ("len(result) > 0 && result[0] < 2", vector(&[1.0]), b(true)),
        ("len(result) > 0 && result[0] < 2", empty(), b(false)),
        ("len(result) == 0 || result[0] < 2", empty(), b(true)),
        ("all(result, {# < 1000})", vector(&[10.0, 999.0]), b(true)),
        ("all(result, {# < 1000})", vector(&[10.0, 1000.0]), b(false)),
        ("all(result, # < 1000)", vector(&[10.0, 20.0]), b(true)),
        ("all(result, # < 1000)", empty(), b(true)),
        ("any(result, # > 10)", vector(&[10.0, 11.0]), b(true)),
        ("any(result, # > 10)", empty(), b(false)),
        ("none(result, # > 10)", vector(&[1.0, 2.0]), b(true)),
        ("none(result, # > 1)", vector(&[1.0, 2.0]), b(false)),
        ("one(result, # > 1)", vector(&[1.0, 2.0]), b(true)),
        ("one(result, # > 0)", vector(&[1.0, 2.0]), b(false)),
        (
            "len(filter(result, # > 1)) == 2",
            vector(&[1.0, 2.0, 3.0]),
            b(true),
        ),
        ("map(result, # * 2)[1] == 4", vector(&[1.0, 2.0]), b(true)),
        (
            "count(result, # >= 0.9) >= 2",
            vector(&[0.9, 0.95, 0.1]),
            b(true),
        ),
        ("count(result, {# > 0}) == len(result)", empty(), b(true)),
        // scalar results: compare directly
        ("result >= 0.95", scalar(0.96), b(true)),
        ("result >= 0.95", scalar(0.5), b(false)),
        ("result < 0.05 || isNaN(result)", scalar(f64::NAN), b(true)),
        ("isNaN(result)", scalar(0.1), b(false)),
        ("!isNaN(result) && result > 0.5", scalar(0.7), b(true)),
        ("isInf(result)", scalar(f64::INFINITY), b(true)),
        ("isInf(result)", scalar(f64::NEG_INFINITY), b(true)),
        ("isInf(result)", scalar(1.0), b(false)),
        ("result > 0.5", scalar(f64::NAN), b(false)),
        ("result <= 0.5", scalar(f64::NAN), b(false)),
        ("result == result", scalar(f64::NAN), b(false)),
        // type mismatches are errors, never false
        (
            "result >= 0.95",
            vector(&[0.96]),
            Fails("invalid operation: >= (mismatched types []float64 and float64)"),
        ),
        (
            "result >= 0.95",
            empty(),
            Fails("mismatched types []float64 and float64"),
        ),
        (
            "isNaN(result)",
            vector(&[1.0]),
            Fails("cannot use []float64 as argument"),
        ),
        (
            "result[0] > 1",
            scalar(2.0),
            Fails("cannot fetch 0 from float64"),
        ),
        (
            "all(result, # > 1)",
            scalar(2.0),
            Fails("builtin all takes only array (got float64)"),
        ),
        (
            "result == 1",
            vector(&[1.0]),
            Fails("invalid operation: == (mismatched types []float64 and int)"),
        ),
        // nil results
        ("isNil(result)", Value::Nil, b(true)),
        ("isNil(result)", scalar(1.0), b(false)),
        ("default(result, 0) >= 0", Value::Nil, b(true)),
        ("default(result, 0) == 0.5", scalar(0.5), b(true)),
        (
            "result[0] > 1",
            Value::Nil,
            Fails("cannot fetch 0 from <nil>"),
        ),
        ("result ?? 1", Value::Nil, i(1)),
        ("(result ?? 1) == 2", scalar(2.0), b(true)),
        // conversions
        ("asInt(result) == 3", scalar(3.7), b(true)),
        ("asInt(\"42\") == 42", Value::Nil, b(true)),
        ("asInt(\"4.2\")", Value::Nil, Fails("invalid syntax")),
        ("asFloat(\"0.25\") * 4", Value::Nil, f(1.0)),
        ("asFloat(result[0]) > 0.5", vector(&[0.75]), b(true)),
        ("asFloat(\"NaN\") != 0", Value::Nil, b(true)),
        ("asFloat(\"zero\")", Value::Nil, Fails("asFloat")),
        (
            "asFloat(result)",
            vector(&[1.0]),
            Fails("asFloat: unsupported type []float64"),
        ),
        // member access on JSON-shaped results (web, job-style providers)
        ("result.a.b == 2", json(r#"{"a":{"b":2}}"#), b(true)),
        ("result.a.missing == nil", json(r#"{"a":{"b":2}}"#), b(true)),
        (
            "result.a.missing.deeper",
            json(r#"{"a":{}}"#),
            Fails("cannot fetch deeper from <nil>"),
        ),
        (
            "result.a?.missing?.deeper",
            json(r#"{"a":{}}"#),
            Is(Value::Nil),
        ),
        ("result.x?.y.z ?? 5", json(r#"{}"#), i(5)),
        (
            "result[\"a\"][\"b\"] == 2",
            json(r#"{"a":{"b":2}}"#),
            b(true),
        ),
        (
            "result.items[1].ok",
            json(r#"{"items":[{"ok":false},{"ok":true}]}"#),
            b(true),
        ),
        (
            "all(result.items, .ok)",
            json(r#"{"items":[{"ok":true},{"ok":true}]}"#),
            b(true),
        ),
        (
            "any(result.items, {#.ok})",
            json(r#"{"items":[{"ok":false}]}"#),
            b(false),
        ),
        ("\"a\" in result", json(r#"{"a":1}"#), b(true)),
        ("\"b\" not in result", json(r#"{"a":1}"#), b(true)),
        (
            "result.a",
            scalar(1.0),
            Fails("type float64 has no field a"),
        ),
    ];
    run_table(cases);
}

#[test]
fn conditions_must_be_bool() {
    let program = Program::compile("result[0]").expect("compiles");
    let err = program
        .eval_bool(&vector(&[0.5]))
        .expect_err("a float is not a verdict");
    assert_eq!(err.to_string(), "expected bool, but got float64");
    let ok = Program::compile("result[0] > 0.1").expect("compiles");
    assert_eq!(ok.eval_bool(&vector(&[0.5])), Ok(true));
}

#[test]
fn a_compiled_program_is_reused_across_measurements() {
    let program = Program::compile("len(result) > 0 && all(result, # < 2)").expect("compiles");
    let verdicts: Vec<_> = [vector(&[1.0]), vector(&[3.0]), empty(), vector(&[0.5, 1.5])]
        .iter()
        .map(|r| program.eval_bool(r))
        .collect();
    assert_eq!(verdicts, vec![Ok(true), Ok(false), Ok(false), Ok(true)]);
    assert_eq!(program.source(), "len(result) > 0 && all(result, # < 2)");
}
