//! Turns condition text into tokens. Word operators (`and`, `in`, `not`, …) and the literals
//! `true`/`false`/`nil` stay identifiers; the parser gives them meaning by position.

use super::CompileError;

/// 1-based line and column of a token, for error messages like expr's `(1:8)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Int(i64),
    Float(f64),
    Str(String),
    Ident(String),
    /// `#` (empty name), `#index`, `#acc`: the element a predicate is looking at.
    Pointer(String),
    Op(&'static str),
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

const OPERATORS: [&str; 27] = [
    "**", "??", "?.", "..", "==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "^", "<",
    ">", "!", "?", ":", ",", ".", "|", "(", ")", "[",
];
const BRACKETS: [&str; 3] = ["]", "{", "}"];
/// Identifiers that act as operators, after which a value starts.
const WORD_OPERATORS: [&str; 8] = [
    "and",
    "or",
    "not",
    "in",
    "matches",
    "contains",
    "startsWith",
    "endsWith",
];

pub(crate) fn tokenize(source: &str) -> Result<Vec<Token>, CompileError> {
    let mut lexer = Lexer {
        chars: source.chars().collect(),
        at: 0,
        line: 1,
        col: 1,
        tokens: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    line: u32,
    col: u32,
    tokens: Vec<Token>,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn error(&self, pos: Pos, message: impl Into<String>) -> CompileError {
        CompileError {
            message: message.into(),
            pos,
        }
    }

    /// After a value a `.` is member access; anywhere else (including after a word operator
    /// such as `and`) `.5` is a number.
    fn after_value(&self) -> bool {
        match self.tokens.last().map(|t| &t.tok) {
            Some(Tok::Ident(word)) => !WORD_OPERATORS.contains(&word.as_str()),
            Some(Tok::Int(_) | Tok::Float(_) | Tok::Str(_) | Tok::Pointer(_)) => true,
            Some(Tok::Op(op)) => matches!(*op, ")" | "]" | "}"),
            _ => false,
        }
    }

    fn run(&mut self) -> Result<(), CompileError> {
        loop {
            self.skip_space_and_comments()?;
            let pos = self.pos();
            let Some(c) = self.peek(0) else {
                self.tokens.push(Token { tok: Tok::Eof, pos });
                return Ok(());
            };
            let tok = if c.is_ascii_digit()
                || (c == '.'
                    && self.peek(1).is_some_and(|d| d.is_ascii_digit())
                    && !self.after_value())
            {
                self.number(pos)?
            } else if c == '"' || c == '\'' {
                self.quoted(pos, c)?
            } else if c == '`' {
                self.raw(pos)?
            } else if c == '#' {
                self.bump();
                Tok::Pointer(self.word())
            } else if c.is_alphabetic() || c == '_' || c == '$' {
                Tok::Ident(self.word())
            } else {
                self.operator(pos)?
            };
            self.tokens.push(Token { tok, pos });
        }
    }

    fn skip_space_and_comments(&mut self) -> Result<(), CompileError> {
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    let pos = self.pos();
                    self.bump();
                    self.bump();
                    loop {
                        match (self.peek(0), self.peek(1)) {
                            (Some('*'), Some('/')) => {
                                self.bump();
                                self.bump();
                                break;
                            }
                            (Some(_), _) => {
                                self.bump();
                            }
                            (None, _) => return Err(self.error(pos, "unclosed comment")),
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn word(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek(0) {
            if c.is_alphanumeric() || c == '_' || c == '$' {
                word.push(c);
                self.bump();
            } else {
                break;
            }
        }
        word
    }

    fn number(&mut self, pos: Pos) -> Result<Tok, CompileError> {
        if self.peek(0) == Some('0') {
            let radix = match self.peek(1) {
                Some('x' | 'X') => Some(16),
                Some('o' | 'O') => Some(8),
                Some('b' | 'B') => Some(2),
                _ => None,
            };
            if let Some(radix) = radix {
                self.bump();
                self.bump();
                let mut digits = String::new();
                while let Some(c) = self.peek(0) {
                    if c.is_digit(radix) {
                        digits.push(c);
                    } else if c != '_' {
                        break;
                    }
                    self.bump();
                }
                return i64::from_str_radix(&digits, radix)
                    .map(Tok::Int)
                    .map_err(|_| self.error(pos, "invalid integer literal"));
            }
        }
        let mut text = String::new();
        let mut is_float = false;
        self.digits(&mut text);
        if self.peek(0) == Some('.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            is_float = true;
            text.push('.');
            self.bump();
            self.digits(&mut text);
        }
        if matches!(self.peek(0), Some('e' | 'E')) {
            let signed = matches!(self.peek(1), Some('+' | '-'));
            let digit_at = if signed { 2 } else { 1 };
            if self.peek(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                is_float = true;
                text.push('e');
                self.bump();
                if signed {
                    text.extend(self.bump());
                }
                self.digits(&mut text);
            }
        }
        if self.peek(0).is_some_and(|c| c.is_alphabetic() || c == '_') {
            return Err(self.error(pos, format!("bad number syntax: {text:?}")));
        }
        if text.starts_with('.') {
            text.insert(0, '0');
        }
        if is_float {
            text.parse()
                .map(Tok::Float)
                .map_err(|_| self.error(pos, format!("invalid float literal: {text}")))
        } else {
            text.parse()
                .map(Tok::Int)
                .map_err(|_| self.error(pos, format!("integer literal {text} is out of range")))
        }
    }

    fn digits(&mut self, into: &mut String) {
        while let Some(c) = self.peek(0) {
            if c.is_ascii_digit() {
                into.push(c);
            } else if c != '_' {
                break;
            }
            self.bump();
        }
    }

    fn quoted(&mut self, pos: Pos, quote: char) -> Result<Tok, CompileError> {
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return Err(self.error(pos, "literal not terminated")),
                Some(c) if c == quote => return Ok(Tok::Str(text)),
                Some('\\') => text.push(self.escape()?),
                Some(c) => text.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, CompileError> {
        let pos = self.pos();
        let simple = match self.bump() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('a') => '\u{7}',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('v') => '\u{b}',
            Some('0') => '\0',
            Some(c @ ('\\' | '"' | '\'' | '`')) => c,
            Some('x') => return self.hex_escape(pos, 2),
            Some('u') => return self.hex_escape(pos, 4),
            Some('U') => return self.hex_escape(pos, 8),
            _ => return Err(self.error(pos, "invalid char escape")),
        };
        Ok(simple)
    }

    fn hex_escape(&mut self, pos: Pos, len: usize) -> Result<char, CompileError> {
        let mut code = 0u32;
        for _ in 0..len {
            let digit = self
                .bump()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| self.error(pos, "invalid char escape"))?;
            code = code * 16 + digit;
        }
        char::from_u32(code).ok_or_else(|| self.error(pos, "invalid char escape"))
    }

    fn raw(&mut self, pos: Pos) -> Result<Tok, CompileError> {
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error(pos, "literal not terminated")),
                Some('`') => return Ok(Tok::Str(text)),
                Some(c) => text.push(c),
            }
        }
    }

    fn operator(&mut self, pos: Pos) -> Result<Tok, CompileError> {
        let two: String = [self.peek(0), self.peek(1)].into_iter().flatten().collect();
        let found = OPERATORS
            .iter()
            .chain(BRACKETS.iter())
            .find(|op| {
                if op.len() == 2 {
                    two == **op
                } else {
                    two.starts_with(**op)
                }
            })
            .copied();
        match found {
            Some(op) => {
                for _ in 0..op.chars().count() {
                    self.bump();
                }
                Ok(Tok::Op(op))
            }
            None => Err(self.error(
                pos,
                format!(
                    "unrecognized character: U+{:04X} '{}'",
                    two.chars().next().map_or(0, u32::from),
                    two.chars().next().unwrap_or(' ')
                ),
            )),
        }
    }
}
