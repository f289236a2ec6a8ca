//! The servers inside pods and externals: TCP (accept, short reply, close), UDP echo,
//! and raw-protocol receivers that log tokens to the [`ReceiptStore`].
//!
//! Sockets are opened inside each endpoint's netns (so they belong to it) and then all
//! served by one thread that polls them, which keeps a lab with many pods to one extra
//! thread and lets teardown stop everything with a flag.

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, poll};
use socket2::{Domain, Protocol, Socket, Type};

use crate::error::LabError;
use crate::netns::in_netns;
use crate::packet;
use crate::plan::Endpoint;
use crate::receipts::{Receipt, ReceiptStore};
use crate::topology::Proto;

/// How long one poll waits before re-checking the stop flag; bounds teardown latency.
const POLL_MS: u16 = 50;

enum Sock {
    Tcp {
        listener: TcpListener,
        reply: Vec<u8>,
    },
    Udp(UdpSocket),
    Raw {
        socket: UdpSocket,
        v4: bool,
        proto: u8,
        endpoint: String,
    },
}

impl Sock {
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Self::Tcp { listener, .. } => listener.as_fd(),
            Self::Udp(s) | Self::Raw { socket: s, .. } => s.as_fd(),
        }
    }

    /// Handles everything queued; sockets are non-blocking so this never stalls the loop.
    fn serve(&self, receipts: &ReceiptStore, buf: &mut [u8]) {
        match self {
            Self::Tcp { listener, reply } => {
                while let Ok((mut conn, _)) = listener.accept() {
                    // The handshake already proved delivery; the reply is a courtesy, and a
                    // client that has gone away is not an error worth reporting.
                    let _ = conn.set_write_timeout(Some(Duration::from_millis(200)));
                    let _ = conn.write_all(reply);
                }
            }
            Self::Udp(s) => {
                while let Ok((n, from)) = s.recv_from(buf) {
                    let _ = s.send_to(&buf[..n], from);
                }
            }
            Self::Raw {
                socket,
                v4,
                proto,
                endpoint,
            } => {
                while let Ok((n, from)) = socket.recv_from(buf) {
                    let pkt = &buf[..n];
                    let body = if *v4 {
                        packet::skip_ipv4_header(pkt)
                    } else {
                        Some(pkt)
                    };
                    if let Some(token) = body.and_then(|b| packet::token_of(*proto, b)) {
                        receipts.record(Receipt {
                            endpoint: endpoint.clone(),
                            src: from.ip(),
                            proto: *proto,
                            token,
                        });
                    }
                }
            }
        }
    }
}

/// The running servers of one lab; stopping closes every socket.
pub(crate) struct Servers {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Servers {
    pub(crate) fn start(
        endpoints: &[Endpoint],
        receipts: Arc<ReceiptStore>,
    ) -> Result<Self, LabError> {
        let mut socks = Vec::new();
        for ep in endpoints.iter().filter(|e| !e.listen.is_empty()) {
            let opened = in_netns(&ep.ns, || open_all(ep))?.map_err(|e| {
                LabError::io(format!("start servers in {} ({})", ep.name, ep.ns), e)
            })?;
            socks.extend(opened);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let thread = if socks.is_empty() {
            None
        } else {
            let stop = Arc::clone(&stop);
            Some(
                std::thread::Builder::new()
                    .name("lab-servers".into())
                    .spawn(move || serve_loop(&socks, &receipts, &stop))
                    .map_err(|e| LabError::io("spawn server thread", e))?,
            )
        };
        Ok(Self { stop, thread })
    }

    /// Stops serving and closes all sockets (they are owned by the thread).
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // A panic in the server thread already printed; teardown continues regardless.
            let _ = t.join();
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve_loop(socks: &[Sock], receipts: &ReceiptStore, stop: &AtomicBool) {
    let mut buf = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        let mut fds: Vec<PollFd<'_>> = socks
            .iter()
            .map(|s| PollFd::new(s.fd(), PollFlags::POLLIN))
            .collect();
        if poll(&mut fds, POLL_MS).is_err() {
            // EINTR and friends: just poll again.
            continue;
        }
        let ready: Vec<usize> = fds
            .iter()
            .enumerate()
            .filter(|(_, f)| f.revents().is_some_and(|r| !r.is_empty()))
            .map(|(i, _)| i)
            .collect();
        drop(fds);
        for i in ready {
            socks[i].serve(receipts, &mut buf);
        }
    }
}

/// Opens every listener of `ep` for each address family it has. Runs inside its netns.
fn open_all(ep: &Endpoint) -> std::io::Result<Vec<Sock>> {
    let mut out = Vec::new();
    let families = [
        (true, ep.addrs.iter().any(std::net::IpAddr::is_ipv4)),
        (false, ep.addrs.iter().any(std::net::IpAddr::is_ipv6)),
    ];
    for (v4, present) in families {
        if !present {
            continue;
        }
        for l in &ep.listen {
            let sock = match l.proto {
                Proto::Tcp => {
                    let s = bound(v4, Type::STREAM, l.port)?;
                    s.listen(128)?;
                    Sock::Tcp {
                        listener: s.into(),
                        reply: format!("tortie-lab {}\n", ep.name).into_bytes(),
                    }
                }
                Proto::Udp => Sock::Udp(bound(v4, Type::DGRAM, l.port)?.into()),
                // The kernel answers echo requests itself.
                Proto::Icmp => continue,
                Proto::Raw(n) => {
                    let domain = if v4 { Domain::IPV4 } else { Domain::IPV6 };
                    let s = Socket::new(domain, Type::RAW, Some(Protocol::from(i32::from(n))))?;
                    s.set_nonblocking(true)?;
                    Sock::Raw {
                        socket: s.into(),
                        v4,
                        proto: n,
                        endpoint: ep.name.clone(),
                    }
                }
            };
            out.push(sock);
        }
    }
    Ok(out)
}

/// A non-blocking socket bound to the wildcard address of one family. IPv6 sockets are
/// IPv6-only so the IPv4 socket on the same port can coexist.
fn bound(v4: bool, ty: Type, port: u16) -> std::io::Result<Socket> {
    let (domain, addr) = if v4 {
        (
            Domain::IPV4,
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        )
    } else {
        (
            Domain::IPV6,
            SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
        )
    };
    let s = Socket::new(domain, ty, None)?;
    if !v4 {
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    s.bind(&addr.into())?;
    s.set_nonblocking(true)?;
    Ok(s)
}
