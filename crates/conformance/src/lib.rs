//! Helpers for the corpus tests: where the shared corpora live and how to read them.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub mod e2e;

/// The `../shared` directory beside the checkout (the project's tests read it; nothing writes).
///
/// # Panics
/// If the directory is missing: the corpus tests cannot run without it, and saying so loudly
/// beats passing vacuously.
#[must_use]
pub fn shared_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = here.join("../../../shared");
    assert!(
        shared.join("conformance").is_dir(),
        "the shared corpora are missing: expected {} (clone the project with ../shared beside it)",
        shared.display()
    );
    shared
}

/// Reads and deserializes one YAML file of the shared tree (YAML 1.2 core schema).
///
/// # Panics
/// If the file is missing or does not fit `T`: a broken corpus must fail the test.
#[must_use]
pub fn read_yaml<T: DeserializeOwned>(relative: &str) -> T {
    let path = shared_dir().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let docs = tortie_model::yaml::parse_stream(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // The corpora are plain data: read them with YAML 1.2 rules, so `y` and `on` stay strings.
    serde_json::from_value(docs[0].to_json_core())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
