//! The line the kernel's LOG target would have printed for a packet, field for field and in
//! its order (`nf_log_syslog`, default flags: no TCP sequence, TCP/IP options or UID):
//!
//! ```text
//! <prefix>IN=<in> OUT=<out> [PHYSIN=.. PHYSOUT=..] [MAC=<link header>] SRC= DST= LEN= TOS=
//! PREC= TTL= ID= [CE] [DF] [MF] [FRAG:n] PROTO=.. <transport fields> [MARK=0x..]
//! ```
//!
//! IPv6 has `LEN= TC= HOPLIMIT= FLOWLBL=` instead of the IPv4 header fields and prints
//! addresses uncompressed, as the kernel's `%pI6` does. The kernel ends every field with a
//! space; the trailing one is dropped here.

mod fields;
mod ipv4;
mod ipv6;
mod transport;

use std::fmt::Write as _;

pub use fields::LineFields;

use crate::nflog::{NFPROTO_IPV4, NFPROTO_IPV6, Packet};

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;

/// The LOG-style line for `packet`; `names` turns an interface index into its name (in the
/// network namespace the packet was logged in). An index without a name prints as `#<index>`.
#[must_use]
pub fn format_line(packet: &Packet<'_>, names: &dyn Fn(u32) -> Option<String>) -> String {
    let name = |index: Option<u32>| {
        index.map_or_else(String::new, |i| names(i).unwrap_or_else(|| format!("#{i}")))
    };
    let mut out = String::with_capacity(256);
    out.push_str(packet.prefix);
    let _ = write!(
        out,
        "IN={} OUT={} ",
        name(packet.indev),
        name(packet.outdev)
    );
    // Bridged traffic names the bridge port when it differs from the device.
    if packet.physindev.is_some() && packet.physindev != packet.indev {
        let _ = write!(out, "PHYSIN={} ", name(packet.physindev));
    }
    if packet.physoutdev.is_some() && packet.physoutdev != packet.outdev {
        let _ = write!(out, "PHYSOUT={} ", name(packet.physoutdev));
    }
    // Only packets that came in on a device have a link-layer header to show.
    if packet.indev.is_some() {
        out.push_str("MAC=");
        let hex: Vec<String> = packet
            .hw_header
            .unwrap_or_default()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        out.push_str(&hex.join(":"));
        out.push(' ');
    }
    let mark = packet.mark.unwrap_or(0);
    match network(packet) {
        Some(Network::V4) => ipv4::dump(&mut out, packet.payload, 0, mark),
        Some(Network::V6) => ipv6::dump(&mut out, packet.payload, 0, true, mark),
        None => {}
    }
    let end = out.trim_end().len();
    out.truncate(end);
    out
}

enum Network {
    V4,
    V6,
}

/// The network protocol: the family the rule saw, else (bridge, netdev) the EtherType.
fn network(packet: &Packet<'_>) -> Option<Network> {
    match (packet.family, packet.hw_protocol) {
        (NFPROTO_IPV4, _) | (_, ETH_P_IP) => Some(Network::V4),
        (NFPROTO_IPV6, _) | (_, ETH_P_IPV6) => Some(Network::V6),
        _ => None,
    }
}

/// Big-endian u16 at `at` (the caller checked the length).
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Big-endian u32 at `at` (the caller checked the length).
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests;
