//! What a flow is: two peers, a protocol, ports or ICMP type, and the packet as seen at one
//! point of its path.

use std::fmt;
use std::net::IpAddr;

use tortie_calc::EntityId;

/// One end of a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// An endpoint: a workload (pod, workload endpoint, controller template) or host endpoint.
    Entity(EntityId),
    /// A node itself (its host network namespace).
    Node(String),
    /// An address (resolved to the endpoint or node that owns it, else external).
    Ip(IpAddr),
}

/// A flow to decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// Source.
    pub src: Peer,
    /// Destination.
    pub dst: Peer,
    /// IP protocol number (6 TCP, 17 UDP, 132 SCTP, 1 ICMP, 58 ICMPv6, ...).
    pub protocol: u8,
    /// Source port (ephemeral if not given).
    pub src_port: Option<u16>,
    /// Destination port.
    pub dst_port: Option<u16>,
    /// ICMP type and code.
    pub icmp: Option<(u8, Option<u8>)>,
    /// For a Service with several backends: which one (default: the first by name).
    pub backend: Option<EntityId>,
}

/// The ephemeral source port used when none is given (it matters only to rules on source
/// ports and to failsafe replies).
pub const DEFAULT_SRC_PORT: u16 = 40000;

impl Flow {
    /// A TCP flow to a port.
    #[must_use]
    pub fn tcp(src: Peer, dst: Peer, port: u16) -> Flow {
        Flow {
            src,
            dst,
            protocol: 6,
            src_port: None,
            dst_port: Some(port),
            icmp: None,
            backend: None,
        }
    }
}

/// Whether a protocol has ports.
#[must_use]
pub fn has_ports(protocol: u8) -> bool {
    matches!(protocol, 6 | 17 | 132 | 136)
}

/// A protocol's name for people.
#[must_use]
pub fn protocol_name(p: u8) -> String {
    match p {
        1 => "ICMP".into(),
        6 => "TCP".into(),
        17 => "UDP".into(),
        58 => "ICMPv6".into(),
        132 => "SCTP".into(),
        136 => "UDPLite".into(),
        n => n.to_string(),
    }
}

/// The packet at one checkpoint: addresses may be absent for endpoints known only from a
/// template (a Deployment's pods have no address before they run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Source address.
    pub src_ip: Option<IpAddr>,
    /// Destination address.
    pub dst_ip: Option<IpAddr>,
    /// The source endpoint, when known (used for address-less endpoints).
    pub src_entity: Option<EntityId>,
    /// The destination endpoint, when known.
    pub dst_entity: Option<EntityId>,
    /// Protocol number.
    pub protocol: u8,
    /// Source port.
    pub src_port: Option<u16>,
    /// Destination port.
    pub dst_port: Option<u16>,
    /// ICMP type and code.
    pub icmp: Option<(u8, Option<u8>)>,
}

impl Packet {
    /// 4 or 6, from the addresses (4 when neither is known).
    #[must_use]
    pub fn ip_version(&self) -> u8 {
        match self.src_ip.or(self.dst_ip) {
            Some(IpAddr::V6(_)) => 6,
            _ => 4,
        }
    }

    /// The reply: addresses, endpoints and ports swapped.
    #[must_use]
    pub fn reply(&self) -> Packet {
        Packet {
            src_ip: self.dst_ip,
            dst_ip: self.src_ip,
            src_entity: self.dst_entity.clone(),
            dst_entity: self.src_entity.clone(),
            protocol: self.protocol,
            src_port: self.dst_port,
            dst_port: self.src_port,
            icmp: self.icmp.map(|(t, c)| (reply_icmp_type(t), c)),
        }
    }
}

/// Echo request (8 / 128) is answered by echo reply (0 / 129).
fn reply_icmp_type(t: u8) -> u8 {
    match t {
        8 => 0,
        128 => 129,
        other => other,
    }
}

fn addr(ip: Option<IpAddr>, port: Option<u16>, protocol: u8) -> String {
    let ip = ip.map_or_else(|| "(no address)".to_string(), |i| i.to_string());
    match port.filter(|_| has_ports(protocol)) {
        Some(p) if ip.contains(':') => format!("[{ip}]:{p}"),
        Some(p) => format!("{ip}:{p}"),
        None => ip,
    }
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} -> {}",
            protocol_name(self.protocol),
            addr(self.src_ip, self.src_port, self.protocol),
            addr(self.dst_ip, self.dst_port, self.protocol)
        )?;
        if let Some((t, c)) = self.icmp {
            write!(f, " type {t}")?;
            if let Some(c) = c {
                write!(f, " code {c}")?;
            }
        }
        Ok(())
    }
}
