//! What is rejected before any measurement: syntax, unknown names, arity.

use super::*;
use crate::analysis::expr::Pos;

#[test]
fn compile_errors_name_the_problem_and_position() {
    let cases: Vec<(&str, &str)> = vec![
        ("invalidVariable > 1", "unknown name invalidVariable (1:1)"),
        ("result > foo", "unknown name foo (1:10)"),
        ("results[0] > 1", "unknown name results (1:1)"),
        ("nosuch(result)", "unknown name nosuch (1:1)"),
        (
            "len()",
            "invalid number of arguments for len (expected 1, got 0)",
        ),
        (
            "len(result, 1)",
            "invalid number of arguments for len (expected 1, got 2)",
        ),
        (
            "all(result)",
            "invalid number of arguments for all (expected 2, got 1)",
        ),
        (
            "default(result)",
            "invalid number of arguments for default (expected 2, got 1)",
        ),
        ("result >", "unexpected end of expression"),
        ("result[0] > 0.9 )", "unexpected token \")\""),
        ("(result", "an opened parenthesis is not properly closed"),
        ("# > 1", "cannot use pointer accessor outside predicate"),
        ("'unterminated", "literal not terminated"),
        ("1 @ 2", "unrecognized character"),
        ("1 ? 2", "unexpected end of expression"),
        ("result.len()", "method len is not supported"),
        ("", "unexpected end of expression"),
        ("1abc", "bad number syntax"),
        ("99999999999999999999", "out of range"),
    ];
    let mut failures = Vec::new();
    for (source, needle) in cases {
        match Program::compile(source) {
            Ok(_) => failures.push(format!("{source:?} compiled")),
            Err(e) if !e.to_string().contains(needle) => {
                failures.push(format!("{source:?}: {e} does not contain {needle:?}"))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn positions_count_lines_and_columns() {
    let err = Program::compile("result[0] > 0.9 &&\n  bogus").expect_err("unknown name");
    assert_eq!(err.pos, Pos { line: 2, col: 3 });
    assert_eq!(err.message, "unknown name bogus");
}

#[test]
fn every_documented_form_compiles() {
    for source in [
        "result[0] > 0.90",
        "result >= 0.95",
        "len(result) > 0 && result[0] < 2",
        "all(result, {# < 1000})",
        "all(result, # < 1000)",
        "any(result, # > 1) or none(result, # < 0)",
        "one(result, # == 1) and count(result, # > 0) > 0",
        "len(filter(result, # > 1)) == len(map(result, # * 2))",
        "isNaN(result) || isInf(result)",
        "asInt(result) > asFloat('1.5')",
        "default(result, 0) >= 0.95",
        "isNil(result) ? false : result[0] > 0.5",
        "result ?? 0",
        "result.a.b in [1, 2] && 'k' in result",
        "not (result[0] % 2 == 0) && -result[0] < 1e3 ** 2",
        "true != false && nil == nil",
    ] {
        assert!(Program::compile(source).is_ok(), "{source} should compile");
    }
}
