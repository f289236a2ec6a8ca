//! Calico `projectcalico.org/v3` kinds.

pub mod endpoints;
pub mod felix;
pub mod infra;
pub mod policy;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::meta::ObjectMeta;

/// The API group and version of every Calico kind.
pub const CALICO_API_VERSION: &str = "projectcalico.org/v3";

/// A Calico object: type meta, metadata, spec, and the status some kinds carry (kept as given;
/// status is written by controllers, never acted on).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    bound = "S: Serialize + DeserializeOwned + Default"
)]
pub struct Object<S> {
    /// `projectcalico.org/v3`.
    pub api_version: String,
    /// The kind name.
    pub kind: String,
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The spec.
    #[serde(default)]
    pub spec: S,
    /// Status, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}

impl<S: Default> Object<S> {
    /// A new object of `kind` with a name and a default spec.
    #[must_use]
    pub fn new(kind: &str, name: &str) -> Self {
        Object {
            api_version: CALICO_API_VERSION.to_string(),
            kind: kind.to_string(),
            metadata: ObjectMeta {
                name: name.to_string(),
                ..ObjectMeta::default()
            },
            spec: S::default(),
            status: None,
        }
    }
}
