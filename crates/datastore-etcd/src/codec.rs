//! What Calico changes in policy values on their way into and out of etcd.
//!
//! For the policy kinds (NetworkPolicy, GlobalNetworkPolicy and their staged variants) Calico
//! adds the annotation `projectcalico.org/metadata: {"name":"<v3 name>"}` when it writes, and on
//! read sets `metadata.name` from it and removes it. A stored policy without the annotation
//! whose name starts with `default.` (older Calico wrote default-tier policies that way) is read
//! without the prefix. Every other value passes through untouched.

use serde_json::{Map, Value};
use tortie_datastore::keys::CALICO_PREFIX;

/// The annotation Calico keeps the policy's v3 name in.
pub const METADATA_ANNOTATION: &str = "projectcalico.org/metadata";

/// The plurals whose values carry the annotation.
const POLICY_PLURALS: [&str; 4] = [
    "networkpolicies",
    "globalnetworkpolicies",
    "stagednetworkpolicies",
    "stagedglobalnetworkpolicies",
];

/// The prefix older Calico put before default-tier policy names.
const DEFAULT_TIER_PREFIX: &str = "default.";

fn is_policy_key(key: &str) -> bool {
    key.strip_prefix(CALICO_PREFIX)
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(plural, _)| POLICY_PLURALS.contains(&plural))
}

fn metadata_mut(object: &mut Value) -> Option<&mut Map<String, Value>> {
    object.get_mut("metadata")?.as_object_mut()
}

/// The value to store under `key`.
#[must_use]
pub fn encode(key: &str, value: &str) -> String {
    if !is_policy_key(key) {
        return value.to_string();
    }
    let Ok(mut object) = serde_json::from_str::<Value>(value) else {
        return value.to_string();
    };
    let Some(meta) = metadata_mut(&mut object) else {
        return value.to_string();
    };
    let Some(name) = meta.get("name").and_then(Value::as_str) else {
        return value.to_string();
    };
    let note = serde_json::json!({ "name": name }).to_string();
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(annotations) = annotations.as_object_mut() else {
        return value.to_string();
    };
    annotations.insert(METADATA_ANNOTATION.to_string(), Value::String(note));
    object.to_string()
}

/// The value as Tortie's client sees it, from the value stored under `key`.
#[must_use]
pub fn decode(key: &str, stored: &str) -> String {
    if !is_policy_key(key) {
        return stored.to_string();
    }
    let Ok(mut object) = serde_json::from_str::<Value>(stored) else {
        return stored.to_string();
    };
    let in_default_tier = object
        .get("spec")
        .and_then(|s| s.get("tier"))
        .and_then(Value::as_str)
        .is_none_or(|t| t.is_empty() || t == "default");
    let Some(meta) = metadata_mut(&mut object) else {
        return stored.to_string();
    };
    let note = meta
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
        .and_then(|a| a.remove(METADATA_ANNOTATION));
    if meta
        .get("annotations")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        meta.remove("annotations");
    }
    let name = match &note {
        Some(note) => note
            .as_str()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
            .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_string)),
        None if in_default_tier => meta
            .get("name")
            .and_then(Value::as_str)
            .and_then(|n| n.strip_prefix(DEFAULT_TIER_PREFIX))
            .map(str::to_string),
        None => None,
    };
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        meta.insert("name".into(), Value::String(name));
    } else if note.is_none() {
        // Nothing to change: hand back the stored text byte for byte.
        return stored.to_string();
    }
    object.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GNP: &str = "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/deny-all";
    const NP: &str = "/calico/resources/v3/projectcalico.org/networkpolicies/prod/allow";

    fn json(v: &str) -> Value {
        serde_json::from_str(v).expect("json")
    }

    #[test]
    fn policies_get_the_name_annotation_and_lose_it_on_read() {
        let value = r#"{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"deny-all"},"spec":{"tier":"default"}}"#;
        let stored = encode(GNP, value);
        assert_eq!(
            json(&stored)["metadata"]["annotations"][METADATA_ANNOTATION],
            Value::String(r#"{"name":"deny-all"}"#.into())
        );
        assert_eq!(json(&decode(GNP, &stored)), json(value));
        let with_labels = r#"{"kind":"NetworkPolicy","metadata":{"name":"allow","namespace":"prod","annotations":{"a":"b"}}}"#;
        let stored = encode(NP, with_labels);
        assert_eq!(json(&stored)["metadata"]["annotations"]["a"], "b");
        assert_eq!(json(&decode(NP, &stored)), json(with_labels));
    }

    #[test]
    fn the_annotation_decides_the_name() {
        let stored = r#"{"kind":"GlobalNetworkPolicy","metadata":{"name":"default.x","annotations":{"projectcalico.org/metadata":"{\"name\":\"x\"}"}}}"#;
        assert_eq!(
            json(&decode(GNP, stored)),
            json(r#"{"kind":"GlobalNetworkPolicy","metadata":{"name":"x"}}"#)
        );
    }

    #[test]
    fn old_default_tier_names_lose_their_prefix() {
        let old = r#"{"kind":"GlobalNetworkPolicy","metadata":{"name":"default.deny-all"},"spec":{"tier":"default"}}"#;
        assert_eq!(json(&decode(GNP, old))["metadata"]["name"], "deny-all");
        let no_tier =
            r#"{"kind":"NetworkPolicy","metadata":{"name":"default.allow","namespace":"prod"}}"#;
        assert_eq!(json(&decode(NP, no_tier))["metadata"]["name"], "allow");
        let other_tier = r#"{"kind":"GlobalNetworkPolicy","metadata":{"name":"default.x"},"spec":{"tier":"sec"}}"#;
        assert_eq!(decode(GNP, other_tier), other_tier);
        let knp = r#"{"kind":"NetworkPolicy","metadata":{"name":"knp.default.web"}}"#;
        assert_eq!(decode(NP, knp), knp);
    }

    #[test]
    fn other_keys_and_opaque_values_pass_through() {
        let tier = "/calico/resources/v3/projectcalico.org/tiers/default";
        let value = r#"{"kind":"Tier","metadata":{"name":"default"}}"#;
        assert_eq!(encode(tier, value), value);
        assert_eq!(decode(tier, value), value);
        for opaque in ["1", "not json", "[]", r#"{"metadata":5}"#] {
            assert_eq!(encode(GNP, opaque), opaque);
            assert_eq!(decode(GNP, opaque), opaque);
        }
        let pod = "/tortie/kubernetes/networkpolicies/prod/x";
        let value = r#"{"metadata":{"name":"default.x"}}"#;
        assert_eq!(decode(pod, value), value);
    }
}
