//! The NFLOG socket: a `NETLINK_NETFILTER` socket bound to one group. A socket belongs to
//! the network namespace of the thread that creates it, and so do the packets it receives.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, bind, recv, send,
    setsockopt, sockopt,
};

use crate::error::LogError;
use crate::nflog::{self, Event};

/// Bytes of each packet copied to us: all of it (the kernel caps this just under 64 KiB),
/// so `INCOMPLETE [n bytes]` counts what the kernel's LOG target would.
pub const COPY_RANGE: u32 = 0xffff;
/// Receive buffer asked for, so bursts queue rather than overflow.
const RCVBUF: usize = 4 << 20;
/// How long a taken group is retried before giving up.
const BIND_RETRY: Duration = Duration::from_millis(500);
/// The largest datagram: one packet of up to 64 KiB plus attributes.
pub const RECV_BUF: usize = 128 << 10;

/// A socket receiving the packets of one NFLOG group.
#[derive(Debug)]
pub struct NflogSocket {
    fd: OwnedFd,
    group: u16,
}

/// What one wait on the socket gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// A datagram of this many bytes.
    Datagram(usize),
    /// Nothing before the timeout.
    Idle,
    /// The kernel dropped messages because the receive buffer was full.
    Overrun,
}

impl NflogSocket {
    /// Binds `group` in the current thread's network namespace, waiting for the kernel's
    /// answer. Only one socket per namespace can hold a group.
    ///
    /// # Errors
    /// When the socket cannot be made (no `nfnetlink_log` support, no `CAP_NET_ADMIN`) or
    /// the group is taken (`EPERM`/`EBUSY`).
    pub fn bind(group: u16) -> Result<NflogSocket, LogError> {
        let fd = nix::sys::socket::socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkNetFilter,
        )
        .map_err(|e| LogError::kernel("open a NETLINK_NETFILTER socket", e))?;
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0))
            .map_err(|e| LogError::kernel("bind the netlink socket", e))?;
        // Forcing a size past rmem_max needs CAP_NET_ADMIN; the plain option is capped.
        if setsockopt(&fd, sockopt::RcvBufForce, &RCVBUF).is_err() {
            let _ = setsockopt(&fd, sockopt::RcvBuf, &RCVBUF);
        }
        let socket = NflogSocket { fd, group };
        // A socket closed a moment ago may still hold the group: a child process forked in
        // that moment keeps its descriptor until it execs. Retry briefly.
        let deadline = Instant::now() + BIND_RETRY;
        let mut seq = 0;
        loop {
            seq += 1;
            match socket.request(&nflog::bind_request(group, COPY_RANGE, seq), seq) {
                Err(LogError::Kernel {
                    source: Errno::EPERM | Errno::EBUSY,
                    ..
                }) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                Err(LogError::Kernel {
                    source: Errno::EPERM | Errno::EBUSY,
                    ..
                }) => {
                    return Err(LogError::Config(format!(
                        "NFLOG group {group} cannot be bound: another process in this \
                         network namespace holds it (another agent, ulogd?), or this one \
                         lacks CAP_NET_ADMIN"
                    )));
                }
                result => return result.map(|()| socket),
            }
        }
    }

    /// The group this socket holds.
    #[must_use]
    pub fn group(&self) -> u16 {
        self.group
    }

    /// Sends a configuration request and waits (up to 2 s) for its acknowledgement.
    fn request(&self, message: &[u8], seq: u32) -> Result<(), LogError> {
        let what = || format!("configure NFLOG group {}", self.group);
        send(self.fd.as_raw_fd(), message, MsgFlags::empty())
            .map_err(|e| LogError::kernel(what(), e))?;
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut buf = vec![0u8; RECV_BUF];
        while Instant::now() < deadline {
            let Received::Datagram(n) = self.recv(&mut buf, Duration::from_millis(100))? else {
                continue;
            };
            for event in nflog::decode(&buf[..n])? {
                match event {
                    Event::Ack { seq: s, error: 0 } if s == seq => return Ok(()),
                    Event::Ack { seq: s, error } if s == seq => {
                        return Err(LogError::kernel(what(), Errno::from_raw(-error)));
                    }
                    _ => {}
                }
            }
        }
        Err(LogError::Config(format!(
            "{}: no answer from the kernel",
            what()
        )))
    }

    /// Waits up to `timeout` for a datagram and reads it into `buf`.
    ///
    /// # Errors
    /// When polling or reading fails for another reason than a signal or an overrun.
    pub fn recv(&self, buf: &mut [u8], timeout: Duration) -> Result<Received, LogError> {
        let ms = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, ms) {
            Ok(0) | Err(Errno::EINTR) => return Ok(Received::Idle),
            Ok(_) => {}
            Err(e) => return Err(LogError::kernel("poll the NFLOG socket", e)),
        }
        match recv(self.fd.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT) {
            Ok(n) => Ok(Received::Datagram(n)),
            Err(Errno::EAGAIN | Errno::EINTR) => Ok(Received::Idle),
            Err(Errno::ENOBUFS) => Ok(Received::Overrun),
            Err(e) => Err(LogError::kernel("read the NFLOG socket", e)),
        }
    }
}
