//! Netlink framing as netlink(7) documents it: a 16-byte header (length, type, flags,
//! sequence, port id; host byte order) per message, then attributes (length, type, value),
//! everything padded to 4 bytes.

use crate::error::DecodeError;

/// Size of a message header.
pub const HEADER_LEN: usize = 16;
/// Size of an attribute header.
const ATTR_HEADER_LEN: usize = 4;
/// Type bits of an attribute (the top two are the nested and byte-order flags).
const ATTR_TYPE_MASK: u16 = 0x3fff;

/// Message types every netlink family shares.
pub const NLMSG_NOOP: u16 = 1;
/// An error or, with error 0, an acknowledgement.
pub const NLMSG_ERROR: u16 = 2;
/// The end of a multi-part batch.
pub const NLMSG_DONE: u16 = 3;

/// A request (to the kernel).
pub const NLM_F_REQUEST: u16 = 0x1;
/// Ask for an acknowledgement.
pub const NLM_F_ACK: u16 = 0x4;

/// `n` rounded up to the netlink alignment.
#[must_use]
pub const fn align(n: usize) -> usize {
    (n + 3) & !3
}

/// One message of a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// Message type (for nfnetlink: subsystem << 8 | message).
    pub kind: u16,
    /// `NLM_F_*` flags.
    pub flags: u16,
    /// Sequence number.
    pub seq: u32,
    /// Everything after the header.
    pub payload: &'a [u8],
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The messages of one datagram (the kernel may batch several).
///
/// # Errors
/// When a header is cut off or claims more bytes than the datagram holds.
pub fn messages(datagram: &[u8]) -> Result<Vec<Message<'_>>, DecodeError> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while !rest.is_empty() {
        if rest.len() < HEADER_LEN {
            return Err(DecodeError::new(format!(
                "{} trailing bytes are not a message header",
                rest.len()
            )));
        }
        let len = u32_at(rest, 0) as usize;
        if len < HEADER_LEN || len > rest.len() {
            return Err(DecodeError::new(format!(
                "a message claims {len} bytes, {} remain",
                rest.len()
            )));
        }
        out.push(Message {
            kind: u16_at(rest, 4),
            flags: u16_at(rest, 6),
            seq: u32_at(rest, 8),
            payload: &rest[HEADER_LEN..len],
        });
        rest = &rest[align(len).min(rest.len())..];
    }
    Ok(out)
}

/// The attributes in `buf` as (type, value), in order.
///
/// # Errors
/// When an attribute header is cut off or claims more bytes than remain.
pub fn attributes(buf: &[u8]) -> Result<Vec<(u16, &[u8])>, DecodeError> {
    let mut out = Vec::new();
    let mut rest = buf;
    while rest.len() >= ATTR_HEADER_LEN {
        let len = u16_at(rest, 0) as usize;
        if len < ATTR_HEADER_LEN || len > rest.len() {
            return Err(DecodeError::new(format!(
                "an attribute claims {len} bytes, {} remain",
                rest.len()
            )));
        }
        out.push((
            u16_at(rest, 2) & ATTR_TYPE_MASK,
            &rest[ATTR_HEADER_LEN..len],
        ));
        rest = &rest[align(len).min(rest.len())..];
    }
    Ok(out)
}

/// Builds one message: header, a fixed family header, then attributes.
#[derive(Debug)]
pub struct MessageBuilder {
    buf: Vec<u8>,
}

impl MessageBuilder {
    /// A message of type `kind` with `flags` and sequence number `seq`.
    #[must_use]
    pub fn new(kind: u16, flags: u16, seq: u32) -> MessageBuilder {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&0u32.to_ne_bytes()); // length, set by `finish`
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it in
        MessageBuilder { buf }
    }

    /// Appends raw bytes (a family header), padded.
    #[must_use]
    pub fn bytes(mut self, bytes: &[u8]) -> MessageBuilder {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self
    }

    /// Appends an attribute, padded.
    ///
    /// # Panics
    /// When `value` does not fit an attribute (64 KiB).
    #[must_use]
    pub fn attr(mut self, kind: u16, value: &[u8]) -> MessageBuilder {
        let len = u16::try_from(ATTR_HEADER_LEN + value.len()).expect("attribute under 64 KiB");
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(value);
        self.pad();
        self
    }

    fn pad(&mut self) {
        self.buf.resize(align(self.buf.len()), 0);
    }

    /// The message with its length filled in.
    ///
    /// # Panics
    /// When the message is over 4 GiB.
    #[must_use]
    pub fn finish(mut self) -> Vec<u8> {
        let len = u32::try_from(self.buf.len()).expect("message under 4 GiB");
        self.buf[..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_message_splits_back_into_header_and_attributes() {
        let one = MessageBuilder::new(0x0401, NLM_F_REQUEST, 7)
            .bytes(&[2, 0, 0, 3])
            .attr(10, b"ab\0")
            .attr(4, &9u32.to_be_bytes())
            .finish();
        assert_eq!(one.len(), 16 + 4 + 8 + 8);
        let mut two = one.clone();
        two.extend_from_slice(&MessageBuilder::new(NLMSG_DONE, 0, 8).finish());
        let msgs = messages(&two).expect("well formed");
        assert_eq!(msgs.len(), 2);
        assert_eq!((msgs[0].kind, msgs[0].flags, msgs[0].seq), (0x0401, 1, 7));
        assert_eq!(&msgs[0].payload[..4], &[2, 0, 0, 3]);
        let attrs = attributes(&msgs[0].payload[4..]).expect("attributes");
        assert_eq!(attrs, vec![(10, &b"ab\0"[..]), (4, &[0, 0, 0, 9][..])]);
        assert_eq!(msgs[1].kind, NLMSG_DONE);
    }

    #[test]
    fn lengths_beyond_the_buffer_are_errors_not_panics() {
        let mut msg = MessageBuilder::new(1, 0, 0).finish();
        msg[0] = 200;
        assert!(messages(&msg).is_err());
        assert!(messages(&msg[..10]).is_err());
        assert!(attributes(&[8, 0, 1, 0, 0]).is_err());
        assert!(attributes(&[2, 0, 1, 0]).is_err());
    }
}
