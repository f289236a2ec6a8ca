//! Loading, validation and serialization tests for the infrastructure kinds.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::*;
use crate::kinds::Object;
use crate::validate::{Report, Severity};
use crate::yaml::{FieldPath, from_node, parse_stream};

fn load_all<S>(text: &str) -> Vec<Object<S>>
where
    S: Serialize + DeserializeOwned + Default,
{
    let docs = parse_stream(text).expect("YAML parses");
    docs.iter()
        .map(|d| from_node::<Object<S>>(d).unwrap_or_else(|e| panic!("{}: {}", e.path, e.message)))
        .collect()
}

fn load<S>(text: &str) -> Object<S>
where
    S: Serialize + DeserializeOwned + Default,
{
    load_all(text).remove(0)
}

/// The error (path, message) of loading a document that should not load.
fn load_error<S>(text: &str) -> (String, String)
where
    S: Serialize + DeserializeOwned + Default,
{
    let docs = parse_stream(text).expect("YAML parses");
    match from_node::<Object<S>>(&docs[0]) {
        Ok(_) => panic!("document loaded but should not"),
        Err(e) => (e.path.to_string(), e.message),
    }
}

/// `(path, message)` pairs.
type Found = Vec<(String, String)>;

/// Runs a validation function with `path` = `spec`; returns errors and warnings.
fn check<S>(spec: &S, f: fn(&S, &FieldPath, &mut Report)) -> (Found, Found) {
    let mut report = Report::default();
    f(spec, &FieldPath::parse("spec"), &mut report);
    let pick = |sev| {
        report
            .violations
            .iter()
            .filter(|v| v.severity == sev)
            .map(|v| (v.path.to_string(), v.message.clone()))
            .collect::<Vec<_>>()
    };
    (pick(Severity::Error), pick(Severity::Warning))
}

fn error_paths<S>(spec: &S, f: fn(&S, &FieldPath, &mut Report)) -> Vec<String> {
    check(spec, f).0.into_iter().map(|(p, _)| p).collect()
}

/// Serializes to JSON, checks the object equals `expected`, and reads it back.
fn round_trip<S>(obj: &Object<S>, expected: &Value)
where
    S: Serialize + DeserializeOwned + Default + PartialEq + std::fmt::Debug,
{
    let v = serde_json::to_value(obj).expect("serializes");
    assert_eq!(&v, expected);
    let back: Object<S> = serde_json::from_value(v).expect("reads back");
    assert_eq!(&back, obj);
}

mod bgp;
mod cluster;
mod ipam;
mod node;
mod workload_endpoint;
