//! A TCP echo server inside a pod and a client connection that outlives agent restarts.
//! (The lab's own TCP servers answer once and close, which cannot show that an established
//! connection keeps working.)

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tortie_lab::in_netns;

/// What the server sends first, so a probe (which reads a greeting) returns at once.
pub const GREETING: &[u8] = b"echo\n";

/// An echo server listening on all IPv4 addresses of a netns; stopped on drop.
pub struct EchoServer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoServer {
    /// Listens on `port` in `netns`.
    pub fn start(netns: &str, port: u16) -> EchoServer {
        let listener = in_netns(netns, || TcpListener::bind(("0.0.0.0", port)))
            .unwrap()
            .unwrap_or_else(|e| panic!("echo server in {netns}: {e}"));
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("echo-server".into())
            .spawn(move || serve(&listener, &flag))
            .unwrap();
        EchoServer {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(listener: &TcpListener, stop: &Arc<AtomicBool>) {
    let mut conns = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((conn, _)) => {
                let flag = Arc::clone(stop);
                conns.push(std::thread::spawn(move || echo(conn, &flag)));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    for c in conns {
        let _ = c.join();
    }
}

fn echo(mut conn: TcpStream, stop: &AtomicBool) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_millis(50)));
    if conn.write_all(GREETING).is_err() {
        return;
    }
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        match conn.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if conn.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// One connection to an [`EchoServer`], opened from inside a netns.
pub struct EchoClient {
    stream: TcpStream,
    sent: u64,
}

impl EchoClient {
    /// Connects from `netns` and reads the greeting.
    ///
    /// # Errors
    /// The connection or the greeting did not come within `timeout`.
    pub fn connect(netns: &str, to: SocketAddr, timeout: Duration) -> io::Result<EchoClient> {
        let mut stream = in_netns(netns, || TcpStream::connect_timeout(&to, timeout))
            .map_err(io::Error::other)??;
        stream.set_read_timeout(Some(timeout))?;
        let mut greeting = [0u8; GREETING.len()];
        stream.read_exact(&mut greeting)?;
        if greeting != GREETING {
            return Err(io::Error::other(format!(
                "unexpected greeting {greeting:?}"
            )));
        }
        Ok(EchoClient { stream, sent: 0 })
    }

    /// Sends a numbered line and reads it back; returns how long that took.
    ///
    /// # Errors
    /// The echo did not come back (complete and unchanged) within `timeout`.
    pub fn round_trip(&mut self, timeout: Duration) -> io::Result<Duration> {
        self.sent += 1;
        let line = format!("round trip {}\n", self.sent);
        let start = Instant::now();
        self.stream.set_read_timeout(Some(timeout))?;
        self.stream.write_all(line.as_bytes())?;
        let mut back = vec![0u8; line.len()];
        self.stream.read_exact(&mut back)?;
        if back != line.as_bytes() {
            return Err(io::Error::other(format!(
                "sent {line:?}, got {:?}",
                String::from_utf8_lossy(&back)
            )));
        }
        Ok(start.elapsed())
    }
}

/// Round trips on one connection, back to back on a thread, until stopped.
pub struct Pinger {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    thread: Option<JoinHandle<Pings>>,
}

/// What a [`Pinger`] saw.
pub struct Pings {
    /// The connection, for more use.
    pub client: EchoClient,
    /// Round trips completed.
    pub count: usize,
    /// The slowest one.
    pub slowest: Duration,
    /// The first failure (the pinger stops at it).
    pub failure: Option<String>,
}

impl Pinger {
    /// Starts pinging; each round trip must complete within `timeout`.
    pub fn start(mut client: EchoClient, timeout: Duration) -> Pinger {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let (flag, counter) = (Arc::clone(&stop), Arc::clone(&done));
        let thread = std::thread::Builder::new()
            .name("pinger".into())
            .spawn(move || {
                let mut slowest = Duration::ZERO;
                let mut failure = None;
                while !flag.load(Ordering::Relaxed) {
                    match client.round_trip(timeout) {
                        Ok(took) => {
                            slowest = slowest.max(took);
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => {
                            failure = Some(format!(
                                "round trip {} failed: {e}",
                                counter.load(Ordering::SeqCst) + 1
                            ));
                            break;
                        }
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Pings {
                    count: counter.load(Ordering::SeqCst),
                    client,
                    slowest,
                    failure,
                }
            })
            .unwrap();
        Pinger {
            stop,
            done,
            thread: Some(thread),
        }
    }

    /// Round trips completed so far.
    pub fn count(&self) -> usize {
        self.done.load(Ordering::SeqCst)
    }

    /// Whether the pinger stopped on its own (a failure).
    pub fn failed(&self) -> bool {
        self.thread.as_ref().is_some_and(JoinHandle::is_finished)
    }

    /// Waits until `n` round trips are done (or the pinger failed, or `within` passed).
    pub fn wait_for(&self, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.count() < n && !self.failed() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops and reports.
    pub fn finish(mut self) -> Pings {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take().unwrap();
        thread.join().unwrap()
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
