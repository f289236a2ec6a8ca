//! Byte layouts of the probe packets: ICMP/ICMPv6 echo, SCTP INIT and the tagged payload
//! used for other raw protocols, plus the two checksums they need. Every packet carries a
//! 32-bit token so concurrent probes can tell their own answers apart.

/// Marks lab payloads so stray packets of the same protocol are never counted.
pub(crate) const MAGIC: &[u8; 4] = b"TLAB";

/// The Internet checksum (RFC 1071): ones' complement of the ones' complement sum of
/// 16-bit words, an odd trailing byte padded with zero.
pub(crate) fn inet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(u16::MAX)
}

/// CRC-32C (Castagnoli), the SCTP checksum (RFC 9260 appendix A): reflected polynomial
/// 0x82F63B78, initial value and final XOR all ones. Bitwise rather than table driven:
/// probes checksum a few dozen bytes, so clarity wins.
pub(crate) fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0x82F6_3B78 & mask);
        }
    }
    !crc
}

fn id_seq(token: u32) -> [u8; 4] {
    token.to_be_bytes()
}

/// An echo request whose identifier and sequence number are the token, repeated in the
/// payload after [`MAGIC`]. For IPv6 the checksum is left zero: Linux always computes it
/// for raw ICMPv6 sockets (RFC 3542 section 3.1), because it covers the pseudo-header.
pub(crate) fn echo_request(v6: bool, token: u32) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&id_seq(token));
    p.extend_from_slice(MAGIC);
    p.extend_from_slice(&token.to_be_bytes());
    if !v6 {
        let c = inet_checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// What an incoming ICMP message says about our echo request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IcmpAnswer {
    Reply,
    /// An error generated for our request, described for the probe outcome.
    Unreachable(String),
}

/// Matches one ICMP(v6) message (starting at the ICMP header) against our `token`.
pub(crate) fn parse_icmp(v6: bool, msg: &[u8], token: u32) -> Option<IcmpAnswer> {
    let (ty, code) = (*msg.first()?, *msg.get(1)?);
    let (reply, request) = if v6 { (129, 128) } else { (0, 8) };
    if ty == reply {
        let ours = msg.get(4..8)? == id_seq(token)
            && msg.get(8..12)? == MAGIC
            && msg.get(12..16)? == token.to_be_bytes();
        return ours.then_some(IcmpAnswer::Reply);
    }
    let why = describe_error(v6, ty, code)?;
    // Errors quote the offending packet: its IP header, then at least 8 bytes of ours.
    let quoted = msg.get(8..)?;
    let inner = if v6 {
        // Lab probes carry no extension headers, so ICMPv6 follows the fixed header.
        (*quoted.get(6)? == 58).then(|| quoted.get(40..))??
    } else {
        let ihl = usize::from(quoted.first()? & 0x0f) * 4;
        (*quoted.get(9)? == 1).then(|| quoted.get(ihl..))??
    };
    (*inner.first()? == request && inner.get(4..8)? == id_seq(token))
        .then_some(IcmpAnswer::Unreachable(why))
}

fn describe_error(v6: bool, ty: u8, code: u8) -> Option<String> {
    let text = match (v6, ty, code) {
        (false, 3, 0) => "ICMP net unreachable",
        (false, 3, 1) => "ICMP host unreachable",
        (false, 3, 2) => "ICMP protocol unreachable",
        (false, 3, 3) => "ICMP port unreachable",
        (false, 3, 9 | 10 | 13) => "ICMP administratively prohibited",
        (false, 3, _) => "ICMP destination unreachable",
        (false, 11, _) => "ICMP time exceeded",
        (true, 1, 0) => "ICMPv6 no route to destination",
        (true, 1, 1) => "ICMPv6 administratively prohibited",
        (true, 1, 3) => "ICMPv6 address unreachable",
        (true, 1, 4) => "ICMPv6 port unreachable",
        (true, 1, 5 | 6) => "ICMPv6 rejected by policy",
        (true, 1, _) => "ICMPv6 destination unreachable",
        (true, 3, _) => "ICMPv6 time exceeded",
        _ => return None,
    };
    Some(format!("{text} (code {code})"))
}

/// An SCTP packet holding a single INIT chunk, valid enough that conntrack and real
/// stacks accept it: verification tag 0 (required for INIT), non-zero initiate tag (the
/// token), and a correct CRC-32C stored little-endian as RFC 9260 specifies.
pub(crate) fn sctp_init(src_port: u16, dst_port: u16, token: u32) -> Vec<u8> {
    let mut p = Vec::with_capacity(32);
    p.extend_from_slice(&src_port.to_be_bytes());
    p.extend_from_slice(&dst_port.to_be_bytes());
    p.extend_from_slice(&[0; 4]); // verification tag
    p.extend_from_slice(&[0; 4]); // checksum, filled below
    p.extend_from_slice(&[1, 0]); // chunk type INIT, flags
    p.extend_from_slice(&20u16.to_be_bytes()); // chunk length
    p.extend_from_slice(&token.to_be_bytes()); // initiate tag
    p.extend_from_slice(&65_535u32.to_be_bytes()); // advertised receiver window
    p.extend_from_slice(&1u16.to_be_bytes()); // outbound streams
    p.extend_from_slice(&1u16.to_be_bytes()); // inbound streams
    p.extend_from_slice(&token.to_be_bytes()); // initial TSN
    let c = crc32c(&p);
    p[8..12].copy_from_slice(&c.to_le_bytes());
    p
}

/// Payload for raw protocols other than SCTP.
pub(crate) fn tagged_payload(token: u32) -> Vec<u8> {
    let mut p = MAGIC.to_vec();
    p.extend_from_slice(&token.to_be_bytes());
    p
}

/// The token in a received raw packet (transport header onwards), if it is one of ours.
/// SCTP packets must carry a correct checksum, as a real endpoint would insist.
pub(crate) fn token_of(proto: u8, data: &[u8]) -> Option<u32> {
    if proto == crate::topology::PROTO_SCTP {
        if data.len() < 32 || data[12] != 1 {
            return None;
        }
        let mut zeroed = data.to_vec();
        zeroed[8..12].fill(0);
        if crc32c(&zeroed).to_le_bytes() != data[8..12] {
            return None;
        }
        return Some(u32::from_be_bytes(data[16..20].try_into().ok()?));
    }
    (data.get(..4)? == MAGIC).then_some(())?;
    Some(u32::from_be_bytes(data.get(4..8)?.try_into().ok()?))
}

/// The transport part of a packet read from a raw IPv4 socket, which (unlike IPv6)
/// includes the IP header.
pub(crate) fn skip_ipv4_header(pkt: &[u8]) -> Option<&[u8]> {
    let ihl = usize::from(pkt.first()? & 0x0f) * 4;
    pkt.get(ihl..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_check_value() {
        // The standard check value for CRC-32C.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(&[0; 32]), 0x8A91_36AA);
    }

    #[test]
    fn inet_checksum_verifies_to_zero() {
        let p = echo_request(false, 0xdead_beef);
        assert_eq!(inet_checksum(&p), 0);
        // RFC 1071 example bytes.
        let c = inet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
        assert_eq!(c, !0xddf2);
    }

    #[test]
    fn echo_reply_matches_only_its_token() {
        let mut reply = echo_request(false, 7);
        reply[0] = 0;
        assert_eq!(parse_icmp(false, &reply, 7), Some(IcmpAnswer::Reply));
        assert_eq!(parse_icmp(false, &reply, 8), None);
        // An echo request (someone pinging us) is not an answer.
        assert_eq!(parse_icmp(false, &echo_request(false, 7), 7), None);
    }

    #[test]
    fn quoted_request_in_unreachable_matches() {
        let req = echo_request(false, 42);
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0];
        ip.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        let mut err = vec![3, 1, 0, 0, 0, 0, 0, 0];
        err.extend_from_slice(&ip);
        err.extend_from_slice(&req[..8]);
        assert_eq!(
            parse_icmp(false, &err, 42),
            Some(IcmpAnswer::Unreachable(
                "ICMP host unreachable (code 1)".into()
            ))
        );
        assert_eq!(parse_icmp(false, &err, 43), None);
    }

    #[test]
    fn sctp_init_round_trips() {
        let p = sctp_init(40_000, 9, 0x0102_0304);
        assert_eq!(p.len(), 32);
        assert_eq!(token_of(132, &p), Some(0x0102_0304));
        let mut bad = p.clone();
        bad[20] ^= 1;
        assert_eq!(
            token_of(132, &bad),
            None,
            "corrupted checksum must not count"
        );
    }

    #[test]
    fn tagged_payload_round_trips() {
        assert_eq!(token_of(112, &tagged_payload(5)), Some(5));
        assert_eq!(token_of(112, b"VRRP...."), None);
    }
}
