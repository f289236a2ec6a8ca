//! Namespace and ServiceAccount -> Calico Profile (Calico's `NamespaceToProfile`,
//! `ServiceAccountToProfile`), the profile-name parsers, and Calico's UID conversion.

use std::collections::BTreeMap;

use super::{
    NAME_LABEL, NAMESPACE_LABEL_PREFIX, NAMESPACE_PROFILE_PREFIX, SERVICE_ACCOUNT_LABEL_PREFIX,
    SERVICE_ACCOUNT_PROFILE_PREFIX,
};
use crate::k8s::core::{Namespace, ServiceAccount};
use crate::kinds::Object;
use crate::kinds::endpoints::ProfileSpec;
use crate::meta::ObjectMeta;
use crate::rule::{Action, Rule};

/// The profile of a namespace: `kns.<name>`, allow-all rules, and the namespace labels to
/// apply with a `pcns.` prefix plus `pcns.projectcalico.org/name`.
#[must_use]
pub fn namespace_to_profile(ns: &Namespace) -> Object<ProfileSpec> {
    let meta = &ns.metadata;
    let mut labels = prefixed(&meta.labels, NAMESPACE_LABEL_PREFIX);
    labels.insert(
        format!("{NAMESPACE_LABEL_PREFIX}{NAME_LABEL}"),
        meta.name.clone(),
    );
    let spec = ProfileSpec {
        ingress: vec![Rule::new(Action::Allow)],
        egress: vec![Rule::new(Action::Allow)],
        labels_to_apply: labels,
    };
    profile(
        format!("{NAMESPACE_PROFILE_PREFIX}{}", meta.name),
        meta,
        spec,
    )
}

/// The profile name of a service account; an empty namespace counts as `default`.
#[must_use]
pub fn service_account_profile_name(namespace: &str, name: &str) -> String {
    let namespace = if namespace.is_empty() {
        "default"
    } else {
        namespace
    };
    format!("{SERVICE_ACCOUNT_PROFILE_PREFIX}{namespace}.{name}")
}

/// The profile of a service account: `ksa.<namespace>.<name>`, no rules, and the account's
/// labels to apply with a `pcsa.` prefix plus `pcsa.projectcalico.org/name`.
#[must_use]
pub fn service_account_to_profile(sa: &ServiceAccount) -> Object<ProfileSpec> {
    let meta = &sa.metadata;
    let mut labels = prefixed(&meta.labels, SERVICE_ACCOUNT_LABEL_PREFIX);
    labels.insert(
        format!("{SERVICE_ACCOUNT_LABEL_PREFIX}{NAME_LABEL}"),
        meta.name.clone(),
    );
    let spec = ProfileSpec {
        labels_to_apply: labels,
        ..ProfileSpec::default()
    };
    let name = service_account_profile_name(&meta.namespace, &meta.name);
    profile(name, meta, spec)
}

/// The namespace of a `kns.<namespace>` profile name.
#[must_use]
pub fn parse_namespace_profile_name(name: &str) -> Option<&str> {
    name.strip_prefix(NAMESPACE_PROFILE_PREFIX)
}

/// The namespace and service account of a `ksa.<namespace>.<account>` profile name (the
/// account name may contain dots; the namespace cannot).
#[must_use]
pub fn parse_service_account_profile_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(SERVICE_ACCOUNT_PROFILE_PREFIX)?;
    rest.split_once('.')
}

fn prefixed(labels: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|(k, v)| (format!("{prefix}{k}"), v.clone()))
        .collect()
}

fn profile(name: String, source: &ObjectMeta, spec: ProfileSpec) -> Object<ProfileSpec> {
    let mut p: Object<ProfileSpec> = Object::new("Profile", &name);
    p.metadata.creation_timestamp = source.creation_timestamp.clone();
    p.metadata.uid = convert_uid(&source.uid).unwrap_or_default();
    p.spec = spec;
    p
}

/// Calico's `ConvertUID`: the UID of a derived object, made by reversing the bits of every
/// byte of the UUID except the version (7th) and variant (9th) bytes. `None` if `uid` is not
/// a UUID (Calico then fails the conversion; Tortie leaves the UID empty).
#[must_use]
pub fn convert_uid(uid: &str) -> Option<String> {
    let mut bytes = parse_uuid(uid)?;
    for (i, b) in bytes.iter_mut().enumerate() {
        if i != 6 && i != 8 {
            *b = b.reverse_bits();
        }
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// Parses a UUID in the forms Go's `uuid.Parse` accepts: dashed, bare hex, `{dashed}` and
/// `urn:uuid:dashed`.
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let urn = text
        .get(..9)
        .filter(|p| p.eq_ignore_ascii_case("urn:uuid:"));
    let dashed = if text.len() == 45 && urn.is_some() {
        &text[9..]
    } else if text.len() == 38 && text.starts_with('{') && text.ends_with('}') {
        &text[1..37]
    } else {
        text
    };
    let hex: String = match dashed.len() {
        36 => {
            let b = dashed.as_bytes();
            if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
                return None;
            }
            dashed.chars().filter(|c| *c != '-').collect()
        }
        32 => dashed.to_string(),
        _ => return None,
    };
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}
