//! The condition language of `successCondition` / `failureCondition`: the subset of
//! expr-lang/expr that Argo Rollouts users write, with Argo's environment (`result`, `asInt`,
//! `asFloat`, `isNaN`, `isInf`, `isNil`, `default`).
//!
//! A condition is compiled once ([`Program::compile`]: lexer → Pratt parser → AST, names and
//! arity checked) and evaluated for every measurement ([`Program::eval`]). Values are dynamic,
//! so the type errors expr reports at compile time (it knows `result`'s Go type) are reported
//! at evaluation with the same wording, e.g.
//! `invalid operation: >= (mismatched types []float64 and float64)`; they are never `false`.

mod access;
mod ast;
mod builtins;
mod eval;
mod lexer;
mod ops;
mod parser;
mod signatures;
mod value;

#[cfg(test)]
mod tests;

pub use lexer::Pos;
pub use value::{Value, format_float};

/// The text of a condition could not be turned into a program: syntax, an unknown name, the
/// wrong number of arguments. Carries expr's `(line:column)` position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({}:{})", pos.line, pos.col)]
pub struct CompileError {
    pub message: String,
    pub pos: Pos,
}

/// Evaluating a program against one measurement failed: a type mismatch, an index out of range,
/// a bad conversion.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    message: String,
}

impl EvalError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        EvalError {
            message: message.into(),
        }
    }
}

/// A compiled condition; cheap to evaluate many times.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    source: String,
    root: ast::Expr,
}

impl Program {
    pub fn compile(source: &str) -> Result<Program, CompileError> {
        let tokens = lexer::tokenize(source)?;
        let root = parser::parse(tokens)?;
        Ok(Program {
            source: source.to_owned(),
            root,
        })
    }

    /// The condition as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates with `result` bound to a measurement's value.
    pub fn eval(&self, result: &Value) -> Result<Value, EvalError> {
        eval::evaluate(&self.root, result)
    }

    /// Evaluates a condition, which must produce a bool (Argo compiles with `AsBool`).
    pub fn eval_bool(&self, result: &Value) -> Result<bool, EvalError> {
        match self.eval(result)? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError::new(format!(
                "expected bool, but got {}",
                other.type_name()
            ))),
        }
    }
}
