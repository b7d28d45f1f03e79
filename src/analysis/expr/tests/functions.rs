//! Builtin functions, predicates included.

use super::*;

#[test]
fn builtins() {
    let none = || Value::Nil;
    let cases = vec![
        ("len(result)", vector(&[1.0, 2.0]), i(2)),
        ("len(result)", empty(), i(0)),
        ("len('abc')", none(), i(3)),
        ("len({a: 1})", none(), i(1)),
        (
            "len(result)",
            scalar(1.0),
            Fails("invalid argument for len (type float64)"),
        ),
        (
            "len(result)",
            Value::Nil,
            Fails("invalid argument for len (type nil)"),
        ),
        (
            "filter(result, # > 1)",
            vector(&[1.0, 2.0, 3.0]),
            Is(vector(&[2.0, 3.0])),
        ),
        ("map(result, # + 1)", vector(&[1.0]), Is(vector(&[2.0]))),
        (
            "map(result, #index)",
            vector(&[5.0, 6.0]),
            Is(Value::Array(vec![Value::Int(0), Value::Int(1)])),
        ),
        ("count(result, # > 1)", vector(&[1.0, 2.0, 3.0]), i(2)),
        ("count([true, false, true])", none(), i(2)),
        ("find(result, # > 1)", vector(&[1.0, 2.0, 3.0]), f(2.0)),
        ("find(result, # > 5)", vector(&[1.0]), Is(Value::Nil)),
        ("findIndex(result, # > 1)", vector(&[1.0, 2.0, 3.0]), i(1)),
        ("findLast(result, # > 1)", vector(&[1.0, 2.0, 3.0]), f(3.0)),
        ("findLastIndex(result, # > 5)", vector(&[1.0]), i(-1)),
        (
            "all(result, {all([#], {# > 0})})",
            vector(&[1.0, 2.0]),
            b(true),
        ),
        (
            "all(result, # > 0)",
            Value::Nil,
            Fails("builtin all takes only array (got nil)"),
        ),
        (
            "all(result, #)",
            vector(&[1.0]),
            Fails("predicate of all should return bool (got float64)"),
        ),
        ("sum(result)", vector(&[1.0, 2.5]), f(3.5)),
        ("sum([1, 2])", none(), i(3)),
        ("sum(result, # * 2)", vector(&[1.0, 2.0]), f(6.0)),
        ("mean(result)", vector(&[1.0, 2.0, 6.0]), f(3.0)),
        ("median(result)", vector(&[5.0, 1.0, 3.0]), f(3.0)),
        ("median(result)", vector(&[4.0, 1.0, 3.0, 2.0]), f(2.5)),
        ("max(result)", vector(&[1.0, 7.0, 3.0]), f(7.0)),
        ("min(result)", vector(&[4.0, 2.0]), f(2.0)),
        ("max(1, 5, 3)", none(), i(5)),
        (
            "min(result)",
            empty(),
            Fails("not enough arguments to call min"),
        ),
        ("abs(-2)", none(), i(2)),
        ("abs(-2.5)", none(), f(2.5)),
        ("ceil(1.2)", none(), f(2.0)),
        ("floor(1.8)", none(), f(1.0)),
        ("round(2.5)", none(), f(3.0)),
        ("first(result)", vector(&[1.0, 2.0]), f(1.0)),
        ("last(result)", vector(&[1.0, 2.0]), f(2.0)),
        ("first(result)", empty(), Is(Value::Nil)),
        ("take(result, 1)", vector(&[1.0, 2.0]), Is(vector(&[1.0]))),
        (
            "keys({b: 1, a: 2})",
            none(),
            Is(Value::Array(vec![
                Value::String("a".into()),
                Value::String("b".into()),
            ])),
        ),
        (
            "values({a: 2})",
            none(),
            Is(Value::Array(vec![Value::Int(2)])),
        ),
        ("int(2.9)", none(), i(2)),
        ("int('7')", none(), i(7)),
        ("float(2)", none(), f(2.0)),
        ("string(0.5)", none(), s("0.5")),
        ("type(result)", vector(&[1.0]), s("array")),
        ("type(result)", scalar(1.0), s("float")),
        ("upper('a') + lower('B')", none(), s("Ab")),
        ("trim('  x ')", none(), s("x")),
        ("trim('__x_', '_')", none(), s("x")),
        (
            "reverse([1, 2])",
            none(),
            Is(Value::Array(vec![Value::Int(2), Value::Int(1)])),
        ),
        (
            "sort(result)",
            vector(&[3.0, 1.0, 2.0]),
            Is(vector(&[1.0, 2.0, 3.0])),
        ),
        (
            "sort(result, 'desc')",
            vector(&[3.0, 1.0, 2.0]),
            Is(vector(&[3.0, 2.0, 1.0])),
        ),
        ("join(['a', 'b'], ',')", none(), s("a,b")),
        ("split('a,b', ',')[1]", none(), s("b")),
        ("isNaN(1)", none(), b(false)),
        (
            "isNaN('x')",
            none(),
            Fails("cannot use string as argument (type float64) to call isNaN"),
        ),
    ];
    run_table(cases);
}
