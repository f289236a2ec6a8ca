//! B10 (`performance.md`): what policy adds to the first packet of a new flow, with N
//! Kubernetes NetworkPolicies selecting the destination pod, side by side in one run:
//!
//! - `none`: no ruleset in the node (baseline); `ct only`: conntrack engaged, no policy;
//! - `tortie N`: the table tortie-rules renders for the node, loaded by the agent's programmer;
//! - `felix-shape N`: the same policies laid out the way Felix renders them (`dataplane.md` §1):
//!   per-endpoint chains with the conntrack accept inside them, one `jump` per applicable
//!   policy in order plus a return-on-accept check, per-rule matches (protocol, source set or
//!   CIDR, port) that set the accept mark, a separate return rule, a counter on every rule.
//!
//! ```text
//!   client pod ──veth──► node netns: forward hook ──veth──► server pod
//!   (fresh source port per request)   └ tortie / felix table   (UDP echo, TCP accept)
//! ```
//!
//! Each of the N policies selects the server (`app: server`) and allows a distinct peer
//! (a pod selector whose set holds a remote pod, or an ipBlock) on a distinct port; one more,
//! named to sort last, allows the client. So a new flow from the client walks every policy
//! chain before it is accepted: the worst case of policy order, the same for both layouts.
//!
//! Per-new-flow cost: UDP request/response where every request uses a new source port (a new
//! conntrack entry, so the policy path runs), its RTT, then one more exchange on the same
//! socket (established); and TCP connect/request/response/close (CRR) for a fixed time,
//! closing with RST so no TIME_WAIT builds up. Configurations are interleaved in rounds so
//! drift on a shared machine hits them alike.

mod common;

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{TempDir, millis, percentile, print_table};
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;
use socket2::{Domain, Protocol, Socket, Type};
use tortie_calc::Model;
use tortie_calc::resolve::entity::EntityKind;
use tortie_dataplane::{Nft as _, NftCli, Programmer};
use tortie_lab::{IfaceSpec, Lab, LabSpec, NetworkSpec, NodeSpec, Outcome, PodSpec, Probe, Proto};
use tortie_model::Resource;
use tortie_rules::Ruleset;

const NODE: &str = "node1";
const NAMESPACE: &str = "bench";
const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(10, 65, 0, 2);
const SERVER_IP: Ipv4Addr = Ipv4Addr::new(10, 65, 0, 3);
/// A second server on the same node that no policy selects: alternating new flows between
/// it and the policed server, in the same table and the same moment, pairs the samples so
/// the difference is the policy walk alone, whatever else the machine is doing.
const OPEN_IP: Ipv4Addr = Ipv4Addr::new(10, 65, 0, 4);
/// The port the client is allowed to (UDP and TCP); background policies use 10000 and up.
const PORT: u16 = 5201;
/// A port no policy allows, to check that the server really is policed.
const DENIED_PORT: u16 = 5202;
/// Felix's accept and pass mark bits (its default mark mask).
const ACCEPT: u32 = 0x1_0000;
const PASS: u32 = 0x2_0000;
/// Longest time spent on new-flow UDP exchanges per configuration and round.
const UDP_BUDGET: Duration = Duration::from_secs(3);

struct Size {
    /// Policy counts for Tortie's table.
    tortie: &'static [usize],
    /// Policy counts for the Felix-shaped table.
    felix: &'static [usize],
    rounds: usize,
    /// New-flow UDP exchanges per configuration and round.
    udp: usize,
    /// CRR time per configuration and round.
    crr: Duration,
}

const FULL: Size = Size {
    tortie: &[100, 1_000, 10_000],
    felix: &[100, 1_000, 10_000],
    rounds: 3,
    udp: 1_000,
    crr: Duration::from_millis(1_500),
};

const SMOKE: Size = Size {
    tortie: &[10],
    felix: &[10],
    rounds: 1,
    udp: 30,
    crr: Duration::from_millis(200),
};

fn main() {
    if !common::is_root() {
        println!("packet_cost: skipped (needs root for network namespaces and nftables)");
        return;
    }
    let full = common::full_run();
    let size = if full { FULL } else { SMOKE };
    let started = Instant::now();
    let tmp = TempDir::new("packet");
    let bench = Bench::up(&tmp, &size);
    println!(
        "packet_cost ({}): lab {} up, {} configurations x {} rounds; setup {:.1} s",
        if full { "full" } else { "smoke" },
        bench.lab.spec().prefix,
        bench.configs.len(),
        size.rounds,
        started.elapsed().as_secs_f64()
    );
    let results = bench.run(&size);
    check_measured(&bench.configs, &results);
    print_results(&bench.configs, &results);
    bench.down();
    println!(
        "\nB10 targets: k8s NetworkPolicy <= +2 us p50, flat 100 -> 10k; CRR >= 90 % of baseline. Total run {:.1} s.",
        started.elapsed().as_secs_f64()
    );
}

/// The lab, its servers and the configurations to compare. Fields drop in order: the
/// servers' sockets go before the lab deletes the namespaces.
struct Bench {
    servers: Servers,
    lab: Lab,
    configs: Vec<Config>,
}

impl Bench {
    /// Writes the world to a datastore, renders and generates every configuration, and
    /// builds the node with the client and server pods on the interfaces the model names.
    fn up(tmp: &TempDir, size: &Size) -> Bench {
        let most = size
            .tortie
            .iter()
            .chain(size.felix)
            .copied()
            .max()
            .unwrap_or(0);
        let client = common::open_store(tmp);
        let world = World::new(most);
        common::apply_all(&client, common::resources(&world.yaml()));
        let listed = client.list_acted_on().expect("list the datastore").items;
        let ifaces = Interfaces::of(&Model::from_resources(&listed));
        let mut configs = vec![Config::none(), Config::ct_only()];
        configs.extend(size.tortie.iter().map(|&n| Config::tortie(&listed, n)));
        configs.extend(
            size.felix
                .iter()
                .map(|&n| Config::felix(&world, &ifaces, n)),
        );
        let lab = Lab::up(&lab_spec(&ifaces)).expect("lab up");
        let servers = Servers::start(&lab);
        Bench {
            servers,
            lab,
            configs,
        }
    }

    /// Rounds of: load each configuration, check it enforces, measure from the client pod.
    fn run(&self, size: &Size) -> Vec<Measured> {
        let node_ns = self.lab.node_netns(NODE);
        let client_ns = self.lab.netns_of("client").expect("client pod");
        let mut results: Vec<Measured> = self.configs.iter().map(|_| Measured::default()).collect();
        for round in 0..size.rounds {
            // Alternate the order so no configuration always follows the same one.
            let mut order: Vec<usize> = (0..self.configs.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            for i in order {
                let (config, result) = (&self.configs[i], &mut results[i]);
                result.load.push(config.install(node_ns));
                check_enforcement(&self.lab, config);
                let got = tortie_lab::in_netns(client_ns, || measure(size))
                    .expect("enter the client netns");
                result.add(got);
            }
        }
        results
    }

    fn down(self) {
        let Bench { servers, lab, .. } = self;
        drop(servers);
        lab.down().expect("lab down");
    }
}

/// Every configuration produced new-flow and CRR samples (the smoke run's other check,
/// besides enforcement).
fn check_measured(configs: &[Config], results: &[Measured]) {
    for (c, m) in configs.iter().zip(results) {
        for t in [&m.policed, &m.open] {
            assert!(
                !t.udp_new.is_empty(),
                "{}: no UDP exchange completed",
                c.name
            );
            assert!(
                !t.connect.is_empty(),
                "{}: no TCP connection completed",
                c.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The policies, as YAML for Tortie and as plain data for the Felix-shaped table.

/// Who one background policy allows.
enum Peer {
    /// Pods labelled `peer: p<j>` (one remote pod at this address carries it).
    Pods(Ipv4Addr),
    /// An ipBlock.
    Block(String),
}

struct World {
    /// Background policy `j` allows `peers[j]` on port `10000 + j`.
    peers: Vec<Peer>,
}

fn peer_ip(j: usize) -> Ipv4Addr {
    let j = u32::try_from(j).expect("small");
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 66, 0, 1)) + j)
}

fn policy_name(j: usize) -> String {
    format!("np{j:05}")
}

/// The allow-client policy sorts after every `np…` one.
const ALLOW_CLIENT: &str = "zz-allow-client";

impl World {
    fn new(policies: usize) -> World {
        let peers = (0..policies)
            .map(|j| {
                if j % 3 == 2 {
                    Peer::Block(format!("172.16.{}.{}/28", (j / 16) % 256, (j % 16) * 16))
                } else {
                    Peer::Pods(peer_ip(j))
                }
            })
            .collect();
        World { peers }
    }

    fn yaml(&self) -> String {
        let mut out = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NAMESPACE}, labels: {{team: bench}}}}\n"
        );
        pod(
            &mut out,
            "client",
            NODE,
            CLIENT_IP,
            "role: client, app: client",
        );
        pod(
            &mut out,
            "server",
            NODE,
            SERVER_IP,
            "role: server, app: server",
        );
        pod(&mut out, "open", NODE, OPEN_IP, "role: server, app: open");
        for (j, peer) in self.peers.iter().enumerate() {
            let from = match peer {
                Peer::Pods(ip) => {
                    pod(
                        &mut out,
                        &format!("peer{j}"),
                        "node2",
                        *ip,
                        &format!("peer: p{j}"),
                    );
                    format!("{{podSelector: {{matchLabels: {{peer: p{j}}}}}}}")
                }
                Peer::Block(cidr) => format!("{{ipBlock: {{cidr: {cidr}}}}}"),
            };
            policy(&mut out, &policy_name(j), &from, 10_000 + j);
        }
        policy(
            &mut out,
            ALLOW_CLIENT,
            "{podSelector: {matchLabels: {role: client}}}",
            usize::from(PORT),
        );
        out
    }
}

fn pod(out: &mut String, name: &str, node: &str, ip: Ipv4Addr, labels: &str) {
    let _ = write!(
        out,
        "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {NAMESPACE}, labels: {{{labels}}}}}\nspec:\n  nodeName: {node}\n  containers: [{{name: main, image: img}}]\nstatus: {{phase: Running, podIP: {ip}, podIPs: [{{ip: {ip}}}]}}\n"
    );
}

fn policy(out: &mut String, name: &str, from: &str, port: usize) {
    let _ = write!(
        out,
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {NAMESPACE}}}\nspec:\n  podSelector: {{matchLabels: {{app: server}}}}\n  ingress:\n  - from: [{from}]\n    ports: [{{protocol: TCP, port: {port}}}, {{protocol: UDP, port: {port}}}]\n"
    );
}

/// The index of a background policy (`np00042`, whatever prefix the datastore adds).
fn policy_index(r: &Resource) -> Option<usize> {
    let name = &r.metadata().name;
    let tail = name.rsplit(['.', '/']).next().unwrap_or(name);
    tail.strip_prefix("np")?.parse().ok()
}

/// The workload interfaces the model gives the local pods.
struct Interfaces {
    client: String,
    server: String,
    open: String,
}

impl Interfaces {
    fn of(model: &Model) -> Interfaces {
        let iface = |ip: Ipv4Addr| {
            model
                .entities()
                .find(|e| {
                    e.entity.kind == EntityKind::Workload
                        && e.entity.node.as_deref() == Some(NODE)
                        && e.entity
                            .addresses
                            .iter()
                            .any(|a| a.addr() == IpAddr::V4(ip))
                })
                .and_then(|e| e.entity.interface.clone())
                .expect("the pod has a workload interface")
        };
        Interfaces {
            client: iface(CLIENT_IP),
            server: iface(SERVER_IP),
            open: iface(OPEN_IP),
        }
    }

    fn all(&self) -> [&str; 3] {
        [&self.client, &self.server, &self.open]
    }
}

fn lab_spec(ifaces: &Interfaces) -> LabSpec {
    let pod = |name: &str, iface: &str, ip: Ipv4Addr| PodSpec {
        name: name.into(),
        host_iface: iface.into(),
        addrs: vec![IpAddr::V4(ip)],
        listen: Vec::new(),
    };
    LabSpec {
        prefix: format!("tbp{}", std::process::id()),
        networks: vec![NetworkSpec {
            name: "fabric".into(),
        }],
        nodes: vec![NodeSpec {
            name: NODE.into(),
            interfaces: vec![IfaceSpec {
                name: "eth0".into(),
                network: "fabric".into(),
                addrs: vec!["10.0.0.11/24".parse().expect("address")],
            }],
            pods: vec![
                pod("client", &ifaces.client, CLIENT_IP),
                pod("server", &ifaces.server, SERVER_IP),
                pod("open", &ifaces.open, OPEN_IP),
            ],
        }],
        externals: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// The Felix-shaped table.

/// Felix's chain names in nftables mode: the logical table as a prefix.
fn pi_chain(name: &str) -> String {
    format!("filter-cali-pi-knp.{NAMESPACE}.{name}")
}

/// The Felix-shaped table as `nft -f` input.
struct Felix(String);

impl Felix {
    fn chain(&mut self, name: &str) {
        let _ = writeln!(self.0, "add chain ip felixbench {name}");
    }

    fn rule(&mut self, chain: &str, body: &str) {
        let _ = writeln!(self.0, "add rule ip felixbench {chain} {body}");
    }

    /// One allow rule per protocol as Felix renders it: match (protocol, source, port) and
    /// set the accept mark; then a separate rule that returns on the mark.
    fn allow(&mut self, chain: &str, source: &str, port: usize) {
        for proto in ["tcp", "udp"] {
            self.rule(
                chain,
                &format!("meta l4proto {proto} {source} {proto} dport {port} counter meta mark set meta mark | {ACCEPT:#x}"),
            );
            self.rule(
                chain,
                &format!("meta mark & {ACCEPT:#x} == {ACCEPT:#x} counter return"),
            );
        }
    }

    /// A policy chain allowing `source`, with its selector's set if it has one.
    fn policy(&mut self, name: &str, peer: &Peer, port: usize) -> String {
        let chain = pi_chain(name);
        self.chain(&chain);
        let source = match peer {
            Peer::Pods(ip) => {
                let set = format!("cali40s-{name}");
                let _ = writeln!(
                    self.0,
                    "add set ip felixbench {set} {{ type ipv4_addr; flags interval; elements = {{ {ip} }}; }}"
                );
                format!("ip saddr @{set}")
            }
            Peer::Block(cidr) => format!("ip saddr {cidr}"),
        };
        self.allow(&chain, &source, port);
        chain
    }

    /// `cali-tw-`/`cali-fw-` chain: conntrack inside, clear marks, one tier of policies,
    /// then the namespace's profile (which allows everything), then drop.
    fn endpoint(&mut self, chain: &str, policies: &[String]) {
        let accepted = format!("meta mark & {ACCEPT:#x} == {ACCEPT:#x} counter return");
        self.chain(chain);
        self.rule(chain, "ct state established,related counter accept");
        self.rule(chain, "ct state invalid counter drop");
        self.rule(
            chain,
            &format!("counter meta mark set meta mark & {:#x}", !(ACCEPT | PASS)),
        );
        if !policies.is_empty() {
            self.rule(
                chain,
                &format!(
                    "counter meta mark set meta mark & {:#x} comment \"Start of tier default\"",
                    !PASS
                ),
            );
            for p in policies {
                self.rule(
                    chain,
                    &format!("meta mark & {PASS:#x} == 0 counter jump {p}"),
                );
                self.rule(chain, &accepted);
            }
            self.rule(
                chain,
                &format!("meta mark & {PASS:#x} == 0 counter drop comment \"End of tier default\""),
            );
        }
        self.rule(
            chain,
            &format!("counter jump filter-cali-pri-kns.{NAMESPACE}"),
        );
        self.rule(chain, &accepted);
        self.rule(
            chain,
            "counter drop comment \"Drop if no profiles matched\"",
        );
    }

    /// The namespace profile: allow everything.
    fn profile(&mut self) {
        let chain = format!("filter-cali-pri-kns.{NAMESPACE}");
        self.chain(&chain);
        self.rule(
            &chain,
            &format!("counter meta mark set meta mark | {ACCEPT:#x}"),
        );
        self.rule(
            &chain,
            &format!("meta mark & {ACCEPT:#x} == {ACCEPT:#x} counter return"),
        );
    }

    /// Workload dispatch by verdict map (Felix's nftables mode), failing closed.
    fn dispatch(&mut self, ifaces: &Interfaces) {
        for (dir, side, key) in [("from", "fw", "iifname"), ("to", "tw", "oifname")] {
            let name = format!("filter-cali-{dir}-wl-dispatch");
            let elements: Vec<String> = ifaces
                .all()
                .iter()
                .map(|i| format!("\"{i}\" : goto filter-cali-{side}-{i}"))
                .collect();
            let _ = writeln!(
                self.0,
                "add map ip felixbench {name} {{ type ifname : verdict; elements = {{ {} }}; }}",
                elements.join(", ")
            );
            self.chain(&name);
            self.rule(&name, &format!("{key} vmap @{name}"));
            self.rule(&name, "counter drop comment \"Unknown interface\"");
        }
    }

    /// FORWARD → cali-FORWARD (clear marks but accept; dispatch both ways; HEP forward and
    /// CIDR-block chains, empty here) → accept what policy accepted.
    fn forward(&mut self) {
        let fwd = "filter-cali-FORWARD";
        self.chain("filter-cali-to-hep-forward");
        self.chain("filter-cali-cidr-block");
        self.chain(fwd);
        self.rule(
            fwd,
            &format!(
                "counter meta mark set meta mark & {:#x}",
                !(PASS | 0xc_0000)
            ),
        );
        self.rule(
            fwd,
            "iifname \"cali*\" counter jump filter-cali-from-wl-dispatch",
        );
        self.rule(
            fwd,
            "oifname \"cali*\" counter jump filter-cali-to-wl-dispatch",
        );
        self.rule(fwd, "counter jump filter-cali-to-hep-forward");
        self.rule(fwd, "counter jump filter-cali-cidr-block");
        self.0.push_str("add chain ip felixbench filter-FORWARD { type filter hook forward priority filter; policy accept; }\n");
        self.rule("filter-FORWARD", &format!("counter jump {fwd}"));
        self.rule(
            "filter-FORWARD",
            &format!("meta mark & {ACCEPT:#x} == {ACCEPT:#x} counter accept comment \"Policy explicitly accepted packet.\""),
        );
    }
}

/// The whole table for background policies `0..n` plus the client's, all on the server.
fn felix_script(world: &World, ifaces: &Interfaces, n: usize) -> String {
    let mut f = Felix(
        "add table ip felixbench\ndelete table ip felixbench\nadd table ip felixbench\n".into(),
    );
    let mut policies: Vec<String> = world
        .peers
        .iter()
        .take(n)
        .enumerate()
        .map(|(j, peer)| f.policy(&policy_name(j), peer, 10_000 + j))
        .collect();
    policies.push(f.policy(ALLOW_CLIENT, &Peer::Pods(CLIENT_IP), usize::from(PORT)));
    f.profile();
    for iface in ifaces.all() {
        let ingress = if iface == ifaces.server {
            &policies[..]
        } else {
            &[]
        };
        f.endpoint(&format!("filter-cali-tw-{iface}"), ingress);
        f.endpoint(&format!("filter-cali-fw-{iface}"), &[]);
    }
    f.dispatch(ifaces);
    f.forward();
    f.0
}

// ---------------------------------------------------------------------------------------
// Configurations.

/// What to load into the node before measuring.
enum Load {
    Nothing,
    /// An nft script.
    Script(String),
    /// Tortie's rendered table, through the agent's programmer.
    Tortie(Ruleset),
}

struct Config {
    name: String,
    /// Whether the server is policed (the denied port must then be dropped).
    policed: bool,
    rules: usize,
    load: Load,
}

impl Config {
    fn none() -> Config {
        Config {
            name: "none (baseline)".into(),
            policed: false,
            rules: 0,
            load: Load::Nothing,
        }
    }

    fn ct_only() -> Config {
        let script = "add table inet ctonly\nadd chain inet ctonly forward { type filter hook forward priority filter; policy accept; }\nadd rule inet ctonly forward ct state established,related accept\nadd rule inet ctonly forward ct state invalid drop\n";
        Config {
            name: "ct only".into(),
            policed: false,
            rules: 2,
            load: Load::Script(script.into()),
        }
    }

    /// Tortie's table for the node with the first `n` background policies.
    fn tortie(listed: &[Resource], n: usize) -> Config {
        let kept = listed
            .iter()
            .filter(|r| policy_index(r).is_none_or(|j| j < n));
        let ruleset = tortie_rules::render(&Model::from_resources(kept), NODE);
        let rules = ruleset.chains.values().map(|c| c.rules.len()).sum();
        Config {
            name: format!("tortie {n}"),
            policed: true,
            rules,
            load: Load::Tortie(ruleset),
        }
    }

    fn felix(world: &World, ifaces: &Interfaces, n: usize) -> Config {
        let script = felix_script(world, ifaces, n);
        let rules = script.lines().filter(|l| l.starts_with("add rule")).count();
        Config {
            name: format!("felix-shape {n}"),
            policed: true,
            rules,
            load: Load::Script(script),
        }
    }

    /// Empties the node's ruleset and conntrack table, then loads this configuration;
    /// returns how long the load took.
    fn install(&self, node_ns: &str) -> Duration {
        nft(node_ns, &["flush", "ruleset"]);
        // Best effort: without the tool, fresh source ports still make every UDP flow new.
        let _ = Command::new("ip")
            .args(["netns", "exec", node_ns, "conntrack", "-F"])
            .output();
        let mut cli = NftCli::in_netns(node_ns);
        let start = Instant::now();
        match &self.load {
            Load::Nothing => {}
            Load::Script(s) => cli.apply(s).expect("nft loads the script"),
            Load::Tortie(rs) => {
                Programmer::new(cli)
                    .program(rs.clone())
                    .expect("the programmer loads the table");
            }
        }
        start.elapsed()
    }
}

fn nft(ns: &str, args: &[&str]) {
    let ok = Command::new("ip")
        .args(["netns", "exec", ns, "nft"])
        .args(args)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "nft {args:?} in {ns}");
}

/// The allowed port answers under every configuration; the denied one is dropped where the
/// server is policed and refused (nothing listens) where it is not; the open server is
/// never policed.
fn check_enforcement(lab: &Lab, config: &Config) {
    let probe = |ip: Ipv4Addr, port| {
        Probe::new("client", IpAddr::V4(ip), Proto::Udp, port).timeout(Duration::from_millis(500))
    };
    let got = lab.probe_many(&[
        probe(SERVER_IP, PORT),
        probe(SERVER_IP, DENIED_PORT),
        probe(OPEN_IP, PORT),
        probe(OPEN_IP, DENIED_PORT),
    ]);
    let denied = if config.policed {
        Outcome::Dropped
    } else {
        Outcome::Refused
    };
    let want = [
        Outcome::Delivered,
        denied,
        Outcome::Delivered,
        Outcome::Refused,
    ];
    assert_eq!(
        got, want,
        "{}: server, server denied port, open, open other port",
        config.name
    );
}

// ---------------------------------------------------------------------------------------
// Servers in the two server pods.

/// UDP echo and a TCP accept loop on `PORT` in each server pod, on their own threads.
struct Servers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

/// Sockets bound inside a pod's netns (they stay in it whichever thread uses them).
fn bind_in(lab: &Lab, pod: &str) -> (UdpSocket, TcpListener) {
    let ns = lab.netns_of(pod).expect("server pod");
    let (udp, tcp) = tortie_lab::in_netns(ns, || {
        let any = SocketAddr::from((Ipv4Addr::UNSPECIFIED, PORT));
        let udp = UdpSocket::bind(any).expect("bind UDP");
        let tcp = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
        tcp.set_reuse_address(true).expect("reuse");
        tcp.bind(&any.into()).expect("bind TCP");
        tcp.listen(1024).expect("listen");
        (udp, tcp)
    })
    .expect("enter the server netns");
    // Timeouts let the loops notice `stop`.
    let tick = Some(Duration::from_millis(100));
    udp.set_read_timeout(tick).expect("timeout");
    tcp.set_read_timeout(tick).expect("timeout");
    (udp, tcp.into())
}

impl Servers {
    fn start(lab: &Lab) -> Servers {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for pod in ["server", "open"] {
            let (udp, tcp) = bind_in(lab, pod);
            let (s1, s2) = (Arc::clone(&stop), Arc::clone(&stop));
            threads.push(std::thread::spawn(move || udp_echo(&udp, &s1)));
            threads.push(std::thread::spawn(move || tcp_serve(&tcp, &s2)));
        }
        Servers { stop, threads }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Puts the calling thread on the last CPU this process may use. The client and server
/// threads all share it, so a wake-up never crosses CPUs: on a VM a cross-CPU wake-up of
/// an idle vCPU costs tens of microseconds and flips with thread placement between rounds,
/// which would swamp the differences measured here. Best effort.
fn pin() {
    let me = Pid::from_raw(0);
    let Ok(allowed) = sched_getaffinity(me) else {
        return;
    };
    let Some(cpu) = (0..CpuSet::count())
        .rev()
        .find(|&c| allowed.is_set(c).unwrap_or(false))
    else {
        return;
    };
    let mut one = CpuSet::new();
    if one.set(cpu).is_ok() {
        let _ = sched_setaffinity(me, &one);
    }
}

fn udp_echo(s: &UdpSocket, stop: &AtomicBool) {
    pin();
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((n, from)) = s.recv_from(&mut buf) {
            let _ = s.send_to(&buf[..n], from);
        }
    }
}

/// Accept, answer one byte with one byte, wait for the client to close.
fn tcp_serve(l: &TcpListener, stop: &AtomicBool) {
    pin();
    while !stop.load(Ordering::Relaxed) {
        let Ok((mut c, _)) = l.accept() else { continue };
        let _ = c.set_read_timeout(Some(Duration::from_secs(1)));
        let mut b = [0u8; 1];
        if c.read_exact(&mut b).is_ok() && c.write_all(&b).is_ok() {
            let _ = c.read(&mut b);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The client side (runs inside the client pod's netns).

/// Source ports handed out once each per run (wrapping after 50,000), so a UDP request never
/// meets a conntrack entry of an earlier one.
static NEXT_PORT: AtomicU16 = AtomicU16::new(10_000);

fn fresh_port() -> u16 {
    loop {
        let p = NEXT_PORT.fetch_add(1, Ordering::Relaxed);
        if (10_000..60_000).contains(&p) {
            return p;
        }
        let _ = NEXT_PORT.compare_exchange(
            p.wrapping_add(1),
            10_000,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
}

/// Samples toward one server.
#[derive(Default)]
struct Toward {
    udp_new: Vec<Duration>,
    udp_established: Vec<Duration>,
    connect: Vec<Duration>,
    /// Time spent in CRR cycles, and how many completed.
    crr_time: Duration,
    crr_done: u32,
}

impl Toward {
    fn add(&mut self, other: Toward) {
        self.udp_new.extend(other.udp_new);
        self.udp_established.extend(other.udp_established);
        self.connect.extend(other.connect);
        self.crr_time += other.crr_time;
        self.crr_done += other.crr_done;
    }

    fn crr_rate(&self) -> f64 {
        f64::from(self.crr_done) / self.crr_time.as_secs_f64().max(1e-9)
    }
}

/// One configuration's samples: toward the policed server and, alternately, the open one.
#[derive(Default)]
struct Measured {
    policed: Toward,
    open: Toward,
    lost: usize,
    load: Vec<Duration>,
    /// Policed new-flow p50 of each round, to see drift on a shared machine.
    round_p50: Vec<Duration>,
}

impl Measured {
    fn add(&mut self, other: Measured) {
        self.policed.add(other.policed);
        self.open.add(other.open);
        self.lost += other.lost;
        self.round_p50.extend(other.round_p50);
    }
}

/// One request/response on a connected socket; `None` if nothing came back.
fn exchange(s: &UdpSocket, buf: &mut [u8; 64]) -> Option<Duration> {
    let t = Instant::now();
    s.send(&[7u8; 16]).ok()?;
    s.recv(buf).ok()?;
    Some(t.elapsed())
}

/// A new flow (fresh source port) and then one established exchange on it.
fn udp_flow(to: Ipv4Addr, t: &mut Toward) -> bool {
    let mut buf = [0u8; 64];
    let s = UdpSocket::bind((CLIENT_IP, fresh_port())).expect("bind a fresh port");
    s.connect((to, PORT)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    let (Some(new), Some(est)) = (exchange(&s, &mut buf), exchange(&s, &mut buf)) else {
        return false;
    };
    t.udp_new.push(new);
    t.udp_established.push(est);
    true
}

/// One CRR cycle, timed into `t`.
fn crr(to: Ipv4Addr, t: &mut Toward) -> bool {
    let start = Instant::now();
    let connect = connect_request_response(SocketAddr::from((to, PORT)));
    t.crr_time += start.elapsed();
    let Some(c) = connect else { return false };
    t.connect.push(c);
    t.crr_done += 1;
    true
}

/// UDP new flows, then CRR cycles, alternating between the policed and the open server.
fn measure(size: &Size) -> Measured {
    pin();
    let mut m = Measured::default();
    let start = Instant::now();
    // Big tables make every new flow slow; a time budget keeps those runs bounded.
    while m.policed.udp_new.len() + m.lost < size.udp
        && (m.policed.udp_new.len() < size.udp / 10 || start.elapsed() < UDP_BUDGET)
    {
        for (ip, t) in [(SERVER_IP, &mut m.policed), (OPEN_IP, &mut m.open)] {
            if !udp_flow(ip, t) {
                m.lost += 1;
            }
        }
    }
    m.round_p50
        .push(percentile(&sorted(&m.policed.udp_new), 50.0));
    let start = Instant::now();
    while start.elapsed() < size.crr {
        for (ip, t) in [(SERVER_IP, &mut m.policed), (OPEN_IP, &mut m.open)] {
            if !crr(ip, t) {
                m.lost += 1;
            }
        }
    }
    m
}

/// One TCP connect, one byte each way, close with RST (no TIME_WAIT); the connect time.
fn connect_request_response(server: SocketAddr) -> Option<Duration> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).ok()?;
    s.set_linger(Some(Duration::ZERO)).ok()?;
    let t = Instant::now();
    s.connect_timeout(&server.into(), Duration::from_secs(1))
        .ok()?;
    let took = t.elapsed();
    let mut c: std::net::TcpStream = s.into();
    c.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let mut b = [1u8; 1];
    c.write_all(&b).ok()?;
    c.read_exact(&mut b).ok()?;
    Some(took)
}

// ---------------------------------------------------------------------------------------
// Report.

fn sorted(v: &[Duration]) -> Vec<Duration> {
    let mut s = v.to_vec();
    s.sort();
    s
}

/// Microseconds with one decimal.
fn micros(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn signed_micros(a: Duration, b: Duration) -> String {
    let d = (a.as_secs_f64() - b.as_secs_f64()) * 1e6;
    format!("{d:+.1}")
}

fn p(v: &[Duration], q: f64) -> Duration {
    percentile(&sorted(v), q)
}

/// One row: the policed server against the baseline (no ruleset) and, paired, against the
/// open server measured alternately in the same configuration.
fn row(c: &Config, m: &Measured, base: &Toward) -> Vec<String> {
    let new = &m.policed.udp_new;
    vec![
        c.name.clone(),
        c.rules.to_string(),
        millis(median(&m.load)),
        new.len().to_string(),
        micros(p(new, 50.0)),
        micros(p(new, 99.0)),
        signed_micros(p(new, 50.0), p(&base.udp_new, 50.0)),
        signed_micros(p(new, 99.0), p(&base.udp_new, 99.0)),
        signed_micros(p(new, 50.0), p(&m.open.udp_new, 50.0)),
        signed_micros(p(new, 99.0), p(&m.open.udp_new, 99.0)),
        micros(p(&m.policed.udp_established, 50.0)),
        micros(p(&m.policed.connect, 50.0)),
        format!("{:.0}", m.policed.crr_rate()),
        format!("{:.2}", m.policed.crr_rate() / base.crr_rate()),
        format!("{:.2}", m.policed.crr_rate() / m.open.crr_rate()),
        m.lost.to_string(),
    ]
}

fn print_results(configs: &[Config], results: &[Measured]) {
    let base = &results[0].policed;
    let rows: Vec<Vec<String>> = configs
        .iter()
        .zip(results)
        .map(|(c, m)| row(c, m, base))
        .collect();
    print_table(
        "B10 first packet of a new flow, client pod -> node forward path -> server pod (UDP RTT in us)",
        &[
            "configuration",
            "rules",
            "load ms",
            "n",
            "new p50",
            "new p99",
            "+p50 vs none",
            "+p99 vs none",
            "+p50 paired",
            "+p99 paired",
            "estab p50",
            "connect p50",
            "CRR/s",
            "CRR vs none",
            "CRR paired",
            "lost",
        ],
        &rows,
    );
    let rounds: Vec<String> = results[0].round_p50.iter().map(|d| micros(*d)).collect();
    println!(
        "  paired: minus the open (unpoliced) server on the same node, measured alternately with\n  the same table loaded. Only the request is a new flow (the reply is established), so an\n  added RTT is the added one-way cost of the first packet. CRR: one client, connect +\n  1-byte request/response + RST close. Baseline new-flow p50 per round: {} us.",
        rounds.join(" / ")
    );
}

fn median(v: &[Duration]) -> Duration {
    percentile(&sorted(v), 50.0)
}
