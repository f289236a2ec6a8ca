//! `tortie lab up` keeps its lab in a foreground process and answers `tortie lab probe` and
//! `tortie lab down` over a Unix socket: the probes' servers and raw-packet receipts live in
//! that process, so probing has to happen there too.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::check::{FlowCheck, Row, check};
use super::run::PROBE_TIMEOUT;
use super::session::Session;

/// Where running labs listen.
pub const CONTROL_DIR: &str = "/run/tortie/lab";

/// The socket of the lab named `name`.
#[must_use]
pub fn socket_path(name: &str) -> PathBuf {
    Path::new(CONTROL_DIR).join(format!("{name}.sock"))
}

/// Sockets of the labs that are up, by name.
#[must_use]
pub fn running() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(CONTROL_DIR)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let name = p.file_name()?.to_str()?.strip_suffix(".sock")?.to_string();
            Some((name, p))
        })
        .collect();
    out.sort();
    out
}

/// Which flows to probe; empty fields mean "all".
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Selection {
    /// Sources: names (`NAMESPACE/POD`, an external) or `NAMESPACE/*`.
    pub from: Vec<String>,
    /// Destinations, the same forms, or addresses.
    pub to: Vec<String>,
    /// Traffic (`tcp/80`); default: what the scenario's expectations use.
    pub traffic: Vec<String>,
    /// Probe IPv6 addresses instead of IPv4.
    pub v6: bool,
}

/// A request to a running lab.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    /// Wait until the agents programmed the datastore's revision, then probe.
    Probe(Selection),
    /// Tear the lab down and exit.
    Down,
}

/// The answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Response {
    /// Probe results.
    Rows(Vec<Row>),
    /// The lab is going down.
    Done,
    /// Something failed.
    Error(String),
}

fn selected(name: &str, patterns: &[String]) -> bool {
    patterns.is_empty()
        || patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => p == name,
        })
}

/// Raw-protocol probes are only seen by a server for that protocol; elsewhere they would
/// look dropped whatever the policy says.
fn raw(traffic: &str) -> bool {
    traffic.starts_with("sctp/") || traffic.starts_with("proto/")
}

/// Every ordered pair of the selection: pods and externals as sources, endpoints with
/// servers as destinations (for raw protocols, only those serving that protocol).
#[must_use]
pub fn flows(
    session: &Session,
    listening: &BTreeMap<String, Vec<String>>,
    sel: &Selection,
    default_traffic: &[String],
) -> Vec<FlowCheck> {
    let addrs = session.addresses();
    let sources: Vec<&String> = addrs.pods.keys().chain(addrs.externals.keys()).collect();
    let traffic: Vec<&String> = if sel.traffic.is_empty() {
        // The scenario's ICMP flavour follows the family probed.
        let skip = if sel.v6 { "icmp" } else { "icmpv6" };
        default_traffic.iter().filter(|t| *t != skip).collect()
    } else {
        sel.traffic.iter().collect()
    };
    let mut out = Vec::new();
    for t in traffic {
        for from in sources.iter().filter(|f| selected(f, &sel.from)) {
            for (to, serves) in listening.iter().filter(|(t, _)| selected(t, &sel.to)) {
                if *from == to || addrs.of(to, sel.v6).is_none() || (raw(t) && !serves.contains(t))
                {
                    continue;
                }
                out.push(FlowCheck {
                    from: (*from).clone(),
                    to: to.clone(),
                    traffic: t.clone(),
                    v6: sel.v6,
                    expected: String::new(),
                    logged: None,
                });
            }
            // Addresses (a Service's cluster or load-balancer IP) are probed as given.
            for ip in sel
                .to
                .iter()
                .filter(|a| a.parse::<std::net::IpAddr>().is_ok())
            {
                out.push(FlowCheck {
                    from: (*from).clone(),
                    to: ip.clone(),
                    traffic: t.clone(),
                    v6: sel.v6,
                    expected: String::new(),
                    logged: None,
                });
            }
        }
    }
    out
}

/// The listening control socket of a lab, bound before the lab says it is up, so a
/// `tortie lab probe` sent right after that line always finds it. Removed when dropped.
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ControlSocket {
    /// Binds `path`, refusing when another lab already answers there.
    ///
    /// # Errors
    /// A lab answers on `path`, or the socket cannot be created.
    pub fn bind(path: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(CONTROL_DIR).map_err(|e| format!("{CONTROL_DIR}: {e}"))?;
        if UnixStream::connect(path).is_ok() {
            return Err(format!(
                "a lab is already up on {}; run `tortie lab down` first",
                path.display()
            ));
        }
        // A socket file nobody answers on is left by a lab that was killed.
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).map_err(|e| format!("{}: {e}", path.display()))?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        Ok(Self {
            listener,
            path: path.to_path_buf(),
        })
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What the lab process needs to answer requests.
pub struct Served<'a> {
    /// The lab.
    pub session: &'a mut Session,
    /// Endpoints with servers (probe destinations) and what they serve.
    pub listening: BTreeMap<String, Vec<String>>,
    /// Traffic probed when a request names none.
    pub default_traffic: Vec<String>,
}

impl Served<'_> {
    fn answer(&mut self, req: Request) -> (Response, bool) {
        match req {
            Request::Down => (Response::Done, true),
            Request::Probe(sel) => {
                let result = self.session.sync().and_then(|model| {
                    let flows = flows(self.session, &self.listening, &sel, &self.default_traffic);
                    check(self.session, &model, &flows, PROBE_TIMEOUT)
                });
                match result {
                    Ok(rows) => (Response::Rows(rows), false),
                    Err(e) => (Response::Error(e), false),
                }
            }
        }
    }

    /// Answers requests on `socket` until asked to go down or `stop` is set (by a signal).
    ///
    /// # Errors
    /// Accepting a connection fails.
    pub fn serve(&mut self, socket: &ControlSocket, stop: &Arc<AtomicBool>) -> Result<(), String> {
        let listener = &socket.listener;
        while !stop.load(Ordering::Relaxed) {
            let stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                Err(e) => return Err(e.to_string()),
            };
            let _ = stream.set_nonblocking(false);
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                continue;
            }
            let (resp, last) = match serde_json::from_str::<Request>(&line) {
                Ok(req) => self.answer(req),
                Err(e) => (Response::Error(format!("bad request: {e}")), false),
            };
            let mut w = &stream;
            let _ = serde_json::to_writer(&mut w, &resp);
            let _ = w.write_all(b"\n");
            if last {
                break;
            }
        }
        Ok(())
    }
}

/// Sends one request to the lab on `socket` and waits for the answer.
///
/// # Errors
/// No lab listens there, or the answer is not understood.
pub fn request(socket: &Path, req: &Request) -> Result<Response, String> {
    let stream = UnixStream::connect(socket)
        .map_err(|e| format!("no lab answers on {}: {e}", socket.display()))?;
    let mut w = &stream;
    serde_json::to_writer(&mut w, req).map_err(|e| e.to_string())?;
    w.write_all(b"\n").map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    serde_json::from_str(&line).map_err(|e| format!("bad answer from the lab: {e}"))
}
