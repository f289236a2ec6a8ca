//! Real etcd servers on loopback: one member or a cluster, each with a temporary data directory
//! and free ports, killed and removed when the [`EtcdCluster`] is dropped (also when a test
//! panics). Members can be stopped (killed, as a crash) and started again on the same data.
//!
//! The binary is `/usr/bin/etcd` (Debian's `etcd-server`) or `$TORTIE_ETCD_BIN`; a missing
//! binary is an error that says how to install it, so tests fail instead of skipping.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::Error;
use crate::certs::{Ca, CertPair};

/// Where the etcd binary is by default.
pub const DEFAULT_ETCD_BIN: &str = "/usr/bin/etcd";
/// What a member logs once it serves clients (etcd 3.4+, zap logger).
const SERVING: &str = "\"msg\":\"serving client traffic";
/// How long a start may take before it is an error.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// TLS for the client port: the server's certificate and the CA that client certificates must
/// chain to (`--client-cert-auth`).
#[derive(Clone, Debug)]
pub struct ServerTls {
    /// The CA whose certificates the server trusts for clients.
    pub trusted_ca: PathBuf,
    /// The server certificate and key.
    pub server: CertPair,
}

/// How to start a cluster.
#[derive(Clone, Debug)]
pub struct EtcdOptions {
    /// Number of members.
    pub members: usize,
    /// TLS with client certificates on the client port, if set.
    pub tls: Option<ServerTls>,
    /// `--max-txn-ops` (etcd's default is 128).
    pub max_txn_ops: Option<u32>,
    /// A word for directory names and logs.
    pub tag: String,
}

impl Default for EtcdOptions {
    fn default() -> Self {
        EtcdOptions {
            members: 1,
            tls: None,
            max_txn_ops: None,
            tag: "etcd".into(),
        }
    }
}

struct Member {
    name: String,
    client_port: u16,
    peer_port: u16,
    child: Option<Child>,
}

/// A running etcd cluster on 127.0.0.1.
pub struct EtcdCluster {
    dir: PathBuf,
    options: EtcdOptions,
    members: Vec<Member>,
    token: String,
    /// Other directories removed on drop (certificates).
    owned: Vec<PathBuf>,
}

/// The etcd binary, or an error saying how to get it.
///
/// # Errors
/// The binary does not exist.
pub fn etcd_binary() -> Result<PathBuf, Error> {
    let bin = std::env::var_os("TORTIE_ETCD_BIN")
        .map_or_else(|| PathBuf::from(DEFAULT_ETCD_BIN), PathBuf::from);
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(Error(format!(
            "the etcd server binary is missing at {}: install Debian's etcd-server \
             (apt-get install etcd-server) or set TORTIE_ETCD_BIN",
            bin.display()
        )))
    }
}

fn free_ports(n: usize) -> Result<Vec<u16>, Error> {
    // Hold every listener until all ports are known, so the kernel hands out distinct ones.
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error(format!("cannot find a free port: {e}")))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error(format!("cannot find a free port: {e}")))
}

fn unique_dir(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "tortie-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

impl EtcdCluster {
    /// A single member without TLS.
    ///
    /// # Errors
    /// The binary is missing or etcd did not start.
    pub fn single(tag: &str) -> Result<EtcdCluster, Error> {
        EtcdCluster::start(EtcdOptions {
            tag: tag.into(),
            ..EtcdOptions::default()
        })
    }

    /// Starts every member and waits until all serve clients.
    ///
    /// # Errors
    /// The binary is missing or a member did not start (its log tail is in the message).
    pub fn start(options: EtcdOptions) -> Result<EtcdCluster, Error> {
        etcd_binary()?;
        let mut last = None;
        // A port picked here can be taken by someone else before etcd binds it; try again.
        for _ in 0..3 {
            let ports = free_ports(options.members * 2)?;
            let dir = unique_dir(&options.tag);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error(format!("cannot create {}: {e}", dir.display())))?;
            let mut cluster = EtcdCluster {
                token: dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                dir,
                members: (0..options.members)
                    .map(|i| Member {
                        name: format!("m{i}"),
                        client_port: ports[2 * i],
                        peer_port: ports[2 * i + 1],
                        child: None,
                    })
                    .collect(),
                options: options.clone(),
                owned: Vec::new(),
            };
            let all: Vec<usize> = (0..options.members).collect();
            match cluster.start_members(&all) {
                Ok(()) => return Ok(cluster),
                // Most likely a port conflict; a member that hangs will hang again.
                Err(e) if e.0.contains("exited with") => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error("etcd did not start".into())))
    }

    /// A CA, a server certificate and a single TLS member that requires client certificates
    /// from that CA; returns the cluster and the CA (to issue client certificates).
    ///
    /// # Errors
    /// Certificates could not be made or etcd did not start.
    pub fn single_tls(tag: &str) -> Result<(EtcdCluster, Ca), Error> {
        let certs = unique_dir(&format!("{tag}-certs"));
        let ca = Ca::new(&certs, "etcd")?;
        let server = ca.server(&certs, "server")?;
        let mut cluster = EtcdCluster::start(EtcdOptions {
            tag: tag.into(),
            tls: Some(ServerTls {
                trusted_ca: ca.cert.clone(),
                server,
            }),
            ..EtcdOptions::default()
        })
        .inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&certs);
        })?;
        // The certificates go away with the cluster.
        cluster.owned.push(certs);
        Ok((cluster, ca))
    }

    /// The scheme of client URLs.
    fn scheme(&self) -> &'static str {
        if self.options.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// The client URL of member `i`.
    #[must_use]
    pub fn endpoint(&self, i: usize) -> String {
        format!(
            "{}://127.0.0.1:{}",
            self.scheme(),
            self.members[i].client_port
        )
    }

    /// Every member's client URL.
    #[must_use]
    pub fn endpoints(&self) -> Vec<String> {
        (0..self.members.len()).map(|i| self.endpoint(i)).collect()
    }

    /// The cluster's directory (data, logs, certificates).
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The log file of member `i`.
    #[must_use]
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{}.log", self.members[i].name))
    }

    fn log_tail(&self, i: usize) -> String {
        let text = std::fs::read_to_string(self.log_path(i)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }

    fn serving_count(&self, i: usize) -> usize {
        std::fs::read_to_string(self.log_path(i))
            .map(|t| t.matches(SERVING).count())
            .unwrap_or(0)
    }

    fn command(&self, i: usize) -> Result<Command, Error> {
        let m = &self.members[i];
        let peers: Vec<String> = self
            .members
            .iter()
            .map(|p| format!("{}=http://127.0.0.1:{}", p.name, p.peer_port))
            .collect();
        let client = self.endpoint(i);
        let peer = format!("http://127.0.0.1:{}", m.peer_port);
        let mut cmd = Command::new(etcd_binary()?);
        // etcd reads ETCD_* variables as flags; the test's own (ETCD_ENDPOINTS, ...) must not leak.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("ETCD_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg("--name")
            .arg(&m.name)
            .arg("--data-dir")
            .arg(self.dir.join(&m.name))
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &peers.join(",")])
            .args(["--initial-cluster-state", "new"])
            .args(["--initial-cluster-token", &self.token])
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            .args(["--quota-backend-bytes", "268435456"])
            .args(["--logger", "zap", "--log-outputs", "stderr"]);
        if let Some(n) = self.options.max_txn_ops {
            cmd.args(["--max-txn-ops", &n.to_string()]);
        }
        if let Some(tls) = &self.options.tls {
            cmd.arg("--cert-file")
                .arg(&tls.server.cert)
                .arg("--key-file")
                .arg(&tls.server.key)
                .arg("--trusted-ca-file")
                .arg(&tls.trusted_ca)
                .arg("--client-cert-auth");
        }
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path(i))
            .map_err(|e| Error(format!("cannot open the etcd log: {e}")))?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        Ok(cmd)
    }

    /// Starts the given (stopped) members and waits until each serves clients. A member of a
    /// cluster serves only once a quorum is up, so start enough members together.
    ///
    /// # Errors
    /// A member exited or did not serve within 30 s.
    pub fn start_members(&mut self, which: &[usize]) -> Result<(), Error> {
        let mut before = Vec::new();
        for &i in which {
            if self.members[i].child.is_some() {
                continue;
            }
            before.push((i, self.serving_count(i)));
            let child = self.command(i)?.spawn().map_err(|e| {
                Error(format!(
                    "cannot start etcd member {}: {e}",
                    self.members[i].name
                ))
            })?;
            self.members[i].child = Some(child);
        }
        let deadline = Instant::now() + START_TIMEOUT;
        for (i, count) in before {
            loop {
                if self.serving_count(i) > count {
                    break;
                }
                let exited = self.members[i]
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                if exited.is_some() || Instant::now() > deadline {
                    let why = exited.map_or_else(
                        || "did not serve clients within 30 s".to_string(),
                        |s| format!("exited with {s}"),
                    );
                    self.stop_member(i);
                    return Err(Error(format!(
                        "etcd member {} ({}) {why}; last log lines:\n{}",
                        self.members[i].name,
                        self.endpoint(i),
                        self.log_tail(i)
                    )));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }

    /// Starts member `i` again on its data and waits until it serves clients.
    ///
    /// # Errors
    /// As [`EtcdCluster::start_members`].
    pub fn start_member(&mut self, i: usize) -> Result<(), Error> {
        self.start_members(&[i])
    }

    /// Kills member `i` (as a crash: no leadership hand-over) and waits for it to exit.
    pub fn stop_member(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills member `i` and deletes its data, as if its disk were replaced; start it again to
    /// get an empty store (a single member) or a member that must rejoin (a cluster).
    pub fn wipe_member(&mut self, i: usize) {
        self.stop_member(i);
        let _ = std::fs::remove_dir_all(self.dir.join(&self.members[i].name));
    }

    /// Kills every member.
    pub fn stop_all(&mut self) {
        for i in 0..self.members.len() {
            self.stop_member(i);
        }
    }

    /// Starts every stopped member and waits until all serve clients.
    ///
    /// # Errors
    /// As [`EtcdCluster::start_members`].
    pub fn start_all(&mut self) -> Result<(), Error> {
        let all: Vec<usize> = (0..self.members.len()).collect();
        self.start_members(&all)
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        self.stop_all();
        let _ = std::fs::remove_dir_all(&self.dir);
        for d in &self.owned {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
