//! Probes: one real packet exchange from an endpoint's netns, classified into an
//! [`Outcome`] (the mapping is documented there).

use std::fmt;
use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use socket2::{Domain, Protocol, Socket, Type};

use crate::packet::{self, IcmpAnswer};
use crate::receipts::ReceiptStore;
use crate::topology::{PROTO_SCTP, Proto};
use crate::validate::check_raw_proto;

/// One packet exchange to perform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The sending endpoint: a pod, external or node name.
    pub from: String,
    /// Destination address (pod, node, external, service VIP, ...).
    pub to: IpAddr,
    /// What to send.
    pub proto: Proto,
    /// Destination port (TCP, UDP, SCTP); ignored for ICMP and other raw protocols.
    pub port: u16,
    /// Fixed source port (TCP, UDP, SCTP) so port-matching rules can be exercised.
    pub src_port: Option<u16>,
    /// How long to wait for an answer; expected drops take exactly this long.
    pub timeout: Duration,
}

impl Probe {
    /// A probe with no fixed source port and a one second timeout.
    #[must_use]
    pub fn new(from: impl Into<String>, to: IpAddr, proto: Proto, port: u16) -> Self {
        Self {
            from: from.into(),
            to,
            proto,
            port,
            src_port: None,
            timeout: Duration::from_secs(1),
        }
    }

    /// Sets the timeout.
    #[must_use]
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Sets the source port.
    #[must_use]
    pub fn src_port(mut self, p: u16) -> Self {
        self.src_port = Some(p);
        self
    }
}

/// What happened to a probe.
///
/// | observation                                                       | outcome       |
/// |-------------------------------------------------------------------|---------------|
/// | TCP handshake completes; UDP echo comes back; ICMP echo reply; raw packet logged by the receiving server | `Delivered` |
/// | TCP RST, or ICMP port unreachable for UDP (`ECONNREFUSED`)        | `Refused`     |
/// | nothing within the timeout                                        | `Dropped`     |
/// | `EPERM` on send: a netfilter drop in the sender's own OUTPUT hook | `Dropped`     |
/// | no route (`ENETUNREACH`); ICMP host/net/admin-prohibited unreachable (`EHOSTUNREACH`); an ICMP error quoting our echo request | `Unreachable` |
/// | the lab could not run the probe (unknown source, socket failure)  | `Error`       |
///
/// `Unreachable` is kept apart from `Dropped` because something answered "no" (a
/// `reject` rule, a missing route) instead of staying silent. A policy test that only
/// distinguishes allowed from denied can treat both as "not delivered". Raw protocols
/// other than ICMP only ever yield `Delivered` or `Dropped`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The destination's server (or kernel, for ICMP) got it and, where the protocol
    /// has one, answered.
    Delivered,
    /// The destination host answered that nothing listens there (TCP RST or ICMP port
    /// unreachable).
    Refused,
    /// No answer within the timeout.
    Dropped,
    /// A definite negative answer other than "refused": no route, or an ICMP
    /// unreachable/prohibited error. The text says which.
    Unreachable(String),
    /// The probe could not be carried out; the lab is at fault, not the network.
    Error(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Delivered => f.write_str("delivered"),
            Self::Refused => f.write_str("refused"),
            Self::Dropped => f.write_str("dropped"),
            Self::Unreachable(why) => write!(f, "unreachable: {why}"),
            Self::Error(e) => write!(f, "error: {e}"),
        }
    }
}

/// Tokens identify a probe's packets among concurrent ones; never zero because SCTP
/// forbids a zero initiate tag.
fn next_token() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    loop {
        let t = NEXT.fetch_add(1, Ordering::Relaxed);
        if t != 0 {
            return t;
        }
    }
}

/// Performs `p`. Must run on a thread inside the sender's netns.
pub(crate) fn run(p: &Probe, receipts: &ReceiptStore) -> Outcome {
    if p.timeout.is_zero() {
        return Outcome::Error("probe timeout must be positive".into());
    }
    let token = next_token();
    let deadline = Instant::now() + p.timeout;
    let result = match p.proto {
        Proto::Tcp => tcp(p, deadline),
        Proto::Udp => udp(p, token, deadline),
        Proto::Icmp => icmp(p, token, deadline),
        Proto::Raw(n) => match check_raw_proto(n) {
            Ok(()) => raw(p, n, token, deadline, receipts),
            Err(e) => return Outcome::Error(e),
        },
    };
    result.unwrap_or_else(|e| classify(&e))
}

/// Maps the errors a send/receive can end with; see the table on [`Outcome`].
fn classify(e: &io::Error) -> Outcome {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => return Outcome::Refused,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => return Outcome::Dropped,
        _ => {}
    }
    match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::EPERM) => Outcome::Dropped,
        Some(Errno::EHOSTUNREACH | Errno::ENETUNREACH) => Outcome::Unreachable(e.to_string()),
        _ => Outcome::Error(e.to_string()),
    }
}

fn domain(to: IpAddr) -> Domain {
    if to.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    }
}

fn left(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

fn bind_src(s: &Socket, to: IpAddr, src_port: Option<u16>) -> io::Result<()> {
    if let Some(port) = src_port {
        let any: IpAddr = if to.is_ipv4() {
            std::net::Ipv4Addr::UNSPECIFIED.into()
        } else {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        };
        // Back-to-back probes from the same port would otherwise trip over TIME_WAIT.
        s.set_reuse_address(true)?;
        s.bind(&SocketAddr::new(any, port).into())?;
    }
    Ok(())
}

fn tcp(p: &Probe, deadline: Instant) -> io::Result<Outcome> {
    let s = Socket::new(domain(p.to), Type::STREAM, Some(Protocol::TCP))?;
    bind_src(&s, p.to, p.src_port)?;
    s.connect_timeout(&SocketAddr::new(p.to, p.port).into(), p.timeout)?;
    // Connected is delivered. Reading the greeting only makes a trace show the full
    // exchange; whether it arrives in time does not change the outcome.
    if let Some(t) = left(deadline) {
        let mut stream: std::net::TcpStream = s.into();
        let _ = stream.set_read_timeout(Some(t));
        let _ = stream.read(&mut [0u8; 128]);
    }
    Ok(Outcome::Delivered)
}

fn udp(p: &Probe, token: u32, deadline: Instant) -> io::Result<Outcome> {
    let s = Socket::new(domain(p.to), Type::DGRAM, Some(Protocol::UDP))?;
    bind_src(&s, p.to, p.src_port)?;
    let s: UdpSocket = s.into();
    // Connected, so an ICMP port unreachable surfaces as ECONNREFUSED on recv.
    s.connect(SocketAddr::new(p.to, p.port))?;
    let payload = packet::tagged_payload(token);
    s.send(&payload)?;
    let mut buf = [0u8; 256];
    while let Some(t) = left(deadline) {
        s.set_read_timeout(Some(t))?;
        let n = s.recv(&mut buf)?;
        if buf[..n] == payload[..] {
            return Ok(Outcome::Delivered);
        }
    }
    Ok(Outcome::Dropped)
}

fn icmp(p: &Probe, token: u32, deadline: Instant) -> io::Result<Outcome> {
    let v6 = p.to.is_ipv6();
    let proto = if v6 {
        Protocol::ICMPV6
    } else {
        Protocol::ICMPV4
    };
    let s: UdpSocket = Socket::new(domain(p.to), Type::RAW, Some(proto))?.into();
    s.send_to(&packet::echo_request(v6, token), SocketAddr::new(p.to, 0))?;
    // A raw ICMP socket sees every ICMP message in the netns; keep reading until ours.
    let mut buf = vec![0u8; 2048];
    while let Some(t) = left(deadline) {
        s.set_read_timeout(Some(t))?;
        let (n, _) = s.recv_from(&mut buf)?;
        let msg = if v6 {
            Some(&buf[..n])
        } else {
            packet::skip_ipv4_header(&buf[..n])
        };
        match msg.and_then(|m| packet::parse_icmp(v6, m, token)) {
            Some(IcmpAnswer::Reply) => return Ok(Outcome::Delivered),
            Some(IcmpAnswer::Unreachable(why)) => return Ok(Outcome::Unreachable(why)),
            None => {}
        }
    }
    Ok(Outcome::Dropped)
}

fn raw(
    p: &Probe,
    proto: u8,
    token: u32,
    deadline: Instant,
    receipts: &ReceiptStore,
) -> io::Result<Outcome> {
    let s: UdpSocket = Socket::new(
        domain(p.to),
        Type::RAW,
        Some(Protocol::from(i32::from(proto))),
    )?
    .into();
    let payload = if proto == PROTO_SCTP {
        // An ephemeral-looking source port unless the caller fixed one.
        let src = p
            .src_port
            .unwrap_or_else(|| 32_768 + u16::try_from(token % 28_000).unwrap_or(0));
        packet::sctp_init(src, p.port, token)
    } else {
        packet::tagged_payload(token)
    };
    s.send_to(&payload, SocketAddr::new(p.to, 0))?;
    Ok(match receipts.wait_for(token, deadline) {
        Some(_) => Outcome::Delivered,
        None => Outcome::Dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let e = |n: i32| io::Error::from_raw_os_error(n);
        assert_eq!(classify(&e(Errno::ECONNREFUSED as i32)), Outcome::Refused);
        assert_eq!(classify(&e(Errno::ETIMEDOUT as i32)), Outcome::Dropped);
        assert_eq!(classify(&e(Errno::EPERM as i32)), Outcome::Dropped);
        assert!(matches!(
            classify(&e(Errno::ENETUNREACH as i32)),
            Outcome::Unreachable(_)
        ));
        assert!(matches!(
            classify(&e(Errno::EBADF as i32)),
            Outcome::Error(_)
        ));
    }

    #[test]
    fn tokens_are_distinct_and_non_zero() {
        let a = next_token();
        let b = next_token();
        assert_ne!(a, b);
        assert_ne!(a, 0);
    }
}
