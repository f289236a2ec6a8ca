//! Every vector of `../shared/conformance/calico-validation/`: each object or fragment must be
//! accepted or rejected exactly as Calico's validator does.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use tortie_model::validate::{Report, Severity, calico, rules};
use tortie_model::yaml::{FieldPath, from_node, parse_stream};

#[derive(Deserialize)]
struct File {
    entries: Vec<Entry>,
    #[serde(flatten)]
    _rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Entry {
    id: String,
    valid: bool,
    kind: String,
    #[serde(default)]
    resource: Option<serde_json::Value>,
    #[serde(default)]
    fragment: Option<serde_json::Value>,
    #[serde(default)]
    expected_error: Option<String>,
    #[serde(default)]
    expected_error_contains: Option<String>,
    #[serde(flatten)]
    _rest: serde_json::Map<String, serde_json::Value>,
}

/// Deserializes a fragment through the same YAML path as real files.
fn fragment<T: DeserializeOwned>(v: &serde_json::Value) -> Result<T, String> {
    let docs = parse_stream(&v.to_string()).map_err(|e| e.to_string())?;
    let node = docs
        .first()
        .cloned()
        .unwrap_or_else(|| parse_stream("{}").unwrap().remove(0));
    from_node(&node).map_err(|e| format!("{}: {e}", e.path))
}

/// Validates a fragment on its own, as upstream's `Validate(value)` does. Returns the messages.
fn check_fragment(kind: &str, v: &serde_json::Value) -> Vec<String> {
    let mut report = Report::default();
    let path = FieldPath::root();
    let parsed: Result<(), String> = match kind {
        "Rule" => {
            fragment(v).map(|r| rules::rule(&r, &path, rules::RuleContext::Standalone, &mut report))
        }
        "EntityRule" => fragment(v).map(|r| rules::entity_rule(&r, &path, &mut report)),
        "ICMPFields" => fragment(v).map(|r| rules::icmp_fields(&r, &path, &mut report)),
        "HTTPMatch" => fragment(v).map(|r| rules::http_match(&r, &path, &mut report)),
        "Protocol" => fragment(v).map(|r| rules::protocol(&r, &path, &mut report)),
        "ProtoPort" => fragment(v)
            .map(|r| tortie_model::kinds::felix::validate_proto_port(&r, &path, &mut report)),
        "HostEndpointSpec" => {
            fragment(v).map(|r| calico::host_endpoint_spec(&r, &path, &mut report))
        }
        "NetworkSetSpec" | "GlobalNetworkSetSpec" => {
            fragment(v).map(|r| calico::network_set_spec(&r, &path, &mut report))
        }
        "ProfileSpec" => fragment(v).map(|r| calico::profile_spec(&r, &path, &mut report)),
        other => panic!("no fragment validator for kind {other}"),
    };
    match parsed {
        Err(e) => vec![e],
        Ok(()) => report
            .violations
            .iter()
            .filter(|v| v.severity == Severity::Error)
            .map(ToString::to_string)
            .collect(),
    }
}

/// Loads a whole object through the real loader and validator.
fn check_resource(v: &serde_json::Value) -> Vec<String> {
    let loaded = tortie_model::load_str(&v.to_string(), "vector").expect("vector is valid JSON");
    loaded
        .iter()
        .flat_map(tortie_model::Loaded::check)
        .filter(|v| v.severity == Severity::Error)
        .map(|v| v.to_string())
        .collect()
}

#[test]
fn calico_validation_corpus() {
    let files = [
        "globalnetworkpolicy.yaml",
        "hostendpoint.yaml",
        "networkpolicy.yaml",
        "networksets-profiles.yaml",
        "rules.yaml",
        "tier.yaml",
    ];
    let (mut count, mut valid, mut failures) = (0, 0, Vec::new());
    for f in files {
        let file: File =
            tortie_conformance::read_yaml(&format!("conformance/calico-validation/{f}"));
        for e in &file.entries {
            count += 1;
            valid += usize::from(e.valid);
            let errors = match (&e.resource, &e.fragment) {
                (Some(r), _) => check_resource(r),
                (None, Some(fr)) => check_fragment(&e.kind, fr),
                (None, None) => panic!("{}: neither resource nor fragment", e.id),
            };
            if e.valid && !errors.is_empty() {
                failures.push(format!(
                    "{f} {}: rejected a valid object: {}",
                    e.id,
                    errors.join("; ")
                ));
            }
            if !e.valid && errors.is_empty() {
                failures.push(format!("{f} {}: accepted an invalid object", e.id));
            }
            let wanted = e
                .expected_error
                .as_ref()
                .or(e.expected_error_contains.as_ref());
            if let Some(text) = wanted {
                let key = if text.contains("port range invalid") {
                    "port range invalid"
                } else {
                    text.as_str()
                };
                if !errors.iter().any(|m| m.contains(key)) {
                    failures.push(format!(
                        "{f} {}: error should mention {key:?}, got {errors:?}",
                        e.id
                    ));
                }
            }
        }
    }
    println!(
        "calico validation corpus: {count} vectors ({valid} valid, {} invalid), {} failed",
        count - valid,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} validation vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(count, 279, "the corpus changed size");
}
