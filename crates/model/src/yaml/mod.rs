//! YAML (and JSON, its subset) with positions.
//!
//! Documents are parsed into a [`Node`] tree that remembers where every value came from, then
//! deserialized into typed resources by a serde deserializer that tracks the field path. So
//! every error, structural or semantic, can name the line and the field
//! (`spec.ingress[0].destination.ports[1]`).
//!
//! Scalars keep their source text: a plain `yes` is a bool where a bool is wanted and the string
//! `"yes"` where a string is wanted, which is how calicoctl (sigs.k8s.io/yaml with type hints)
//! reads Calico manifests.

mod de;
mod de_helpers;
mod emit;
mod node;
mod parse;
mod path;

pub use de::{DeError, from_node};
pub use emit::to_yaml_string;
pub use node::{Node, Pos, ScalarStyle, Value};
pub use parse::{SyntaxError, parse_stream};
pub use path::{FieldPath, Segment};

#[cfg(test)]
mod tests;
