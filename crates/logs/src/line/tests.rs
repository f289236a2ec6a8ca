//! Hand-built packets (header layouts from RFC 791, 793, 768, 792, 8200, 4443) through the
//! kernel's NFLOG message format, the decoder and the formatter.

use super::{LineFields, format_line};
use crate::nflog::{self, Event, NFPROTO_IPV4, NFPROTO_IPV6, Packet, PacketMessage};

const ETH1: u32 = 3;

fn names(index: u32) -> Option<String> {
    match index {
        1 => Some("lo".into()),
        2 => Some("eth0".into()),
        ETH1 => Some("eth1".into()),
        5 => Some("br0".into()),
        6 => Some("veth1".into()),
        _ => None,
    }
}

/// Encodes `packet` as the kernel would, decodes it again and formats the line.
fn line(packet: Packet<'_>) -> String {
    let bytes = PacketMessage { packet }.encode();
    let events = nflog::decode(&bytes).expect("decodes");
    let [Event::Packet(p)] = events.as_slice() else {
        panic!("one packet expected: {events:?}");
    };
    format_line(p, &names)
}

struct V4 {
    tos: u8,
    id: u16,
    frag: u16,
    ttl: u8,
    proto: u8,
    src: [u8; 4],
    dst: [u8; 4],
}

impl V4 {
    fn new(proto: u8, src: [u8; 4], dst: [u8; 4]) -> V4 {
        V4 {
            tos: 0,
            id: 1,
            frag: 0,
            ttl: 64,
            proto,
            src,
            dst,
        }
    }

    /// The header (no options) followed by `body`; total length covers both.
    fn with(&self, body: &[u8]) -> Vec<u8> {
        let total = u16::try_from(20 + body.len()).expect("small");
        let mut b = vec![0x45, self.tos];
        b.extend_from_slice(&total.to_be_bytes());
        b.extend_from_slice(&self.id.to_be_bytes());
        b.extend_from_slice(&self.frag.to_be_bytes());
        b.extend_from_slice(&[self.ttl, self.proto, 0, 0]);
        b.extend_from_slice(&self.src);
        b.extend_from_slice(&self.dst);
        b.extend_from_slice(body);
        b
    }
}

/// A TCP header: ports, sequence 1000, `data_offset` words, flags, window, options.
fn tcp(sport: u16, dport: u16, flags: u8, window: u16, options: &[u8]) -> Vec<u8> {
    let words = u8::try_from(5 + options.len() / 4).expect("small");
    let mut b = Vec::new();
    b.extend_from_slice(&sport.to_be_bytes());
    b.extend_from_slice(&dport.to_be_bytes());
    b.extend_from_slice(&1000u32.to_be_bytes());
    b.extend_from_slice(&0u32.to_be_bytes());
    b.extend_from_slice(&[words << 4, flags]);
    b.extend_from_slice(&window.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    b.extend_from_slice(options);
    b
}

fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(8 + data.len()).expect("small");
    let mut b = Vec::new();
    b.extend_from_slice(&sport.to_be_bytes());
    b.extend_from_slice(&dport.to_be_bytes());
    b.extend_from_slice(&len.to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(data);
    b
}

/// An ICMP (or ICMPv6) header: type, code, checksum 0, then the 4 "rest of header" bytes.
fn icmp(kind: u8, code: u8, rest: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut b = vec![kind, code, 0, 0];
    b.extend_from_slice(&rest);
    b.extend_from_slice(data);
    b
}

/// An IPv6 header (version 6, traffic class, flow label) followed by `body`.
fn v6(tc: u8, flow: u32, next: u8, src: [u16; 8], dst: [u16; 8], body: &[u8]) -> Vec<u8> {
    let first = (6u32 << 28) | (u32::from(tc) << 20) | (flow & 0xfffff);
    let mut b = first.to_be_bytes().to_vec();
    b.extend_from_slice(&u16::try_from(body.len()).expect("small").to_be_bytes());
    b.extend_from_slice(&[next, 64]);
    for g in src.iter().chain(dst.iter()) {
        b.extend_from_slice(&g.to_be_bytes());
    }
    b.extend_from_slice(body);
    b
}

const ETH_HEADER: [u8; 14] = [
    0x08, 0x00, 0x27, 0xd5, 0x4e, 0x57, 0x0a, 0x00, 0x27, 0x00, 0x00, 0x00, 0x08, 0x00,
];
const FD1: [u16; 8] = [0xfd00, 0, 0, 0, 0, 0, 0, 1];
const FD2: [u16; 8] = [0xfd00, 0, 0, 0, 0, 0, 0xab, 2];

fn input_v4<'a>(payload: &'a [u8], prefix: &'a str) -> Packet<'a> {
    Packet {
        family: NFPROTO_IPV4,
        group: 3,
        hw_protocol: 0x0800,
        indev: Some(ETH1),
        hw_type: Some(1),
        hw_header: Some(&ETH_HEADER),
        payload,
        prefix,
        ..Packet::default()
    }
}

/// The example line of the `log-denied-packets` seed (IBM Cloud's "Logging denied
/// packets"), addresses masked as there.
const SEED_LINE: &str = "calico-packet: IN=eth1 OUT= MAC=08:00:27:d5:4e:57:0a:00:27:00:00:00:08:00 SRC=192.XXX.XX.X DST=192.XXX.XX.XX LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=52866 DF PROTO=TCP SPT=42962 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0";

/// A Linux SYN: 60 bytes, MSS, SACK permitted, timestamps, window scale.
fn seed_packet() -> Vec<u8> {
    let options = [
        2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 1, 0xe2, 0x40, 0, 0, 0, 0, 1, 3, 3, 7,
    ];
    let mut ip = V4::new(6, [192, 168, 56, 1], [192, 168, 56, 10]);
    ip.id = 52866;
    ip.frag = 0x4000;
    ip.with(&tcp(42962, 22, 0x02, 29200, &options))
}

#[test]
fn the_seed_line_is_reproduced_field_for_field() {
    let payload = seed_packet();
    let got = line(input_v4(&payload, "calico-packet: "));
    assert_eq!(
        got,
        "calico-packet: IN=eth1 OUT= MAC=08:00:27:d5:4e:57:0a:00:27:00:00:00:08:00 \
         SRC=192.168.56.1 DST=192.168.56.10 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=52866 DF \
         PROTO=TCP SPT=42962 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0"
    );
    // Masked as in the seed, the line is the seed's, character for character.
    let masked = got
        .replace("SRC=192.168.56.1 ", "SRC=192.XXX.XX.X ")
        .replace("DST=192.168.56.10 ", "DST=192.XXX.XX.XX ");
    assert_eq!(masked, SEED_LINE);
}

#[test]
fn the_field_set_and_order_are_the_kernels() {
    let payload = seed_packet();
    let got = line(input_v4(&payload, "calico-packet: "));
    let fields = LineFields::parse(&got).expect("has IN=");
    assert_eq!(fields.prefix, "calico-packet: ");
    assert_eq!(
        fields.keys(),
        [
            "IN", "OUT", "MAC", "SRC", "DST", "LEN", "TOS", "PREC", "TTL", "ID", "DF", "PROTO",
            "SPT", "DPT", "WINDOW", "RES", "SYN", "URGP"
        ]
    );
    assert_eq!(fields.get("OUT"), Some(""));
    assert_eq!(fields.get("DPT"), Some("22"));
    assert!(fields.has("SYN") && !fields.has("ACK"));
    assert_eq!(
        LineFields::parse(SEED_LINE).map(|f| f.keys()),
        Some(fields.keys())
    );
}

#[test]
fn v4_udp_sent_by_the_host_has_no_mac_and_splits_tos_from_precedence() {
    let mut ip = V4::new(17, [10, 0, 0, 1], [10, 0, 0, 2]);
    ip.tos = 0xb8; // precedence 0xa0, TOS bits 0x18
    ip.ttl = 63;
    let payload = ip.with(&udp(5353, 53, b"hello"));
    let got = line(Packet {
        family: NFPROTO_IPV4,
        outdev: Some(2),
        payload: &payload,
        prefix: "p: ",
        ..Packet::default()
    });
    assert_eq!(
        got,
        "p: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=33 TOS=0x18 PREC=0xA0 TTL=63 ID=1 \
         PROTO=UDP SPT=5353 DPT=53 LEN=13"
    );
}

#[test]
fn v4_icmp_echo_shows_id_and_sequence_then_a_non_zero_mark() {
    let payload =
        V4::new(1, [10, 0, 0, 1], [10, 0, 0, 2]).with(&icmp(8, 0, [0, 77, 0, 3], b"ping"));
    let mut p = input_v4(&payload, "calico-packet: ");
    p.mark = Some(0x4000);
    let got = line(p);
    assert!(
        got.ends_with("ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=77 SEQ=3 MARK=0x4000"),
        "{got}"
    );
}

#[test]
fn v4_icmp_errors_quote_the_original_packet_in_brackets_without_the_mark() {
    let quoted = V4::new(17, [10, 0, 0, 2], [10, 0, 0, 9]).with(&udp(40000, 9, &[]));
    let payload =
        V4::new(1, [10, 0, 0, 9], [10, 0, 0, 2]).with(&icmp(3, 4, [0, 0, 5, 0xdc], &quoted));
    let mut p = input_v4(&payload, "");
    p.mark = Some(0x10);
    let got = line(p);
    assert!(
        got.ends_with(
            "PROTO=ICMP TYPE=3 CODE=4 [SRC=10.0.0.2 DST=10.0.0.9 LEN=28 TOS=0x00 PREC=0x00 \
             TTL=64 ID=1 PROTO=UDP SPT=40000 DPT=9 LEN=8 ] MTU=1500 MARK=0x10"
        ),
        "{got}"
    );
    let fields = LineFields::parse(&got).expect("has IN=");
    assert_eq!(fields.get("SRC"), Some("10.0.0.9"));
    assert_eq!(fields.get("MTU"), Some("1500"));
    // An error too short to quote an IP header is incomplete.
    let short = V4::new(1, [10, 0, 0, 9], [10, 0, 0, 2]).with(&icmp(3, 3, [0; 4], &[0; 4]));
    assert!(
        line(input_v4(&short, "")).ends_with("TYPE=3 CODE=3 INCOMPLETE [12 bytes]"),
        "{}",
        line(input_v4(&short, ""))
    );
}

#[test]
fn a_cut_tcp_header_is_incomplete_and_ends_the_line() {
    let full = V4::new(6, [10, 0, 0, 1], [10, 0, 0, 2]).with(&tcp(1, 2, 0x12, 100, &[]));
    let mut p = input_v4(&full[..24], "");
    p.mark = Some(1);
    assert!(
        line(p).ends_with("ID=1 PROTO=TCP INCOMPLETE [4 bytes]"),
        "{}",
        line(input_v4(&full[..24], ""))
    );
    assert!(
        line(input_v4(&full[..12], ""))
            .ends_with("MAC=08:00:27:d5:4e:57:0a:00:27:00:00:00:08:00 TRUNCATED")
    );
}

#[test]
fn v4_fragments_show_flags_and_offset_and_no_ports_after_the_first() {
    let mut ip = V4::new(6, [10, 0, 0, 1], [10, 0, 0, 2]);
    ip.frag = 0x8000 | 0x2000 | 185; // the reserved bit (the kernel's CE), MF, offset 185
    let payload = ip.with(&[0; 16]);
    assert!(
        line(input_v4(&payload, "")).ends_with("ID=1 CE MF FRAG:185 PROTO=TCP"),
        "{}",
        line(input_v4(&payload, ""))
    );
}

#[test]
fn tcp_shows_every_flag_in_the_kernels_order_and_reserved_bits() {
    let mut header = tcp(80, 51000, 0xff, 512, &[]);
    header[12] |= 0x0f; // all four reserved bits
    header[18..20].copy_from_slice(&7u16.to_be_bytes());
    let payload = V4::new(6, [10, 0, 0, 2], [10, 0, 0, 1]).with(&header);
    assert!(
        line(input_v4(&payload, "")).ends_with(
            "PROTO=TCP SPT=80 DPT=51000 WINDOW=512 RES=0x3c CWR ECE URG ACK PSH RST SYN FIN URGP=7"
        ),
        "{}",
        line(input_v4(&payload, ""))
    );
}

#[test]
fn other_v4_protocols_print_their_number() {
    let payload = V4::new(112, [10, 0, 0, 1], [224, 0, 0, 18]).with(&[0; 8]);
    assert!(line(input_v4(&payload, "")).ends_with("ID=1 PROTO=112"));
}

#[test]
fn v6_tcp_prints_uncompressed_addresses_and_the_v6_header_fields() {
    let payload = v6(0x28, 12345, 6, FD1, FD2, &tcp(33000, 443, 0x18, 501, &[]));
    let got = line(Packet {
        family: NFPROTO_IPV6,
        hw_protocol: 0x86dd,
        indev: Some(2),
        hw_header: Some(&ETH_HEADER),
        payload: &payload,
        prefix: "calico-packet: ",
        ..Packet::default()
    });
    assert_eq!(
        got,
        "calico-packet: IN=eth0 OUT= MAC=08:00:27:d5:4e:57:0a:00:27:00:00:00:08:00 \
         SRC=fd00:0000:0000:0000:0000:0000:0000:0001 DST=fd00:0000:0000:0000:0000:0000:00ab:0002 \
         LEN=60 TC=40 HOPLIMIT=64 FLOWLBL=12345 PROTO=TCP SPT=33000 DPT=443 WINDOW=501 \
         RES=0x00 ACK PSH URGP=0"
    );
}

#[test]
fn v6_icmp_echo_and_errors() {
    let echo = v6(0, 0, 58, FD1, FD2, &icmp(128, 0, [0x12, 0x34, 0, 9], b"x"));
    let packet = |payload| Packet {
        family: NFPROTO_IPV6,
        outdev: Some(ETH1),
        mark: Some(0x2_0000),
        payload,
        ..Packet::default()
    };
    let got = line(packet(&echo));
    assert!(
        got.starts_with("IN= OUT=eth1 SRC=fd00:0000:0000:0000:0000:0000:0000:0001 "),
        "{got}"
    );
    assert!(
        got.ends_with("LEN=49 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=4660 SEQ=9 MARK=0x20000"),
        "{got}"
    );
    let quoted = v6(0, 0, 17, FD2, FD1, &udp(5000, 6000, &[]));
    let too_big = v6(
        0,
        0,
        58,
        FD1,
        FD2,
        &icmp(2, 0, 1280u32.to_be_bytes(), &quoted),
    );
    let got = line(packet(&too_big));
    assert!(
        got.ends_with(
            "PROTO=ICMPv6 TYPE=2 CODE=0 [SRC=fd00:0000:0000:0000:0000:0000:00ab:0002 \
             DST=fd00:0000:0000:0000:0000:0000:0000:0001 LEN=48 TC=0 HOPLIMIT=64 FLOWLBL=0 \
             PROTO=UDP SPT=5000 DPT=6000 LEN=8 ] MTU=1280 MARK=0x20000"
        ),
        "{got}"
    );
}

#[test]
fn v6_extension_headers_are_walked_and_fragments_shown() {
    // Hop-by-hop options (8 bytes) then a first fragment with more to come, then UDP.
    let mut body = vec![44, 0, 1, 4, 0, 0, 0, 0];
    body.extend_from_slice(&[17, 0, 0, 1]); // next UDP, offset 0, M flag
    body.extend_from_slice(&0xabcdu32.to_be_bytes());
    body.extend_from_slice(&udp(1, 2, b"abc"));
    let first = v6(0, 0, 0, FD1, FD2, &body);
    let packet = |payload| Packet {
        family: NFPROTO_IPV6,
        payload,
        ..Packet::default()
    };
    assert!(
        line(packet(&first))
            .ends_with("FLOWLBL=0 FRAG:0 INCOMPLETE ID:0000abcd PROTO=UDP SPT=1 DPT=2 LEN=11"),
        "{}",
        line(packet(&first))
    );
    // A later fragment: offset 1480, no ports.
    let mut later = vec![17, 0];
    later.extend_from_slice(&1480u16.to_be_bytes());
    later.extend_from_slice(&0xabcdu32.to_be_bytes());
    later.extend_from_slice(&[0; 8]);
    let later = v6(0, 0, 44, FD1, FD2, &later);
    assert!(
        line(packet(&later)).ends_with("FRAG:1480 ID:0000abcd PROTO=UDP"),
        "{}",
        line(packet(&later))
    );
}

#[test]
fn bridged_packets_name_the_port_and_unknown_indexes_show_the_number() {
    let payload = seed_packet();
    let mut p = input_v4(&payload, "");
    p.indev = Some(5);
    p.physindev = Some(6);
    p.outdev = Some(9);
    assert!(
        line(p).starts_with("IN=br0 OUT=#9 PHYSIN=veth1 MAC=08:00:27"),
        "{}",
        line(p)
    );
}

#[test]
fn an_input_packet_without_a_link_header_has_an_empty_mac() {
    let payload = seed_packet();
    let mut p = input_v4(&payload, "");
    p.hw_header = None;
    assert!(
        line(p).starts_with("IN=eth1 OUT= MAC= SRC=192.168.56.1 "),
        "{}",
        line(p)
    );
}

#[test]
fn a_non_ip_packet_gets_the_device_fields_only() {
    let got = line(Packet {
        family: 5, // netdev
        hw_protocol: 0x0806,
        indev: Some(2),
        hw_header: Some(&ETH_HEADER),
        payload: &[0, 1, 8, 0],
        prefix: "arp: ",
        ..Packet::default()
    });
    assert_eq!(
        got,
        "arp: IN=eth0 OUT= MAC=08:00:27:d5:4e:57:0a:00:27:00:00:00:08:00"
    );
}
