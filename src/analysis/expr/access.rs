//! Indexing and slicing: `result[0]`, `result[-1]`, `result["key"]`, `result[1:3]`, with expr's
//! rules (negative indexes count from the end, slices clamp, out-of-range indexes are errors).

use super::EvalError;
use super::value::Value;

/// Resolves a possibly negative index against a length, as expr does (`-1` is the last).
fn position(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let resolved = if index < 0 { len + index } else { index };
    usize::try_from(resolved).ok().filter(|i| (*i as i64) < len)
}

fn int_index(object: &Value, index: &Value) -> Result<i64, EvalError> {
    match index {
        Value::Int(i) => Ok(*i),
        other => Err(EvalError::new(format!(
            "{} elements can only be selected using an integer (got {})",
            object.type_name(),
            other.type_name()
        ))),
    }
}

pub(crate) fn fetch(object: &Value, index: &Value) -> Result<Value, EvalError> {
    match object {
        Value::Array(items) => {
            let i = int_index(object, index)?;
            position(i, items.len())
                .map(|p| items[p].clone())
                .ok_or_else(|| {
                    EvalError::new(format!(
                        "index out of range: {i} (array length is {})",
                        items.len()
                    ))
                })
        }
        Value::String(text) => {
            let i = int_index(object, index)?;
            let chars: Vec<char> = text.chars().collect();
            position(i, chars.len())
                .map(|p| Value::String(chars[p].to_string()))
                .ok_or_else(|| {
                    EvalError::new(format!(
                        "index out of range: {i} (string length is {})",
                        chars.len()
                    ))
                })
        }
        Value::Map(map) => match index {
            Value::String(key) => Ok(map.get(key).cloned().unwrap_or(Value::Nil)),
            other => Err(EvalError::new(format!(
                "cannot use {} as map key",
                other.type_name()
            ))),
        },
        Value::Nil => Err(EvalError::new(format!("cannot fetch {index} from <nil>"))),
        other => Err(EvalError::new(format!(
            "cannot fetch {index} from {}",
            other.type_name()
        ))),
    }
}

pub(crate) fn slice(
    object: &Value,
    from: Option<&Value>,
    to: Option<&Value>,
) -> Result<Value, EvalError> {
    let len = match object {
        Value::Array(items) => items.len(),
        Value::String(text) => text.chars().count(),
        other => {
            return Err(EvalError::new(format!(
                "cannot slice {}",
                other.type_name()
            )));
        }
    } as i64;
    let bound = |value: Option<&Value>, default: i64| -> Result<i64, EvalError> {
        let raw = match value {
            None => default,
            Some(v) => int_index(object, v)?,
        };
        let resolved = if raw < 0 { len + raw } else { raw };
        Ok(resolved.clamp(0, len))
    };
    let start = bound(from, 0)?;
    let end = bound(to, len)?.max(start);
    let (start, end) = (start as usize, end as usize);
    Ok(match object {
        Value::Array(items) => Value::Array(items[start..end].to_vec()),
        Value::String(text) => Value::String(text.chars().skip(start).take(end - start).collect()),
        _ => Value::Nil,
    })
}
