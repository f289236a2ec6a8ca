//! The Calico selector language.
//!
//! This is the lowest layer of Tortie: every policy, rule peer and query names the endpoints it
//! means with a selector such as `app == "web" && has(tier)`. The crate is pure (no I/O) and has
//! no Tortie dependencies.
//!
//! ```text
//!   text ──lexer──► tokens ──parser──► Selector(Expr) ──► canonical text / unique id
//!                                          │
//!                                          ├──► matches(labels)      (evaluation)
//!                                          └──► label_restrictions() (index pruning)
//! ```
//!
//! Acceptance is byte-compatible with Calico's `libcalico-go/lib/selector`: whitespace is only
//! space and tab, strings have no escapes, `has(`/`all(`/`global(` need the parenthesis adjacent,
//! a label is 1 to 512 of `[a-zA-Z0-9_./-]`, and operators after a label need a word boundary.
//! Errors carry the byte span of the offending input and say what was expected.

#![forbid(unsafe_code)]

mod ast;
mod error;
mod lexer;
mod parser;
mod restrict;

pub use ast::{Expr, Labels};
pub use error::{ParseError, ParseErrorKind};
pub use lexer::{Token, TokenKind, tokenize};
pub use restrict::LabelRestriction;

use std::fmt;
use std::sync::OnceLock;

/// The longest label name Calico accepts.
pub const MAX_LABEL_LENGTH: usize = 512;

/// A parsed selector.
///
/// Equality and hashing follow the canonical text, so two selectors that print the same are the
/// same selector (as Calico's unique ids are derived from the canonical text).
#[derive(Clone)]
pub struct Selector {
    expr: Expr,
    canonical: OnceLock<String>,
}

impl Selector {
    /// Parses selector text. An empty or blank text is `all()`.
    ///
    /// # Errors
    /// A [`ParseError`] pointing at the offending byte range, saying what was expected.
    pub fn parse(text: &str) -> Result<Selector, ParseError> {
        parser::parse(text).map(Selector::from_expr)
    }

    /// Wraps an expression.
    #[must_use]
    pub fn from_expr(expr: Expr) -> Selector {
        Selector {
            expr,
            canonical: OnceLock::new(),
        }
    }

    /// The selector matching everything.
    #[must_use]
    pub fn all() -> Selector {
        Selector::from_expr(Expr::All)
    }

    /// The expression tree.
    #[must_use]
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Consumes the selector, returning its expression tree.
    #[must_use]
    pub fn into_expr(self) -> Expr {
        self.expr
    }

    /// Whether the labels satisfy the selector.
    pub fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        self.expr.matches(labels)
    }

    /// Calico's canonical text (`Selector.String()` in Go).
    #[must_use]
    pub fn canonical(&self) -> &str {
        self.canonical.get_or_init(|| self.expr.to_string())
    }

    /// Calico's unique id: `s:` followed by the unpadded URL-safe base64 of the SHA-224 digest of
    /// `s:<canonical>`.
    #[must_use]
    pub fn unique_id(&self) -> String {
        unique_id("s", self.canonical())
    }

    /// A copy with `prefix` prepended to every label name (Calico's `PrefixVisitor`), as used for
    /// the `pcns.` and `pcsa.` namespaces of inherited labels.
    #[must_use]
    pub fn with_label_prefix(&self, prefix: &str) -> Selector {
        Selector::from_expr(self.expr.map_labels(&|l| format!("{prefix}{l}")))
    }

    /// Necessary conditions on labels that any matching label set satisfies (a lower bound,
    /// used to prune index lookups). An empty map means "no restriction".
    #[must_use]
    pub fn label_restrictions(&self) -> std::collections::BTreeMap<String, LabelRestriction> {
        restrict::restrictions(&self.expr).unwrap_or_default()
    }
}

/// Calico's `hash.MakeUniqueID(prefix, content)`.
#[must_use]
pub fn unique_id(prefix: &str, content: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest as _, Sha224};
    let mut hasher = Sha224::new();
    hasher.update(prefix.as_bytes());
    hasher.update(b":");
    hasher.update(content.as_bytes());
    let digest = hasher.finalize();
    format!(
        "{prefix}:{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

/// Whether `label` is a valid selector label name (Calico's `tokenizer.ValidLabel`).
#[must_use]
pub fn is_valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_LABEL_LENGTH
        && label.bytes().all(lexer::is_identifier_byte)
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        self.canonical() == other.canonical()
    }
}

impl Eq for Selector {}

impl std::hash::Hash for Selector {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.canonical().hash(state);
    }
}

impl PartialOrd for Selector {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Selector {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.canonical().cmp(other.canonical())
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical())
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Selector({:?})", self.canonical())
    }
}

impl std::str::FromStr for Selector {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Selector::parse(s)
    }
}

#[cfg(test)]
mod tests;
