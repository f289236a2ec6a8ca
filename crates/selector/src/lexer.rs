//! Tokenizer with the exact acceptance rules of Calico's selector tokenizer.
//!
//! Calico's tokenizer is context sensitive: right after a label, words such as `contains` or
//! `in` are operators, elsewhere they are labels. Every token carries its byte span so that
//! errors can point into the input.

use std::ops::Range;

use crate::MAX_LABEL_LENGTH;
use crate::error::{ParseError, ParseErrorKind};

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind<'a> {
    /// A label name.
    Label(&'a str),
    /// A quoted string, without its quotes.
    StringLiteral(&'a str),
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `in`
    In,
    /// `not in` (also spelled `notin`)
    NotIn,
    /// `!`
    Not,
    /// `contains`
    Contains,
    /// `starts with` (also `startswith`)
    StartsWith,
    /// `ends with` (also `endswith`)
    EndsWith,
    /// `all()`
    All,
    /// `has(label)`
    Has(&'a str),
    /// `global()`
    Global,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `&&`
    And,
    /// `||`
    Or,
    /// End of input.
    Eof,
}

impl TokenKind<'_> {
    /// Calico's name for the token kind (`TokLabel`, `TokEq`, ...).
    #[must_use]
    pub fn calico_name(&self) -> &'static str {
        match self {
            TokenKind::Label(_) => "TokLabel",
            TokenKind::StringLiteral(_) => "TokStringLiteral",
            TokenKind::LBrace => "TokLBrace",
            TokenKind::RBrace => "TokRBrace",
            TokenKind::Comma => "TokComma",
            TokenKind::Eq => "TokEq",
            TokenKind::Ne => "TokNe",
            TokenKind::In => "TokIn",
            TokenKind::NotIn => "TokNotIn",
            TokenKind::Not => "TokNot",
            TokenKind::Contains => "TokContains",
            TokenKind::StartsWith => "TokStartsWith",
            TokenKind::EndsWith => "TokEndsWith",
            TokenKind::All => "TokAll",
            TokenKind::Has(_) => "TokHas",
            TokenKind::Global => "TokGlobal",
            TokenKind::LParen => "TokLParen",
            TokenKind::RParen => "TokRParen",
            TokenKind::And => "TokAnd",
            TokenKind::Or => "TokOr",
            TokenKind::Eof => "TokEOF",
        }
    }

    /// The token's value (label name or string), empty for punctuation.
    #[must_use]
    pub fn value(&self) -> &str {
        match self {
            TokenKind::Label(v) | TokenKind::StringLiteral(v) | TokenKind::Has(v) => v,
            _ => "",
        }
    }

    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            TokenKind::Label(l) => format!("label `{l}`"),
            TokenKind::StringLiteral(s) => format!("string \"{s}\""),
            TokenKind::Has(l) => format!("`has({l})`"),
            TokenKind::Eof => "end of selector".to_string(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::Comma => ",",
            TokenKind::Eq => "==",
            TokenKind::Ne => "!=",
            TokenKind::In => "in",
            TokenKind::NotIn => "not in",
            TokenKind::Not => "!",
            TokenKind::Contains => "contains",
            TokenKind::StartsWith => "starts with",
            TokenKind::EndsWith => "ends with",
            TokenKind::All => "all()",
            TokenKind::Global => "global()",
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::And => "&&",
            TokenKind::Or => "||",
            _ => "",
        }
    }
}

/// A token and the bytes of the input it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// What the token is.
    pub kind: TokenKind<'a>,
    /// Byte range in the input.
    pub span: Range<usize>,
}

/// Whether the byte may appear in a label name.
pub(crate) fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-')
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Splits selector text into tokens, ending with [`TokenKind::Eof`].
///
/// # Errors
/// A [`ParseError`] for input no selector token can start with.
pub fn tokenize(input: &str) -> Result<Vec<Token<'_>>, ParseError> {
    Lexer {
        input,
        bytes: input.as_bytes(),
        pos: 0,
    }
    .run()
}

struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn run(mut self) -> Result<Vec<Token<'a>>, ParseError> {
        let mut tokens: Vec<Token<'a>> = Vec::new();
        loop {
            self.skip_blanks();
            let start = self.pos;
            let Some(&b) = self.bytes.get(self.pos) else {
                tokens.push(Token {
                    kind: TokenKind::Eof,
                    span: start..start,
                });
                return Ok(tokens);
            };
            let after_label = matches!(
                tokens.last(),
                Some(Token {
                    kind: TokenKind::Label(_),
                    ..
                })
            );
            let kind = match b {
                b'(' => self.single(TokenKind::LParen),
                b')' => self.single(TokenKind::RParen),
                b'{' => self.single(TokenKind::LBrace),
                b'}' => self.single(TokenKind::RBrace),
                b',' => self.single(TokenKind::Comma),
                b'"' | b'\'' => self.string(b)?,
                b'=' => self.pair(b'=', TokenKind::Eq, ParseErrorKind::SingleEquals)?,
                b'&' => self.pair(b'&', TokenKind::And, ParseErrorKind::SingleAmpersand)?,
                b'|' => self.pair(b'|', TokenKind::Or, ParseErrorKind::SinglePipe)?,
                b'!' => {
                    if self.bytes.get(self.pos + 1) == Some(&b'=') {
                        self.pos += 2;
                        TokenKind::Ne
                    } else {
                        self.single(TokenKind::Not)
                    }
                }
                _ if after_label => self.operator(&tokens)?,
                _ => self.word()?,
            };
            tokens.push(Token {
                kind,
                span: start..self.pos,
            });
        }
    }

    fn skip_blanks(&mut self) {
        while self.bytes.get(self.pos).copied().is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    fn single(&mut self, kind: TokenKind<'a>) -> TokenKind<'a> {
        self.pos += 1;
        kind
    }

    fn pair(
        &mut self,
        second: u8,
        kind: TokenKind<'a>,
        err: ParseErrorKind,
    ) -> Result<TokenKind<'a>, ParseError> {
        if self.bytes.get(self.pos + 1) == Some(&second) {
            self.pos += 2;
            Ok(kind)
        } else {
            Err(ParseError::new(err, self.pos..self.pos + 1))
        }
    }

    fn string(&mut self, quote: u8) -> Result<TokenKind<'a>, ParseError> {
        let open = self.pos;
        let body = open + 1;
        match self.bytes[body..].iter().position(|&c| c == quote) {
            Some(len) => {
                self.pos = body + len + 1;
                Ok(TokenKind::StringLiteral(&self.input[body..body + len]))
            }
            None => Err(ParseError::new(
                ParseErrorKind::UnterminatedString {
                    quote: char::from(quote),
                },
                open..self.bytes.len(),
            )),
        }
    }

    /// After a label only an operator may follow; multi-word operators may have blanks (or
    /// nothing) between their words, and the last word must end at a word boundary.
    fn operator(&mut self, tokens: &[Token<'a>]) -> Result<TokenKind<'a>, ParseError> {
        const OPERATORS: [(&[&str], TokenKind<'static>); 5] = [
            (&["contains"], TokenKind::Contains),
            (&["starts", "with"], TokenKind::StartsWith),
            (&["ends", "with"], TokenKind::EndsWith),
            (&["not", "in"], TokenKind::NotIn),
            (&["in"], TokenKind::In),
        ];
        for (words, kind) in OPERATORS {
            if let Some(end) = self.match_words(words) {
                self.pos = end;
                return Ok(kind);
            }
        }
        let label = tokens.last().map_or("", |t| t.kind.value()).to_string();
        let end = self.word_end(self.pos).max(self.pos + 1);
        Err(ParseError::new(
            ParseErrorKind::ExpectedOperator { label },
            self.pos..end,
        ))
    }

    fn match_words(&self, words: &[&str]) -> Option<usize> {
        let mut at = self.pos;
        for word in words {
            if !self.bytes[at..].starts_with(word.as_bytes()) {
                return None;
            }
            at += word.len();
            // Calico trims blanks after every word of a multi-word operator (so the boundary
            // check below sees the next token), but not after a one-word operator.
            if words.len() > 1 {
                while self.bytes.get(at).copied().is_some_and(is_blank) {
                    at += 1;
                }
            }
        }
        let boundary = self.bytes.get(at).is_none_or(|&c| !is_identifier_byte(c));
        boundary.then_some(at)
    }

    fn word_end(&self, from: usize) -> usize {
        from + self.bytes[from..]
            .iter()
            .take_while(|&&c| is_identifier_byte(c))
            .count()
    }

    /// A label, or one of the functions `has(label)`, `all()`, `global()`.
    fn word(&mut self) -> Result<TokenKind<'a>, ParseError> {
        if self.rest().starts_with(b"has(") {
            let open = self.pos;
            self.pos += 4;
            self.skip_blanks();
            let label = self.identifier()?;
            self.skip_blanks();
            return self
                .close_paren(open, "has")
                .map(|()| TokenKind::Has(label));
        }
        for (name, kind) in [("all(", TokenKind::All), ("global(", TokenKind::Global)] {
            if self.rest().starts_with(name.as_bytes()) {
                let open = self.pos;
                self.pos += name.len();
                self.skip_blanks();
                return self
                    .close_paren(open, &name[..name.len() - 1])
                    .map(|()| kind);
            }
        }
        self.identifier().map(TokenKind::Label)
    }

    fn close_paren(&mut self, open: usize, function: &str) -> Result<(), ParseError> {
        if self.bytes.get(self.pos) == Some(&b')') {
            self.pos += 1;
            Ok(())
        } else {
            let end = (self.pos + 1).min(self.bytes.len()).max(open + 1);
            Err(ParseError::new(
                ParseErrorKind::UnclosedFunction {
                    function: function.to_string(),
                },
                open..end,
            ))
        }
    }

    fn identifier(&mut self) -> Result<&'a str, ParseError> {
        let start = self.pos;
        let end = self.word_end(start);
        if end == start {
            let found = self.input[start..].chars().next();
            let span_end = start + found.map_or(0, char::len_utf8);
            return Err(ParseError::new(
                ParseErrorKind::ExpectedLabel { found },
                start..span_end,
            ));
        }
        if end - start > MAX_LABEL_LENGTH {
            return Err(ParseError::new(
                ParseErrorKind::LabelTooLong {
                    length: end - start,
                },
                start..end,
            ));
        }
        self.pos = end;
        Ok(&self.input[start..end])
    }
}
