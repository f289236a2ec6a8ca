//! A running lab: datastore, namespaces, agents, Services' NAT. `tortie lab run`, `tortie lab
//! up` and the live conformance suite all drive one of these: write to the datastore, wait
//! until every agent programmed that revision, probe.
//!
//! The datastore is a fresh embedded store by default, or an etcd cluster ([`Store::Etcd`]).
//! A node namespace has a loopback of its own, so agents of an etcd lab stay in the root
//! namespace and program their node's namespace from there (`tortie agent --netns`).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use tortie_agent::{Agent, AgentConfig, Telemetry, register_node};
use tortie_calc::Model;
use tortie_calc::resolve::entity::{Entity, EntityKind};
use tortie_dataplane::{Backend, Variant};
use tortie_datastore::{Client, Write};
use tortie_lab::{
    HostSpec, IfaceSpec, Lab, LabSpec, Listen, NetworkSpec, NodeSpec, PodSpec, Proto,
};
use tortie_model::resource::Resource;

use super::scenario::{External, Machine, Route};
use super::services;

mod store;

pub use store::Store;

/// How the agents run.
#[derive(Clone, Debug)]
pub enum AgentRunner {
    /// `ip netns exec NODE <binary> agent ...`, one process per node, as on a real host.
    Process(PathBuf),
    /// The same agent loop on a thread of this process, programming the node's netns through
    /// `ip netns exec nft` (the live conformance suite runs many labs at once this way).
    Thread,
}

/// The machines of a lab: what a scenario file says apart from manifests and expectations.
#[derive(Clone, Debug, Default)]
pub struct Topology {
    /// L2 networks (default: one, `fabric`).
    pub networks: Vec<String>,
    /// Cluster nodes.
    pub nodes: Vec<Machine>,
    /// Clients outside the cluster.
    pub externals: Vec<External>,
    /// Servers per pod, external or node (`node/NAME`): `tcp/80`, `udp/53`, `sctp/9`,
    /// `proto/112`.
    pub listen: BTreeMap<String, Vec<String>>,
    /// Extra routes on externals, e.g. a load balancer's address via the node announcing it.
    pub routes: Vec<Route>,
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

enum Running {
    Process(Child),
    Thread(Arc<AtomicBool>, Option<JoinHandle<()>>),
}

impl Running {
    fn exited(&mut self) -> Option<String> {
        match self {
            Running::Process(c) => c.try_wait().ok().flatten().map(|s| s.to_string()),
            Running::Thread(_, h) => h
                .as_ref()
                .is_some_and(JoinHandle::is_finished)
                .then(|| "the agent thread ended".to_string()),
        }
    }

    fn stop(&mut self) {
        match self {
            Running::Process(c) => {
                let _ = c.kill();
                let _ = c.wait();
            }
            Running::Thread(stop, h) => {
                stop.store(true, Ordering::Relaxed);
                if let Some(h) = h.take() {
                    let _ = h.join();
                }
            }
        }
    }
}

/// Agents of a lab; stopped on drop (before the namespaces go, which they would pin).
struct Agents(Vec<Running>);

impl Drop for Agents {
    fn drop(&mut self) {
        for a in &mut self.0 {
            a.stop();
        }
    }
}

/// Addresses of everything that can be probed, by the names scenarios use.
#[derive(Clone, Debug, Default)]
pub struct Addresses {
    /// `NAMESPACE/POD` → addresses.
    pub pods: BTreeMap<String, Vec<IpAddr>>,
    /// Node name → addresses on all its interfaces.
    pub nodes: BTreeMap<String, Vec<IpAddr>>,
    /// External name → addresses.
    pub externals: BTreeMap<String, Vec<IpAddr>>,
    /// Node name → addresses with their prefixes, to pick the one a client can reach.
    pub node_nets: BTreeMap<String, Vec<IpNet>>,
    /// `NAMESPACE/POD` → the node it runs on.
    pub pod_nodes: BTreeMap<String, String>,
}

impl Addresses {
    /// The address of `who` (`NAMESPACE/POD`, an external, `node/NAME`) in one family.
    #[must_use]
    pub fn of(&self, who: &str, v6: bool) -> Option<IpAddr> {
        let list = self
            .pods
            .get(who)
            .or_else(|| self.externals.get(who))
            .or_else(|| who.strip_prefix("node/").and_then(|n| self.nodes.get(n)))?;
        list.iter().copied().find(|a| a.is_ipv6() == v6)
    }

    /// The address of `to` that `from` reaches directly: for a node, its address on a subnet
    /// an external client is on (a node port is probed on the network the client uses).
    #[must_use]
    pub fn toward(&self, from: &str, to: &str, v6: bool) -> Option<IpAddr> {
        let node = to.strip_prefix("node/").and_then(|n| self.node_nets.get(n));
        let client = self.externals.get(from);
        if let (Some(nets), Some(client)) = (node, client) {
            let shared = nets
                .iter()
                .find(|n| n.addr().is_ipv6() == v6 && client.iter().any(|c| n.contains(c)));
            if let Some(n) = shared {
                return Some(n.addr());
            }
        }
        self.of(to, v6)
    }
}

/// The id of the process that made a lab, read from a netns name (`tl<pid><tag>...-node1`).
#[must_use]
pub fn owner_of(netns: &str) -> Option<(String, u32)> {
    let prefix = netns.split('-').next()?;
    let digits: String = prefix
        .strip_prefix("tl")?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((prefix.to_string(), digits.parse().ok()?))
}

/// Removes the namespaces and files of labs whose process is gone (killed before it could
/// clean up); labs of live processes are left alone. Returns the namespaces removed.
///
/// # Errors
/// Some namespace could not be deleted.
pub fn sweep_dead() -> Result<Vec<String>, String> {
    let mut prefixes: Vec<String> = std::fs::read_dir(tortie_lab::NETNS_DIR)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| owner_of(&n))
        .filter(|(_, pid)| !alive(*pid))
        .map(|(prefix, _)| prefix)
        .collect();
    prefixes.sort();
    prefixes.dedup();
    let mut gone = Vec::new();
    for p in prefixes {
        stop_orphans(&p);
        gone.extend(tortie_lab::sweep(&p).map_err(|e| e.to_string())?);
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("tortie-lab-{p}")));
    }
    Ok(gone)
}

/// Whether a process runs (a zombie, killed but not yet reaped, does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // `pid (comm) S ...`: the state follows the last ')'.
        stat.rsplit(')')
            .next()
            .and_then(|rest| rest.trim_start().chars().next())
            != Some('Z')
    })
}

/// Agents of a killed lab outlive it (they pin its namespaces): find them by the lab's
/// directory on their command line and stop them.
fn stop_orphans(prefix: &str) {
    let mark = format!("tortie-lab-{prefix}/");
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().to_string();
        if !pid.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(&mark) {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
        }
    }
}

/// A lab that is up, with its agents.
pub struct Session {
    // Field order is drop order: agents stop before the lab's namespaces and the store go.
    agents: Agents,
    lab: Lab,
    client: Client,
    store: Store,
    store_dir: PathBuf,
    /// The calicoctl.cfg naming an etcd store, for process agents and the CLI.
    config_file: Option<PathBuf>,
    nodes: Vec<String>,
    addresses: Addresses,
    started: Instant,
    /// The kube-proxy stand-in's entries installed per node, so an unchanged set is not
    /// reinstalled at every sync (each install is an `nft -f` in the node).
    nat: BTreeMap<String, Vec<tortie_lab::ServiceNat>>,
    /// What the agents enforce with.
    backend: Backend,
    tmp: TempDir,
}

/// `NAMESPACE/POD` of a workload derived from a Pod (`Pod prod/web-1`) or a WorkloadEndpoint.
fn pod_name(ent: &Entity) -> String {
    let tail = ent.source.rsplit(' ').next().unwrap_or_default();
    let name = tail.rsplit('/').next().unwrap_or_default();
    format!("{}/{}", ent.namespace.clone().unwrap_or_default(), name)
}

fn parse_listen(text: &str) -> Result<Listen, String> {
    let (proto, port) = text.split_once('/').unwrap_or((text, "0"));
    let port: u16 = port.parse().map_err(|_| format!("bad port in {text:?}"))?;
    let proto = match proto {
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        "sctp" => Proto::Raw(132),
        "icmp" | "icmpv6" => Proto::Icmp,
        "proto" => Proto::Raw(u8::try_from(port).map_err(|_| format!("bad protocol {text:?}"))?),
        other => return Err(format!("unknown protocol {other:?} in {text:?}")),
    };
    Ok(Listen { proto, port })
}

fn nets(addrs: &[String]) -> Result<Vec<IpNet>, String> {
    addrs
        .iter()
        .map(|a| a.parse::<IpNet>().map_err(|e| format!("address {a}: {e}")))
        .collect()
}

/// What the lab spec cannot say: servers on nodes, routes on externals.
fn finish_lab(lab: &mut Lab, topo: &Topology) -> Result<(), String> {
    for (who, items) in &topo.listen {
        if let Some(node) = who.strip_prefix("node/") {
            let listen = items
                .iter()
                .map(|t| parse_listen(t))
                .collect::<Result<Vec<_>, _>>()?;
            lab.serve(node, &listen)
                .map_err(|e| format!("servers on {who}: {e}"))?;
        }
    }
    for r in &topo.routes {
        let dst: IpNet =
            r.to.parse()
                .map_err(|e| format!("route to {}: {e}", r.to))?;
        lab.route_via(&r.from, dst, &r.via)
            .map_err(|e| format!("route from {} to {} via {}: {e}", r.from, r.to, r.via))?;
    }
    Ok(())
}

/// The model of everything agents act on, read from the datastore.
///
/// # Errors
/// The datastore could not be listed.
pub fn model_of(client: &Client) -> Result<Model, String> {
    let listed = client.list_acted_on().map_err(|e| e.to_string())?;
    Ok(Model::from_resources(&listed.items))
}

/// The lab spec: machines from the topology, pods from the workload endpoints in `model`.
fn lab_spec(
    prefix: &str,
    topo: &Topology,
    model: &Model,
    addresses: &mut Addresses,
) -> Result<LabSpec, String> {
    let mut listen: BTreeMap<String, Vec<Listen>> = BTreeMap::new();
    for (who, items) in &topo.listen {
        let parsed = items
            .iter()
            .map(|t| parse_listen(t))
            .collect::<Result<_, _>>()?;
        listen.insert(who.clone(), parsed);
    }
    let mut pods_by_node: BTreeMap<String, Vec<PodSpec>> = BTreeMap::new();
    for e in model.entities() {
        let ent = &e.entity;
        if ent.kind != EntityKind::Workload {
            continue;
        }
        let (Some(node), Some(iface)) = (&ent.node, &ent.interface) else {
            continue;
        };
        let name = pod_name(ent);
        let addrs: Vec<IpAddr> = ent.addresses.iter().map(IpNet::addr).collect();
        addresses.pods.insert(name.clone(), addrs.clone());
        addresses.pod_nodes.insert(name.clone(), node.clone());
        pods_by_node.entry(node.clone()).or_default().push(PodSpec {
            listen: listen.get(&name).cloned().unwrap_or_default(),
            name,
            host_iface: iface.clone(),
            addrs,
        });
    }
    let networks = if topo.networks.is_empty() {
        vec!["fabric".to_string()]
    } else {
        topo.networks.clone()
    };
    let mut spec = LabSpec {
        prefix: prefix.to_string(),
        networks: networks
            .into_iter()
            .map(|name| NetworkSpec { name })
            .collect(),
        nodes: Vec::new(),
        externals: Vec::new(),
    };
    for m in &topo.nodes {
        let mut interfaces = Vec::new();
        for i in &m.interfaces {
            let addrs = nets(&i.addresses)?;
            addresses
                .nodes
                .entry(m.name.clone())
                .or_default()
                .extend(addrs.iter().map(IpNet::addr));
            addresses
                .node_nets
                .entry(m.name.clone())
                .or_default()
                .extend(addrs.iter().copied());
            interfaces.push(IfaceSpec {
                name: i.name.clone(),
                network: i.network.clone(),
                addrs,
            });
        }
        spec.nodes.push(NodeSpec {
            name: m.name.clone(),
            interfaces,
            pods: pods_by_node.remove(&m.name).unwrap_or_default(),
        });
    }
    if let Some(node) = pods_by_node.keys().next() {
        return Err(format!(
            "pods are on node {node}, which the scenario does not define"
        ));
    }
    for x in &topo.externals {
        let addrs = nets(&x.interface.addresses)?;
        addresses
            .externals
            .insert(x.name.clone(), addrs.iter().map(IpNet::addr).collect());
        spec.externals.push(HostSpec {
            name: x.name.clone(),
            iface: IfaceSpec {
                name: x.interface.name.clone(),
                network: x.interface.network.clone(),
                addrs,
            },
            listen: listen.get(&x.name).cloned().unwrap_or_default(),
        });
    }
    Ok(spec)
}

impl Session {
    /// Writes `resources` to a fresh embedded datastore, builds the lab (one pod namespace per
    /// workload endpoint the datastore derived), and starts one agent per node. `tag` (a
    /// letter, then at most two more of `[a-z0-9]`) goes into every namespace name, after
    /// `tl` and this process's id, so `tortie lab down` can tell a dead lab's leftovers.
    ///
    /// # Errors
    /// Invalid topology or manifests; the lab or the agents could not start.
    pub fn up(
        topo: &Topology,
        resources: Vec<Resource>,
        runner: &AgentRunner,
        tag: &str,
    ) -> Result<Session, String> {
        Session::up_on(&Store::Embedded, topo, resources, runner, tag)
    }

    /// As [`Session::up`], on `store`.
    ///
    /// # Errors
    /// As [`Session::up`]; also an etcd store that cannot be reached or already holds
    /// resources.
    pub fn up_on(
        store: &Store,
        topo: &Topology,
        resources: Vec<Resource>,
        runner: &AgentRunner,
        tag: &str,
    ) -> Result<Session, String> {
        Session::up_with(store, topo, resources, runner, Backend::Nftables, tag)
    }

    /// As [`Session::up_on`], the agents enforcing with `backend`.
    ///
    /// # Errors
    /// As [`Session::up_on`].
    pub fn up_with(
        store: &Store,
        topo: &Topology,
        resources: Vec<Resource>,
        runner: &AgentRunner,
        backend: Backend,
        tag: &str,
    ) -> Result<Session, String> {
        let run = RUNS.fetch_add(1, Ordering::SeqCst);
        let prefix = format!("tl{}{tag}{run}", std::process::id());
        let tmp = TempDir(std::env::temp_dir().join(format!("tortie-lab-{prefix}")));
        std::fs::create_dir_all(&tmp.0).map_err(|e| e.to_string())?;
        let store_dir = tmp.0.join("store");
        let client = store.open(&store_dir)?;
        let mut config_file = None;
        if let Store::Etcd(cfg) = store {
            // Pods and nodes are built from what the store holds: a used one would mix labs.
            store::check_empty(&client, cfg)?;
            let path = tmp.0.join("datastore.cfg");
            store::write_config(&path, cfg)?;
            config_file = Some(path);
        }
        let writes = resources
            .into_iter()
            .map(|resource| Write::Apply { resource })
            .collect();
        client
            .write(writes)
            .map_err(|e| format!("applying the manifests: {e}"))?;

        let mut addresses = Addresses::default();
        let spec = lab_spec(&prefix, topo, &model_of(&client)?, &mut addresses)?;
        let mut lab = Lab::up(&spec).map_err(|e| format!("building the lab: {e}"))?;
        finish_lab(&mut lab, topo)?;
        let nodes: Vec<String> = topo.nodes.iter().map(|n| n.name.clone()).collect();
        let mut session = Session {
            agents: Agents(Vec::new()),
            lab,
            client,
            store: store.clone(),
            store_dir,
            config_file,
            nodes,
            addresses,
            started: Instant::now(),
            nat: BTreeMap::new(),
            backend,
            tmp,
        };
        for n in session.nodes.clone() {
            let agent = session.start_agent(&n, runner)?;
            session.agents.0.push(agent);
        }
        Ok(session)
    }

    fn status_file(&self, node: &str) -> PathBuf {
        self.tmp.0.join(format!("{node}.status.json"))
    }

    /// The state directory of the agent of `node` (process agents): `packets.log` holds
    /// the lines of its Log rules.
    #[must_use]
    pub fn state_dir(&self, node: &str) -> PathBuf {
        self.tmp.0.join(format!("{node}.state"))
    }

    /// The lines Log rules produced on `node` so far (process agents).
    #[must_use]
    pub fn logged(&self, node: &str) -> Vec<String> {
        tortie_logs::recent_lines(&self.state_dir(node).join("packets.log"), usize::MAX)
            .unwrap_or_default()
    }

    /// The node a pod runs on, or a `node/NAME` itself.
    #[must_use]
    pub fn node_of(&self, who: &str) -> Option<String> {
        if let Some(n) = who.strip_prefix("node/") {
            return Some(n.to_string());
        }
        self.addresses.pod_nodes.get(who).cloned()
    }

    /// The log of the agent of `node` (process agents).
    #[must_use]
    pub fn agent_log(&self, node: &str) -> PathBuf {
        self.tmp.0.join(format!("{node}.log"))
    }

    fn start_agent(&self, node: &str, runner: &AgentRunner) -> Result<Running, String> {
        let netns = self.lab.node_netns(node).to_string();
        match runner {
            AgentRunner::Process(binary) => {
                let log = std::fs::File::create(self.agent_log(node)).map_err(|e| e.to_string())?;
                let mut cmd = if self.config_file.is_none() {
                    // As on a real host: the agent inside the node, the store a directory.
                    let mut c = Command::new("ip");
                    c.args(["netns", "exec", &netns])
                        .arg(binary)
                        .env("TORTIE_DATASTORE", &self.store_dir);
                    c
                } else {
                    Command::new(binary)
                };
                // Log lines go to the lab's directory only, never to the host's syslog.
                cmd.args(["agent", "--node", node, "--drift-interval", "5"]);
                match self.backend {
                    Backend::Nftables => cmd.args(["--dataplane", "nftables"]),
                    Backend::Iptables(v) => cmd.args([
                        "--dataplane",
                        "iptables",
                        "--iptables-backend",
                        v.map_or("auto", Variant::name),
                    ]),
                };
                cmd.arg("--status-file")
                    .arg(self.status_file(node))
                    .args(["--log-to", "stdout", "--state-dir"])
                    .arg(self.state_dir(node));
                if let Some(cfg) = &self.config_file {
                    // etcd listens on the root namespace's loopback: the agent stays there,
                    // and so do its metrics, reachable from this process.
                    cmd.arg("--config").arg(cfg).args([
                        "--netns",
                        &netns,
                        "--metrics-addr",
                        "127.0.0.1:0",
                    ]);
                }
                let child = cmd
                    .stdout(Stdio::null())
                    .stderr(log)
                    .spawn()
                    .map_err(|e| format!("starting the agent of {node}: {e}"))?;
                Ok(Running::Process(child))
            }
            AgentRunner::Thread => {
                // What `tortie agent` would read from the node's interfaces.
                let addrs: Vec<String> = self
                    .addresses
                    .nodes
                    .get(node)
                    .into_iter()
                    .flatten()
                    .map(ToString::to_string)
                    .collect();
                register_node(&self.client, node, &addrs)
                    .map_err(|e| format!("registering node {node}: {e}"))?;
                let mut cfg = AgentConfig::new(node);
                cfg.drift_interval = Duration::from_secs(5);
                cfg.status_file = Some(self.status_file(node));
                cfg.netns = Some(netns.clone());
                // Each agent of an etcd lab has its own connection, as on separate hosts.
                let client = match self.store {
                    Store::Embedded => self.client.clone(),
                    Store::Etcd(_) => self.store.open(&self.store_dir)?,
                };
                let (dataplane, _) = tortie_dataplane::open(self.backend, Some(&netns));
                let mut agent = Agent::new(client, cfg, dataplane, Arc::new(Telemetry::new()));
                let stop = Arc::new(AtomicBool::new(false));
                let flag = Arc::clone(&stop);
                let handle = std::thread::Builder::new()
                    .name(format!("agent-{node}"))
                    .spawn(move || agent.run(&flag))
                    .map_err(|e| e.to_string())?;
                Ok(Running::Thread(stop, Some(handle)))
            }
        }
    }

    /// The datastore the agents watch.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The lab's namespaces and probes.
    #[must_use]
    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// Addresses by scenario name.
    #[must_use]
    pub fn addresses(&self) -> &Addresses {
        &self.addresses
    }

    /// Where the embedded datastore lives (`TORTIE_DATASTORE` for the CLI).
    #[must_use]
    pub fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    /// The datastore the lab runs on.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// For an etcd lab, a calicoctl.cfg naming its store (`tortie -c FILE apply ...`).
    #[must_use]
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// The last status the agent of `node` wrote (`ready`, `programmedRevision`, ...).
    ///
    /// # Errors
    /// The agent has not written one yet.
    pub fn status(&self, node: &str) -> Result<serde_json::Value, String> {
        tortie_agent::Status::read(&self.status_file(node))
    }

    /// Where the agent of `node` serves `/metrics`, `/healthz` and `/readyz`: process agents
    /// of an etcd lab, once they have said so in their log.
    #[must_use]
    pub fn metrics_addr(&self, node: &str) -> Option<SocketAddr> {
        let log = std::fs::read_to_string(self.agent_log(node)).ok()?;
        log.lines()
            .find_map(|l| l.split_once("/readyz on http://"))
            .and_then(|(_, addr)| addr.trim().parse().ok())
    }

    /// Seconds since the agents were started.
    #[must_use]
    pub fn age(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Writes in one transaction.
    ///
    /// # Errors
    /// The datastore refused the write.
    pub fn write(&self, writes: Vec<Write>) -> Result<(), String> {
        self.client
            .write(writes)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Waits until every agent has programmed the datastore's current revision, installs
    /// the NAT kube-proxy would for the Services, and returns the model trace should read.
    ///
    /// # Errors
    /// An agent exited or did not catch up within 30 s; the NAT could not be installed.
    pub fn sync(&mut self) -> Result<Model, String> {
        let revision = self.client.revision().map_err(|e| e.to_string())?;
        self.wait_programmed(revision)?;
        let model = model_of(&self.client)?;
        for node in &self.nodes {
            let nat = services::nat_for(&model, node);
            if self.nat.get(node) == Some(&nat) {
                continue;
            }
            tortie_lab::install_service_nat(self.lab.node_netns(node), &nat)
                .map_err(|e| format!("kube-proxy stand-in on {node}: {e}"))?;
            self.nat.insert(node.clone(), nat);
        }
        Ok(model)
    }

    fn wait_programmed(&mut self, revision: u64) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let pending: Vec<&String> = self
                .nodes
                .iter()
                .filter(|n| {
                    let status = self.status(n);
                    !status.as_ref().is_ok_and(|s| {
                        s["ready"].as_bool() == Some(true)
                            && s["programmedRevision"].as_u64().unwrap_or(0) >= revision
                    })
                })
                .collect();
            if pending.is_empty() {
                return Ok(());
            }
            let pending: Vec<String> = pending.into_iter().cloned().collect();
            for a in &mut self.agents.0 {
                if let Some(why) = a.exited() {
                    return Err(format!(
                        "an agent exited ({why}); see its log in {}",
                        self.tmp.0.display()
                    ));
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "agents on {pending:?} did not program revision {revision} within 30 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the agents and removes every namespace and file the session made.
    ///
    /// # Errors
    /// Some namespace could not be deleted.
    pub fn down(mut self) -> Result<(), String> {
        for a in &mut self.agents.0 {
            a.stop();
        }
        let Session { lab, .. } = self;
        lab.down().map_err(|e| format!("tearing the lab down: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::owner_of;

    #[test]
    fn owner_is_the_pid_after_tl() {
        assert_eq!(owner_of("tl4021u0-node1"), Some(("tl4021u0".into(), 4021)));
        assert_eq!(owner_of("tl77e3412-p3-x-a"), Some(("tl77e3412".into(), 77)));
        assert_eq!(owner_of("cni-1234"), None);
        assert_eq!(owner_of("tlx-node"), None);
    }
}
