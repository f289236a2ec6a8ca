//! The stored form of an object: its JSON with `resourceVersion` removed (the revision is the
//! key's mod revision), as Calico writes etcd values.

use tortie_model::{Kind, Resource};

use super::{ClientError, ObjectRef};
use crate::backend::Revision;

/// The stored text of an object.
#[must_use]
pub fn encode(r: &Resource) -> String {
    let mut r = r.clone();
    r.metadata_mut().resource_version.clear();
    r.to_json().to_string()
}

/// An object from its stored text, with `resourceVersion` set from the revision.
///
/// # Errors
/// [`ClientError::Corrupt`] if the text is not a valid object of `kind`.
pub fn decode(kind: Kind, text: &str, mod_revision: Revision) -> Result<Resource, ClientError> {
    let mut r = Resource::from_json_str(kind, text).map_err(|e| ClientError::Corrupt {
        object: ObjectRef {
            kind,
            namespace: String::new(),
            name: String::new(),
        },
        reason: e.to_string(),
    })?;
    r.metadata_mut().resource_version = mod_revision.to_string();
    Ok(r)
}
