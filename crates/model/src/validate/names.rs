//! Name, label and address syntax shared by every kind (Kubernetes' and Calico's rules).

use std::net::IpAddr;

/// DNS-1123 label: lower-case alphanumerics and `-`, starting and ending alphanumeric, at most
/// 63 characters.
#[must_use]
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// DNS-1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters.
#[must_use]
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// The name part of a Kubernetes qualified name: 1 to 63 of `[A-Za-z0-9_.-]`, starting and
/// ending alphanumeric.
#[must_use]
pub fn is_qualified_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}

/// Why `key` is not a valid label key (a Kubernetes qualified name: optional DNS-1123
/// subdomain prefix and `/`, then a name part), or `None` when it is valid.
#[must_use]
pub fn label_key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && !is_dns1123_subdomain(p)
    {
        return Some(format!(
            "label key `{key}` has an invalid prefix `{p}`: it must be a lower-case DNS subdomain"
        ));
    }
    if !is_qualified_name_part(name) {
        return Some(format!(
            "label key `{key}` is invalid: the name part must be 1 to 63 characters of letters, \
             digits, `-`, `_` or `.`, starting and ending with a letter or digit"
        ));
    }
    None
}

/// Why `value` is not a valid label value (empty, or a name part), or `None` when it is valid.
#[must_use]
pub fn label_value_problem(value: &str) -> Option<String> {
    if value.is_empty() || is_qualified_name_part(value) {
        None
    } else if value.len() > 63 {
        Some(format!(
            "label value `{value}` is longer than 63 characters"
        ))
    } else {
        Some(format!(
            "label value `{value}` is invalid: it must be empty or letters, digits, `-`, `_` or \
             `.`, starting and ending with a letter or digit"
        ))
    }
}

/// A Kubernetes (IANA service) port name: at most 15 lower-case letters, digits and `-`, with
/// at least one letter, no leading, trailing or doubled `-`.
#[must_use]
pub fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Parses an IP address (v4 or v6).
#[must_use]
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

/// A CIDR or a bare address (taken as /32 or /128), and whether its host bits are zero.
#[must_use]
pub fn parse_cidr(s: &str) -> Option<(ipnet::IpNet, bool)> {
    if let Ok(net) = s.parse::<ipnet::IpNet>() {
        return Some((net, net.trunc() == net));
    }
    s.parse::<IpAddr>()
        .ok()
        .map(|ip| (ipnet::IpNet::from(ip), true))
}
