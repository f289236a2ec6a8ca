//! Manifests read from files, with no datastore: what the datastore's client would add on the
//! way in (defaults, the `default` namespace, the built-in allow-all profile) is added here, so
//! that a model of files and a model of the same objects stored agree.

use tortie_model::Resource;
use tortie_model::defaults::{DEFAULT_ALLOW_PROFILE, default_allow_profile};

use crate::model::{Key, Model};

/// The objects as the datastore would hold them.
#[must_use]
pub fn as_stored(mut resources: Vec<Resource>) -> Vec<Resource> {
    for r in &mut resources {
        if r.kind().is_namespaced() && r.metadata().namespace.is_empty() {
            r.metadata_mut().namespace = "default".into();
        }
        tortie_model::defaults::apply(r);
    }
    let has_allow_profile = resources
        .iter()
        .any(|r| matches!(r, Resource::Profile(p) if p.metadata.name == DEFAULT_ALLOW_PROFILE));
    if !has_allow_profile {
        resources.push(default_allow_profile());
    }
    resources
}

impl Model {
    /// A model of manifests (see [`as_stored`]).
    #[must_use]
    pub fn from_manifests(resources: Vec<Resource>) -> Model {
        let mut m = Model::new();
        for r in as_stored(resources) {
            m.set(Key::of(&r), Some(r));
        }
        m
    }
}
