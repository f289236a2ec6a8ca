//! Ports and protocols as Calico's converter reads them (`numorstring.PortFromString`,
//! `ProtocolFromString`) and the port-list simplification (`SimplifyPorts`).

use crate::k8s::network_policy::NetworkPolicyPort;
use crate::numorstring::{Port, Protocol};

/// The protocol names Calico canonicalises to, matched case-insensitively.
const CANONICAL_PROTOCOLS: [&str; 7] = ["UDP", "TCP", "ICMP", "ICMPv6", "SCTP", "UDPLite", "any"];

/// Calico's `ProtocolFromString`: a known name in its canonical case, else the text unchanged.
#[must_use]
pub fn protocol_from_string(text: &str) -> Protocol {
    let name = CANONICAL_PROTOCOLS
        .iter()
        .find(|n| n.eq_ignore_ascii_case(text))
        .map_or(text, |n| *n);
    Protocol::Name(name.to_string())
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Calico's `PortFromString`: a number, `min:max`, or a name of 1 to 128 of `[a-zA-Z0-9_.-]`.
///
/// # Errors
/// Calico's exact message, such as `invalid name for named port (-50:-1)`.
pub fn port_from_string(text: &str) -> Result<Port, String> {
    if all_digits(text) {
        return text
            .parse::<u16>()
            .map(Port::Number)
            .map_err(|_| format!("invalid port format ({text})"));
    }
    if let Some((a, b)) = text.split_once(':')
        && all_digits(a)
        && all_digits(b)
    {
        let min = a
            .parse::<u16>()
            .map_err(|_| format!("invalid minimum port number in range ({text})"))?;
        let max = b
            .parse::<u16>()
            .map_err(|_| format!("invalid maximum port number in range ({text})"))?;
        return port_range(min, max).ok_or_else(|| {
            format!(
                "minimum port number ({min}) is greater than maximum port number ({max}) in port range"
            )
        });
    }
    let name_ok = (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if name_ok {
        Ok(Port::Named(text.to_string()))
    } else {
        Err(format!("invalid name for named port ({text})"))
    }
}

/// A range, or a single port when both ends are equal (Calico prints those the same way).
fn port_range(min: u16, max: u16) -> Option<Port> {
    match min.cmp(&max) {
        std::cmp::Ordering::Less => Some(Port::Range(min, max)),
        std::cmp::Ordering::Equal => Some(Port::Number(min)),
        std::cmp::Ordering::Greater => None,
    }
}

/// Calico's `SimplifyPorts`: named ports first in input order, then the numeric ports merged
/// into ascending ranges; lists holding at most one numeric port come back unchanged.
#[must_use]
pub fn simplify_ports(ports: Vec<Port>) -> Vec<Port> {
    if ports.len() <= 1 {
        return ports;
    }
    let mut named = Vec::new();
    let mut ranges: Vec<(u16, u16)> = Vec::new();
    for p in &ports {
        match p.bounds() {
            Some(b) => ranges.push(b),
            None => named.push(p.clone()),
        }
    }
    let numeric_count: u32 = ranges
        .iter()
        .map(|(a, b)| u32::from(*b).saturating_sub(u32::from(*a)) + 1)
        .sum();
    if numeric_count <= 1 {
        return ports;
    }
    ranges.sort_unstable();
    let mut merged: Vec<(u16, u16)> = Vec::new();
    for (min, max) in ranges {
        match merged.last_mut() {
            Some(last) if u32::from(min) <= u32::from(last.1) + 1 => last.1 = last.1.max(max),
            _ => merged.push((min, max)),
        }
    }
    named.extend(merged.into_iter().filter_map(|(a, b)| port_range(a, b)));
    named
}

/// One Kubernetes port as Calico reads it: the protocol group key (`TCP` when absent) and the
/// port (`None`: every port of that protocol).
pub(super) fn k8s_port_to_calico(p: &NetworkPolicyPort) -> Result<(String, Option<Port>), String> {
    let protocol = protocol_from_string(p.protocol.as_deref().unwrap_or("TCP")).to_string();
    let Some(port) = &p.port else {
        return Ok((protocol, None));
    };
    let mut text = port.to_string();
    if let Some(end) = p.end_port {
        text = format!("{text}:{end}");
    }
    let port = port_from_string(&text).map_err(|e| format!("invalid port {text}: {e}"))?;
    Ok((protocol, Some(port)))
}
