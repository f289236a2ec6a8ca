//! nfnetlink_log messages (`linux/netfilter/nfnetlink_log.h`): the packets the kernel hands
//! to a bound NFLOG group, and the configuration requests that bind one.
//!
//! Every nfnetlink message starts with a 4-byte family header (address family, version,
//! resource id = the group, big-endian); attribute values are big-endian.

use crate::error::DecodeError;
use crate::netlink::{self, MessageBuilder, NLM_F_ACK, NLM_F_REQUEST};

/// The nfnetlink subsystem of NFLOG (`NFNL_SUBSYS_ULOG`).
const SUBSYS_ULOG: u16 = 4;
/// A logged packet, kernel to user space.
const MSG_PACKET: u16 = 0;
/// Configuration, user space to kernel.
const MSG_CONFIG: u16 = 1;
/// The nfnetlink family header.
const NFGEN_LEN: usize = 4;

/// `NFULA_*` packet attributes.
mod attr {
    pub const PACKET_HDR: u16 = 1;
    pub const MARK: u16 = 2;
    pub const IFINDEX_INDEV: u16 = 4;
    pub const IFINDEX_OUTDEV: u16 = 5;
    pub const IFINDEX_PHYSINDEV: u16 = 6;
    pub const IFINDEX_PHYSOUTDEV: u16 = 7;
    pub const PAYLOAD: u16 = 9;
    pub const PREFIX: u16 = 10;
    pub const UID: u16 = 11;
    pub const GID: u16 = 14;
    pub const HWTYPE: u16 = 15;
    pub const HWHEADER: u16 = 16;
}

/// `NFULA_CFG_*` configuration attributes.
mod cfg {
    pub const CMD: u16 = 1;
    pub const MODE: u16 = 2;
    pub const QTHRESH: u16 = 5;
    pub const CMD_BIND: u8 = 1;
    pub const CMD_UNBIND: u8 = 2;
    pub const COPY_PACKET: u8 = 2;
}

/// The address families of the family header (`NFPROTO_*`).
pub const NFPROTO_IPV4: u8 = 2;
/// IPv6.
pub const NFPROTO_IPV6: u8 = 10;

/// A logged packet, borrowed from the datagram it came in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Protocol family the rule saw (`NFPROTO_IPV4`, `NFPROTO_IPV6`, ...).
    pub family: u8,
    /// The NFLOG group.
    pub group: u16,
    /// Link-layer protocol (EtherType) of the packet.
    pub hw_protocol: u16,
    /// Netfilter hook number.
    pub hook: u8,
    /// Packet mark; the kernel only sends a non-zero one.
    pub mark: Option<u32>,
    /// Input interface index.
    pub indev: Option<u32>,
    /// Output interface index.
    pub outdev: Option<u32>,
    /// Bridge port the packet came in on (bridged traffic).
    pub physindev: Option<u32>,
    /// Bridge port the packet goes out on (bridged traffic).
    pub physoutdev: Option<u32>,
    /// Link type (`ARPHRD_*`).
    pub hw_type: Option<u16>,
    /// The link-layer header as received (Ethernet: destination, source, EtherType).
    pub hw_header: Option<&'a [u8]>,
    /// The packet from its network header on (cut to the copy range).
    pub payload: &'a [u8],
    /// The rule's prefix.
    pub prefix: &'a str,
    /// Owner of the local socket, when known.
    pub uid: Option<u32>,
    /// Group of the local socket, when known.
    pub gid: Option<u32>,
}

/// What one netlink message from the NFLOG socket says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A logged packet.
    Packet(Packet<'a>),
    /// The answer to a request: errno 0 is an acknowledgement.
    Ack {
        /// The request's sequence number.
        seq: u32,
        /// Negative errno, or 0.
        error: i32,
    },
    /// Anything else (end of batch, no-op).
    Other,
}

fn be16(v: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(v.get(..2)?.try_into().ok()?))
}

fn be32(v: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(v.get(..4)?.try_into().ok()?))
}

fn short(what: &str) -> DecodeError {
    DecodeError::new(format!("{what} attribute too short"))
}

/// The events of one datagram from the NFLOG socket.
///
/// # Errors
/// When the framing or a packet attribute is malformed.
pub fn decode(datagram: &[u8]) -> Result<Vec<Event<'_>>, DecodeError> {
    netlink::messages(datagram)?
        .into_iter()
        .map(|m| match m.kind {
            netlink::NLMSG_ERROR => {
                let error = m
                    .payload
                    .get(..4)
                    .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                    .ok_or_else(|| DecodeError::new("error message without errno"))?;
                Ok(Event::Ack { seq: m.seq, error })
            }
            k if k == (SUBSYS_ULOG << 8 | MSG_PACKET) => {
                decode_packet(m.payload).map(Event::Packet)
            }
            _ => Ok(Event::Other),
        })
        .collect()
}

/// One `NFULNL_MSG_PACKET` message after its netlink header.
///
/// # Errors
/// When the family header is missing or an attribute is shorter than its type.
pub fn decode_packet(payload: &[u8]) -> Result<Packet<'_>, DecodeError> {
    let nfgen = payload
        .get(..NFGEN_LEN)
        .ok_or_else(|| DecodeError::new("packet message without family header"))?;
    let mut p = Packet {
        family: nfgen[0],
        group: u16::from_be_bytes([nfgen[2], nfgen[3]]),
        ..Packet::default()
    };
    for (kind, v) in netlink::attributes(&payload[NFGEN_LEN..])? {
        let index = || be32(v).ok_or_else(|| short("interface"));
        match kind {
            attr::PACKET_HDR => {
                p.hw_protocol = be16(v).ok_or_else(|| short("packet header"))?;
                p.hook = *v.get(2).ok_or_else(|| short("packet header"))?;
            }
            attr::MARK => p.mark = Some(be32(v).ok_or_else(|| short("mark"))?),
            attr::IFINDEX_INDEV => p.indev = Some(index()?),
            attr::IFINDEX_OUTDEV => p.outdev = Some(index()?),
            attr::IFINDEX_PHYSINDEV => p.physindev = Some(index()?),
            attr::IFINDEX_PHYSOUTDEV => p.physoutdev = Some(index()?),
            attr::PAYLOAD => p.payload = v,
            attr::PREFIX => {
                // NUL-terminated; a prefix that is not UTF-8 cannot come from our rules.
                let text = v.split(|b| *b == 0).next().unwrap_or_default();
                p.prefix = std::str::from_utf8(text)
                    .map_err(|_| DecodeError::new("prefix is not UTF-8"))?;
            }
            attr::UID => p.uid = Some(be32(v).ok_or_else(|| short("uid"))?),
            attr::GID => p.gid = Some(be32(v).ok_or_else(|| short("gid"))?),
            attr::HWTYPE => p.hw_type = Some(be16(v).ok_or_else(|| short("link type"))?),
            attr::HWHEADER => p.hw_header = Some(v),
            _ => {}
        }
    }
    Ok(p)
}

/// Address family, version (`NFNETLINK_V0`), resource id (the group, big-endian).
fn family_header(family: u8, group: u16) -> [u8; 4] {
    let [hi, lo] = group.to_be_bytes();
    [family, 0, hi, lo]
}

fn config(group: u16, seq: u32) -> MessageBuilder {
    MessageBuilder::new(
        SUBSYS_ULOG << 8 | MSG_CONFIG,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
    )
    .bytes(&family_header(0, group))
}

/// Binds `group` to the sending socket, copying up to `copy_range` bytes of each packet and
/// sending each packet at once (queue threshold 1) rather than in batches of up to 100 or
/// per second, the kernel's defaults.
#[must_use]
pub fn bind_request(group: u16, copy_range: u32, seq: u32) -> Vec<u8> {
    let mut mode = copy_range.to_be_bytes().to_vec();
    mode.extend_from_slice(&[cfg::COPY_PACKET, 0]);
    config(group, seq)
        .attr(cfg::CMD, &[cfg::CMD_BIND])
        .attr(cfg::MODE, &mode)
        .attr(cfg::QTHRESH, &1u32.to_be_bytes())
        .finish()
}

/// Releases `group` (closing the socket does the same).
#[must_use]
pub fn unbind_request(group: u16, seq: u32) -> Vec<u8> {
    config(group, seq)
        .attr(cfg::CMD, &[cfg::CMD_UNBIND])
        .finish()
}

/// Builds the kernel's message for a logged packet, as documented in `nfnetlink_log.h`: for
/// tests and examples, so they exercise the same decoder as real packets.
#[derive(Clone, Debug, Default)]
pub struct PacketMessage<'a> {
    /// The packet as decoded afterwards.
    pub packet: Packet<'a>,
}

impl PacketMessage<'_> {
    /// The message bytes.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let p = &self.packet;
        let mut hdr = p.hw_protocol.to_be_bytes().to_vec();
        hdr.extend_from_slice(&[p.hook, 0]);
        let mut b = MessageBuilder::new(SUBSYS_ULOG << 8 | MSG_PACKET, 0, 0)
            .bytes(&family_header(p.family, p.group))
            .attr(attr::PACKET_HDR, &hdr);
        let numbers = [
            (attr::MARK, p.mark),
            (attr::IFINDEX_INDEV, p.indev),
            (attr::IFINDEX_OUTDEV, p.outdev),
            (attr::IFINDEX_PHYSINDEV, p.physindev),
            (attr::IFINDEX_PHYSOUTDEV, p.physoutdev),
            (attr::UID, p.uid),
            (attr::GID, p.gid),
        ];
        for (kind, value) in numbers {
            if let Some(v) = value {
                b = b.attr(kind, &v.to_be_bytes());
            }
        }
        if let Some(t) = p.hw_type {
            b = b.attr(attr::HWTYPE, &t.to_be_bytes());
        }
        if let Some(h) = p.hw_header {
            b = b.attr(attr::HWHEADER, h);
        }
        if !p.prefix.is_empty() {
            let mut text = p.prefix.as_bytes().to_vec();
            text.push(0);
            b = b.attr(attr::PREFIX, &text);
        }
        b.attr(attr::PAYLOAD, p.payload).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_message_decodes_attribute_by_attribute() {
        // Built byte by byte from nfnetlink_log.h, not with our builder.
        let mut m: Vec<u8> = Vec::new();
        let attr = |m: &mut Vec<u8>, kind: u16, v: &[u8]| {
            m.extend_from_slice(&u16::try_from(4 + v.len()).unwrap().to_ne_bytes());
            m.extend_from_slice(&kind.to_ne_bytes());
            m.extend_from_slice(v);
            m.resize(netlink::align(m.len()), 0);
        };
        m.extend_from_slice(&[0; 16]);
        m.extend_from_slice(&[2, 0, 0, 3]); // IPv4, v0, group 3
        attr(&mut m, 1, &[0x08, 0x00, 1, 0]); // EtherType IPv4, hook 1 (input)
        attr(&mut m, 2, &0x4000u32.to_be_bytes());
        attr(&mut m, 4, &7u32.to_be_bytes());
        attr(&mut m, 10, b"calico-packet: \0");
        attr(&mut m, 16, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0]);
        attr(&mut m, 9, &[0x45, 0, 0, 20]);
        let len = u32::try_from(m.len()).unwrap();
        m[..4].copy_from_slice(&len.to_ne_bytes());
        m[4..6].copy_from_slice(&0x0400u16.to_ne_bytes());

        let events = decode(&m).expect("decodes");
        let [Event::Packet(p)] = events.as_slice() else {
            panic!("one packet expected: {events:?}");
        };
        assert_eq!(
            (p.family, p.group, p.hw_protocol, p.hook),
            (2, 3, 0x0800, 1)
        );
        assert_eq!((p.mark, p.indev, p.outdev), (Some(0x4000), Some(7), None));
        assert_eq!(p.prefix, "calico-packet: ");
        assert_eq!(p.hw_header.map(<[u8]>::len), Some(14));
        assert_eq!(p.payload, &[0x45, 0, 0, 20]);
    }

    #[test]
    fn encoding_and_decoding_agree() {
        let packet = Packet {
            family: NFPROTO_IPV6,
            group: 300,
            hw_protocol: 0x86dd,
            hook: 3,
            outdev: Some(2),
            physoutdev: Some(9),
            uid: Some(1000),
            prefix: "x: ",
            payload: &[0x60, 0, 0, 0],
            ..Packet::default()
        };
        let bytes = PacketMessage { packet }.encode();
        assert_eq!(
            decode(&bytes).expect("decodes"),
            vec![Event::Packet(packet)]
        );
    }

    #[test]
    fn errors_and_acks_carry_the_errno_and_sequence() {
        let mut m = MessageBuilder::new(netlink::NLMSG_ERROR, 0, 42)
            .bytes(&(-1i32).to_ne_bytes())
            .finish();
        m.extend_from_slice(&MessageBuilder::new(netlink::NLMSG_DONE, 0, 0).finish());
        assert_eq!(
            decode(&m).expect("decodes"),
            vec![Event::Ack { seq: 42, error: -1 }, Event::Other]
        );
    }

    #[test]
    fn the_bind_request_carries_group_command_mode_and_threshold() {
        let req = bind_request(3, 0xffff, 5);
        let msgs = netlink::messages(&req).expect("frames");
        assert_eq!(msgs[0].kind, 0x0401);
        assert_eq!(msgs[0].flags, NLM_F_REQUEST | NLM_F_ACK);
        assert_eq!(&msgs[0].payload[..4], &[0, 0, 0, 3]);
        let attrs = netlink::attributes(&msgs[0].payload[4..]).expect("attributes");
        assert_eq!(
            attrs,
            vec![
                (1, &[1][..]),
                (2, &[0, 0, 0xff, 0xff, 2, 0][..]),
                (5, &[0, 0, 0, 1][..])
            ]
        );
        let un = unbind_request(3, 6);
        let msgs = netlink::messages(&un).expect("frames");
        assert_eq!(
            netlink::attributes(&msgs[0].payload[4..]).expect("attributes"),
            vec![(1, &[2][..])]
        );
    }

    #[test]
    fn short_attributes_are_errors() {
        let mut p = PacketMessage::default().encode();
        // Shrink the packet header attribute (right after the family header) to 2 bytes.
        p[20] = 6;
        assert!(decode(&p).is_err());
    }
}
