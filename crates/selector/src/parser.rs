//! Recursive descent over the token stream, with Calico's precedence: `!` binds tightest, then
//! `&&`, then `||`. Parenthesised groups recurse.

use std::collections::BTreeSet;

use crate::ast::Expr;
use crate::error::{ParseError, ParseErrorKind};
use crate::lexer::{Token, TokenKind, tokenize};

const OPERAND: &[&str] = &[
    "a label",
    "`has(...)`",
    "`all()`",
    "`global()`",
    "`!`",
    "`(`",
];
const AFTER_OPERAND: &[&str] = &["`&&`", "`||`", "`)`", "end of selector"];
const AFTER_LABEL: &[&str] = &[
    "`==`",
    "`!=`",
    "`in`",
    "`not in`",
    "`contains`",
    "`starts with`",
    "`ends with`",
];

pub(crate) fn parse(text: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(text)?;
    if tokens[0].kind == TokenKind::Eof {
        return Ok(Expr::All);
    }
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
    };
    let expr = parser.or_expr()?;
    let rest = parser.peek();
    if rest.kind != TokenKind::Eof {
        let expected: &[&str] = if rest.kind == TokenKind::RParen {
            &["`&&`", "`||`", "end of selector"]
        } else {
            AFTER_OPERAND
        };
        return Err(unexpected(rest, expected));
    }
    Ok(expr)
}

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    at: usize,
}

fn unexpected(token: &Token<'_>, expected: &'static [&'static str]) -> ParseError {
    ParseError::new(
        ParseErrorKind::Unexpected {
            found: token.kind.describe(),
            expected,
        },
        token.span.clone(),
    )
}

impl<'a> Parser<'_, 'a> {
    fn peek(&self) -> &Token<'a> {
        // The token list always ends with Eof and we never advance past it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token<'a> {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.at += 1;
        }
        token
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut operands = vec![self.and_expr()?];
        while self.peek().kind == TokenKind::Or {
            self.bump();
            operands.push(self.and_expr()?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Expr::Or(operands)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut operands = vec![self.operation()?];
        while self.peek().kind == TokenKind::And {
            self.bump();
            operands.push(self.operation()?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Expr::And(operands)
        })
    }

    /// One operation, possibly preceded by a run of `!` that collapses to one negation or none.
    fn operation(&mut self) -> Result<Expr, ParseError> {
        let mut negated = false;
        while self.peek().kind == TokenKind::Not {
            self.bump();
            negated = !negated;
        }
        let token = self.bump();
        let expr = match token.kind {
            TokenKind::Has(label) => Expr::Has(label.to_string()),
            TokenKind::All => Expr::All,
            TokenKind::Global => Expr::Global,
            TokenKind::Label(label) => self.comparison(label)?,
            TokenKind::LParen => {
                let inner = self.or_expr()?;
                let close = self.bump();
                if close.kind != TokenKind::RParen {
                    return Err(unexpected(&close, &["`&&`", "`||`", "`)`"]));
                }
                inner
            }
            _ => return Err(unexpected(&token, OPERAND)),
        };
        Ok(if negated { expr.negate() } else { expr })
    }

    fn comparison(&mut self, label: &str) -> Result<Expr, ParseError> {
        let op = self.bump();
        let label = label.to_string();
        let (name, build): (&'static str, fn(String, String) -> Expr) = match op.kind {
            TokenKind::Eq => ("==", Expr::Eq),
            TokenKind::Ne => ("!=", Expr::Ne),
            TokenKind::Contains => ("contains", Expr::Contains),
            TokenKind::StartsWith => ("starts with", Expr::StartsWith),
            TokenKind::EndsWith => ("ends with", Expr::EndsWith),
            TokenKind::In => return self.set(label, Expr::In, "in"),
            TokenKind::NotIn => return self.set(label, Expr::NotIn, "not in"),
            _ => return Err(unexpected(&op, AFTER_LABEL)),
        };
        let value = self.bump();
        match value.kind {
            TokenKind::StringLiteral(v) => Ok(build(label, v.to_string())),
            other => Err(ParseError::new(
                ParseErrorKind::ExpectedString {
                    operator: name,
                    found: other.describe(),
                },
                value.span,
            )),
        }
    }

    /// `{ "a", "b", }`: an empty set and a trailing comma are both legal.
    fn set(
        &mut self,
        label: String,
        build: fn(String, BTreeSet<String>) -> Expr,
        operator: &'static str,
    ) -> Result<Expr, ParseError> {
        let open = self.bump();
        if open.kind != TokenKind::LBrace {
            return Err(ParseError::new(
                ParseErrorKind::Unexpected {
                    found: open.kind.describe(),
                    expected: match operator {
                        "in" => &["a set literal `{...}` after `in`"],
                        _ => &["a set literal `{...}` after `not in`"],
                    },
                },
                open.span,
            ));
        }
        let mut values = BTreeSet::new();
        while let TokenKind::StringLiteral(v) = self.peek().kind {
            values.insert(v.to_string());
            self.bump();
            if self.peek().kind == TokenKind::Comma {
                self.bump();
            } else {
                break;
            }
        }
        let close = self.bump();
        if close.kind != TokenKind::RBrace {
            return Err(unexpected(&close, &["a quoted string", "`,`", "`}`"]));
        }
        Ok(build(label, values))
    }
}
