//! Fixtures for the agent's live tests: one lab node (a netns standing in for a host) with
//! pods behind `cali*` veths, an embedded datastore in a temporary directory, and the real
//! agent on a thread of this process programming the node's netns through `nft`.
//!
//! Everything is torn down on drop, also while a failed assertion unwinds: declare the
//! [`Cluster`] first and agents, echo servers and connections after it, so they go first.

pub mod echo;
pub mod http;
pub mod refusing;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tortie_agent::{Agent, AgentConfig, Status, Telemetry, register_node};
use tortie_calc::Model;
use tortie_calc::resolve::entity::EntityKind;
use tortie_dataplane::{Dataplane, Nft};
use tortie_datastore::{Client, Embedded, Write};
use tortie_lab::{
    IfaceSpec, Lab, LabSpec, Listen, NetworkSpec, NodeSpec, Outcome, PodSpec, Probe, Proto,
};
use tortie_model::{Resource, load_str};

/// The one node of every test.
pub const NODE: &str = "node1";
/// Its uplink address (the fabric network has nothing else on it).
const NODE_ADDR: &str = "10.0.0.11/24";
/// The pods' namespace.
pub const NS: &str = "default";

/// How long a probe that should be delivered may take (it returns as soon as it is).
pub const OPEN: Duration = Duration::from_secs(3);
/// How long a probe that should be dropped waits before calling it dropped.
pub const CLOSED: Duration = Duration::from_millis(800);
/// How long to wait for the agent to catch up with a write, on a loaded machine.
pub const CATCH_UP: Duration = Duration::from_secs(30);

/// Whether the tests can run (they create network namespaces); prints why not.
pub fn root_or_skip(test: &str) -> bool {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root {
        eprintln!("skipping {test}: needs root (network namespaces, nftables)");
    }
    root
}

/// A lab prefix unique to this process and call: `tl<pid><tag><n>` (at most 16 characters),
/// the shape `tortie lab down` recognises when it sweeps the leftovers of a dead process.
fn prefix(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let p = format!(
        "tl{}{tag}{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    assert!(p.len() <= 16, "lab prefix {p} is too long");
    p
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A pod of the test: `default/<name>` on [`NODE`], one IPv4 address.
#[derive(Clone, Copy)]
pub struct PodDef {
    /// The pod's name in namespace [`NS`].
    pub name: &'static str,
    /// Its labels.
    pub labels: &'static [(&'static str, &'static str)],
    /// Its address.
    pub ip: &'static str,
    /// What the lab serves in it (TCP ports).
    pub tcp: &'static [u16],
}

/// The Kubernetes Pod of a test pod, running on [`NODE`].
pub fn pod_yaml(p: &PodDef) -> String {
    let labels: Vec<String> = p.labels.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {NS}, labels: {{{labels}}}}}\n\
         spec:\n  nodeName: {NODE}\n  containers: [{{name: main, image: busybox}}]\n\
         status: {{phase: Running, podIP: {ip}, podIPs: [{{ip: {ip}}}]}}\n",
        name = p.name,
        labels = labels.join(", "),
        ip = p.ip,
    )
}

/// Loads a YAML stream; every document must be valid.
pub fn load(yaml: &str) -> Vec<Resource> {
    load_str(yaml, "test manifest")
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"))
        .into_iter()
        .map(|l| l.result.unwrap_or_else(|e| panic!("{e}\n{yaml}")))
        .collect()
}

/// Host-side interface of each workload of `model` on [`NODE`], by its address, with where
/// the model says it came from.
fn workloads(model: &Model) -> BTreeMap<IpAddr, (String, String)> {
    let mut out = BTreeMap::new();
    for e in model.entities() {
        let ent = &e.entity;
        if ent.kind != EntityKind::Workload || ent.node.as_deref() != Some(NODE) {
            continue;
        }
        let Some(iface) = &ent.interface else {
            continue;
        };
        for a in &ent.addresses {
            out.insert(a.addr(), (iface.clone(), ent.source.clone()));
        }
    }
    out
}

/// A node with pods, and the datastore its agents watch.
pub struct Cluster {
    /// The namespaces (dropped first: the store directory outlives them).
    pub lab: Lab,
    /// The datastore.
    pub client: Client,
    /// Pod name → (host-side interface, address).
    pods: BTreeMap<String, (String, IpAddr)>,
    /// Address → host-side interface, of every pod of the lab.
    wired: BTreeMap<IpAddr, String>,
    dir: TempDir,
}

impl Cluster {
    /// Writes the `default` namespace and every pod except `late` to a fresh datastore,
    /// registers [`NODE`], and builds the lab with all pods, wired as the datastore's
    /// workload endpoints say (a late pod's veth is named as its endpoint will be).
    pub fn up(tag: &str, pods: &[PodDef], late: &[&str]) -> Cluster {
        let prefix = prefix(tag);
        let dir = TempDir(std::env::temp_dir().join(format!("tortie-live-{prefix}")));
        std::fs::create_dir_all(&dir.0).unwrap();
        let ns_yaml = format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NS}}}\n");
        let all: Vec<Resource> = std::iter::once(ns_yaml.clone())
            .chain(pods.iter().map(pod_yaml))
            .flat_map(|y| load(&y))
            .collect();
        // What the lab must look like, derived the way the agent's model derives it.
        let wired = workloads(&Model::from_resources(&all));

        let backend = Embedded::open(&dir.0.join("store")).unwrap();
        let client = Client::new(Arc::new(backend));
        let stored: String = pods
            .iter()
            .filter(|p| !late.contains(&p.name))
            .map(pod_yaml)
            .fold(ns_yaml, |acc, y| acc + "---\n" + &y);
        write_all(&client, &stored);
        register_node(&client, NODE, &[NODE_ADDR.to_string()]).unwrap();
        let mut by_name = BTreeMap::new();
        let cluster_pods = pods
            .iter()
            .map(|p| {
                let addr: IpAddr = p.ip.parse().unwrap();
                let (iface, _) = wired
                    .get(&addr)
                    .unwrap_or_else(|| panic!("no workload derived for pod {}", p.name));
                by_name.insert(p.name.to_string(), (iface.clone(), addr));
                PodSpec {
                    name: format!("{NS}/{}", p.name),
                    host_iface: iface.clone(),
                    addrs: vec![addr],
                    listen: p
                        .tcp
                        .iter()
                        .map(|&port| Listen {
                            proto: Proto::Tcp,
                            port,
                        })
                        .collect(),
                }
            })
            .collect();
        let spec = LabSpec {
            prefix,
            networks: vec![NetworkSpec {
                name: "fabric".into(),
            }],
            nodes: vec![NodeSpec {
                name: NODE.into(),
                interfaces: vec![IfaceSpec {
                    name: "eth0".into(),
                    network: "fabric".into(),
                    addrs: vec![NODE_ADDR.parse().unwrap()],
                }],
                pods: cluster_pods,
            }],
            externals: vec![],
        };
        let lab = Lab::up(&spec).unwrap_or_else(|e| panic!("building the lab: {e}"));
        let cluster = Cluster {
            lab,
            client,
            pods: by_name,
            wired: wired.into_iter().map(|(a, (i, _))| (a, i)).collect(),
            dir,
        };
        cluster.check_wiring(pods.len() - late.len());
        cluster
    }

    /// Every workload endpoint in the datastore claims the veth the lab made for the pod
    /// with its address, and there are `endpoints` of them.
    pub fn check_wiring(&self, endpoints: usize) {
        let listed = self.client.list_acted_on().unwrap();
        let found = workloads(&Model::from_resources(&listed.items));
        for (addr, (iface, source)) in &found {
            assert_eq!(
                self.wired.get(addr),
                Some(iface),
                "{source} in the datastore ({addr} on {iface}) is not what the lab wired"
            );
        }
        assert_eq!(
            found.len(),
            endpoints,
            "workload endpoints in the datastore"
        );
    }

    /// The address of a pod.
    pub fn ip(&self, pod: &str) -> IpAddr {
        self.pods[pod].1
    }

    /// The netns of a pod.
    pub fn netns(&self, pod: &str) -> &str {
        self.lab.netns_of(&format!("{NS}/{pod}")).unwrap()
    }

    /// The node's netns, where the agent's `nft` runs.
    pub fn node_netns(&self) -> &str {
        self.lab.node_netns(NODE)
    }

    /// Applies a YAML stream and returns the datastore's revision after it.
    pub fn apply(&self, yaml: &str) -> u64 {
        write_all(&self.client, yaml);
        self.client.revision().unwrap()
    }

    /// A TCP probe from one pod to another.
    pub fn tcp(&self, from: &str, to: &str, port: u16) -> Probe {
        Probe::new(format!("{NS}/{from}"), self.ip(to), Proto::Tcp, port)
    }

    /// `nft` in the node's netns; its stdout, or the error.
    pub fn nft(&self, args: &[&str]) -> Result<String, String> {
        self.lab.exec(NODE, "nft", args).map_err(|e| e.to_string())
    }

    /// The node's `inet tortie` table as `nft -j` lists it.
    pub fn table_json(&self) -> serde_json::Value {
        let text = self
            .nft(&["-j", "list", "table", "inet", "tortie"])
            .unwrap_or_else(|e| panic!("listing the table: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    /// Starts an agent for [`NODE`] on a thread; its status file is named after `name`.
    pub fn start_agent<N: Nft + Send + 'static>(
        &self,
        name: &str,
        nft: N,
        drift_interval: Duration,
        telemetry: Arc<Telemetry>,
    ) -> RunningAgent {
        self.start_agent_with(
            name,
            tortie_dataplane::Programmer::new(nft),
            drift_interval,
            telemetry,
        )
    }

    /// As [`Cluster::start_agent`], programming through any backend.
    pub fn start_agent_with<D: Dataplane + Send + 'static>(
        &self,
        name: &str,
        dataplane: D,
        drift_interval: Duration,
        telemetry: Arc<Telemetry>,
    ) -> RunningAgent {
        let status_file = self.dir.0.join(format!("{name}.status.json"));
        let _ = std::fs::remove_file(&status_file);
        let mut cfg = AgentConfig::new(NODE);
        cfg.drift_interval = drift_interval;
        cfg.status_file = Some(status_file.clone());
        let mut agent = Agent::new(self.client.clone(), cfg, dataplane, Arc::clone(&telemetry));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("agent-{name}"))
            .spawn(move || agent.run(&flag))
            .unwrap();
        RunningAgent {
            stop,
            thread: Some(thread),
            telemetry,
            status_file,
        }
    }
}

fn write_all(client: &Client, yaml: &str) {
    let writes = load(yaml)
        .into_iter()
        .map(|resource| Write::Apply { resource })
        .collect();
    client
        .write(writes)
        .unwrap_or_else(|e| panic!("writing {yaml}: {e}"));
}

/// Counts of what a `nft -j list table` holds: chains, rules, set and map elements.
pub fn table_counts(listing: &serde_json::Value) -> (usize, usize, usize) {
    let items = listing["nftables"].as_array().unwrap();
    let chains = items.iter().filter(|i| i.get("chain").is_some()).count();
    let rules = items.iter().filter(|i| i.get("rule").is_some()).count();
    let elements = items
        .iter()
        .filter_map(|i| i.get("set").or_else(|| i.get("map")))
        .map(|s| s["elem"].as_array().map_or(0, Vec::len))
        .sum();
    (chains, rules, elements)
}

/// The handle of the table in a listing (a new table gets a new handle).
pub fn table_handle(listing: &serde_json::Value) -> u64 {
    listing["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|i| i.get("table").and_then(|t| t["handle"].as_u64()))
        .unwrap()
}

/// An agent running on a thread; stopped (and joined) on drop.
pub struct RunningAgent {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Its metrics.
    pub telemetry: Arc<Telemetry>,
    status_file: PathBuf,
}

impl RunningAgent {
    /// The status file's contents, if it has been written.
    pub fn status(&self) -> Option<serde_json::Value> {
        Status::read(&self.status_file).ok()
    }

    fn alive(&self) {
        assert!(
            !self.thread.as_ref().is_some_and(JoinHandle::is_finished),
            "the agent thread ended"
        );
    }

    /// Polls the status until `done` holds for it; panics with the last status after
    /// [`CATCH_UP`].
    pub fn wait_status(
        &self,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + CATCH_UP;
        loop {
            let status = self.status();
            if let Some(s) = status.as_ref().filter(|s| done(s)) {
                return s.clone();
            }
            self.alive();
            assert!(
                Instant::now() < deadline,
                "the agent's status never showed {what} within {CATCH_UP:?}; last: {status:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the status says ready, with no error, and `revision` programmed.
    pub fn wait_programmed(&self, revision: u64) -> serde_json::Value {
        self.wait_status(&format!("revision {revision} programmed and ready"), |s| {
            s["ready"] == true
                && s.get("error").is_none()
                && s["programmedRevision"].as_u64().unwrap_or(0) >= revision
        })
    }

    /// Stops the agent and waits for its thread; a panic in the agent fails the test.
    pub fn stop(mut self) {
        if let Some(Err(panic)) = self.halt() {
            std::panic::resume_unwind(panic);
        }
    }

    fn halt(&mut self) -> Option<std::thread::Result<()>> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().map(JoinHandle::join)
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        let _ = self.halt();
    }
}

/// Sends the probes at once and fails with every one whose outcome differs.
pub fn expect(lab: &Lab, when: &str, cases: &[(Probe, Outcome)]) {
    let probes: Vec<Probe> = cases
        .iter()
        .map(|(p, want)| {
            let t = if *want == Outcome::Delivered {
                OPEN
            } else {
                CLOSED
            };
            p.clone().timeout(t)
        })
        .collect();
    let got = lab.probe_many(&probes);
    let wrong: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|((_, want), got)| want != *got)
        .map(|((p, want), got)| {
            format!(
                "  {} -> {}:{} {:?}: expected {want}, got {got}",
                p.from, p.to, p.port, p.proto
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{when}:\n{}", wrong.join("\n"));
}

/// Probes until the outcome is `want`; returns how long that took. Fails after `within`.
pub fn wait_outcome(lab: &Lab, p: &Probe, want: &Outcome, within: Duration) -> Duration {
    let start = Instant::now();
    let t = if *want == Outcome::Delivered {
        OPEN
    } else {
        CLOSED
    };
    loop {
        let got = lab.probe(&p.clone().timeout(t));
        if got == *want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{} -> {}:{} never became {want} within {within:?}; last: {got}",
            p.from,
            p.to,
            p.port
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Ingress to app=server: TCP to `port` from the pods matching `from`, nothing else.
pub fn server_policy(from: &str, port: u16) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {{name: server-ingress, namespace: default}}\n\
         spec:\n  selector: app == 'server'\n  types: [Ingress]\n  ingress:\n\
         \x20 - action: Allow\n    protocol: TCP\n    source: {{selector: \"{from}\"}}\n\
         \x20   destination: {{ports: [{port}]}}\n"
    )
}
