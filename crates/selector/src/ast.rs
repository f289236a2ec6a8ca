//! The selector expression tree, its evaluation and its canonical printing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::{self, Write as _};

/// Labels a selector is evaluated against.
pub trait Labels {
    /// The value of `key`, if the label is present.
    fn get_label(&self, key: &str) -> Option<&str>;
}

impl Labels for BTreeMap<String, String> {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl<S: std::hash::BuildHasher> Labels for HashMap<String, String, S> {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl Labels for [(&str, &str)] {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

impl<L: Labels + ?Sized> Labels for &L {
    fn get_label(&self, key: &str) -> Option<&str> {
        (**self).get_label(key)
    }
}

/// A selector expression. The variants mirror Calico's AST nodes one to one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Expr {
    /// `all()`: matches everything.
    All,
    /// `global()`: matches everything; only meaningful as a whole rule `namespaceSelector`.
    Global,
    /// `has(label)`: true when the label is present, whatever its value (even empty).
    Has(String),
    /// `label == "v"`: false when the label is absent.
    Eq(String, String),
    /// `label != "v"`: true when the label is absent.
    Ne(String, String),
    /// `label in {...}`: false when absent; an empty set never matches.
    In(String, BTreeSet<String>),
    /// `label not in {...}`: true when absent; an empty set always matches.
    NotIn(String, BTreeSet<String>),
    /// `label contains "s"`: false when absent.
    Contains(String, String),
    /// `label starts with "s"`: false when absent.
    StartsWith(String, String),
    /// `label ends with "s"`: false when absent.
    EndsWith(String, String),
    /// `!e`
    Not(Box<Expr>),
    /// `a && b && ...` (at least two operands).
    And(Vec<Expr>),
    /// `a || b || ...` (at least two operands).
    Or(Vec<Expr>),
}

impl Expr {
    /// The negation of this expression. A double negation collapses, so that printing and
    /// re-parsing is a fixed point (Calico would print `!(!has(a))` as `!!has(a)`, which then
    /// re-parses to `has(a)`).
    #[must_use]
    pub fn negate(self) -> Expr {
        match self {
            Expr::Not(inner) => *inner,
            other => Expr::Not(Box::new(other)),
        }
    }

    /// Whether the labels satisfy the expression.
    pub fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        match self {
            Expr::All | Expr::Global => true,
            Expr::Has(k) => labels.get_label(k).is_some(),
            Expr::Eq(k, v) => labels.get_label(k) == Some(v.as_str()),
            Expr::Ne(k, v) => labels.get_label(k) != Some(v.as_str()),
            Expr::In(k, set) => labels.get_label(k).is_some_and(|v| set.contains(v)),
            Expr::NotIn(k, set) => labels.get_label(k).is_none_or(|v| !set.contains(v)),
            Expr::Contains(k, s) => labels.get_label(k).is_some_and(|v| v.contains(s.as_str())),
            Expr::StartsWith(k, s) => labels
                .get_label(k)
                .is_some_and(|v| v.starts_with(s.as_str())),
            Expr::EndsWith(k, s) => labels.get_label(k).is_some_and(|v| v.ends_with(s.as_str())),
            Expr::Not(e) => !e.matches(labels),
            Expr::And(es) => es.iter().all(|e| e.matches(labels)),
            Expr::Or(es) => es.iter().any(|e| e.matches(labels)),
        }
    }

    /// A copy with every label name passed through `f` (Calico's visitor pattern).
    #[must_use]
    pub fn map_labels(&self, f: &dyn Fn(&str) -> String) -> Expr {
        match self {
            Expr::All => Expr::All,
            Expr::Global => Expr::Global,
            Expr::Has(k) => Expr::Has(f(k)),
            Expr::Eq(k, v) => Expr::Eq(f(k), v.clone()),
            Expr::Ne(k, v) => Expr::Ne(f(k), v.clone()),
            Expr::In(k, s) => Expr::In(f(k), s.clone()),
            Expr::NotIn(k, s) => Expr::NotIn(f(k), s.clone()),
            Expr::Contains(k, v) => Expr::Contains(f(k), v.clone()),
            Expr::StartsWith(k, v) => Expr::StartsWith(f(k), v.clone()),
            Expr::EndsWith(k, v) => Expr::EndsWith(f(k), v.clone()),
            Expr::Not(e) => Expr::Not(Box::new(e.map_labels(f))),
            Expr::And(es) => Expr::And(es.iter().map(|e| e.map_labels(f)).collect()),
            Expr::Or(es) => Expr::Or(es.iter().map(|e| e.map_labels(f)).collect()),
        }
    }

    /// Every label name the expression mentions, sorted.
    #[must_use]
    pub fn label_names(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        self.collect_labels(&mut out);
        out
    }

    fn collect_labels<'s>(&'s self, out: &mut BTreeSet<&'s str>) {
        match self {
            Expr::All | Expr::Global => {}
            Expr::Has(k)
            | Expr::Eq(k, _)
            | Expr::Ne(k, _)
            | Expr::In(k, _)
            | Expr::NotIn(k, _)
            | Expr::Contains(k, _)
            | Expr::StartsWith(k, _)
            | Expr::EndsWith(k, _) => {
                out.insert(k);
            }
            Expr::Not(e) => e.collect_labels(out),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.collect_labels(out)),
        }
    }

    /// Whether `global()` appears anywhere in the expression.
    #[must_use]
    pub fn mentions_global(&self) -> bool {
        match self {
            Expr::Global => true,
            Expr::Not(e) => e.mentions_global(),
            Expr::And(es) | Expr::Or(es) => es.iter().any(Expr::mentions_global),
            _ => false,
        }
    }
}

/// Calico quotes with `"` unless the value itself holds a `"`.
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let quote = if s.contains('"') { '\'' } else { '"' };
    f.write_char(quote)?;
    f.write_str(s)?;
    f.write_char(quote)
}

fn write_set(
    f: &mut fmt::Formatter<'_>,
    label: &str,
    op: &str,
    set: &BTreeSet<String>,
) -> fmt::Result {
    write!(f, "{label} {op} {{")?;
    for (i, v) in set.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_quoted(f, v)?;
    }
    f.write_char('}')
}

fn write_joined(f: &mut fmt::Formatter<'_>, es: &[Expr], sep: &str) -> fmt::Result {
    f.write_char('(')?;
    for (i, e) in es.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{e}")?;
    }
    f.write_char(')')
}

/// The canonical form, byte for byte as Calico prints it.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::All => f.write_str("all()"),
            Expr::Global => f.write_str("global()"),
            Expr::Has(k) => write!(f, "has({k})"),
            Expr::Eq(k, v) => binary(f, k, " == ", v),
            Expr::Ne(k, v) => binary(f, k, " != ", v),
            Expr::Contains(k, v) => binary(f, k, " contains ", v),
            Expr::StartsWith(k, v) => binary(f, k, " starts with ", v),
            Expr::EndsWith(k, v) => binary(f, k, " ends with ", v),
            Expr::In(k, s) => write_set(f, k, "in", s),
            Expr::NotIn(k, s) => write_set(f, k, "not in", s),
            Expr::Not(e) => write!(f, "!{e}"),
            Expr::And(es) => write_joined(f, es, " && "),
            Expr::Or(es) => write_joined(f, es, " || "),
        }
    }
}

fn binary(f: &mut fmt::Formatter<'_>, label: &str, op: &str, value: &str) -> fmt::Result {
    f.write_str(label)?;
    f.write_str(op)?;
    write_quoted(f, value)
}
