//! Which functions exist, their arity, and whether an argument is a predicate. The parser needs
//! this to read `{# > 1}` as a closure rather than a map literal, and to reject unknown names and
//! wrong argument counts before any measurement.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Builtin {
    AsInt,
    AsFloat,
    IsNaN,
    IsInf,
    IsNil,
    Default,
    Len,
    All,
    Any,
    None,
    One,
    Filter,
    Map,
    Count,
    Find,
    FindIndex,
    FindLast,
    FindLastIndex,
    Sum,
    Mean,
    Median,
    Min,
    Max,
    Abs,
    Ceil,
    Floor,
    Round,
    First,
    Last,
    Take,
    Keys,
    Values,
    Int,
    Float,
    String,
    Type,
    Upper,
    Lower,
    Trim,
    Reverse,
    Sort,
    Join,
    Split,
}

/// What the parser must know about a function: its arity, and whether its second argument is a
/// predicate (so `{# > 1}` there is a closure, not a map literal).
pub(crate) struct Signature {
    pub name: &'static str,
    pub builtin: Builtin,
    pub min_args: usize,
    /// `None`: any number.
    pub max_args: Option<usize>,
    pub predicate: Predicate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Predicate {
    No,
    Required,
    Optional,
}

const fn sig(
    name: &'static str,
    builtin: Builtin,
    min_args: usize,
    max_args: Option<usize>,
    predicate: Predicate,
) -> Signature {
    Signature {
        name,
        builtin,
        min_args,
        max_args,
        predicate,
    }
}

use Predicate::{No, Optional, Required};

pub(crate) const SIGNATURES: [Signature; 43] = [
    sig("asInt", Builtin::AsInt, 1, Some(1), No),
    sig("asFloat", Builtin::AsFloat, 1, Some(1), No),
    sig("isNaN", Builtin::IsNaN, 1, Some(1), No),
    sig("isInf", Builtin::IsInf, 1, Some(1), No),
    sig("isNil", Builtin::IsNil, 1, Some(1), No),
    sig("default", Builtin::Default, 2, Some(2), No),
    sig("len", Builtin::Len, 1, Some(1), No),
    sig("all", Builtin::All, 2, Some(2), Required),
    sig("any", Builtin::Any, 2, Some(2), Required),
    sig("none", Builtin::None, 2, Some(2), Required),
    sig("one", Builtin::One, 2, Some(2), Required),
    sig("filter", Builtin::Filter, 2, Some(2), Required),
    sig("map", Builtin::Map, 2, Some(2), Required),
    sig("count", Builtin::Count, 1, Some(2), Optional),
    sig("find", Builtin::Find, 2, Some(2), Required),
    sig("findIndex", Builtin::FindIndex, 2, Some(2), Required),
    sig("findLast", Builtin::FindLast, 2, Some(2), Required),
    sig(
        "findLastIndex",
        Builtin::FindLastIndex,
        2,
        Some(2),
        Required,
    ),
    sig("sum", Builtin::Sum, 1, Some(2), Optional),
    sig("mean", Builtin::Mean, 1, None, No),
    sig("median", Builtin::Median, 1, None, No),
    sig("min", Builtin::Min, 1, None, No),
    sig("max", Builtin::Max, 1, None, No),
    sig("abs", Builtin::Abs, 1, Some(1), No),
    sig("ceil", Builtin::Ceil, 1, Some(1), No),
    sig("floor", Builtin::Floor, 1, Some(1), No),
    sig("round", Builtin::Round, 1, Some(1), No),
    sig("first", Builtin::First, 1, Some(1), No),
    sig("last", Builtin::Last, 1, Some(1), No),
    sig("take", Builtin::Take, 2, Some(2), No),
    sig("keys", Builtin::Keys, 1, Some(1), No),
    sig("values", Builtin::Values, 1, Some(1), No),
    sig("int", Builtin::Int, 1, Some(1), No),
    sig("float", Builtin::Float, 1, Some(1), No),
    sig("string", Builtin::String, 1, Some(1), No),
    sig("type", Builtin::Type, 1, Some(1), No),
    sig("upper", Builtin::Upper, 1, Some(1), No),
    sig("lower", Builtin::Lower, 1, Some(1), No),
    sig("trim", Builtin::Trim, 1, Some(2), No),
    sig("reverse", Builtin::Reverse, 1, Some(1), No),
    sig("sort", Builtin::Sort, 1, Some(2), No),
    sig("join", Builtin::Join, 1, Some(2), No),
    sig("split", Builtin::Split, 2, Some(2), No),
];

pub(crate) fn lookup(name: &str) -> Option<&'static Signature> {
    SIGNATURES.iter().find(|s| s.name == name)
}

pub(crate) fn name_of(builtin: Builtin) -> &'static str {
    SIGNATURES
        .iter()
        .find(|s| s.builtin == builtin)
        .map_or("?", |s| s.name)
}
