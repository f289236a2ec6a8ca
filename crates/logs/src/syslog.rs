//! Syslog message framing.
//!
//! * The local socket (`/dev/log`) gets the form the C library's `syslog(3)` sends, RFC 3164
//!   style: `<PRI>Mmm dd hh:mm:ss tortie[PID]: <line>`. The daemons behind it (rsyslog,
//!   journald) stamp messages with the time they receive them, so the UTC time written here
//!   only matters to a daemon configured otherwise.
//! * Remote servers get RFC 5424: `<PRI>1 <RFC 3339 time> <host> tortie <PID> - - <line>`;
//!   over TCP framed by octet counting (RFC 6587: `<length> <message>`), which needs no
//!   escaping and which rsyslog and syslog-ng detect on their own.
//!
//! Facility `user` (1), severity `notice` (5), as Calico's LOG rules use level 5: facility
//! `kern` (0) is reserved for the kernel's own messages, and `syslog(3)` and journald replace
//! it with `user` when a process sends it anyway. Debian's default rsyslog rules write both
//! to `/var/log/syslog`, where the seed looks for the lines.

use std::time::SystemTime;

use crate::time::Utc;

/// Facility `user`.
pub const FACILITY_USER: u8 = 1;
/// Severity `notice`.
pub const SEVERITY_NOTICE: u8 = 5;
/// The priority value of every line.
pub const PRI: u8 = FACILITY_USER * 8 + SEVERITY_NOTICE;
/// The program name in syslog headers.
pub const APP_NAME: &str = "tortie";

/// Who sends: host name and process id for syslog headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Host (node) name.
    pub hostname: String,
    /// Process id.
    pub pid: u32,
}

impl Identity {
    /// This host and process: the kernel's host name, or `-` (RFC 5424's "unknown").
    #[must_use]
    pub fn local() -> Identity {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        Identity {
            hostname,
            pid: std::process::id(),
        }
    }

    /// The host name as a syslog header field: printable ASCII without spaces, 255 at most.
    fn host_field(&self) -> String {
        let h: String = self
            .hostname
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(255)
            .collect();
        if h.is_empty() { "-".into() } else { h }
    }
}

/// The message for the local syslog socket.
#[must_use]
pub fn local(id: &Identity, time: SystemTime, line: &str) -> String {
    format!(
        "<{PRI}>{} {APP_NAME}[{}]: {line}",
        Utc::of(time).rfc3164(),
        id.pid
    )
}

/// The RFC 5424 message for a remote server (no structured data, no message id).
#[must_use]
pub fn rfc5424(id: &Identity, time: SystemTime, line: &str) -> String {
    format!(
        "<{PRI}>1 {} {} {APP_NAME} {} - - {line}",
        Utc::of(time).rfc3339(),
        id.host_field(),
        id.pid
    )
}

/// A message framed for a TCP stream by octet counting: its length in bytes, a space, the
/// message.
#[must_use]
pub fn octet_counted(message: &str) -> String {
    format!("{} {message}", message.len())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn seed_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_725_546_880) + Duration::from_micros(44_316)
    }

    fn id(host: &str) -> Identity {
        Identity {
            hostname: host.into(),
            pid: 4242,
        }
    }

    #[test]
    fn local_messages_look_like_syslog3s() {
        assert_eq!(
            local(&id("node-1"), seed_time(), "calico-packet: IN=eth1"),
            "<13>Sep  5 14:34:40 tortie[4242]: calico-packet: IN=eth1"
        );
    }

    #[test]
    fn remote_messages_are_rfc5424_with_a_usable_host_name() {
        assert_eq!(
            rfc5424(&id("node-1"), seed_time(), "calico-packet: IN=eth1"),
            "<13>1 2024-09-05T14:34:40.044316Z node-1 tortie 4242 - - calico-packet: IN=eth1"
        );
        assert!(rfc5424(&id(""), seed_time(), "x").contains("Z - tortie 4242"));
        assert!(rfc5424(&id("a b\n"), seed_time(), "x").contains("Z ab tortie"));
    }

    #[test]
    fn octet_counting_counts_bytes_not_characters() {
        assert_eq!(octet_counted("abc"), "3 abc");
        assert_eq!(octet_counted("é"), "2 é");
    }
}
