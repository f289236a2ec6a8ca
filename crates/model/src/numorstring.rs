//! Calico's number-or-string types: ports (`80`, `"8000:8080"`, `"http"`) and protocols (`TCP`,
//! `6`).

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A port match: one port, an inclusive range, or a named port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Port {
    /// A single port number.
    Number(u16),
    /// `min:max`, inclusive.
    Range(u16, u16),
    /// A named port, resolved against endpoint ports.
    Named(String),
}

impl Port {
    /// Parses Calico's string form. A range must have `min <= max` (Calico rejects it while
    /// decoding).
    ///
    /// # Errors
    /// A sentence saying why the text is not a port.
    pub fn parse(text: &str) -> Result<Port, String> {
        let number = |s: &str| -> Result<u16, String> {
            s.parse::<u16>()
                .map_err(|_| format!("port `{s}` is not a number from 0 to 65535"))
        };
        if let Some((a, b)) = text.split_once(':') {
            let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
            if all_digits(a) && all_digits(b) {
                let (min, max) = (number(a)?, number(b)?);
                if min > max {
                    return Err(format!(
                        "port range `{text}` has its minimum above its maximum"
                    ));
                }
                return Ok(Port::Range(min, max));
            }
            return Err(format!(
                "`{text}` is neither a port, a range `min:max` nor a port name"
            ));
        }
        if !text.is_empty() && text.bytes().all(|c| c.is_ascii_digit()) {
            return number(text).map(Port::Number);
        }
        Ok(Port::Named(text.to_string()))
    }

    /// The numeric bounds, or `None` for a named port.
    #[must_use]
    pub fn bounds(&self) -> Option<(u16, u16)> {
        match self {
            Port::Number(p) => Some((*p, *p)),
            Port::Range(a, b) => Some((*a, *b)),
            Port::Named(_) => None,
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Port::Number(p) => write!(f, "{p}"),
            Port::Range(a, b) => write!(f, "{a}:{b}"),
            Port::Named(n) => f.write_str(n),
        }
    }
}

impl Serialize for Port {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Port::Number(p) => s.serialize_u16(*p),
            other => s.serialize_str(&other.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PortVisitor;
        impl Visitor<'_> for PortVisitor {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number, a range \"min:max\" or a port name")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
                u16::try_from(v)
                    .map(Port::Number)
                    .map_err(|_| E::custom(format!("port {v} is above 65535")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
                Err(E::custom(format!("port {v} is negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Port, E> {
                Port::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(PortVisitor)
    }
}

/// An IP protocol: a name Calico knows, or a number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// A protocol number, 0 to 255 (0 is rejected by validation).
    Number(u8),
    /// A protocol name as written (validation accepts `TCP`, `UDP`, `ICMP`, `ICMPv6`, `SCTP`,
    /// `UDPLite`, case-sensitively).
    Name(String),
}

/// The protocol names Calico v3 accepts and their numbers.
pub const PROTOCOL_NAMES: [(&str, u8); 6] = [
    ("TCP", 6),
    ("UDP", 17),
    ("ICMP", 1),
    ("ICMPv6", 58),
    ("SCTP", 132),
    ("UDPLite", 136),
];

impl Protocol {
    /// The protocol number, if the protocol is a number or a known name.
    #[must_use]
    pub fn number(&self) -> Option<u8> {
        match self {
            Protocol::Number(n) => Some(*n),
            Protocol::Name(name) => PROTOCOL_NAMES
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| *v),
        }
    }

    /// Whether the protocol has ports (TCP, UDP, SCTP).
    #[must_use]
    pub fn has_ports(&self) -> bool {
        matches!(self.number(), Some(6 | 17 | 132))
    }

    /// Whether this is ICMP or ICMPv6.
    #[must_use]
    pub fn is_icmp(&self) -> bool {
        matches!(self.number(), Some(1 | 58))
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::Number(n) => write!(f, "{n}"),
            Protocol::Name(s) => f.write_str(s),
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Protocol::Number(n) => s.serialize_u8(*n),
            Protocol::Name(n) => s.serialize_str(n),
        }
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ProtocolVisitor;
        impl Visitor<'_> for ProtocolVisitor {
            type Value = Protocol;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a protocol name (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite) or number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Protocol, E> {
                u8::try_from(v)
                    .map(Protocol::Number)
                    .map_err(|_| E::custom(format!("protocol number {v} is above 255")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Protocol, E> {
                Err(E::custom(format!("protocol number {v} is negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Protocol, E> {
                // A quoted number is a number (Calico's Uint8OrString does the same).
                Ok(v.parse::<u8>()
                    .map_or_else(|_| Protocol::Name(v.to_string()), Protocol::Number))
            }
        }
        d.deserialize_any(ProtocolVisitor)
    }
}
