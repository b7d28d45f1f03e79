//! The parsed form of a condition. Compiled once per condition and evaluated for every
//! measurement, so everything decidable from the text alone (names, arity) is decided here.

use super::lexer::Pos;
use super::signatures::Builtin;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Expr {
    pub node: Node,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// The measurement's value, the only variable Argo puts in the environment.
    Result,
    /// `#` or `#index` / `#acc` inside a predicate.
    Pointer(Pointer),
    Array(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        /// As written (`and` or `&&`), so errors quote the user's own operator.
        symbol: &'static str,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Ternary {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Member {
        object: Box<Expr>,
        name: String,
        optional: bool,
    },
    Index {
        object: Box<Expr>,
        index: Box<Expr>,
    },
    Slice {
        object: Box<Expr>,
        from: Option<Box<Expr>>,
        to: Option<Box<Expr>>,
    },
    Call {
        func: Builtin,
        args: Vec<Expr>,
    },
    /// A predicate argument (`{# > 1}` or `# > 1`), evaluated once per element.
    Closure(Box<Expr>),
    /// A member chain containing `?.`: a nil met at an optional step makes the whole chain nil.
    Chain(Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pointer {
    Element,
    Index,
    Accumulator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Not,
    Negate,
    Plus,
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Negate => "-",
            UnaryOp::Plus => "+",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    Matches,
    Contains,
    StartsWith,
    EndsWith,
    Range,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Coalesce,
}

/// How tightly a binary operator binds and whether it groups to the right; the numbers are
/// expr's, so `a ?? b + 1` and `-2 ** 2` parse as they do in Argo.
pub(crate) struct OpInfo {
    pub op: BinaryOp,
    pub symbol: &'static str,
    pub precedence: u16,
    pub right_assoc: bool,
}

const fn info(op: BinaryOp, symbol: &'static str, precedence: u16, right_assoc: bool) -> OpInfo {
    OpInfo {
        op,
        symbol,
        precedence,
        right_assoc,
    }
}

/// Binary operators by spelling. `|` (pipe, precedence 0) is handled by the parser itself.
pub(crate) const BINARY: [OpInfo; 24] = [
    info(BinaryOp::Or, "or", 10, false),
    info(BinaryOp::Or, "||", 10, false),
    info(BinaryOp::And, "and", 15, false),
    info(BinaryOp::And, "&&", 15, false),
    info(BinaryOp::Eq, "==", 20, false),
    info(BinaryOp::Ne, "!=", 20, false),
    info(BinaryOp::Lt, "<", 20, false),
    info(BinaryOp::Gt, ">", 20, false),
    info(BinaryOp::Le, "<=", 20, false),
    info(BinaryOp::Ge, ">=", 20, false),
    info(BinaryOp::In, "in", 20, false),
    info(BinaryOp::Matches, "matches", 20, false),
    info(BinaryOp::Contains, "contains", 20, false),
    info(BinaryOp::StartsWith, "startsWith", 20, false),
    info(BinaryOp::EndsWith, "endsWith", 20, false),
    info(BinaryOp::Range, "..", 25, false),
    info(BinaryOp::Add, "+", 30, false),
    info(BinaryOp::Sub, "-", 30, false),
    info(BinaryOp::Mul, "*", 60, false),
    info(BinaryOp::Div, "/", 60, false),
    info(BinaryOp::Mod, "%", 60, false),
    info(BinaryOp::Pow, "**", 100, true),
    info(BinaryOp::Pow, "^", 100, true),
    info(BinaryOp::Coalesce, "??", 500, false),
];

/// Unary operators bind looser than `**` and `??` but tighter than `*`: `-2 ** 2` is `-(2 ** 2)`.
pub(crate) const NOT_PRECEDENCE: u16 = 50;
pub(crate) const SIGN_PRECEDENCE: u16 = 90;
/// Comparisons chain: `1 < x < 3` means `1 < x && x < 3`.
pub(crate) const COMPARISON_PRECEDENCE: u16 = 20;

pub(crate) fn binary_info(symbol: &str) -> Option<&'static OpInfo> {
    BINARY.iter().find(|i| i.symbol == symbol)
}
