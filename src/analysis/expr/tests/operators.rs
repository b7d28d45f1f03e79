//! Literals, operators and precedence, mostly without `result`.

use super::*;

fn none() -> Value {
    Value::Nil
}

#[test]
fn literals() {
    let cases = vec![
        ("1", none(), i(1)),
        ("1_000", none(), i(1000)),
        ("0x1F", none(), i(31)),
        ("0o17", none(), i(15)),
        ("0b101", none(), i(5)),
        ("1.5", none(), f(1.5)),
        (".5", none(), f(0.5)),
        ("result > 0 and .5 < 1", scalar(1.0), b(true)),
        ("result in [.5, 1.5]", scalar(0.5), b(true)),
        ("1e3", none(), f(1000.0)),
        ("2.5e-1", none(), f(0.25)),
        ("1E+2", none(), f(100.0)),
        ("true", none(), b(true)),
        ("false", none(), b(false)),
        ("nil", none(), Is(Value::Nil)),
        ("\"double\"", none(), s("double")),
        ("'single'", none(), s("single")),
        ("\"tab\\there\"", none(), s("tab\there")),
        ("'it\\'s'", none(), s("it's")),
        ("\"\\u00e9\"", none(), s("é")),
        ("`raw\\n`", none(), s("raw\\n")),
        (
            "[1, 2.5, 'x']",
            none(),
            Is(Value::Array(vec![
                Value::Int(1),
                Value::Float(2.5),
                Value::String("x".into()),
            ])),
        ),
        (
            "[1, 2,]",
            none(),
            Is(Value::Array(vec![Value::Int(1), Value::Int(2)])),
        ),
        ("{a: 1, 'b': 2}.b", none(), i(2)),
        ("{(\"k\" + \"ey\"): true}.key", none(), b(true)),
        ("1 // a comment", none(), i(1)),
        ("/* block */ 2", none(), i(2)),
    ];
    run_table(cases);
}

#[test]
fn arithmetic() {
    let cases = vec![
        ("1 + 2", none(), i(3)),
        ("1 + 2.5", none(), f(3.5)),
        ("5 - 7", none(), i(-2)),
        ("3 * 4", none(), i(12)),
        ("3 * 0.5", none(), f(1.5)),
        ("7 / 2", none(), f(3.5)),
        ("1 / 0", none(), f(f64::INFINITY)),
        ("7 % 3", none(), i(1)),
        ("-7 % 3", none(), i(-1)),
        ("7 % 0", none(), Fails("integer divide by zero")),
        (
            "7.5 % 2",
            none(),
            Fails("invalid operation: % (mismatched types float64 and int)"),
        ),
        ("2 ** 10", none(), f(1024.0)),
        ("2 ^ 3", none(), f(8.0)),
        ("2 ** 3 ** 2", none(), f(512.0)),
        ("-2 ** 2", none(), f(-4.0)),
        ("(-2) ** 2", none(), f(4.0)),
        ("-3", none(), i(-3)),
        ("- -3", none(), i(3)),
        ("-1.5", none(), f(-1.5)),
        ("+4", none(), i(4)),
        ("1 + 2 * 3", none(), i(7)),
        ("(1 + 2) * 3", none(), i(9)),
        ("10 - 2 - 3", none(), i(5)),
        ("12 / 2 / 3", none(), f(2.0)),
        ("result * 100", scalar(0.5), f(50.0)),
        ("result[0] + result[1]", vector(&[10.0, 11.0]), f(21.0)),
        ("'a' + 'b'", none(), s("ab")),
        (
            "[1] + [2]",
            none(),
            Is(Value::Array(vec![Value::Int(1), Value::Int(2)])),
        ),
        (
            "'a' + 1",
            none(),
            Fails("invalid operation: + (mismatched types string and int)"),
        ),
        (
            "-'a'",
            none(),
            Fails("invalid operation: - (mismatched type string)"),
        ),
        (
            "result - 1",
            vector(&[1.0]),
            Fails("invalid operation: - (mismatched types []float64 and int)"),
        ),
    ];
    run_table(cases);
}

#[test]
fn comparison_and_logic() {
    let cases = vec![
        ("1 < 2", none(), b(true)),
        ("2 <= 2", none(), b(true)),
        ("3 > 2.5", none(), b(true)),
        ("2 >= 3", none(), b(false)),
        ("1 == 1.0", none(), b(true)),
        ("1 != 2", none(), b(true)),
        ("'a' < 'b'", none(), b(true)),
        ("'a' == 'a'", none(), b(true)),
        ("nil == nil", none(), b(true)),
        ("result == nil", scalar(1.0), b(false)),
        ("[1, 2] == [1, 2.0]", none(), b(true)),
        (
            "'a' == 1",
            none(),
            Fails("invalid operation: == (mismatched types string and int)"),
        ),
        (
            "'a' < 1",
            none(),
            Fails("invalid operation: < (mismatched types string and int)"),
        ),
        ("1 < 2 < 3", none(), b(true)),
        ("1 < 3 < 2", none(), b(false)),
        ("true && false", none(), b(false)),
        ("true and true", none(), b(true)),
        ("false || true", none(), b(true)),
        ("false or false", none(), b(false)),
        ("!true", none(), b(false)),
        ("not false", none(), b(true)),
        ("not (1 > 2)", none(), b(true)),
        ("!(result[0] > 1)", vector(&[0.5]), b(true)),
        ("true || false && false", none(), b(true)),
        ("(true || false) && false", none(), b(false)),
        ("false && result[5] > 1", empty(), b(false)),
        ("true || result[5] > 1", empty(), b(true)),
        (
            "1 && true",
            none(),
            Fails("invalid operation: && (mismatched types int and bool)"),
        ),
        (
            "true && 1",
            none(),
            Fails("invalid operation: && (mismatched types bool and int)"),
        ),
        (
            "!1",
            none(),
            Fails("invalid operation: ! (mismatched type int)"),
        ),
        ("1 + 1 == 2 && 3 > 2", none(), b(true)),
    ];
    run_table(cases);
}

#[test]
fn membership_ternary_and_coalescing() {
    let cases = vec![
        ("2 in [1, 2, 3]", none(), b(true)),
        ("2.0 in [1, 2, 3]", none(), b(true)),
        ("5 in [1, 2, 3]", none(), b(false)),
        ("5 not in [1, 2, 3]", none(), b(true)),
        ("'x' in ['x', 'y']", none(), b(true)),
        ("'a' in {a: 1}", none(), b(true)),
        ("'z' in {a: 1}", none(), b(false)),
        ("0.95 in result", vector(&[0.95]), b(true)),
        (
            "1 in result",
            scalar(1.0),
            Fails("invalid operation: in (mismatched types int and float64)"),
        ),
        ("1 in {a: 1}", none(), Fails("cannot use int as map key")),
        (
            "result[0] > 0.9 ? 'good' : 'bad'",
            vector(&[0.95]),
            s("good"),
        ),
        ("result[0] > 0.9 ? 'good' : 'bad'", vector(&[0.5]), s("bad")),
        ("false ? 1 : true ? 2 : 3", none(), i(2)),
        (
            "1 ? 2 : 3",
            none(),
            Fails("non-bool expression (type int) used as condition"),
        ),
        ("nil ?? 3", none(), i(3)),
        ("2 ?? 3", none(), i(2)),
        ("nil ?? nil ?? 4", none(), i(4)),
        ("nil ?? 1 + 1", none(), i(2)),
        ("'abc' contains 'b'", none(), b(true)),
        ("'abc' startsWith 'ab'", none(), b(true)),
        ("'abc' endsWith 'bc'", none(), b(true)),
        ("'abc' not contains 'z'", none(), b(true)),
        ("'abc' matches '^a.c$'", none(), b(true)),
        (
            "'abc' matches '('",
            none(),
            Fails("invalid regular expression"),
        ),
    ];
    run_table(cases);
}

#[test]
fn indexing_slicing_ranges_and_pipes() {
    let cases = vec![
        ("result[1]", vector(&[10.0, 11.0]), f(11.0)),
        ("result[-2]", vector(&[10.0, 11.0]), f(10.0)),
        (
            "result[2]",
            vector(&[10.0, 11.0]),
            Fails("index out of range: 2 (array length is 2)"),
        ),
        (
            "result[-3]",
            vector(&[10.0, 11.0]),
            Fails("index out of range: -3 (array length is 2)"),
        ),
        (
            "result[0.5]",
            vector(&[10.0]),
            Fails("elements can only be selected using an integer (got float64)"),
        ),
        (
            "result[1:]",
            vector(&[1.0, 2.0, 3.0]),
            Is(vector(&[2.0, 3.0])),
        ),
        (
            "result[:2]",
            vector(&[1.0, 2.0, 3.0]),
            Is(vector(&[1.0, 2.0])),
        ),
        ("result[1:-1]", vector(&[1.0, 2.0, 3.0]), Is(vector(&[2.0]))),
        ("result[:]", vector(&[1.0, 2.0]), Is(vector(&[1.0, 2.0]))),
        ("result[5:9]", vector(&[1.0]), Is(empty())),
        ("'hello'[1:3]", none(), s("el")),
        ("'hello'[0]", none(), s("h")),
        (
            "1..3",
            none(),
            Is(Value::Array(vec![
                Value::Int(1),
                Value::Int(2),
                Value::Int(3),
            ])),
        ),
        ("len(3..1)", none(), i(0)),
        ("sum(1..4)", none(), i(10)),
        ("result | all(# > 0)", vector(&[1.0, 2.0]), b(true)),
        (
            "result | filter(# > 1) | len()",
            vector(&[1.0, 2.0, 3.0]),
            i(2),
        ),
        (
            "result | map(# * 10) | first()",
            vector(&[1.0, 2.0]),
            f(10.0),
        ),
    ];
    run_table(cases);
}
