//! The resource model: Calico `projectcalico.org/v3` kinds and the Kubernetes kinds Tortie
//! reads, with loading that keeps source positions, Calico's defaulting, and validation.
//!
//! ```text
//!  bytes ──yaml::parse_stream──► Node trees ──load──► Loaded { origin, Resource }
//!                                                         │
//!                                      defaults::apply ◄──┤──► validate::validate ─► Violations
//! ```
//!
//! The crate is pure: it reads no files itself (see [`load::load_str`]; the CLI reads files).

#![forbid(unsafe_code)]

pub mod defaults;
pub mod k8s;
pub mod kinds;
pub mod lint;
pub mod load;
pub mod meta;
pub mod numorstring;
pub mod resource;
pub mod rule;
mod serde_util;
pub mod translate;
pub mod validate;
pub mod yaml;

pub use load::{LoadError, Loaded, Origin, load_str};
pub use resource::{Kind, Resource};
pub use validate::{Severity, Violation};
