//! Selector parse errors: a byte span into the input and a reason that says what was expected.

use std::fmt;
use std::ops::Range;

/// Why a selector failed to parse.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A quoted string with no closing quote.
    UnterminatedString {
        /// The opening quote character.
        quote: char,
    },
    /// `=` where `==` was meant.
    SingleEquals,
    /// `&` where `&&` was meant.
    SingleAmpersand,
    /// `|` where `||` was meant.
    SinglePipe,
    /// Something other than an operator right after a label.
    ExpectedOperator {
        /// The label that needs an operator.
        label: String,
    },
    /// `has(`, `all(` or `global(` without its `)`.
    UnclosedFunction {
        /// `has`, `all` or `global`.
        function: String,
    },
    /// A label name was required here.
    ExpectedLabel {
        /// The character found instead, if any.
        found: Option<char>,
    },
    /// A label name longer than 512 characters.
    LabelTooLong {
        /// Its length in bytes.
        length: usize,
    },
    /// A token that cannot appear here.
    Unexpected {
        /// How the token reads.
        found: String,
        /// What could have appeared instead.
        expected: &'static [&'static str],
    },
    /// An operator's right-hand side must be a quoted string.
    ExpectedString {
        /// The operator.
        operator: &'static str,
        /// How the token found reads.
        found: String,
    },
}

/// A selector that failed to parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// The offending byte range of the input.
    pub span: Range<usize>,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, span: Range<usize>) -> ParseError {
        ParseError { kind, span }
    }

    /// A short hint on how to fix the input, when there is an obvious one.
    #[must_use]
    pub fn help(&self) -> Option<String> {
        match &self.kind {
            ParseErrorKind::SingleEquals => Some("did you mean `==`?".into()),
            ParseErrorKind::SingleAmpersand => Some("did you mean `&&`?".into()),
            ParseErrorKind::SinglePipe => Some("did you mean `||`?".into()),
            ParseErrorKind::UnterminatedString { quote } => Some(format!(
                "close the string with {quote}; selector strings have no escapes"
            )),
            ParseErrorKind::ExpectedString { .. } => {
                Some("compare a label with a quoted value, e.g. app == \"web\"".into())
            }
            ParseErrorKind::ExpectedLabel {
                found: Some('\n' | '\r'),
            } => Some("selectors are a single line: only spaces and tabs separate tokens".into()),
            _ => None,
        }
    }

    /// Renders the error with the input and a caret line under the offending bytes.
    #[must_use]
    pub fn render(&self, input: &str) -> String {
        let start = self.span.start.min(input.len());
        let end = self.span.end.clamp(start, input.len());
        let prefix_width = input[..start].chars().count();
        let width = input[start..end].chars().count().max(1);
        let mut out = format!(
            "{self}\n  {input}\n  {}{}",
            " ".repeat(prefix_width),
            "^".repeat(width)
        );
        if let Some(help) = self.help() {
            out.push(' ');
            out.push_str(&help);
        }
        out
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::UnterminatedString { quote } => {
                write!(f, "unterminated string: no closing {quote}")
            }
            ParseErrorKind::SingleEquals => f.write_str("expected `==`, found `=`"),
            ParseErrorKind::SingleAmpersand => f.write_str("expected `&&`, found `&`"),
            ParseErrorKind::SinglePipe => f.write_str("expected `||`, found `|`"),
            ParseErrorKind::ExpectedOperator { label } => write!(
                f,
                "expected an operator (`==`, `!=`, `in`, `not in`, `contains`, `starts with` or \
                 `ends with`) after label `{label}`"
            ),
            ParseErrorKind::UnclosedFunction { function } => {
                write!(f, "no closing `)` after `{function}(`")
            }
            ParseErrorKind::ExpectedLabel { found: None } => {
                f.write_str("expected a label name, found end of selector")
            }
            ParseErrorKind::ExpectedLabel { found: Some(c) } => {
                write!(f, "expected a label name, found {c:?}")
            }
            ParseErrorKind::LabelTooLong { length } => {
                write!(
                    f,
                    "label name is {length} characters long; the maximum is 512"
                )
            }
            ParseErrorKind::Unexpected { found, expected } => {
                write!(f, "unexpected {found}; expected {}", one_of(expected))
            }
            ParseErrorKind::ExpectedString { operator, found } => {
                write!(
                    f,
                    "expected a quoted string after `{operator}`, found {found}"
                )
            }
        }?;
        write!(f, " (at byte {})", self.span.start)
    }
}

impl std::error::Error for ParseError {}

fn one_of(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
