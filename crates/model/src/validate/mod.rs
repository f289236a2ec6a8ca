//! Validation with Calico's rules. Every violation names the field path it is about, so the
//! loader can point at the line; the CLI prints `file:line: kind/name: field: reason`.

pub mod calico;
mod dispatch;
pub mod names;
pub mod rules;

pub use dispatch::validate;

use std::fmt;

use crate::yaml::FieldPath;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The object is rejected.
    Error,
    /// The object is accepted, but probably not what was meant.
    Warning,
}

/// One finding about one field.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Violation {
    /// Error or warning.
    pub severity: Severity,
    /// The field, from the document root (`spec.ingress[0].destination.ports[1]`).
    pub path: FieldPath,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Collects violations.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// What was found, in order.
    pub violations: Vec<Violation>,
}

impl Report {
    /// Records an error.
    pub fn error(&mut self, path: FieldPath, message: impl Into<String>) {
        self.violations.push(Violation {
            severity: Severity::Error,
            path,
            message: message.into(),
        });
    }

    /// Records a warning.
    pub fn warn(&mut self, path: FieldPath, message: impl Into<String>) {
        self.violations.push(Violation {
            severity: Severity::Warning,
            path,
            message: message.into(),
        });
    }

    /// Whether any error (not warning) was recorded.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.violations
            .iter()
            .any(|v| v.severity == Severity::Error)
    }
}
