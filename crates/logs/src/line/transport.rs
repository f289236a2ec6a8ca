//! TCP and UDP fields, shared by both IP versions. Each returns `true` when the kernel would
//! stop the line there (a header cut short), which also leaves out `MARK=`.

use std::fmt::Write as _;

use super::be16;

const TCP_HEADER: usize = 20;
const UDP_HEADER: usize = 8;

/// `INCOMPLETE [n bytes] `: what is left of the packet from `at`.
pub(super) fn incomplete(out: &mut String, pkt: &[u8], at: usize) {
    let _ = write!(out, "INCOMPLETE [{} bytes] ", pkt.len().saturating_sub(at));
}

/// `PROTO=TCP SPT= DPT= WINDOW= RES= <flags> URGP=`; a non-first fragment has no header.
pub(super) fn tcp(out: &mut String, pkt: &[u8], at: usize, fragment: bool) -> bool {
    out.push_str("PROTO=TCP ");
    if fragment {
        return false;
    }
    let Some(h) = pkt.get(at..at + TCP_HEADER) else {
        incomplete(out, pkt, at);
        return true;
    };
    let _ = write!(
        out,
        "SPT={} DPT={} WINDOW={} ",
        be16(h, 0),
        be16(h, 2),
        be16(h, 14)
    );
    // The four reserved bits after the data offset, shifted as the kernel prints them.
    let _ = write!(out, "RES=0x{:02x} ", (h[12] & 0x0f) << 2);
    const FLAGS: [(u8, &str); 8] = [
        (0x80, "CWR "),
        (0x40, "ECE "),
        (0x20, "URG "),
        (0x10, "ACK "),
        (0x08, "PSH "),
        (0x04, "RST "),
        (0x02, "SYN "),
        (0x01, "FIN "),
    ];
    for (bit, name) in FLAGS {
        if h[13] & bit != 0 {
            out.push_str(name);
        }
    }
    let _ = write!(out, "URGP={} ", be16(h, 18));
    false
}

/// `PROTO=UDP SPT= DPT= LEN=` (or `UDPLITE`).
pub(super) fn udp(out: &mut String, pkt: &[u8], at: usize, fragment: bool, lite: bool) -> bool {
    out.push_str(if lite { "PROTO=UDPLITE " } else { "PROTO=UDP " });
    if fragment {
        return false;
    }
    let Some(h) = pkt.get(at..at + UDP_HEADER) else {
        incomplete(out, pkt, at);
        return true;
    };
    let _ = write!(
        out,
        "SPT={} DPT={} LEN={} ",
        be16(h, 0),
        be16(h, 2),
        be16(h, 4)
    );
    false
}
