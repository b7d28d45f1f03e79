//! Pratt parser from tokens to the AST, with expr's precedence table. Names are checked here:
//! the environment is fixed (`result` plus the builtins), so an unknown name is a compile error
//! rather than a surprise at measurement time.

use super::CompileError;
use super::ast::{
    BinaryOp, COMPARISON_PRECEDENCE, Expr, NOT_PRECEDENCE, Node, Pointer, SIGN_PRECEDENCE, UnaryOp,
    binary_info,
};
use super::lexer::{Pos, Tok, Token};

/// Word operators that `not` may precede: `x not in list`.
const NEGATABLE: [&str; 5] = ["in", "matches", "contains", "startsWith", "endsWith"];
/// Spelled-out operators, which the lexer leaves as identifiers.
const WORD_OPERATORS: [&str; 7] = [
    "and",
    "or",
    "in",
    "matches",
    "contains",
    "startsWith",
    "endsWith",
];

pub(crate) fn parse(tokens: Vec<Token>) -> Result<Expr, CompileError> {
    let mut parser = Parser {
        tokens,
        at: 0,
        predicate_depth: 0,
    };
    let expr = parser.expression(0)?;
    match &parser.current().tok {
        Tok::Eof => Ok(expr),
        _ => Err(parser.unexpected()),
    }
}

mod literals;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    predicate_depth: usize,
}

/// A binary operator found at the cursor: its spelling, whether `not` negates it, and how many
/// tokens it spans.
struct FoundOp {
    symbol: &'static str,
    negated: bool,
}

impl Parser {
    fn current(&self) -> &Token {
        // The lexer always ends with Eof and the parser never moves past it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn peek(&self, ahead: usize) -> &Tok {
        &self.tokens[(self.at + ahead).min(self.tokens.len() - 1)].tok
    }

    fn advance(&mut self) -> Token {
        let token = self.current().clone();
        if !matches!(token.tok, Tok::Eof) {
            self.at += 1;
        }
        token
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(&self.current().tok, Tok::Op(o) if *o == op)
    }

    fn error(&self, pos: Pos, message: impl Into<String>) -> CompileError {
        CompileError {
            message: message.into(),
            pos,
        }
    }

    fn unexpected(&self) -> CompileError {
        let token = self.current();
        let message = match &token.tok {
            Tok::Eof => "unexpected end of expression".to_owned(),
            Tok::Op(op) => format!("unexpected token {op:?}"),
            Tok::Ident(name) => format!("unexpected token {name:?}"),
            Tok::Pointer(name) => format!("unexpected token \"#{name}\""),
            Tok::Str(s) => format!("unexpected string {s:?}"),
            Tok::Int(i) => format!("unexpected number {i}"),
            Tok::Float(f) => format!("unexpected number {f}"),
        };
        self.error(token.pos, message)
    }

    fn expect(&mut self, op: &str) -> Result<(), CompileError> {
        if self.is_op(op) {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn binary_at_cursor(&self) -> Option<FoundOp> {
        let word = |tok: &Tok| match tok {
            Tok::Ident(w) => Some(w.clone()),
            _ => None,
        };
        match &self.current().tok {
            Tok::Op(op) if *op == "|" => Some(FoundOp {
                symbol: "|",
                negated: false,
            }),
            Tok::Op(op) => binary_info(op).map(|info| FoundOp {
                symbol: info.symbol,
                negated: false,
            }),
            Tok::Ident(w) if w == "not" => {
                let next = word(self.peek(1))?;
                NEGATABLE
                    .iter()
                    .find(|n| **n == next)
                    .and_then(|n| binary_info(n))
                    .map(|info| FoundOp {
                        symbol: info.symbol,
                        negated: true,
                    })
            }
            Tok::Ident(w) if WORD_OPERATORS.contains(&w.as_str()) => {
                binary_info(w).map(|info| FoundOp {
                    symbol: info.symbol,
                    negated: false,
                })
            }
            _ => None,
        }
    }

    fn expression(&mut self, min_precedence: u16) -> Result<Expr, CompileError> {
        let mut left = self.primary()?;
        while let Some(found) = self.binary_at_cursor() {
            if found.symbol == "|" {
                if min_precedence > 0 {
                    break;
                }
                self.advance();
                left = self.pipe(left)?;
                continue;
            }
            let Some(info) = binary_info(found.symbol) else {
                break;
            };
            if info.precedence < min_precedence {
                break;
            }
            let pos = self.current().pos;
            self.advance();
            if found.negated {
                self.advance();
            }
            left = if info.precedence == COMPARISON_PRECEDENCE && !found.negated {
                self.comparison(left, info.op, info.symbol, pos)?
            } else {
                let next_min = if info.right_assoc {
                    info.precedence
                } else {
                    info.precedence + 1
                };
                let right = self.expression(next_min)?;
                binary(info.op, info.symbol, left, right, pos)
            };
            if found.negated {
                left = Expr {
                    node: Node::Unary {
                        op: UnaryOp::Not,
                        operand: Box::new(left),
                    },
                    pos,
                };
            }
        }
        if min_precedence == 0 {
            left = self.conditional(left)?;
        }
        Ok(left)
    }

    /// `a < b < c` is `a < b && b < c`, as in expr.
    fn comparison(
        &mut self,
        mut left: Expr,
        mut op: BinaryOp,
        mut symbol: &'static str,
        mut pos: Pos,
    ) -> Result<Expr, CompileError> {
        let mut root: Option<Expr> = None;
        loop {
            let right = self.expression(COMPARISON_PRECEDENCE + 1)?;
            let compared = binary(op, symbol, left, right.clone(), pos);
            root = Some(match root {
                None => compared,
                Some(previous) => binary(BinaryOp::And, "&&", previous, compared, pos),
            });
            left = right;
            let next = match &self.current().tok {
                Tok::Op(o) => binary_info(o),
                Tok::Ident(w) if WORD_OPERATORS.contains(&w.as_str()) => binary_info(w),
                _ => None,
            };
            match next {
                Some(info) if info.precedence == COMPARISON_PRECEDENCE => {
                    pos = self.current().pos;
                    op = info.op;
                    symbol = info.symbol;
                    self.advance();
                }
                _ => break,
            }
        }
        root.ok_or_else(|| self.unexpected())
    }

    fn conditional(&mut self, condition: Expr) -> Result<Expr, CompileError> {
        let mut result = condition;
        while self.is_op("?") {
            let pos = self.current().pos;
            self.advance();
            let then = self.expression(0)?;
            self.expect(":")?;
            let otherwise = self.expression(0)?;
            result = Expr {
                node: Node::Ternary {
                    condition: Box::new(result),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
                pos,
            };
        }
        Ok(result)
    }

    /// `x | f(a)` is `f(x, a)`.
    fn pipe(&mut self, left: Expr) -> Result<Expr, CompileError> {
        let token = self.advance();
        match token.tok {
            Tok::Ident(name) if self.is_op("(") => self.call(&name, token.pos, Some(left)),
            _ => Err(self.error(token.pos, "expected a function call after |")),
        }
    }

    fn primary(&mut self) -> Result<Expr, CompileError> {
        let token = self.current().clone();
        let unary = match &token.tok {
            Tok::Op("!") => Some((UnaryOp::Not, NOT_PRECEDENCE)),
            Tok::Ident(w) if w == "not" => Some((UnaryOp::Not, NOT_PRECEDENCE)),
            Tok::Op("-") => Some((UnaryOp::Negate, SIGN_PRECEDENCE)),
            Tok::Op("+") => Some((UnaryOp::Plus, SIGN_PRECEDENCE)),
            _ => None,
        };
        if let Some((op, precedence)) = unary {
            self.advance();
            let operand = self.expression(precedence)?;
            let expr = Expr {
                node: Node::Unary {
                    op,
                    operand: Box::new(operand),
                },
                pos: token.pos,
            };
            return self.postfix(expr);
        }
        if self.is_op("(") {
            self.advance();
            let inner = self.expression(0)?;
            if !self.is_op(")") {
                return Err(self.error(token.pos, "an opened parenthesis is not properly closed"));
            }
            self.advance();
            return self.postfix(inner);
        }
        let pointer = match &token.tok {
            Tok::Pointer(name) => Some(name.clone()),
            Tok::Op(".") => Some(String::new()),
            _ => None,
        };
        if let Some(name) = pointer {
            if self.predicate_depth == 0 {
                return Err(self.error(token.pos, "cannot use pointer accessor outside predicate"));
            }
            let kind = match name.as_str() {
                "" => Pointer::Element,
                "index" => Pointer::Index,
                "acc" => Pointer::Accumulator,
                other => {
                    return Err(self.error(token.pos, format!("unknown pointer #{other}")));
                }
            };
            if matches!(token.tok, Tok::Pointer(_)) {
                self.advance();
            }
            let expr = Expr {
                node: Node::Pointer(kind),
                pos: token.pos,
            };
            return self.postfix(expr);
        }
        let expr = self.secondary()?;
        self.postfix(expr)
    }

    fn secondary(&mut self) -> Result<Expr, CompileError> {
        let token = self.current().clone();
        let node = match token.tok {
            Tok::Int(i) => Node::Int(i),
            Tok::Float(f) => Node::Float(f),
            Tok::Str(s) => Node::Str(s),
            Tok::Ident(name) => {
                self.advance();
                if self.is_op("(") {
                    return self.call(&name, token.pos, None);
                }
                let node = match name.as_str() {
                    "true" => Node::Bool(true),
                    "false" => Node::Bool(false),
                    "nil" => Node::Nil,
                    "result" => Node::Result,
                    _ => return Err(self.error(token.pos, format!("unknown name {name}"))),
                };
                return Ok(Expr {
                    node,
                    pos: token.pos,
                });
            }
            Tok::Op("[") => return self.array(),
            Tok::Op("{") => return self.map(),
            _ => return Err(self.unexpected()),
        };
        self.advance();
        Ok(Expr {
            node,
            pos: token.pos,
        })
    }

    fn postfix(&mut self, mut expr: Expr) -> Result<Expr, CompileError> {
        let mut chained = false;
        loop {
            let pos = self.current().pos;
            if self.is_op(".") || self.is_op("?.") {
                let optional = self.is_op("?.");
                chained |= optional;
                self.advance();
                if optional && self.is_op("[") {
                    expr = self.index(expr)?;
                    continue;
                }
                let name = match &self.current().tok {
                    Tok::Ident(name) => name.clone(),
                    _ => return Err(self.unexpected()),
                };
                self.advance();
                if self.is_op("(") {
                    return Err(self.error(pos, format!("method {name} is not supported")));
                }
                expr = Expr {
                    node: Node::Member {
                        object: Box::new(expr),
                        name,
                        optional,
                    },
                    pos,
                };
            } else if self.is_op("[") {
                expr = self.index(expr)?;
            } else {
                break;
            }
        }
        if chained {
            let pos = expr.pos;
            expr = Expr {
                node: Node::Chain(Box::new(expr)),
                pos,
            };
        }
        Ok(expr)
    }

    fn index(&mut self, object: Expr) -> Result<Expr, CompileError> {
        let pos = self.advance().pos;
        let from = if self.is_op(":") {
            None
        } else {
            Some(Box::new(self.expression(0)?))
        };
        let node = if self.is_op(":") {
            self.advance();
            let to = if self.is_op("]") {
                None
            } else {
                Some(Box::new(self.expression(0)?))
            };
            Node::Slice {
                object: Box::new(object),
                from,
                to,
            }
        } else {
            match from {
                Some(index) => Node::Index {
                    object: Box::new(object),
                    index,
                },
                None => return Err(self.unexpected()),
            }
        };
        self.expect("]")?;
        Ok(Expr { node, pos })
    }
}

fn binary(op: BinaryOp, symbol: &'static str, left: Expr, right: Expr, pos: Pos) -> Expr {
    Expr {
        node: Node::Binary {
            op,
            symbol,
            left: Box::new(left),
            right: Box::new(right),
        },
        pos,
    }
}
