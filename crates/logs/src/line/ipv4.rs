//! IPv4 fields. An ICMP error carries the start of the packet it is about, which the
//! kernel prints in brackets, one level deep.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::transport::{incomplete, tcp, udp};
use super::{be16, be32};

const IP_HEADER: usize = 20;
const ICMP_HEADER: usize = 8;

const IP_CE: u16 = 0x8000;
const IP_DF: u16 = 0x4000;
const IP_MF: u16 = 0x2000;
const IP_OFFSET: u16 = 0x1fff;
const TOS_MASK: u8 = 0x1e;
const PREC_MASK: u8 = 0xe0;

/// The bytes an ICMP message of each type needs before the kernel decodes it (types 0 to
/// 18; 0 = no minimum): echo 4, errors 8 + an IP header, timestamp 20, address mask 12.
const ICMP_REQUIRED: [usize; 19] = [
    4, 0, 0, 28, 28, 28, 0, 0, 4, 0, 0, 28, 28, 20, 20, 0, 0, 12, 12,
];

fn addr(b: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3])
}

/// The fields of the IPv4 packet at `off` of `pkt` (0 for the packet itself, else the
/// packet quoted by an ICMP error, which neither recurses nor shows the mark).
pub(super) fn dump(out: &mut String, pkt: &[u8], off: usize, mark: u32) {
    let Some(ih) = pkt.get(off..off + IP_HEADER) else {
        out.push_str("TRUNCATED");
        return;
    };
    let frag = be16(ih, 6);
    let _ = write!(out, "SRC={} DST={} ", addr(ih, 12), addr(ih, 16));
    let _ = write!(
        out,
        "LEN={} TOS=0x{:02X} PREC=0x{:02X} TTL={} ID={} ",
        be16(ih, 2),
        ih[1] & TOS_MASK,
        ih[1] & PREC_MASK,
        ih[8],
        be16(ih, 4)
    );
    for (bit, name) in [(IP_CE, "CE "), (IP_DF, "DF "), (IP_MF, "MF ")] {
        if frag & bit != 0 {
            out.push_str(name);
        }
    }
    let offset = frag & IP_OFFSET;
    if offset != 0 {
        let _ = write!(out, "FRAG:{offset} ");
    }
    let fragment = offset != 0;
    let th = off + usize::from(ih[0] & 0x0f) * 4;
    match ih[9] {
        6 => {
            if tcp(out, pkt, th, fragment) {
                return;
            }
        }
        17 | 136 => {
            if udp(out, pkt, th, fragment, ih[9] == 136) {
                return;
            }
        }
        1 => icmp(out, pkt, off, th, fragment, mark),
        51 => {
            // The kernel leaves a non-first AH fragment out entirely.
            if !fragment {
                out.push_str("PROTO=AH ");
                spi(out, pkt, th, 4);
            }
        }
        50 => {
            out.push_str("PROTO=ESP ");
            if !fragment {
                spi(out, pkt, th, 0);
            }
        }
        p => {
            let _ = write!(out, "PROTO={p} ");
        }
    }
    if off == 0 && mark != 0 {
        let _ = write!(out, "MARK=0x{mark:x} ");
    }
}

/// `SPI=0x..` of an AH (at +4 of a 12-byte header) or ESP (at +0 of 8) header.
fn spi(out: &mut String, pkt: &[u8], at: usize, spi_at: usize) {
    let need = if spi_at == 0 { 8 } else { 12 };
    match pkt.get(at..at + need) {
        Some(h) => {
            let _ = write!(out, "SPI=0x{:x} ", be32(h, spi_at));
        }
        None => incomplete(out, pkt, at),
    }
}

fn icmp(out: &mut String, pkt: &[u8], off: usize, at: usize, fragment: bool, mark: u32) {
    out.push_str("PROTO=ICMP ");
    if fragment {
        return;
    }
    let Some(h) = pkt.get(at..at + ICMP_HEADER) else {
        incomplete(out, pkt, at);
        return;
    };
    let (kind, code) = (h[0], h[1]);
    let _ = write!(out, "TYPE={kind} CODE={code} ");
    let required = ICMP_REQUIRED.get(usize::from(kind)).copied().unwrap_or(0);
    if pkt.len().saturating_sub(at) < required {
        incomplete(out, pkt, at);
        return;
    }
    match kind {
        0 | 8 => {
            let _ = write!(out, "ID={} SEQ={} ", be16(h, 4), be16(h, 6));
        }
        12 => {
            let _ = write!(out, "PARAMETER={} ", h[4]);
        }
        3 | 4 | 5 | 11 => {
            if kind == 5 {
                let _ = write!(out, "GATEWAY={} ", addr(h, 4));
            }
            if off == 0 {
                out.push('[');
                dump(out, pkt, at + ICMP_HEADER, mark);
                out.push_str("] ");
            }
            // Destination unreachable, fragmentation needed: the next hop's MTU.
            if kind == 3 && code == 4 {
                let _ = write!(out, "MTU={} ", be16(h, 6));
            }
        }
        _ => {}
    }
}
