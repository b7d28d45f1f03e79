//! Operator semantics on values, with expr's rules: ints stay ints under `+ - * %`, `/` and `**`
//! always give floats, numbers compare across int and float, anything else of mismatched types
//! is an error rather than a silent false.

use super::EvalError;
use super::ast::{BinaryOp, UnaryOp};
use super::value::Value;

/// Ranges materialize as arrays; this keeps `1..1e9`-style typos from eating the daemon's memory.
const MAX_RANGE: i64 = 1_000_000;

pub(crate) fn mismatch(symbol: &str, left: &Value, right: &Value) -> EvalError {
    EvalError::new(format!(
        "invalid operation: {symbol} (mismatched types {} and {})",
        left.type_name(),
        right.type_name()
    ))
}

pub(crate) fn unary(op: UnaryOp, operand: Value) -> Result<Value, EvalError> {
    match (op, operand) {
        (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnaryOp::Negate, Value::Int(i)) => Ok(Value::Int(i.wrapping_neg())),
        (UnaryOp::Negate, Value::Float(f)) => Ok(Value::Float(-f)),
        (UnaryOp::Plus, n @ (Value::Int(_) | Value::Float(_))) => Ok(n),
        (op, other) => Err(EvalError::new(format!(
            "invalid operation: {} (mismatched type {})",
            op.symbol(),
            other.type_name()
        ))),
    }
}

/// Every binary operator except the short-circuiting ones (`&&`, `||`, `??`), which the
/// evaluator handles before evaluating the right side.
pub(crate) fn binary(
    op: BinaryOp,
    symbol: &str,
    left: Value,
    right: Value,
) -> Result<Value, EvalError> {
    match op {
        BinaryOp::Eq | BinaryOp::Ne => {
            if !left.comparable_with(&right) {
                return Err(mismatch(symbol, &left, &right));
            }
            let equal = left.loose_eq(&right);
            Ok(Value::Bool(if op == BinaryOp::Eq { equal } else { !equal }))
        }
        BinaryOp::Lt | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Ge => {
            compare(op, symbol, &left, &right)
        }
        BinaryOp::In => contains_element(symbol, &left, &right),
        BinaryOp::Matches => match (&left, &right) {
            (Value::String(text), Value::String(pattern)) => regex::Regex::new(pattern)
                .map(|re| Value::Bool(re.is_match(text)))
                .map_err(|e| {
                    EvalError::new(format!("invalid regular expression {pattern:?}: {e}"))
                }),
            _ => Err(mismatch(symbol, &left, &right)),
        },
        BinaryOp::Contains | BinaryOp::StartsWith | BinaryOp::EndsWith => match (&left, &right) {
            (Value::String(text), Value::String(part)) => Ok(Value::Bool(match op {
                BinaryOp::Contains => text.contains(part.as_str()),
                BinaryOp::StartsWith => text.starts_with(part.as_str()),
                _ => text.ends_with(part.as_str()),
            })),
            _ => Err(mismatch(symbol, &left, &right)),
        },
        BinaryOp::Range => match (&left, &right) {
            (Value::Int(from), Value::Int(to)) => {
                if to.saturating_sub(*from) >= MAX_RANGE {
                    return Err(EvalError::new(format!(
                        "range {from}..{to} is too large (at most {MAX_RANGE} elements)"
                    )));
                }
                Ok(Value::Array((*from..=*to).map(Value::Int).collect()))
            }
            _ => Err(mismatch(symbol, &left, &right)),
        },
        BinaryOp::Add => match (left, right) {
            (Value::Int(a), Value::Int(b)) => Ok(Value::Int(a.wrapping_add(b))),
            (Value::String(a), Value::String(b)) => Ok(Value::String(a + &b)),
            (Value::Array(mut a), Value::Array(b)) => {
                a.extend(b);
                Ok(Value::Array(a))
            }
            (a, b) => float_op(symbol, &a, &b, |x, y| x + y),
        },
        BinaryOp::Sub => match (left, right) {
            (Value::Int(a), Value::Int(b)) => Ok(Value::Int(a.wrapping_sub(b))),
            (a, b) => float_op(symbol, &a, &b, |x, y| x - y),
        },
        BinaryOp::Mul => match (left, right) {
            (Value::Int(a), Value::Int(b)) => Ok(Value::Int(a.wrapping_mul(b))),
            (a, b) => float_op(symbol, &a, &b, |x, y| x * y),
        },
        BinaryOp::Div => float_op(symbol, &left, &right, |x, y| x / y),
        BinaryOp::Pow => float_op(symbol, &left, &right, f64::powf),
        BinaryOp::Mod => match (&left, &right) {
            (Value::Int(_), Value::Int(0)) => Err(EvalError::new("integer divide by zero")),
            (Value::Int(a), Value::Int(b)) => Ok(Value::Int(a.wrapping_rem(*b))),
            _ => Err(mismatch(symbol, &left, &right)),
        },
        BinaryOp::And | BinaryOp::Or => match (&left, &right) {
            (Value::Bool(a), Value::Bool(b)) => Ok(Value::Bool(if op == BinaryOp::And {
                *a && *b
            } else {
                *a || *b
            })),
            _ => Err(mismatch(symbol, &left, &right)),
        },
        BinaryOp::Coalesce => Ok(match left {
            Value::Nil => right,
            present => present,
        }),
    }
}

fn float_op(
    symbol: &str,
    left: &Value,
    right: &Value,
    f: impl Fn(f64, f64) -> f64,
) -> Result<Value, EvalError> {
    match (left.as_number(), right.as_number()) {
        (Some(a), Some(b)) => Ok(Value::Float(f(a, b))),
        _ => Err(mismatch(symbol, left, right)),
    }
}

fn compare(op: BinaryOp, symbol: &str, left: &Value, right: &Value) -> Result<Value, EvalError> {
    let ordering = match (left, right) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (a, b) if a.is_number() && b.is_number() => {
            // NaN compares false with everything, as in Go.
            let (x, y) = (
                a.as_number().unwrap_or(f64::NAN),
                b.as_number().unwrap_or(f64::NAN),
            );
            x.partial_cmp(&y)
        }
        _ => return Err(mismatch(symbol, left, right)),
    };
    let Some(ordering) = ordering else {
        return Ok(Value::Bool(false));
    };
    Ok(Value::Bool(match op {
        BinaryOp::Lt => ordering.is_lt(),
        BinaryOp::Gt => ordering.is_gt(),
        BinaryOp::Le => ordering.is_le(),
        _ => ordering.is_ge(),
    }))
}

fn contains_element(symbol: &str, needle: &Value, haystack: &Value) -> Result<Value, EvalError> {
    match haystack {
        Value::Array(items) => Ok(Value::Bool(items.iter().any(|item| item.loose_eq(needle)))),
        Value::Map(map) => match needle {
            Value::String(key) => Ok(Value::Bool(map.contains_key(key))),
            Value::Nil => Ok(Value::Bool(false)),
            other => Err(EvalError::new(format!(
                "cannot use {} as map key",
                other.type_name()
            ))),
        },
        Value::Nil => Ok(Value::Bool(false)),
        _ => Err(mismatch(symbol, needle, haystack)),
    }
}
