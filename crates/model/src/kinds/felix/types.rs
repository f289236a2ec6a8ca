//! The structs nested in a `FelixConfigurationSpec`, and the enums its effective-value methods
//! return.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A failsafe port: traffic to (inbound) or from (outbound) a host endpoint that Felix always
/// allows, before any policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProtoPort {
    /// `TCP`, `UDP` or `SCTP` (Felix reads it case-insensitively); absent means TCP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The destination port (required).
    pub port: u16,
    /// Only traffic from (inbound) or to (outbound) this CIDR; absent means any address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<String>,
}

impl ProtoPort {
    /// A port with a protocol and no CIDR.
    #[must_use]
    pub fn new(protocol: &str, port: u16) -> ProtoPort {
        ProtoPort {
            protocol: Some(protocol.to_string()),
            port,
            net: None,
        }
    }

    /// The protocol in Calico's spelling (`TCP`, `UDP`, `SCTP`), TCP when absent or empty, or
    /// `None` when it is none of the three.
    #[must_use]
    pub fn effective_protocol(&self) -> Option<&'static str> {
        match self.protocol.as_deref().map(str::trim) {
            None | Some("") => Some("TCP"),
            Some(p) => ["TCP", "UDP", "SCTP"]
                .into_iter()
                .find(|k| k.eq_ignore_ascii_case(p)),
        }
    }

    /// The IP protocol number of [`Self::effective_protocol`] (6, 17 or 132).
    #[must_use]
    pub fn protocol_number(&self) -> Option<u8> {
        match self.effective_protocol()? {
            "UDP" => Some(17),
            "SCTP" => Some(132),
            _ => Some(6),
        }
    }

    /// The peer network, if one is set (a bare address counts as a host network); `Err` with
    /// the text when it is neither.
    pub fn network(&self) -> Option<Result<ipnet::IpNet, String>> {
        let n = self
            .net
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())?;
        Some(
            n.parse::<ipnet::IpNet>()
                .ok()
                .or_else(|| n.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
                .ok_or_else(|| n.to_string()),
        )
    }
}

/// A replacement liveness/readiness timeout for one Felix subcomponent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthTimeoutOverride {
    /// The subcomponent, as Felix names it in its logs.
    pub name: String,
    /// The timeout, a Go duration such as `30s`.
    pub timeout: String,
}

/// The deprecated single route-table range (`routeTableRange`), indices 1 to 250.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteTableRange {
    /// First index.
    pub min: i64,
    /// Last index (inclusive).
    pub max: i64,
}

/// One entry of `routeTableRanges`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteTableIdRange {
    /// First index.
    pub min: i64,
    /// Last index (inclusive).
    pub max: i64,
}

/// BPF conntrack timers; each a Go duration or `Auto` (take the Linux conntrack value).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BpfConntrackTimeouts {
    /// Grace period before a new connection may be cleaned up. [Default: 10s]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_grace_period: Option<String>,
    /// Idle time after an unanswered SYN. [Default: 20s]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_syn_sent: Option<String>,
    /// Idle time of an established TCP connection. [Default: 1h]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_established: Option<String>,
    /// Time after a graceful TCP close. [Default: Auto]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_fins_seen: Option<String>,
    /// Time after a TCP reset. [Default: 40s]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_reset_seen: Option<String>,
    /// Idle time of a UDP flow. [Default: 60s]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp_timeout: Option<String>,
    /// Idle time of other flows. [Default: 10m]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic_timeout: Option<String>,
    /// Idle time of an ICMP flow. [Default: 5s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "icmpTimeout"
    )]
    pub icmp_timeout: Option<String>,
}

impl BpfConntrackTimeouts {
    /// The timers with their wire names, in declaration order.
    #[must_use]
    pub fn entries(&self) -> [(&'static str, Option<&str>); 8] {
        [
            ("creationGracePeriod", self.creation_grace_period.as_deref()),
            ("tcpSynSent", self.tcp_syn_sent.as_deref()),
            ("tcpEstablished", self.tcp_established.as_deref()),
            ("tcpFinsSeen", self.tcp_fins_seen.as_deref()),
            ("tcpResetSeen", self.tcp_reset_seen.as_deref()),
            ("udpTimeout", self.udp_timeout.as_deref()),
            ("genericTimeout", self.generic_timeout.as_deref()),
            ("icmpTimeout", self.icmp_timeout.as_deref()),
        ]
    }
}

/// A DSCP value: a number (0 to 63 is valid) or a standard name such as `AF11` or `EF`
/// (Calico's `numorstring.DSCP`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dscp {
    /// A numeric code point.
    Number(u8),
    /// A name, as written.
    Name(String),
}

/// The DSCP names Calico accepts (case-insensitively) and their code points.
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

impl Dscp {
    /// The code point, if the value is a number from 0 to 63 or a known name.
    #[must_use]
    pub fn code_point(&self) -> Option<u8> {
        match self {
            Dscp::Number(n) => (*n <= 63).then_some(*n),
            Dscp::Name(name) => DSCP_NAMES
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name.trim()))
                .map(|(_, v)| *v),
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
                f.write_str("a DSCP number (0 to 63) or name (such as AF11 or EF)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dscp, E> {
                u8::try_from(v)
                    .map(Dscp::Number)
                    .map_err(|_| E::custom(format!("DSCP value {v} is above 255")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dscp, E> {
                Err(E::custom(format!("DSCP value {v} is negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dscp, E> {
                // A quoted number is a number, as with Calico's Uint8OrString.
                Ok(v.parse::<u8>()
                    .map_or_else(|_| Dscp::Name(v.to_string()), Dscp::Number))
            }
        }
        d.deserialize_any(DscpVisitor)
    }
}

/// What Felix does with workload-to-host traffic that the workload's egress policy allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EndpointToHostAction {
    /// Drop it (the host is unreachable from workloads unless host endpoint policy says so).
    Drop,
    /// Accept it without further checks.
    Accept,
    /// Return it to the `INPUT` chain, where other rules (and host endpoint policy) see it.
    Return,
}

impl EndpointToHostAction {
    /// Parses Calico's spelling, ignoring case (Felix accepts `DROP`, `Accept`, ...).
    #[must_use]
    pub fn parse(text: &str) -> Option<EndpointToHostAction> {
        [
            EndpointToHostAction::Drop,
            EndpointToHostAction::Accept,
            EndpointToHostAction::Return,
        ]
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Calico's spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointToHostAction::Drop => "Drop",
            EndpointToHostAction::Accept => "Accept",
            EndpointToHostAction::Return => "Return",
        }
    }
}

impl fmt::Display for EndpointToHostAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether Felix programs the nftables dataplane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NftablesMode {
    /// Use nftables.
    Enabled,
    /// Use iptables.
    Disabled,
    /// Use nftables if kube-proxy runs in nftables mode, else iptables.
    Auto,
}

impl NftablesMode {
    /// Parses Calico's spelling (exact, as the CRD enum requires).
    #[must_use]
    pub fn parse(text: &str) -> Option<NftablesMode> {
        [
            NftablesMode::Enabled,
            NftablesMode::Disabled,
            NftablesMode::Auto,
        ]
        .into_iter()
        .find(|m| m.as_str() == text)
    }

    /// Calico's spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            NftablesMode::Enabled => "Enabled",
            NftablesMode::Disabled => "Disabled",
            NftablesMode::Auto => "Auto",
        }
    }
}

impl fmt::Display for NftablesMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
