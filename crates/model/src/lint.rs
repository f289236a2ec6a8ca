//! Warnings for mistakes people really make, which validation alone accepts: placeholders left
//! in a manifest, label keys that differ only in case across a file (`Tier` vs `tier`),
//! selectors that can never match, legacy tier prefixes that no longer pick the tier, and
//! layer-7 matches a layer 3/4 dataplane cannot enforce.
//!
//! The checks walk the document trees, so they also cover objects that failed to load. One
//! check here is an error rather than a warning: the same object given twice in one input.

use std::collections::BTreeMap;

use tortie_selector::Selector;

use crate::load::Loaded;
use crate::validate::{Severity, Violation};
use crate::yaml::{FieldPath, Node, Value};

/// A warning about one object of the stream (by index into the loaded list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Index of the object in the slice passed to [`lint`].
    pub object: usize,
    /// The warning.
    pub violation: Violation,
}

fn warn(object: usize, path: FieldPath, message: String) -> Finding {
    Finding {
        object,
        violation: Violation {
            severity: Severity::Warning,
            path,
            message,
        },
    }
}

/// Where a label key was used.
struct KeyUse {
    object: usize,
    path: FieldPath,
}

/// Errors that involve several objects of one input: the same object given twice (calicoctl
/// would silently apply the second over the first).
#[must_use]
pub fn duplicates(objects: &[Loaded]) -> Vec<Finding> {
    let mut seen: BTreeMap<(crate::Kind, String, String), usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        let Ok(r) = &obj.result else { continue };
        let key = (
            r.kind(),
            r.metadata().namespace.clone(),
            r.metadata().name.clone(),
        );
        if let Some(first) = seen.get(&key) {
            out.push(Finding {
                object: i,
                violation: Violation {
                    severity: Severity::Error,
                    path: FieldPath::root().key("metadata").key("name"),
                    message: format!(
                        "{} is given twice in this input (first at {}); each object needs its own name",
                        r.display_name(),
                        objects[*first].origin
                    ),
                },
            });
        } else {
            seen.insert(key, i);
        }
    }
    out
}

/// Runs every lint over the objects of one file (or stdin stream).
#[must_use]
pub fn lint(objects: &[Loaded]) -> Vec<Finding> {
    let mut findings = duplicates(objects);
    let mut keys: BTreeMap<String, Vec<KeyUse>> = BTreeMap::new();
    for (i, obj) in objects.iter().enumerate() {
        walk(
            &obj.node,
            &FieldPath::root(),
            &mut |path, node, parent_key| {
                visit(i, path, node, parent_key, &mut findings, &mut keys);
            },
        );
        legacy_tier_prefix(i, obj, &mut findings);
    }
    case_collisions(&keys, &mut findings);
    findings.sort_by(|a, b| (a.object, &a.violation.path).cmp(&(b.object, &b.violation.path)));
    findings
}

fn walk(node: &Node, path: &FieldPath, f: &mut dyn FnMut(&FieldPath, &Node, Option<&str>)) {
    walk_inner(node, path, None, f);
}

fn walk_inner(
    node: &Node,
    path: &FieldPath,
    key: Option<&str>,
    f: &mut dyn FnMut(&FieldPath, &Node, Option<&str>),
) {
    f(path, node, key);
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let k = k.as_str().unwrap_or_default();
                walk_inner(v, &path.key(k), Some(k), f);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_inner(item, &path.index(i), key, f);
            }
        }
        Value::Scalar(..) => {}
    }
}

/// `<worker_name>`, `<loadbalancer_IP>/32`, `INSERT_IP_HERE`, `YOUR_CIDR`, `CHANGEME`.
fn placeholder(text: &str) -> Option<&str> {
    if let Some(start) = text.find('<')
        && let Some(len) = text[start..].find('>')
        && len > 1
    {
        return Some(&text[start..=start + len]);
    }
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| {
            w.starts_with("INSERT_")
                || w.starts_with("YOUR_")
                || *w == "CHANGEME"
                || w.starts_with("REPLACE_")
        })
}

const SELECTOR_FIELDS: [&str; 4] = [
    "selector",
    "notSelector",
    "namespaceSelector",
    "serviceAccountSelector",
];
const LABEL_MAP_FIELDS: [&str; 4] = ["labels", "matchLabels", "labelsToApply", "nodeSelector"];

fn visit(
    object: usize,
    path: &FieldPath,
    node: &Node,
    parent_key: Option<&str>,
    findings: &mut Vec<Finding>,
    keys: &mut BTreeMap<String, Vec<KeyUse>>,
) {
    match (&node.value, parent_key) {
        (Value::Scalar(text, _), key) => {
            if let Some(p) = placeholder(text) {
                findings.push(warn(
                    object,
                    path.clone(),
                    format!("`{p}` looks like a placeholder left in the manifest; fill it in"),
                ));
            }
            if key.is_some_and(|k| SELECTOR_FIELDS.contains(&k))
                && let Ok(sel) = Selector::parse(text)
            {
                selector_findings(object, path, &sel, findings, keys);
            }
            if key == Some("key")
                && path
                    .segments()
                    .iter()
                    .any(|s| matches!(s, crate::yaml::Segment::Key(k) if k == "matchExpressions"))
            {
                keys.entry(text.clone()).or_default().push(KeyUse {
                    object,
                    path: path.clone(),
                });
            }
        }
        (Value::Map(entries), Some(k))
            if LABEL_MAP_FIELDS.contains(&k) || (k == "selector" && is_label_map(node)) =>
        {
            for (key, _) in entries {
                let key = key.as_str().unwrap_or_default();
                keys.entry(key.to_string()).or_default().push(KeyUse {
                    object,
                    path: path.key(key),
                });
            }
        }
        _ => {}
    }
    if parent_key == Some("http") && matches!(node.value, Value::Map(_)) {
        findings.push(warn(
            object,
            path.clone(),
            "`http` match is layer 7: Tortie's dataplane enforces this rule on its layer 3/4 criteria only (as Calico's iptables and nftables dataplanes do)".into(),
        ));
    }
}

/// A Service's `spec.selector` is a plain label map (all values scalars), unlike a workload's
/// `spec.selector`, which holds `matchLabels`.
fn is_label_map(node: &Node) -> bool {
    matches!(&node.value, Value::Map(entries) if entries.iter().all(|(_, v)| matches!(v.value, Value::Scalar(..))))
}

fn selector_findings(
    object: usize,
    path: &FieldPath,
    sel: &Selector,
    findings: &mut Vec<Finding>,
    keys: &mut BTreeMap<String, Vec<KeyUse>>,
) {
    for label in sel.expr().label_names() {
        keys.entry(label.to_string()).or_default().push(KeyUse {
            object,
            path: path.clone(),
        });
    }
    for (label, r) in sel.label_restrictions() {
        let impossible_value = r
            .must_have_one_of_values
            .as_ref()
            .is_some_and(std::collections::BTreeSet::is_empty);
        if impossible_value || (r.must_be_present && r.must_be_absent) {
            findings.push(warn(
                object,
                path.clone(),
                format!(
                    "selector `{sel}` can never match: no value of label `{label}` satisfies it"
                ),
            ));
        }
    }
}

fn case_collisions(keys: &BTreeMap<String, Vec<KeyUse>>, findings: &mut Vec<Finding>) {
    let mut by_lower: BTreeMap<String, Vec<(&String, &Vec<KeyUse>)>> = BTreeMap::new();
    for (k, uses) in keys {
        by_lower
            .entry(k.to_lowercase())
            .or_default()
            .push((k, uses));
    }
    for spellings in by_lower.values().filter(|s| s.len() > 1) {
        // The spelling used most is taken as the intended one; warn at every other use.
        let main = spellings
            .iter()
            .max_by_key(|(k, uses)| {
                (
                    uses.len(),
                    k.chars().filter(char::is_ascii_lowercase).count(),
                )
            })
            .map(|(k, _)| *k);
        for (k, uses) in spellings {
            if Some(*k) == main {
                continue;
            }
            for u in *uses {
                findings.push(warn(
                    u.object,
                    u.path.clone(),
                    format!(
                        "label key `{k}` differs only in case from `{}` used elsewhere in this file; label keys are case-sensitive, so they never match each other",
                        main.map_or("", |m| m.as_str())
                    ),
                ));
            }
        }
    }
}

fn legacy_tier_prefix(object: usize, obj: &Loaded, findings: &mut Vec<Finding>) {
    let kind = obj
        .node
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or_default();
    if !kind.ends_with("NetworkPolicy")
        || obj.node.get("apiVersion").and_then(Node::as_str)
            != Some(crate::kinds::CALICO_API_VERSION)
    {
        return;
    }
    let name = obj
        .node
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or_default();
    let tier = obj
        .node
        .get("spec")
        .and_then(|s| s.get("tier"))
        .and_then(Node::as_str)
        .unwrap_or("default");
    if let Some((prefix, _)) = name.split_once('.')
        && prefix != tier
        && prefix != "knp"
        && prefix != "ossg"
    {
        findings.push(warn(
            object,
            FieldPath::root().key("metadata").key("name"),
            format!(
                "name `{name}` has the legacy tier prefix `{prefix}` but the policy is in tier `{tier}`; since Calico 3.32 the prefix does not choose the tier (set `spec.tier: {prefix}` if that was meant)"
            ),
        ));
    }
}
