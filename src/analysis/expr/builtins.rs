//! The functions a condition can call: Argo's six (`asInt`, `asFloat`, `isNaN`, `isInf`, `isNil`,
//! `default`) and the expr builtins people use on metric results. Functions taking a predicate
//! (`all`, `filter`, …) are evaluated in `eval`, since they need the closure machinery.

use super::EvalError;
use super::signatures::{Builtin, name_of};
use super::value::Value;

fn err(message: impl Into<String>) -> EvalError {
    EvalError::new(message)
}

fn wrong_argument(builtin: Builtin, value: &Value, expected: &str) -> EvalError {
    err(format!(
        "cannot use {} as argument (type {expected}) to call {}",
        value.type_name(),
        name_of(builtin)
    ))
}

fn number_arg(builtin: Builtin, value: &Value) -> Result<f64, EvalError> {
    value
        .as_number()
        .ok_or_else(|| wrong_argument(builtin, value, "float64"))
}

fn array_arg(builtin: Builtin, value: &Value) -> Result<Vec<Value>, EvalError> {
    match value {
        Value::Array(items) => Ok(items.clone()),
        other => Err(err(format!(
            "builtin {} takes only array (got {})",
            name_of(builtin),
            other.type_name()
        ))),
    }
}

fn string_arg(builtin: Builtin, value: &Value) -> Result<String, EvalError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(wrong_argument(builtin, other, "string")),
    }
}

/// Calls a function that takes no predicate. `result` is the measurement, which Argo's `isNil`
/// and `default` look at instead of their first argument.
pub(crate) fn call(builtin: Builtin, args: &[Value], result: &Value) -> Result<Value, EvalError> {
    let first = args.first().unwrap_or(&Value::Nil);
    match builtin {
        Builtin::AsInt => as_int(first),
        Builtin::AsFloat => as_float(first),
        Builtin::IsNaN => match first {
            Value::Int(_) => Ok(Value::Bool(false)),
            Value::Float(f) => Ok(Value::Bool(f.is_nan())),
            other => Err(wrong_argument(builtin, other, "float64")),
        },
        Builtin::IsInf => match first {
            Value::Int(_) => Ok(Value::Bool(false)),
            Value::Float(f) => Ok(Value::Bool(f.is_infinite())),
            other => Err(wrong_argument(builtin, other, "float64")),
        },
        // Argo binds both to the measurement itself, whatever expression is passed in.
        Builtin::IsNil => Ok(Value::Bool(matches!(result, Value::Nil))),
        Builtin::Default => Ok(match result {
            Value::Nil => args.get(1).cloned().unwrap_or(Value::Nil),
            present => present.clone(),
        }),
        Builtin::Len => match first {
            Value::Array(items) => Ok(Value::Int(items.len() as i64)),
            Value::Map(map) => Ok(Value::Int(map.len() as i64)),
            Value::String(s) => Ok(Value::Int(s.len() as i64)),
            other => Err(err(format!(
                "invalid argument for len (type {})",
                other.type_name()
            ))),
        },
        Builtin::Mean | Builtin::Median | Builtin::Min | Builtin::Max => statistic(builtin, args),
        Builtin::Abs => match first {
            Value::Int(i) => Ok(Value::Int(i.wrapping_abs())),
            other => Ok(Value::Float(number_arg(builtin, other)?.abs())),
        },
        Builtin::Ceil => Ok(Value::Float(number_arg(builtin, first)?.ceil())),
        Builtin::Floor => Ok(Value::Float(number_arg(builtin, first)?.floor())),
        Builtin::Round => Ok(Value::Float(number_arg(builtin, first)?.round())),
        Builtin::First => Ok(array_arg(builtin, first)?
            .first()
            .cloned()
            .unwrap_or(Value::Nil)),
        Builtin::Last => Ok(array_arg(builtin, first)?
            .last()
            .cloned()
            .unwrap_or(Value::Nil)),
        Builtin::Take => {
            let items = array_arg(builtin, first)?;
            let n = match args.get(1) {
                Some(Value::Int(n)) => usize::try_from(*n).unwrap_or(0),
                Some(other) => return Err(wrong_argument(builtin, other, "int")),
                None => 0,
            };
            Ok(Value::Array(items.into_iter().take(n).collect()))
        }
        Builtin::Keys => match first {
            Value::Map(map) => Ok(Value::Array(
                map.keys().map(|k| Value::String(k.clone())).collect(),
            )),
            other => Err(wrong_argument(builtin, other, "map")),
        },
        Builtin::Values => match first {
            Value::Map(map) => Ok(Value::Array(map.values().cloned().collect())),
            other => Err(wrong_argument(builtin, other, "map")),
        },
        Builtin::Int => match first {
            Value::Int(i) => Ok(Value::Int(*i)),
            Value::Float(f) => Ok(Value::Int(*f as i64)),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Value::Int)
                .map_err(|_| err(format!("cannot convert {s:?} to int"))),
            other => Err(wrong_argument(builtin, other, "int")),
        },
        Builtin::Float => match first {
            Value::Int(i) => Ok(Value::Float(*i as f64)),
            Value::Float(f) => Ok(Value::Float(*f)),
            Value::String(s) => parse_go_float(s)
                .map(Value::Float)
                .ok_or_else(|| err(format!("cannot convert {s:?} to float"))),
            other => Err(wrong_argument(builtin, other, "float64")),
        },
        Builtin::String => Ok(Value::String(first.to_string())),
        Builtin::Type => Ok(Value::String(
            match first {
                Value::Nil => "nil",
                Value::Bool(_) => "bool",
                Value::Int(_) => "int",
                Value::Float(_) => "float",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Map(_) => "map",
            }
            .to_owned(),
        )),
        Builtin::Upper => Ok(Value::String(string_arg(builtin, first)?.to_uppercase())),
        Builtin::Lower => Ok(Value::String(string_arg(builtin, first)?.to_lowercase())),
        Builtin::Trim => {
            let text = string_arg(builtin, first)?;
            Ok(Value::String(match args.get(1) {
                Some(chars) => {
                    let chars = string_arg(builtin, chars)?;
                    text.trim_matches(|c| chars.contains(c)).to_owned()
                }
                None => text.trim().to_owned(),
            }))
        }
        Builtin::Reverse => {
            let mut items = array_arg(builtin, first)?;
            items.reverse();
            Ok(Value::Array(items))
        }
        Builtin::Sort => sort(builtin, args),
        Builtin::Join => {
            let items = array_arg(builtin, first)?;
            let separator = match args.get(1) {
                Some(sep) => string_arg(builtin, sep)?,
                None => String::new(),
            };
            let parts = items
                .iter()
                .map(|item| string_arg(builtin, item))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::String(parts.join(&separator)))
        }
        Builtin::Split => {
            let text = string_arg(builtin, first)?;
            let separator = string_arg(builtin, args.get(1).unwrap_or(&Value::Nil))?;
            Ok(Value::Array(
                text.split(separator.as_str())
                    .map(|part| Value::String(part.to_owned()))
                    .collect(),
            ))
        }
        Builtin::All
        | Builtin::Any
        | Builtin::None
        | Builtin::One
        | Builtin::Filter
        | Builtin::Map
        | Builtin::Count
        | Builtin::Find
        | Builtin::FindIndex
        | Builtin::FindLast
        | Builtin::FindLastIndex
        | Builtin::Sum => Err(err(format!(
            "{} needs a predicate and cannot be called directly",
            name_of(builtin)
        ))),
    }
}

/// Go's `strconv.ParseFloat` accepts `NaN`, `Inf`, `+Inf` and `-Inf`, which Prometheus-minded
/// users pass around as strings.
pub(crate) fn parse_go_float(text: &str) -> Option<f64> {
    match text {
        "NaN" | "nan" => Some(f64::NAN),
        "Inf" | "+Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok().filter(|f: &f64| f.is_finite()),
    }
}

fn as_int(value: &Value) -> Result<Value, EvalError> {
    match value {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Float(f) => Ok(Value::Int(*f as i64)),
        Value::String(s) => s.parse().map(Value::Int).map_err(|_| {
            err(format!(
                "asInt: strconv.ParseInt: parsing {s:?}: invalid syntax"
            ))
        }),
        other => Err(err(format!(
            "asInt: unsupported type {}",
            other.type_name()
        ))),
    }
}

fn as_float(value: &Value) -> Result<Value, EvalError> {
    match value {
        Value::Int(i) => Ok(Value::Float(*i as f64)),
        Value::Float(f) => Ok(Value::Float(*f)),
        Value::String(s) => parse_go_float(s).map(Value::Float).ok_or_else(|| {
            err(format!(
                "asFloat: strconv.ParseFloat: parsing {s:?}: invalid syntax"
            ))
        }),
        other => Err(err(format!(
            "asFloat: unsupported type {}",
            other.type_name()
        ))),
    }
}

/// Arguments of `min`, `max`, `mean`, `median`: numbers, or arrays of numbers, flattened.
fn numbers(builtin: Builtin, args: &[Value]) -> Result<Vec<Value>, EvalError> {
    let mut out = Vec::new();
    for arg in args {
        match arg {
            Value::Array(items) => out.extend(numbers(builtin, items)?),
            n if n.is_number() => out.push(n.clone()),
            other => return Err(wrong_argument(builtin, other, "number or array")),
        }
    }
    Ok(out)
}

fn statistic(builtin: Builtin, args: &[Value]) -> Result<Value, EvalError> {
    let values = numbers(builtin, args)?;
    let floats: Vec<f64> = values.iter().filter_map(Value::as_number).collect();
    match builtin {
        Builtin::Min | Builtin::Max => {
            let mut best: Option<&Value> = None;
            for value in &values {
                let better = match best {
                    None => true,
                    Some(current) => {
                        let (a, b) = (
                            value.as_number().unwrap_or(f64::NAN),
                            current.as_number().unwrap_or(f64::NAN),
                        );
                        if builtin == Builtin::Min {
                            a < b
                        } else {
                            a > b
                        }
                    }
                };
                if better {
                    best = Some(value);
                }
            }
            best.cloned()
                .ok_or_else(|| err(format!("not enough arguments to call {}", name_of(builtin))))
        }
        Builtin::Mean => {
            if floats.is_empty() {
                return Ok(Value::Float(0.0));
            }
            Ok(Value::Float(
                floats.iter().sum::<f64>() / floats.len() as f64,
            ))
        }
        _ => {
            let mut sorted = floats;
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            Ok(Value::Float(match n {
                0 => 0.0,
                _ if n % 2 == 1 => sorted[n / 2],
                _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
            }))
        }
    }
}

fn sort(builtin: Builtin, args: &[Value]) -> Result<Value, EvalError> {
    let mut items = array_arg(builtin, args.first().unwrap_or(&Value::Nil))?;
    let descending = match args.get(1) {
        None => false,
        Some(Value::String(order)) if order == "asc" => false,
        Some(Value::String(order)) if order == "desc" => true,
        Some(other) => {
            return Err(err(format!("unknown order {other}, use asc or desc")));
        }
    };
    let all_numbers = items.iter().all(Value::is_number);
    let all_strings = items.iter().all(|v| matches!(v, Value::String(_)));
    if all_numbers {
        items.sort_by(|a, b| {
            a.as_number()
                .unwrap_or(f64::NAN)
                .total_cmp(&b.as_number().unwrap_or(f64::NAN))
        });
    } else if all_strings {
        items.sort_by_key(|a| a.to_string());
    } else {
        return Err(err("sort needs an array of numbers or of strings"));
    }
    if descending {
        items.reverse();
    }
    Ok(Value::Array(items))
}

/// `sum` without a predicate: ints stay ints until a float joins.
pub(crate) fn sum(values: &[Value]) -> Result<Value, EvalError> {
    let mut total = Value::Int(0);
    for value in values {
        total = match (&total, value) {
            (Value::Int(a), Value::Int(b)) => Value::Int(a.wrapping_add(*b)),
            (a, b) if b.is_number() => {
                Value::Float(a.as_number().unwrap_or(0.0) + b.as_number().unwrap_or(0.0))
            }
            (_, other) => {
                return Err(err(format!(
                    "invalid operation: + (mismatched types {} and {})",
                    total.type_name(),
                    other.type_name()
                )));
            }
        };
    }
    Ok(total)
}
