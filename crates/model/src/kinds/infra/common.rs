//! Types and checks shared by the infrastructure kinds: AS numbers, DSCP values, secret
//! references, and the small syntax checks Calico's validator applies to their fields.

use std::fmt;
use std::net::IpAddr;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::validate::Report;
use crate::validate::names::{is_dns1123_subdomain, parse_cidr, parse_ip};
use crate::yaml::FieldPath;

// ---------------------------------------------------------------------------------------------
// AS numbers
// ---------------------------------------------------------------------------------------------

/// Parses an AS number the way Calico's `numorstring.ASNumber` does: a decimal number up to
/// 4294967295, or "asdot" notation `high.low` with two 16-bit halves.
#[must_use]
pub fn parse_as_number(text: &str) -> Option<u32> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(text) {
        return text.parse().ok();
    }
    let (high, low) = text.split_once('.')?;
    if !digits(high) || !digits(low) {
        return None;
    }
    let (high, low) = (high.parse::<u16>().ok()?, low.parse::<u16>().ok()?);
    Some((u32::from(high) << 16) | u32::from(low))
}

struct AsnVisitor;

impl Visitor<'_> for AsnVisitor {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an AS number (0 to 4294967295, or \"high.low\")")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
        u32::try_from(v).map_err(|_| E::custom(format!("AS number {v} is above 4294967295")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
        Err(E::custom(format!("AS number {v} is negative")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<u32, E> {
        // Go leaves a non-pointer number unchanged on `null`.
        Ok(0)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u32, E> {
        Err(E::custom(format!(
            "AS number {v} is not a whole number; quote dotted AS numbers (\"1.10\")"
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
        parse_as_number(v).ok_or_else(|| {
            E::custom(format!(
                "`{v}` is not an AS number (a number, or \"high.low\")"
            ))
        })
    }
}

/// Deserializes an AS number given as a number or a string (decimal or asdot).
pub(crate) fn de_asn<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    d.deserialize_any(AsnVisitor)
}

/// [`de_asn`] for an optional field.
pub(crate) fn de_opt_asn<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    struct OptVisitor;
    impl<'de> Visitor<'de> for OptVisitor {
        type Value = Option<u32>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an AS number or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<u32>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<u32>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<u32>, D2::Error> {
            de_asn(d).map(Some)
        }
    }
    d.deserialize_option(OptVisitor)
}

/// [`de_asn`] for a list of AS numbers.
pub(crate) fn de_asn_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    struct Item(u32);
    impl<'de> Deserialize<'de> for Item {
        fn deserialize<D2: Deserializer<'de>>(d: D2) -> Result<Item, D2::Error> {
            de_asn(d).map(Item)
        }
    }
    struct ListVisitor;
    impl<'de> Visitor<'de> for ListVisitor {
        type Value = Vec<u32>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of AS numbers")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u32>, A::Error> {
            let mut out = Vec::new();
            while let Some(Item(n)) = seq.next_element()? {
                out.push(n);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(ListVisitor)
}

// ---------------------------------------------------------------------------------------------
// DSCP
// ---------------------------------------------------------------------------------------------

/// The DSCP class names Calico accepts (case-insensitively) and their values.
pub const DSCP_NAMES: [(&str, u8); 21] = [
    ("DF", 0),
    ("EF", 46),
    ("AF11", 10),
    ("AF12", 12),
    ("AF13", 14),
    ("AF21", 18),
    ("AF22", 20),
    ("AF23", 22),
    ("AF31", 26),
    ("AF32", 28),
    ("AF33", 30),
    ("AF41", 34),
    ("AF42", 36),
    ("AF43", 38),
    ("CS0", 0),
    ("CS1", 8),
    ("CS2", 16),
    ("CS3", 24),
    ("CS4", 32),
    ("CS5", 40),
    ("CS6", 48),
];

/// A DSCP value (`numorstring.DSCP`): a number 0 to 63 or a class name such as `EF`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dscp {
    /// A number (validation requires 0 to 63).
    Number(u8),
    /// A class name as written (validation requires one of [`DSCP_NAMES`]).
    Name(String),
}

impl Dscp {
    /// The numeric value, if the number is in range or the name is known.
    #[must_use]
    pub fn value(&self) -> Option<u8> {
        match self {
            Dscp::Number(n) if *n <= 63 => Some(*n),
            Dscp::Number(_) => None,
            Dscp::Name(name) => {
                let upper = name.trim().to_ascii_uppercase();
                DSCP_NAMES
                    .iter()
                    .find(|(n, _)| *n == upper)
                    .map(|(_, v)| *v)
            }
        }
    }
}

impl fmt::Display for Dscp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dscp::Number(n) => write!(f, "{n}"),
            Dscp::Name(s) => f.write_str(s),
        }
    }
}

impl Serialize for Dscp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Dscp::Number(n) => s.serialize_u8(*n),
            Dscp::Name(n) => s.serialize_str(n),
        }
    }
}

impl<'de> Deserialize<'de> for Dscp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DscpVisitor;
        impl Visitor<'_> for DscpVisitor {
            type Value = Dscp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a DSCP value (0 to 63) or class name (EF, AF11, CS1, ...)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dscp, E> {
                u8::try_from(v)
                    .map(Dscp::Number)
                    .map_err(|_| E::custom(format!("DSCP value {v} is above 63")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dscp, E> {
                Err(E::custom(format!("DSCP value {v} is negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dscp, E> {
                // Like Calico's Uint8OrString, a quoted number is a number.
                Ok(v.parse::<u8>()
                    .map_or_else(|_| Dscp::Name(v.to_string()), Dscp::Number))
            }
        }
        d.deserialize_any(DscpVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Secret references
// ---------------------------------------------------------------------------------------------

/// `BGPPassword`: where to find a BGP session password.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BgpPassword {
    /// A key of a secret in calico-node's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key_ref: Option<SecretKeySelector>,
}

/// Kubernetes `SecretKeySelector`: one key of a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeySelector {
    /// The secret's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The key within the secret.
    #[serde(default)]
    pub key: String,
    /// Whether the secret or key may be missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
}

/// Checks a BGP password reference: the secret key must be named.
pub(crate) fn check_bgp_password(pw: &BgpPassword, path: &FieldPath, report: &mut Report) {
    if let Some(sel) = &pw.secret_key_ref {
        let path = path.key("secretKeyRef");
        if sel.key.is_empty() {
            report.error(path.key("key"), "the secret key must be given");
        }
        if !sel.name.is_empty() && !is_dns1123_subdomain(&sel.name) {
            report.error(
                path.key("name"),
                format!("`{}` is not a valid secret name", sel.name),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax checks
// ---------------------------------------------------------------------------------------------

/// `skip_serializing_if` for numbers Go omits when zero.
pub(crate) fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Calico's `interface` rule: `*`, or 1 to 15 of `[a-zA-Z0-9_.-]`.
#[must_use]
pub fn is_interface_name(s: &str) -> bool {
    s == "*"
        || (!s.is_empty()
            && s.len() <= 15
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
}

/// Calico's container ID rule: `[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?`.
#[must_use]
pub fn is_container_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Whether `s` is a hardware address Go's `net.ParseMAC` accepts: 6, 8 or 20 octets written as
/// `aa:bb:..`, `aa-bb-..` or `aabb.ccdd.eeff`.
#[must_use]
pub fn is_mac(s: &str) -> bool {
    let hex =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_hexdigit());
    for sep in [':', '-'] {
        if s.contains(sep) {
            let parts: Vec<&str> = s.split(sep).collect();
            return matches!(parts.len(), 6 | 8 | 20) && parts.iter().all(|p| hex(p, 2));
        }
    }
    let parts: Vec<&str> = s.split('.').collect();
    matches!(parts.len(), 3 | 4 | 10) && parts.iter().all(|p| hex(p, 4))
}

/// Whether `s` parses as a Go `time.Duration` (`300ms`, `1h30m`, `-1.5h`, `0`).
#[must_use]
pub fn is_go_duration(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body == "0" {
        return true;
    }
    if body.is_empty() {
        return false;
    }
    let mut rest = body;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let mut i = int_len;
        let mut frac_len = 0;
        if rest.as_bytes().get(i) == Some(&b'.') {
            i += 1;
            frac_len = rest[i..].bytes().take_while(u8::is_ascii_digit).count();
            i += frac_len;
        }
        if int_len == 0 && frac_len == 0 {
            return false;
        }
        rest = &rest[i..];
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .into_iter()
            .find(|u| rest.starts_with(u) && !(*u == "m" && rest.starts_with("ms")));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// Reports a duration field that Go could not parse.
pub(crate) fn check_duration(value: Option<&str>, path: &FieldPath, report: &mut Report) {
    if let Some(v) = value
        && !is_go_duration(v)
    {
        report.error(
            path.clone(),
            format!("`{v}` is not a duration (use a number with a unit, such as `90s` or `5m`)"),
        );
    }
}

/// Reports a non-empty selector that does not parse.
pub(crate) fn check_selector(text: &str, path: &FieldPath, report: &mut Report) {
    if text.is_empty() {
        return;
    }
    if let Err(e) = tortie_selector::Selector::parse(text) {
        report.error(path.clone(), format!("invalid selector `{text}`: {e}"));
    }
}

/// Reports a non-empty name that is not a DNS-1123 subdomain (Calico's `name` rule).
pub(crate) fn check_name(text: &str, what: &str, path: &FieldPath, report: &mut Report) {
    if !text.is_empty() && !is_dns1123_subdomain(text) {
        report.error(
            path.clone(),
            format!(
                "{what} `{text}` is invalid: it must be lower-case letters, digits, `-` and `.`, \
                 starting and ending with a letter or digit"
            ),
        );
    }
}

/// Reports a value that is not one of `allowed`; empty values are left to defaulting.
pub(crate) fn check_one_of(text: &str, allowed: &[&str], path: &FieldPath, report: &mut Report) {
    if !text.is_empty() && !allowed.contains(&text) {
        let list = allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        report.error(path.clone(), format!("`{text}` is not one of {list}"));
    }
}

/// The IP version of an address (4 or 6).
pub(crate) fn ip_version(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 4 } else { 6 }
}

/// Reports a non-empty address that is not an IP of the given version (`None`: either).
pub(crate) fn check_ip(text: &str, version: Option<u8>, path: &FieldPath, report: &mut Report) {
    if text.is_empty() {
        return;
    }
    match (parse_ip(text), version) {
        (None, _) => report.error(path.clone(), format!("`{text}` is not an IP address")),
        (Some(ip), Some(v)) if ip_version(ip) != v => {
            report.error(path.clone(), format!("`{text}` is not an IPv{v} address"));
        }
        _ => {}
    }
}

/// Reports a non-empty value that is not a CIDR or address (Calico's `cidr`: host bits may be
/// set) of the given version.
pub(crate) fn check_cidr(text: &str, version: Option<u8>, path: &FieldPath, report: &mut Report) {
    if text.is_empty() {
        return;
    }
    match (parse_cidr(text), version) {
        (None, _) => report.error(
            path.clone(),
            format!("`{text}` is not a CIDR or IP address"),
        ),
        (Some((net, _)), Some(v)) if ip_version(net.addr()) != v => {
            report.error(path.clone(), format!("`{text}` is not an IPv{v} CIDR"));
        }
        _ => {}
    }
}

/// Reports a non-empty value that is not a network (Calico's `net`: a CIDR with no host bits
/// set, or an address) of the given version.
pub(crate) fn check_net(text: &str, version: Option<u8>, path: &FieldPath, report: &mut Report) {
    if text.is_empty() {
        return;
    }
    match parse_cidr(text) {
        None => report.error(
            path.clone(),
            format!("`{text}` is not a CIDR or IP address"),
        ),
        Some((net, _)) if version.is_some_and(|v| ip_version(net.addr()) != v) => {
            let v = version.unwrap_or_default();
            report.error(path.clone(), format!("`{text}` is not an IPv{v} CIDR"));
        }
        Some((net, false)) => report.error(
            path.clone(),
            format!(
                "`{text}` has host bits set; the network is `{}`",
                net.trunc()
            ),
        ),
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_numbers() {
        assert_eq!(parse_as_number("64512"), Some(64512));
        assert_eq!(parse_as_number("4294967295"), Some(u32::MAX));
        assert_eq!(parse_as_number("4294967296"), None);
        assert_eq!(parse_as_number("1.10"), Some(65546));
        assert_eq!(parse_as_number("65535.65535"), Some(u32::MAX));
        assert_eq!(parse_as_number("65536.1"), None);
        assert_eq!(parse_as_number("1.2.3"), None);
        assert_eq!(parse_as_number(""), None);
        assert_eq!(parse_as_number("-1"), None);
    }

    #[test]
    fn macs() {
        assert!(is_mac("ca:fe:1d:52:bb:e9"));
        assert!(is_mac("CA-FE-1D-52-BB-E9"));
        assert!(is_mac("cafe.1d52.bbe9"));
        assert!(is_mac("00:00:00:00:fe:80:00:00"));
        assert!(!is_mac("ca:fe:1d:52:bb"));
        assert!(!is_mac("ca:fe:1d:52:bb:e9:"));
        assert!(!is_mac("ca:fe-1d:52:bb:e9"));
        assert!(!is_mac("cafe1d52bbe9"));
        assert!(!is_mac(""));
    }

    #[test]
    fn durations() {
        for ok in [
            "0", "5m", "5m0s", "1h30m", "300ms", "1.5h", ".5s", "-2s", "10µs", "3ns",
        ] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in ["", "5", "m", "1x", "1.s.", "5 m", "1h-2m", "+"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
    }

    #[test]
    fn interfaces_and_container_ids() {
        assert!(is_interface_name("cali0ef24ba"));
        assert!(is_interface_name("*"));
        assert!(is_interface_name("eth0.100"));
        assert!(!is_interface_name("cali0123456789abc"));
        assert!(!is_interface_name(""));
        assert!(!is_interface_name("eth 0"));
        assert!(is_container_id("1337495556942031415926535"));
        assert!(is_container_id("abc-DEF"));
        assert!(!is_container_id("-abc"));
        assert!(!is_container_id("abc_def"));
    }

    #[test]
    fn dscp_values() {
        assert_eq!(Dscp::Name("ef".into()).value(), Some(46));
        assert_eq!(Dscp::Name(" AF11 ".into()).value(), Some(10));
        assert_eq!(Dscp::Name("XX".into()).value(), None);
        assert_eq!(Dscp::Number(63).value(), Some(63));
        assert_eq!(Dscp::Number(64).value(), None);
    }
}
