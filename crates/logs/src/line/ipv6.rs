//! IPv6 fields: the fixed header, the extension headers the kernel walks (fragment headers
//! show as `FRAG:<offset> [INCOMPLETE] ID:<id>`), then the transport header.

use std::fmt::Write as _;

use super::transport::{incomplete, tcp, udp};
use super::{be16, be32};

const IP6_HEADER: usize = 40;
const ICMP6_HEADER: usize = 8;

const HOPOPTS: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const ESP: u8 = 50;
const AH: u8 = 51;
const DSTOPTS: u8 = 60;

/// The address as the kernel's `%pI6` prints it: eight groups of four hex digits.
fn addr(b: &[u8], at: usize) -> String {
    (0..8)
        .map(|i| format!("{:04x}", be16(b, at + 2 * i)))
        .collect::<Vec<_>>()
        .join(":")
}

/// The fields of the IPv6 packet at `off`; `top` is false for the packet an ICMPv6 error
/// quotes, which neither recurses nor shows the mark.
pub(super) fn dump(out: &mut String, pkt: &[u8], off: usize, top: bool, mark: u32) {
    let Some(ih) = pkt.get(off..off + IP6_HEADER) else {
        out.push_str("TRUNCATED");
        return;
    };
    let first = be32(ih, 0);
    let _ = write!(out, "SRC={} DST={} ", addr(ih, 8), addr(ih, 24));
    let _ = write!(
        out,
        "LEN={} TC={} HOPLIMIT={} FLOWLBL={} ",
        usize::from(be16(ih, 4)) + IP6_HEADER,
        (first & 0x0ff0_0000) >> 20,
        ih[7],
        first & 0x000f_ffff
    );
    let mut fragment = false;
    let mut at = off + IP6_HEADER;
    let mut next = ih[6];
    while matches!(next, HOPOPTS | ROUTING | FRAGMENT | ESP | AH | DSTOPTS) {
        let Some(hp) = pkt.get(at..at + 2) else {
            out.push_str("TRUNCATED");
            return;
        };
        let len = match next {
            FRAGMENT => {
                out.push_str("FRAG:");
                let Some(fh) = pkt.get(at..at + 8) else {
                    out.push_str("TRUNCATED ");
                    return;
                };
                let frag = be16(fh, 2);
                let _ = write!(out, "{} ", frag & 0xfff8);
                if frag & 1 != 0 {
                    out.push_str("INCOMPLETE ");
                }
                let _ = write!(out, "ID:{:08x} ", be32(fh, 4));
                fragment |= frag & 0xfff8 != 0;
                8
            }
            AH => (usize::from(hp[1]) + 2) * 4,
            // ESP hides what follows; options after a non-first fragment are not there.
            ESP => return,
            _ if fragment => return,
            _ => (usize::from(hp[1]) + 1) * 8,
        };
        next = hp[0];
        at += len;
    }
    match next {
        6 => {
            if tcp(out, pkt, at, fragment) {
                return;
            }
        }
        17 | 136 => {
            if udp(out, pkt, at, fragment, next == 136) {
                return;
            }
        }
        58 => {
            if icmp6(out, pkt, at, fragment, top, mark) {
                return;
            }
        }
        // Also "no next header" (59).
        p => {
            let _ = write!(out, "PROTO={p} ");
        }
    }
    if top && mark != 0 {
        let _ = write!(out, "MARK=0x{mark:x} ");
    }
}

fn icmp6(out: &mut String, pkt: &[u8], at: usize, fragment: bool, top: bool, mark: u32) -> bool {
    out.push_str("PROTO=ICMPv6 ");
    if fragment {
        return false;
    }
    let Some(h) = pkt.get(at..at + ICMP6_HEADER) else {
        incomplete(out, pkt, at);
        return true;
    };
    let kind = h[0];
    let _ = write!(out, "TYPE={kind} CODE={} ", h[1]);
    match kind {
        128 | 129 => {
            let _ = write!(out, "ID={} SEQ={} ", be16(h, 4), be16(h, 6));
        }
        1..=4 => {
            if kind == 4 {
                let _ = write!(out, "POINTER={:08x} ", be32(h, 4));
            }
            if top {
                out.push('[');
                dump(out, pkt, at + ICMP6_HEADER, false, mark);
                out.push_str("] ");
            }
            if kind == 2 {
                let _ = write!(out, "MTU={} ", be32(h, 4));
            }
        }
        _ => {}
    }
    false
}
