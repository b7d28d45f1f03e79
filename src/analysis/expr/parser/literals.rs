//! Composite literals and calls: `[1, 2]`, `{a: 1}`, `len(result)`, and predicates, which may be
//! written with or without braces (`all(result, {# < 1000})` = `all(result, # < 1000)`).

use super::Parser;
use crate::analysis::expr::CompileError;
use crate::analysis::expr::ast::{Expr, Node};
use crate::analysis::expr::lexer::{Pos, Tok};
use crate::analysis::expr::signatures::{self, Predicate};

impl Parser {
    pub(super) fn array(&mut self) -> Result<Expr, CompileError> {
        let pos = self.advance().pos;
        let mut items = Vec::new();
        while !self.is_op("]") {
            items.push(self.expression(0)?);
            if !self.is_op(",") {
                break;
            }
            self.advance();
        }
        self.expect("]")?;
        Ok(Expr {
            node: Node::Array(items),
            pos,
        })
    }

    pub(super) fn map(&mut self) -> Result<Expr, CompileError> {
        let pos = self.advance().pos;
        let mut entries = Vec::new();
        while !self.is_op("}") {
            let key_token = self.current().clone();
            let key = match key_token.tok {
                Tok::Ident(name) | Tok::Str(name) => {
                    self.advance();
                    Expr {
                        node: Node::Str(name),
                        pos: key_token.pos,
                    }
                }
                Tok::Int(i) => {
                    self.advance();
                    Expr {
                        node: Node::Str(i.to_string()),
                        pos: key_token.pos,
                    }
                }
                Tok::Op("(") => {
                    self.advance();
                    let key = self.expression(0)?;
                    self.expect(")")?;
                    key
                }
                _ => return Err(self.unexpected()),
            };
            self.expect(":")?;
            entries.push((key, self.expression(0)?));
            if !self.is_op(",") {
                break;
            }
            self.advance();
        }
        self.expect("}")?;
        Ok(Expr {
            node: Node::Map(entries),
            pos,
        })
    }

    pub(super) fn call(
        &mut self,
        name: &str,
        pos: Pos,
        piped: Option<Expr>,
    ) -> Result<Expr, CompileError> {
        let signature = signatures::lookup(name)
            .ok_or_else(|| self.error(pos, format!("unknown name {name}")))?;
        self.expect("(")?;
        let mut args: Vec<Expr> = piped.into_iter().collect();
        while !self.is_op(")") {
            let is_predicate_slot = args.len() == 1 && signature.predicate != Predicate::No;
            args.push(if is_predicate_slot {
                self.closure()?
            } else {
                self.expression(0)?
            });
            if !self.is_op(",") {
                break;
            }
            self.advance();
        }
        self.expect(")")?;
        let too_few = args.len() < signature.min_args
            || (signature.predicate == Predicate::Required && args.len() < 2);
        let too_many = signature.max_args.is_some_and(|max| args.len() > max);
        if too_few || too_many {
            let expected = match signature.max_args {
                Some(max) if max == signature.min_args => max.to_string(),
                Some(max) => format!("{} to {max}", signature.min_args),
                None => format!("at least {}", signature.min_args),
            };
            return Err(self.error(
                pos,
                format!(
                    "invalid number of arguments for {name} (expected {expected}, got {})",
                    args.len()
                ),
            ));
        }
        Ok(Expr {
            node: Node::Call {
                func: signature.builtin,
                args,
            },
            pos,
        })
    }

    /// A predicate, with or without braces: `{# < 1000}` and `# < 1000` are the same.
    fn closure(&mut self) -> Result<Expr, CompileError> {
        let pos = self.current().pos;
        let braced = self.is_op("{");
        if braced {
            self.advance();
        }
        self.predicate_depth += 1;
        let body = self.expression(0);
        self.predicate_depth -= 1;
        let body = body?;
        if braced {
            self.expect("}")?;
        }
        Ok(Expr {
            node: Node::Closure(Box::new(body)),
            pos,
        })
    }
}
