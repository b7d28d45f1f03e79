//! Tree-walking evaluator. Each measurement evaluates the same compiled tree against a new
//! `result`; predicates push a frame holding the element they look at.

use super::EvalError;
use super::access::{fetch, slice};
use super::ast::{BinaryOp, Expr, Node, Pointer};
use super::builtins;
use super::ops;
use super::signatures::{Builtin, name_of};
use super::value::Value;

/// Why evaluation stopped early: a real error, or a `?.` that met nil and makes its chain nil.
enum Stop {
    Error(EvalError),
    NilChain,
}

impl From<EvalError> for Stop {
    fn from(error: EvalError) -> Self {
        Stop::Error(error)
    }
}

type Flow<T> = Result<T, Stop>;

struct Frame {
    element: Value,
    index: i64,
    accumulator: Value,
}

pub(crate) struct Scope<'a> {
    result: &'a Value,
    frames: Vec<Frame>,
}

pub(crate) fn evaluate(expr: &Expr, result: &Value) -> Result<Value, EvalError> {
    let mut scope = Scope {
        result,
        frames: Vec::new(),
    };
    match scope.eval(expr) {
        Ok(value) => Ok(value),
        Err(Stop::Error(error)) => Err(error),
        Err(Stop::NilChain) => Ok(Value::Nil),
    }
}

fn fail<T>(message: impl Into<String>) -> Flow<T> {
    Err(Stop::Error(EvalError::new(message)))
}

impl Scope<'_> {
    fn eval(&mut self, expr: &Expr) -> Flow<Value> {
        match &expr.node {
            Node::Nil => Ok(Value::Nil),
            Node::Bool(b) => Ok(Value::Bool(*b)),
            Node::Int(i) => Ok(Value::Int(*i)),
            Node::Float(f) => Ok(Value::Float(*f)),
            Node::Str(s) => Ok(Value::String(s.clone())),
            Node::Result => Ok(self.result.clone()),
            Node::Pointer(pointer) => self.pointer(*pointer),
            Node::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|item| self.eval(item))
                    .collect::<Flow<_>>()?,
            )),
            Node::Map(entries) => {
                let mut map = std::collections::BTreeMap::new();
                for (key, value) in entries {
                    let key = match self.eval(key)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    map.insert(key, self.eval(value)?);
                }
                Ok(Value::Map(map))
            }
            Node::Unary { op, operand } => {
                let operand = self.eval(operand)?;
                Ok(ops::unary(*op, operand)?)
            }
            Node::Binary {
                op,
                symbol,
                left,
                right,
            } => self.binary(*op, symbol, left, right),
            Node::Ternary {
                condition,
                then,
                otherwise,
            } => match self.eval(condition)? {
                Value::Bool(true) => self.eval(then),
                Value::Bool(false) => self.eval(otherwise),
                other => fail(format!(
                    "non-bool expression (type {}) used as condition",
                    other.type_name()
                )),
            },
            Node::Member {
                object,
                name,
                optional,
            } => {
                let object = self.eval(object)?;
                member(object, name, *optional)
            }
            Node::Index { object, index } => {
                let object = self.eval(object)?;
                let index = self.eval(index)?;
                Ok(fetch(&object, &index)?)
            }
            Node::Slice { object, from, to } => {
                let object = self.eval(object)?;
                let from = from.as_ref().map(|e| self.eval(e)).transpose()?;
                let to = to.as_ref().map(|e| self.eval(e)).transpose()?;
                Ok(slice(&object, from.as_ref(), to.as_ref())?)
            }
            Node::Call { func, args } => self.call(*func, args),
            Node::Closure(body) => self.eval(body),
            Node::Chain(inner) => match self.eval(inner) {
                Err(Stop::NilChain) => Ok(Value::Nil),
                other => other,
            },
        }
    }

    fn pointer(&self, pointer: Pointer) -> Flow<Value> {
        let Some(frame) = self.frames.last() else {
            return fail("cannot use pointer accessor outside predicate");
        };
        Ok(match pointer {
            Pointer::Element => frame.element.clone(),
            Pointer::Index => Value::Int(frame.index),
            Pointer::Accumulator => frame.accumulator.clone(),
        })
    }

    fn binary(&mut self, op: BinaryOp, symbol: &str, left: &Expr, right: &Expr) -> Flow<Value> {
        let left = self.eval(left)?;
        match (op, &left) {
            (BinaryOp::And, Value::Bool(false)) => return Ok(Value::Bool(false)),
            (BinaryOp::Or, Value::Bool(true)) => return Ok(Value::Bool(true)),
            (BinaryOp::Coalesce, value) if !matches!(value, Value::Nil) => return Ok(left),
            _ => {}
        }
        let right = self.eval(right)?;
        Ok(ops::binary(op, symbol, left, right)?)
    }

    fn call(&mut self, func: Builtin, args: &[Expr]) -> Flow<Value> {
        let closure = match args.get(1) {
            Some(Expr {
                node: Node::Closure(body),
                ..
            }) => Some(body.as_ref()),
            _ => None,
        };
        let Some(body) = closure else {
            let values = args
                .iter()
                .map(|arg| self.eval(arg))
                .collect::<Flow<Vec<_>>>()?;
            return Ok(match func {
                Builtin::Sum => match values.first() {
                    Some(Value::Array(items)) => builtins::sum(items)?,
                    other => {
                        return fail(format!(
                            "builtin sum takes only array (got {})",
                            other.map_or("nil", Value::type_name)
                        ));
                    }
                },
                Builtin::Count => match values.first() {
                    Some(Value::Array(items)) => {
                        let mut count = 0;
                        for item in items {
                            count += i64::from(predicate_result(func, item.clone())?);
                        }
                        Value::Int(count)
                    }
                    other => {
                        return fail(format!(
                            "builtin count takes only array (got {})",
                            other.map_or("nil", Value::type_name)
                        ));
                    }
                },
                _ => builtins::call(func, &values, self.result)?,
            });
        };
        let items = match self.eval(&args[0])? {
            Value::Array(items) => items,
            other => {
                return fail(format!(
                    "builtin {} takes only array (got {})",
                    name_of(func),
                    other.type_name()
                ));
            }
        };
        self.with_predicate(func, &items, body)
    }

    fn apply(&mut self, body: &Expr, element: &Value, index: usize) -> Flow<Value> {
        self.frames.push(Frame {
            element: element.clone(),
            index: index as i64,
            accumulator: Value::Nil,
        });
        let value = self.eval(body);
        self.frames.pop();
        value
    }

    fn test(&mut self, func: Builtin, body: &Expr, element: &Value, index: usize) -> Flow<bool> {
        let value = self.apply(body, element, index)?;
        Ok(predicate_result(func, value)?)
    }

    fn with_predicate(&mut self, func: Builtin, items: &[Value], body: &Expr) -> Flow<Value> {
        let indexed = || items.iter().enumerate();
        Ok(match func {
            Builtin::All => {
                for (i, item) in indexed() {
                    if !self.test(func, body, item, i)? {
                        return Ok(Value::Bool(false));
                    }
                }
                Value::Bool(true)
            }
            Builtin::Any => {
                for (i, item) in indexed() {
                    if self.test(func, body, item, i)? {
                        return Ok(Value::Bool(true));
                    }
                }
                Value::Bool(false)
            }
            Builtin::None => {
                for (i, item) in indexed() {
                    if self.test(func, body, item, i)? {
                        return Ok(Value::Bool(false));
                    }
                }
                Value::Bool(true)
            }
            Builtin::One | Builtin::Count => {
                let mut matched = 0i64;
                for (i, item) in indexed() {
                    matched += i64::from(self.test(func, body, item, i)?);
                }
                if func == Builtin::One {
                    Value::Bool(matched == 1)
                } else {
                    Value::Int(matched)
                }
            }
            Builtin::Filter => {
                let mut kept = Vec::new();
                for (i, item) in indexed() {
                    if self.test(func, body, item, i)? {
                        kept.push(item.clone());
                    }
                }
                Value::Array(kept)
            }
            Builtin::Map => {
                let mut mapped = Vec::with_capacity(items.len());
                for (i, item) in indexed() {
                    mapped.push(self.apply(body, item, i)?);
                }
                Value::Array(mapped)
            }
            Builtin::Sum => {
                let mut mapped = Vec::with_capacity(items.len());
                for (i, item) in indexed() {
                    mapped.push(self.apply(body, item, i)?);
                }
                builtins::sum(&mapped)?
            }
            Builtin::Find | Builtin::FindIndex => {
                for (i, item) in indexed() {
                    if self.test(func, body, item, i)? {
                        return Ok(if func == Builtin::Find {
                            item.clone()
                        } else {
                            Value::Int(i as i64)
                        });
                    }
                }
                if func == Builtin::Find {
                    Value::Nil
                } else {
                    Value::Int(-1)
                }
            }
            Builtin::FindLast | Builtin::FindLastIndex => {
                for (i, item) in indexed().rev() {
                    if self.test(func, body, item, i)? {
                        return Ok(if func == Builtin::FindLast {
                            item.clone()
                        } else {
                            Value::Int(i as i64)
                        });
                    }
                }
                if func == Builtin::FindLast {
                    Value::Nil
                } else {
                    Value::Int(-1)
                }
            }
            other => return fail(format!("{} does not take a predicate", name_of(other))),
        })
    }
}

fn predicate_result(func: Builtin, value: Value) -> Result<bool, EvalError> {
    match value {
        Value::Bool(b) => Ok(b),
        other => Err(EvalError::new(format!(
            "predicate of {} should return bool (got {})",
            name_of(func),
            other.type_name()
        ))),
    }
}

fn member(object: Value, name: &str, optional: bool) -> Flow<Value> {
    match object {
        Value::Map(mut map) => Ok(map.remove(name).unwrap_or(Value::Nil)),
        Value::Nil if optional => Err(Stop::NilChain),
        Value::Nil => fail(format!("cannot fetch {name} from <nil>")),
        other => fail(format!("type {} has no field {name}", other.type_name())),
    }
}
