//! B10 (`performance.md`): what policy adds to the first packet of a new flow, with
//! Kubernetes NetworkPolicies in the datastore, side by side in one run:
//!
//! - `none`: no ruleset in the node (baseline); `ct only`: conntrack engaged, no policy;
//! - `tortie …`: the table tortie-rules renders for the node, loaded by the agent's nftables
//!   programmer;
//! - `tortie/iptables-nft …`, `tortie/iptables-legacy …`: the same rendered ruleset loaded by
//!   the agent's iptables programmer (Felix's chain layout and ipsets, `iptables-restore`) in
//!   the nf_tables and the legacy variant. Every load first removes every backend's state
//!   (Tortie's iptables chains in both variants, the nftables ruleset, the ipsets), so only
//!   one backend's rules are in the node at a time. A legacy table, once used, stays
//!   registered (empty) until the namespace goes, so the legacy configurations run after all
//!   the interleaved rounds of the others, in rounds of their own with a second baseline
//!   (`none, legacy tables empty`) measuring what the empty tables alone add;
//! - `felix-shape …`: the same policies laid out the way Felix renders them (`dataplane.md`
//!   §1): per-endpoint chains with the conntrack accept inside them, per tier one `jump` per
//!   applicable policy in order plus a return-on-accept check and an end-of-tier drop,
//!   per-rule matches (protocol, source set or CIDR, port) that set the accept mark, a
//!   separate return rule, a counter on every rule; chains and sets only for the policies
//!   that select a local endpoint.
//!
//! ```text
//!   client pod ──veth──► node netns: forward hook ──veth──► server pod
//!   (fresh source port per request)   └ tortie / felix table   (UDP echo, TCP accept)
//! ```
//!
//! Two policy shapes, each at several policy counts N:
//!
//! - `all-select N` (worst case): each of the N policies selects the server (`app: server`)
//!   and allows a distinct peer (a pod selector whose set holds a remote pod, or an ipBlock)
//!   on a distinct port; one more, named to sort last, allows the client. A new flow from
//!   the client walks every policy chain before it is accepted, in both layouts.
//! - `spread N` (W2 shape): a cluster of 100 namespaces × 100 pods over 100 nodes, 10 labels a
//!   pod, 100 of them on this node (one per namespace) next to the three bench pods; N
//!   policies spread over the namespaces (70 % Kubernetes NetworkPolicies with pod and
//!   namespace selectors, a third also restricting egress; 30 % Calico NetworkPolicies in
//!   three ordered tiers, a third with a deny rule), each selecting one app (5 pods) of its
//!   namespace, so about 1 in 20 selects a pod of this node. The server is selected by the
//!   same 3 policies whatever N is (the last allows the client). What grows with N is the
//!   datastore and, through the policies of the other local pods, the node's table.
//!
//! Per-new-flow cost: UDP request/response where every request uses a new source port (a new
//! conntrack entry, so the policy path runs), its RTT, then one more exchange on the same
//! socket (established); and TCP connect/request/response/close (CRR) for a fixed time,
//! closing with RST so no TIME_WAIT builds up. Configurations are interleaved in rounds so
//! drift on a shared machine hits them alike.
//!
//! `cargo bench --bench packet_cost` runs every N of the full size; numbers after `--`
//! restrict it to those N (`cargo bench -p tortie-agent --bench packet_cost -- 1000`).
//! Without `--bench` (CI) a small smoke run, which also checks that every configuration,
//! iptables ones included, drops the denied port and delivers the allowed one.

mod common;

use std::collections::{BTreeMap, BTreeSet};
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
use tortie_dataplane::{
    Backend, IptablesProgrammer, Nft as _, NftCli, Programmer, Variant, XtablesCli,
};
use tortie_lab::{IfaceSpec, Lab, LabSpec, NetworkSpec, NodeSpec, Outcome, PodSpec, Probe, Proto};
use tortie_model::Resource;
use tortie_rules::Ruleset;
use tortie_rules::ir::Stmt;
use tortie_rules::xt::{Table, XtRuleset, chain_name};

const NODE: &str = "node1";
const NAMESPACE: &str = "bench";
const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(10, 65, 0, 2);
const SERVER_IP: Ipv4Addr = Ipv4Addr::new(10, 65, 0, 3);
/// A second server on the same node that no policy selects: alternating new flows between
/// it and the policed server, in the same table and the same moment, pairs the samples so
/// the difference is the policy walk alone, whatever else the machine is doing.
const OPEN_IP: Ipv4Addr = Ipv4Addr::new(10, 65, 0, 4);
/// The port the client is allowed to (UDP and TCP); background policies use 8000 and up.
const PORT: u16 = 5201;
/// A port no policy allows, to check that the server really is policed.
const DENIED_PORT: u16 = 5202;
/// Felix's accept and pass mark bits (its default mark mask).
const ACCEPT: u32 = 0x1_0000;
const PASS: u32 = 0x2_0000;
/// Longest time spent on new-flow UDP exchanges per configuration and round.
const UDP_BUDGET: Duration = Duration::from_secs(3);

struct Size {
    /// Policy counts for the all-select (worst case) tables, Tortie's and Felix-shaped.
    all_select: &'static [usize],
    /// Policy counts for the spread (W2) tables, Tortie's and Felix-shaped.
    spread: &'static [usize],
    /// The cluster the spread policies live in.
    cluster: Cluster,
    rounds: usize,
    /// New-flow UDP exchanges per configuration and round.
    udp: usize,
    /// CRR time per configuration and round.
    crr: Duration,
}

const FULL: Size = Size {
    all_select: &[100, 1_000, 10_000],
    spread: &[100, 1_000, 10_000],
    cluster: Cluster {
        namespaces: 100,
        pods: 100,
    },
    rounds: 3,
    udp: 1_000,
    crr: Duration::from_millis(1_500),
};

const SMOKE: Size = Size {
    all_select: &[10],
    spread: &[40],
    cluster: Cluster {
        namespaces: 10,
        pods: 10,
    },
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
    if !common::iptables_variants().contains(&Variant::Nft) {
        println!(
            "packet_cost: iptables-nft-restore or ipset not found; no iptables configurations"
        );
    }
    let results = bench.run(&size);
    check_measured(&bench.configs, &results);
    print_results(&bench.configs, &results, &size);
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

/// The N of a size's list to run: all of them, or those given as arguments.
fn chosen(counts: &[usize]) -> Vec<usize> {
    let only: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    counts
        .iter()
        .copied()
        .filter(|n| only.is_empty() || only.contains(n))
        .collect()
}

/// Writes a world to its own datastore (in `tmp`, removed when the caller drops it) and
/// reads back what the agent would act on.
fn stored(tmp: &TempDir, yaml: &str) -> Vec<Resource> {
    std::fs::create_dir_all(&tmp.0).expect("create the store directory");
    let client = common::open_store(tmp);
    common::apply_all(&client, common::resources(yaml));
    client.list_acted_on().expect("list the datastore").items
}

impl Bench {
    /// Writes both worlds to datastores, renders and generates every configuration, and
    /// builds the node with the client and server pods on the interfaces the model names.
    fn up(tmp: &TempDir, size: &Size) -> Bench {
        let t = Instant::now();
        let (all_n, spread_n) = (chosen(size.all_select), chosen(size.spread));
        assert!(
            !all_n.is_empty() || !spread_n.is_empty(),
            "no policy count of {:?} / {:?} chosen",
            size.all_select,
            size.spread
        );
        let most = all_n.iter().copied().max().unwrap_or(0);
        let world = World::new(most);
        let listed = stored(&TempDir(tmp.0.join("all-select")), &world.yaml());
        let ifaces = Interfaces::of(&Model::from_resources(&listed));
        let most = spread_n.iter().copied().max().unwrap_or(0);
        let spread = Spread::new(size.cluster, most);
        let spread_listed = stored(&TempDir(tmp.0.join("spread")), &spread.yaml());
        let written = t.elapsed();
        // Without policies: the pods and their interfaces.
        let bare = Model::from_resources(
            spread_listed
                .iter()
                .filter(|r| Shape::Spread.index(r).is_none()),
        );
        assert_eq!(
            Interfaces::of(&bare).all(),
            ifaces.all(),
            "the bench pods get the same interfaces in both worlds"
        );
        let locals = spread.locals(&bare);
        let mut configs = vec![Config::none(), Config::ct_only()];
        let (all, spr) = (Shape::AllSelect, Shape::Spread);
        let variants = common::iptables_variants();
        // Each shape: Tortie through nftables, the same rulesets through iptables-nft, the
        // Felix-shaped tables; the legacy variant last (it runs after the others).
        let mut legacy = Vec::new();
        for (shape, counts, listed) in [(all, &all_n, &listed), (spr, &spread_n, &spread_listed)] {
            let tortie: Vec<Config> = counts
                .iter()
                .map(|&n| Config::tortie(listed, &ifaces, shape, n))
                .collect();
            let through = |v: Variant| -> Vec<Config> {
                if variants.contains(&v) {
                    tortie
                        .iter()
                        .map(|c| Config::iptables(c, &ifaces, v))
                        .collect()
                } else {
                    Vec::new()
                }
            };
            let (nft, old) = (through(Variant::Nft), through(Variant::Legacy));
            configs.extend(tortie);
            configs.extend(nft);
            legacy.extend(old);
            configs.extend(counts.iter().map(|&n| match shape {
                Shape::AllSelect => Config::felix(felix_script(&world, &ifaces, n), shape, n),
                _ => Config::felix(felix_spread(&spread, &locals, &ifaces, n), shape, n),
            }));
        }
        if !legacy.is_empty() {
            configs.extend(legacy);
            configs.push(Config::legacy_residue());
        }
        check_rendered(&configs);
        println!(
            "packet_cost: worlds written in {:.1} s ({} + {} objects); spread cluster {} namespaces x {} pods, {} local pods + 3 bench pods on {NODE}",
            written.as_secs_f64(),
            listed.len(),
            spread_listed.len(),
            size.cluster.namespaces,
            size.cluster.pods,
            locals.len()
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
    /// Phase by phase: the legacy iptables configurations leave their (empty) tables behind,
    /// so they come after every round of the others.
    fn run(&self, size: &Size) -> Vec<Measured> {
        let node_ns = self.lab.node_netns(NODE);
        let client_ns = self.lab.netns_of("client").expect("client pod");
        let mut results: Vec<Measured> = self.configs.iter().map(|_| Measured::default()).collect();
        for phase in [Phase::Interleaved, Phase::AfterLegacy] {
            let members: Vec<usize> = (0..self.configs.len())
                .filter(|&i| self.configs[i].phase == phase)
                .collect();
            for round in 0..size.rounds {
                // Alternate the order so no configuration always follows the same one.
                let mut order = members.clone();
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
        }
        common::clear_dataplane(node_ns);
        results
    }

    fn down(self) {
        let Bench { servers, lab, .. } = self;
        drop(servers);
        lab.down().expect("lab down");
    }
}

/// Both layouts hold the same policy chains for the same configuration (Tortie's found by
/// its model, the Felix-shaped by this file's own selector logic, Tortie's through iptables
/// by its iptables chains), the server's chain walks the policies the shape promises, and in
/// the spread shape that number does not grow while the node renders only part of the N.
fn check_rendered(configs: &[Config]) {
    for c in configs.iter().filter(|c| c.layout.is_some()) {
        let want = match c.shape {
            Shape::AllSelect => c.policies + 1,
            Shape::Spread => SERVER_POLICIES,
            Shape::Bare => 0,
        };
        assert_eq!(
            c.on_server, want,
            "{}: policies on the server's path",
            c.name
        );
        let twin = if c.layout == Some(Layout::Tortie) {
            Layout::Felix
        } else {
            Layout::Tortie
        };
        let twin = configs
            .iter()
            .find(|o| o.shape == c.shape && o.policies == c.policies && o.layout == Some(twin))
            .expect("both layouts of each configuration");
        assert!(
            c.chains == twin.chains,
            "{} and {} render different policy chains, e.g. {:?}",
            c.name,
            twin.name,
            c.chains
                .symmetric_difference(&twin.chains)
                .take(5)
                .collect::<Vec<_>>(),
        );
        let policies: BTreeSet<&str> = c.chains.iter().map(|k| &k[2..]).collect();
        if c.shape == Shape::Spread {
            assert!(
                policies.len() > SERVER_POLICIES && policies.len() < c.policies + SERVER_POLICIES,
                "{}: {} of {} policies rendered",
                c.name,
                policies.len(),
                c.policies
            );
        }
    }
}

/// A policy chain's direction and policy name (`i:w2p00042`), whatever the layout's
/// prefixes (`np/<ns>/knp.default.`, a tier, `<ns>/`); `None` for other chains.
fn policy_key(chain: &str) -> Option<String> {
    let (dir, rest) = ["i", "o"]
        .into_iter()
        .find_map(|d| Some((d, chain.split_once(&format!("-cali-p{d}-"))?.1)))?;
    let name = rest.rsplit('/').next().unwrap_or(rest);
    let name = name.rsplit('.').next().unwrap_or(name);
    Some(format!("{dir}:{name}"))
}

/// Every configuration produced new-flow and CRR samples (the smoke run's other check,
/// besides enforcement and the rendered tables).
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
// All-select (worst case): the policies, as YAML for Tortie and as plain data for the
// Felix-shaped table.

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

/// The allow-client policy sorts after every `np…` one (and after the spread world's other
/// two server policies).
const ALLOW_CLIENT: &str = "zz-allow-client";

fn bench_namespace_and_pods(out: &mut String) {
    let _ = write!(
        out,
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NAMESPACE}, labels: {{team: bench}}}}\n"
    );
    pod(out, "client", NODE, CLIENT_IP, "role: client, app: client");
    pod(out, "server", NODE, SERVER_IP, "role: server, app: server");
    pod(out, "open", NODE, OPEN_IP, "role: server, app: open");
}

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
        let mut out = String::new();
        bench_namespace_and_pods(&mut out);
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

/// A NetworkPolicy in the bench namespace selecting the server.
fn policy(out: &mut String, name: &str, from: &str, port: usize) {
    let _ = write!(
        out,
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {NAMESPACE}}}\nspec:\n  podSelector: {{matchLabels: {{app: server}}}}\n  ingress:\n  - from: [{from}]\n    ports: [{{protocol: TCP, port: {port}}}, {{protocol: UDP, port: {port}}}]\n"
    );
}

/// The index of a policy named `<prefix><j>` (whatever tier or `knp.default.` prefix the
/// datastore adds).
fn name_index(r: &Resource, prefix: &str) -> Option<usize> {
    let name = &r.metadata().name;
    let tail = name.rsplit(['.', '/']).next().unwrap_or(name);
    tail.strip_prefix(prefix)?.parse().ok()
}

// ---------------------------------------------------------------------------------------
// Spread (W2): a cluster, its pods and N policies spread over it.

/// W2's cluster: `namespaces` namespaces of `pods` pods; pod `i` of each namespace runs on
/// `node<i + 1>`, so this node holds pod 0 of every namespace.
#[derive(Clone, Copy)]
struct Cluster {
    namespaces: usize,
    pods: usize,
}

const TIERS: [(&str, u32); 3] = [("security", 100), ("platform", 200), ("app", 300)];
const POD_TIERS: [&str; 4] = ["web", "api", "db", "cache"];
/// The Kubernetes default tier's order (after every tier here).
const DEFAULT_TIER_ORDER: u32 = 1_000_000;
/// Policies selecting the server in the spread shape: `sv-a-web`, `sv-b-block`, and the
/// client's, in that order.
const SERVER_POLICIES: usize = 3;
const WEB_IP: Ipv4Addr = Ipv4Addr::new(10, 67, 0, 1);
const SERVER_BLOCK: &str = "172.31.0.0/24";

impl Cluster {
    /// Apps per namespace: 5 pods each.
    fn apps(self) -> usize {
        (self.pods / 5).max(1)
    }

    fn app(self, i: usize) -> usize {
        i % self.apps()
    }

    fn ip(self, ns: usize, i: usize) -> Ipv4Addr {
        let k = u32::try_from(ns * self.pods + i).expect("small");
        Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 70, 0, 1)) + k)
    }

    fn team(ns: usize) -> usize {
        ns % 10
    }

    /// Ten labels per pod, as W2 asks.
    fn pod_yaml(self, out: &mut String, ns: usize, i: usize) {
        let ip = self.ip(ns, i);
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: w2-{ns}\n  labels: {{app: a{}, tier: {}, role: {}, version: v{}, zone: z{}, release: r{}, component: c{}, shard: s{}, track: {}, pod-template-hash: h{i}}}\nspec:\n  nodeName: node{}\n  containers: [{{name: main, image: img}}]\nstatus: {{phase: Running, podIP: {ip}, podIPs: [{{ip: {ip}}}]}}\n",
            self.app(i),
            POD_TIERS[i % 4],
            ["client", "server", "worker"][i % 3],
            i % 2,
            i % 3,
            i % 4,
            i % 7,
            i % 10,
            if i % 10 == 9 { "canary" } else { "stable" },
            i + 1
        );
    }
}

/// A set of W2 pods a selector picks.
#[derive(Clone, Copy)]
enum Sel {
    /// `app: a<app>` in namespace `ns`.
    App { ns: usize, app: usize },
    /// `tier: <tier>` in namespace `ns`.
    Tier { ns: usize, tier: usize },
    /// `tier: <tier>` in namespaces labelled `team: t<team>`.
    TeamTier { team: usize, tier: usize },
    /// Every pod in namespaces labelled `team: t<team>`.
    Team(usize),
}

impl Sel {
    fn matches(self, c: Cluster, ns: usize, i: usize) -> bool {
        match self {
            Sel::App { ns: n, app } => n == ns && c.app(i) == app,
            Sel::Tier { ns: n, tier } => n == ns && i % 4 == tier,
            Sel::TeamTier { team, tier } => Cluster::team(ns) == team && i % 4 == tier,
            Sel::Team(team) => Cluster::team(ns) == team,
        }
    }

    /// The Felix-shaped table's set for it (Felix shares one IP set per selector).
    fn set_name(self) -> String {
        match self {
            Sel::App { ns, app } => format!("cali40s-app-{ns}-{app}"),
            Sel::Tier { ns, tier } => format!("cali40s-tier-{ns}-{tier}"),
            Sel::TeamTier { team, tier } => format!("cali40s-teamtier-{team}-{tier}"),
            Sel::Team(team) => format!("cali40s-team-{team}"),
        }
    }

    fn members(self, c: Cluster) -> Vec<Ipv4Addr> {
        (0..c.namespaces)
            .flat_map(|ns| (0..c.pods).map(move |i| (ns, i)))
            .filter(|&(ns, i)| self.matches(c, ns, i))
            .map(|(ns, i)| c.ip(ns, i))
            .collect()
    }
}

/// A peer of a Kubernetes policy's ingress rule.
enum K8sPeer {
    /// `podSelector: {app: a<app>}` (the policy's namespace).
    Pods(usize),
    /// `namespaceSelector: {team}` with `podSelector: {tier}`.
    NsPods {
        team: usize,
        tier: usize,
    },
    Block(String),
}

enum Form {
    /// A Kubernetes NetworkPolicy: ingress from two peers on TCP `port`; optionally egress
    /// (DNS) to the namespaces of a team.
    K8s {
        from: [K8sPeer; 2],
        egress_team: Option<usize>,
    },
    /// A Calico NetworkPolicy in `TIERS[tier]`: optionally deny a network, allow the
    /// namespace's web tier on TCP `port`; in all but the last tier, pass the rest.
    Calico {
        tier: usize,
        order: usize,
        deny: Option<String>,
    },
}

/// One spread policy: in namespace `ns`, selecting `app: a<app>`.
struct Background {
    name: String,
    ns: usize,
    app: usize,
    port: u16,
    form: Form,
}

/// What a rendered rule does.
#[derive(Clone, Copy)]
enum Act {
    Allow,
    Deny,
    Pass,
}

/// Where a rule's peer is.
enum Src<'a> {
    Sel(Sel),
    Net(&'a str),
}

/// One Calico rule as Felix renders it: action, protocol, peer, port.
struct W2Rule<'a> {
    act: Act,
    proto: Option<&'static str>,
    peer: Option<Src<'a>>,
    port: Option<u16>,
}

/// A well-mixed hash of `j`, so policy properties are spread evenly at every N.
fn mix(j: usize) -> u64 {
    let mut z = (j as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Background {
    fn new(c: Cluster, j: usize) -> Background {
        let h = mix(j);
        let bits = |shift: u32, m: usize| ((h >> shift) % m as u64) as usize;
        let block = |k: usize| {
            let b = 2 * j + k;
            format!("172.20.{}.{}/28", (b / 16) % 256, (b % 16) * 16)
        };
        let peer = |k: usize, shift: u32| match bits(shift, 3) {
            0 => K8sPeer::Pods(bits(shift + 2, c.apps())),
            1 => K8sPeer::NsPods {
                team: bits(shift + 8, 10),
                tier: bits(shift + 12, 4),
            },
            _ => K8sPeer::Block(block(k)),
        };
        let form = if bits(8, 10) < 7 {
            Form::K8s {
                from: [peer(0, 16), peer(1, 32)],
                egress_team: (bits(48, 3) == 0).then(|| bits(52, 10)),
            }
        } else {
            Form::Calico {
                tier: bits(16, 3),
                order: bits(20, 1000),
                deny: (bits(32, 3) == 0).then(|| format!("172.21.{}.0/24", j % 256)),
            }
        };
        let name = match &form {
            Form::K8s { .. } => format!("w2p{j:05}"),
            Form::Calico { tier, .. } => format!("{}.w2p{j:05}", TIERS[*tier].0),
        };
        Background {
            name,
            ns: j % c.namespaces,
            app: bits(0, c.apps()),
            port: 8000 + u16::try_from(j % 100).expect("small"),
            form,
        }
    }

    fn yaml(&self, out: &mut String) {
        let (ns, port) = (self.ns, self.port);
        match &self.form {
            Form::K8s { from, egress_team } => {
                let peers: Vec<String> = from
                    .iter()
                    .map(|p| match p {
                        K8sPeer::Pods(app) => format!("{{podSelector: {{matchLabels: {{app: a{app}}}}}}}"),
                        K8sPeer::NsPods { team, tier } => format!(
                            "{{namespaceSelector: {{matchLabels: {{team: t{team}}}}}, podSelector: {{matchLabels: {{tier: {}}}}}}}",
                            POD_TIERS[*tier]
                        ),
                        K8sPeer::Block(cidr) => format!("{{ipBlock: {{cidr: {cidr}}}}}"),
                    })
                    .collect();
                let _ = write!(
                    out,
                    "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {}, namespace: w2-{ns}}}\nspec:\n  podSelector: {{matchLabels: {{app: a{}}}}}\n  policyTypes: [Ingress{}]\n  ingress:\n  - from: [{}]\n    ports: [{{protocol: TCP, port: {port}}}]\n",
                    self.name,
                    self.app,
                    if egress_team.is_some() {
                        ", Egress"
                    } else {
                        ""
                    },
                    peers.join(", ")
                );
                if let Some(team) = egress_team {
                    let _ = write!(
                        out,
                        "  egress:\n  - to: [{{namespaceSelector: {{matchLabels: {{team: t{team}}}}}}}]\n    ports: [{{protocol: UDP, port: 53}}, {{protocol: TCP, port: 53}}]\n"
                    );
                }
            }
            Form::Calico { tier, order, deny } => {
                let _ = write!(
                    out,
                    "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: {}, namespace: w2-{ns}}}\nspec:\n  tier: {}\n  order: {order}\n  selector: \"app == 'a{}'\"\n  types: [Ingress]\n  ingress:\n",
                    self.name, TIERS[*tier].0, self.app
                );
                if let Some(net) = deny {
                    let _ = writeln!(out, "  - {{action: Deny, source: {{nets: [{net}]}}}}");
                }
                let _ = writeln!(
                    out,
                    "  - {{action: Allow, protocol: TCP, source: {{selector: \"tier == 'web'\"}}, destination: {{ports: [{port}]}}}}"
                );
                if *tier + 1 < TIERS.len() {
                    let _ = writeln!(out, "  - {{action: Pass}}");
                }
            }
        }
    }

    /// (tier name, tier order, policy order) as Felix sorts them.
    fn placement(&self) -> (&'static str, u32, usize) {
        match &self.form {
            Form::K8s { .. } => ("default", DEFAULT_TIER_ORDER, 1000),
            Form::Calico { tier, order, .. } => (TIERS[*tier].0, TIERS[*tier].1, *order),
        }
    }

    /// The Calico rules of one direction (`None`: the policy does not govern it), as the
    /// Kubernetes conversion makes them: one rule per peer and protocol.
    fn rules(&self, ingress: bool) -> Option<Vec<W2Rule<'_>>> {
        let allow = |proto, peer, port| W2Rule {
            act: Act::Allow,
            proto: Some(proto),
            peer: Some(peer),
            port: Some(port),
        };
        match (&self.form, ingress) {
            (Form::K8s { from, .. }, true) => Some(
                from.iter()
                    .map(|p| {
                        let src = match p {
                            K8sPeer::Pods(app) => Src::Sel(Sel::App {
                                ns: self.ns,
                                app: *app,
                            }),
                            K8sPeer::NsPods { team, tier } => Src::Sel(Sel::TeamTier {
                                team: *team,
                                tier: *tier,
                            }),
                            K8sPeer::Block(cidr) => Src::Net(cidr),
                        };
                        allow("tcp", src, self.port)
                    })
                    .collect(),
            ),
            (Form::K8s { egress_team, .. }, false) => egress_team.map(|team| {
                ["udp", "tcp"]
                    .into_iter()
                    .map(|proto| allow(proto, Src::Sel(Sel::Team(team)), 53))
                    .collect()
            }),
            (Form::Calico { tier, deny, .. }, true) => {
                let mut rules = Vec::new();
                if let Some(net) = deny {
                    rules.push(W2Rule {
                        act: Act::Deny,
                        proto: None,
                        peer: Some(Src::Net(net)),
                        port: None,
                    });
                }
                rules.push(allow(
                    "tcp",
                    Src::Sel(Sel::Tier {
                        ns: self.ns,
                        tier: 0,
                    }),
                    self.port,
                ));
                if *tier + 1 < TIERS.len() {
                    rules.push(W2Rule {
                        act: Act::Pass,
                        proto: None,
                        peer: None,
                        port: None,
                    });
                }
                Some(rules)
            }
            (Form::Calico { .. }, false) => None,
        }
    }
}

/// The spread world: the cluster and its policies, in the order they are kept (the first N).
struct Spread {
    cluster: Cluster,
    policies: Vec<Background>,
}

/// A W2 pod on this node, with the interface the model gives it.
struct Local {
    ns: usize,
    i: usize,
    iface: String,
}

impl Spread {
    fn new(cluster: Cluster, policies: usize) -> Spread {
        Spread {
            cluster,
            policies: (0..policies).map(|j| Background::new(cluster, j)).collect(),
        }
    }

    fn yaml(&self) -> String {
        let c = self.cluster;
        let mut out = String::new();
        bench_namespace_and_pods(&mut out);
        pod(&mut out, "web", "node2", WEB_IP, "role: web, app: web");
        policy(
            &mut out,
            "sv-a-web",
            "{podSelector: {matchLabels: {role: web}}}",
            8080,
        );
        policy(
            &mut out,
            "sv-b-block",
            &format!("{{ipBlock: {{cidr: {SERVER_BLOCK}}}}}"),
            8081,
        );
        policy(
            &mut out,
            ALLOW_CLIENT,
            "{podSelector: {matchLabels: {role: client}}}",
            usize::from(PORT),
        );
        for (name, order) in TIERS {
            let _ = write!(
                out,
                "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {{name: {name}}}\nspec: {{order: {order}}}\n"
            );
        }
        for ns in 0..c.namespaces {
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: w2-{ns}, labels: {{team: t{}, env: {}}}}}\n",
                Cluster::team(ns),
                ["prod", "staging", "dev"][ns % 3]
            );
            for i in 0..c.pods {
                c.pod_yaml(&mut out, ns, i);
            }
        }
        for p in &self.policies {
            p.yaml(&mut out);
        }
        out
    }

    /// The W2 pods on this node, with their interfaces.
    fn locals(&self, model: &Model) -> Vec<Local> {
        let c = self.cluster;
        (0..c.namespaces)
            .flat_map(|ns| (0..c.pods).map(move |i| (ns, i)))
            .filter(|&(_, i)| i == 0)
            .map(|(ns, i)| Local {
                ns,
                i,
                iface: iface_of(model, c.ip(ns, i)),
            })
            .collect()
    }
}

/// The workload interface the model gives the local pod with this address.
fn iface_of(model: &Model, ip: Ipv4Addr) -> String {
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
}

/// The workload interfaces the model gives the bench pods.
struct Interfaces {
    client: String,
    server: String,
    open: String,
}

impl Interfaces {
    fn of(model: &Model) -> Interfaces {
        Interfaces {
            client: iface_of(model, CLIENT_IP),
            server: iface_of(model, SERVER_IP),
            open: iface_of(model, OPEN_IP),
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
// The Felix-shaped tables.

/// A policy chain's name (the logical table as a prefix): `filter-cali-pi-<ns>/<name>`.
fn policy_chain(ingress: bool, ns: &str, name: &str) -> String {
    format!(
        "filter-cali-p{}-{ns}/{name}",
        if ingress { 'i' } else { 'o' }
    )
}

/// A tier of an endpoint chain: its name and its policy chains, in order.
type TierChains = (&'static str, Vec<String>);

/// The Felix-shaped table as `nft -f` input; sets are made once each.
struct Felix {
    out: String,
    sets: BTreeSet<String>,
    /// Policy chains made, as [`policy_key`]s.
    policies: BTreeSet<String>,
}

impl Felix {
    fn new() -> Felix {
        Felix {
            out: "add table ip felixbench\ndelete table ip felixbench\nadd table ip felixbench\n"
                .into(),
            sets: BTreeSet::new(),
            policies: BTreeSet::new(),
        }
    }

    fn chain(&mut self, name: &str) {
        let _ = writeln!(self.out, "add chain ip felixbench {name}");
    }

    fn rule(&mut self, chain: &str, body: &str) {
        let _ = writeln!(self.out, "add rule ip felixbench {chain} {body}");
    }

    /// An address set (interval flags, as Felix's IP sets), made once.
    fn set(&mut self, name: &str, members: impl FnOnce() -> Vec<Ipv4Addr>) {
        if !self.sets.insert(name.to_string()) {
            return;
        }
        let members: Vec<String> = members().iter().map(ToString::to_string).collect();
        let elements = if members.is_empty() {
            String::new()
        } else {
            format!(" elements = {{ {} }};", members.join(", "))
        };
        let _ = writeln!(
            self.out,
            "add set ip felixbench {name} {{ type ipv4_addr; flags interval;{elements} }}"
        );
    }

    /// An allow rule as Felix renders it: match and set the accept mark; then a separate
    /// rule that returns on the mark.
    fn allow(&mut self, chain: &str, matches: &str) {
        self.rule(
            chain,
            &format!("{matches} counter meta mark set meta mark | {ACCEPT:#x}"),
        );
        self.rule(
            chain,
            &format!("meta mark & {ACCEPT:#x} == {ACCEPT:#x} counter return"),
        );
    }

    /// A bench-namespace policy chain allowing `peer` on `port` (TCP and UDP), with its
    /// selector's set if it has one.
    fn policy(&mut self, name: &str, peer: &Peer, port: usize) -> String {
        let chain = policy_chain(true, NAMESPACE, name);
        self.chain(&chain);
        self.policies
            .insert(policy_key(&chain).expect("a policy chain"));
        let source = match peer {
            Peer::Pods(ip) => {
                let set = format!("cali40s-{name}");
                self.set(&set, || vec![*ip]);
                format!("ip saddr @{set}")
            }
            Peer::Block(cidr) => format!("ip saddr {cidr}"),
        };
        for proto in ["tcp", "udp"] {
            self.allow(
                &chain,
                &format!("meta l4proto {proto} {source} {proto} dport {port}"),
            );
        }
        chain
    }

    /// A spread policy's chain for one direction.
    fn background(&mut self, c: Cluster, p: &Background, ingress: bool) -> String {
        let chain = policy_chain(ingress, &format!("w2-{}", p.ns), &p.name);
        self.chain(&chain);
        self.policies
            .insert(policy_key(&chain).expect("a policy chain"));
        let addr = if ingress { "saddr" } else { "daddr" };
        for r in p.rules(ingress).unwrap_or_default() {
            let mut m = Vec::new();
            if let Some(proto) = r.proto {
                m.push(format!("meta l4proto {proto}"));
            }
            match r.peer {
                Some(Src::Sel(sel)) => {
                    let set = sel.set_name();
                    self.set(&set, || sel.members(c));
                    m.push(format!("ip {addr} @{set}"));
                }
                Some(Src::Net(net)) => m.push(format!("ip {addr} {net}")),
                None => {}
            }
            if let (Some(proto), Some(port)) = (r.proto, r.port) {
                m.push(format!("{proto} dport {port}"));
            }
            let m = m.join(" ");
            match r.act {
                Act::Allow => self.allow(&chain, &m),
                Act::Deny => self.rule(&chain, &format!("{m} counter drop")),
                Act::Pass => {
                    self.rule(
                        &chain,
                        format!("{m} counter meta mark set meta mark | {PASS:#x}").trim_start(),
                    );
                    self.rule(
                        &chain,
                        &format!("meta mark & {PASS:#x} == {PASS:#x} counter return"),
                    );
                }
            }
        }
        chain
    }

    /// `cali-tw-`/`cali-fw-` chain: conntrack inside, clear marks, each tier's policies in
    /// order (end of tier: drop unless a policy passed), then the namespace's profile, then
    /// drop.
    fn endpoint(&mut self, chain: &str, tiers: &[TierChains], profile: &str) {
        let accepted = format!("meta mark & {ACCEPT:#x} == {ACCEPT:#x} counter return");
        self.chain(chain);
        self.rule(chain, "ct state established,related counter accept");
        self.rule(chain, "ct state invalid counter drop");
        self.rule(
            chain,
            &format!("counter meta mark set meta mark & {:#x}", !(ACCEPT | PASS)),
        );
        for (tier, policies) in tiers {
            self.rule(
                chain,
                &format!(
                    "counter meta mark set meta mark & {:#x} comment \"Start of tier {tier}\"",
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
                &format!("meta mark & {PASS:#x} == 0 counter drop comment \"End of tier {tier}\""),
            );
        }
        self.rule(chain, &format!("counter jump {profile}"));
        self.rule(chain, &accepted);
        self.rule(
            chain,
            "counter drop comment \"Drop if no profiles matched\"",
        );
    }

    /// A namespace's profiles (both directions): allow everything. Returns (in, out).
    fn profiles(&mut self, ns: &str) -> (String, String) {
        let names = (
            format!("filter-cali-pri-kns.{ns}"),
            format!("filter-cali-pro-kns.{ns}"),
        );
        for chain in [&names.0, &names.1] {
            self.chain(chain);
            self.rule(
                chain,
                &format!("counter meta mark set meta mark | {ACCEPT:#x}"),
            );
            self.rule(
                chain,
                &format!("meta mark & {ACCEPT:#x} == {ACCEPT:#x} counter return"),
            );
        }
        names
    }

    /// Workload dispatch by verdict map (Felix's nftables mode), failing closed.
    fn dispatch(&mut self, ifaces: &[&str]) {
        for (dir, side, key) in [("from", "fw", "iifname"), ("to", "tw", "oifname")] {
            let name = format!("filter-cali-{dir}-wl-dispatch");
            let elements: Vec<String> = ifaces
                .iter()
                .map(|i| format!("\"{i}\" : goto filter-cali-{side}-{i}"))
                .collect();
            let _ = writeln!(
                self.out,
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
        self.out.push_str("add chain ip felixbench filter-FORWARD { type filter hook forward priority filter; policy accept; }\n");
        self.rule("filter-FORWARD", &format!("counter jump {fwd}"));
        self.rule(
            "filter-FORWARD",
            &format!("meta mark & {ACCEPT:#x} == {ACCEPT:#x} counter accept comment \"Policy explicitly accepted packet.\""),
        );
    }

    /// The bench pods' endpoint chains: only the server has (ingress) policy.
    fn bench_endpoints(&mut self, ifaces: &Interfaces, server: Vec<String>) {
        let (pri, pro) = self.profiles(NAMESPACE);
        let server = [("default", server)];
        for iface in ifaces.all() {
            let ingress: &[TierChains] = if iface == ifaces.server { &server } else { &[] };
            self.endpoint(&format!("filter-cali-tw-{iface}"), ingress, &pri);
            self.endpoint(&format!("filter-cali-fw-{iface}"), &[], &pro);
        }
    }
}

/// What a Felix-shaped table holds.
struct FelixTable {
    script: String,
    /// Policy chains, as [`policy_key`]s.
    chains: BTreeSet<String>,
    /// Policy chains on the server's ingress path.
    on_server: usize,
}

/// All-select: background policies `0..n` plus the client's, all on the server.
fn felix_script(world: &World, ifaces: &Interfaces, n: usize) -> FelixTable {
    let mut f = Felix::new();
    let mut server: Vec<String> = world
        .peers
        .iter()
        .take(n)
        .enumerate()
        .map(|(j, peer)| f.policy(&policy_name(j), peer, 10_000 + j))
        .collect();
    server.push(f.policy(ALLOW_CLIENT, &Peer::Pods(CLIENT_IP), usize::from(PORT)));
    let on_server = server.len();
    f.bench_endpoints(ifaces, server);
    f.dispatch(&ifaces.all());
    f.forward();
    FelixTable {
        script: f.out,
        chains: f.policies,
        on_server,
    }
}

/// Spread: the server's three policies; for every W2 pod on this node, the tiers and
/// policies among the first `n` that select it (Felix's own rule: only policies that apply
/// to a local endpoint get chains and sets).
fn felix_spread(w: &Spread, locals: &[Local], ifaces: &Interfaces, n: usize) -> FelixTable {
    let c = w.cluster;
    let mut f = Felix::new();
    let server = vec![
        f.policy("sv-a-web", &Peer::Pods(WEB_IP), 8080),
        f.policy("sv-b-block", &Peer::Block(SERVER_BLOCK.into()), 8081),
        f.policy(ALLOW_CLIENT, &Peer::Pods(CLIENT_IP), usize::from(PORT)),
    ];
    let on_server = server.len();
    f.bench_endpoints(ifaces, server);
    let mut by_ns: BTreeMap<usize, Vec<&Local>> = BTreeMap::new();
    for l in locals {
        by_ns.entry(l.ns).or_default().push(l);
    }
    // Per local pod: the policies selecting it, by index.
    let mut applying: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (j, p) in w.policies.iter().take(n).enumerate() {
        for l in by_ns.get(&p.ns).into_iter().flatten() {
            if (Sel::App {
                ns: p.ns,
                app: p.app,
            })
            .matches(c, l.ns, l.i)
            {
                applying.entry(&l.iface).or_default().push(j);
            }
        }
    }
    let mut made: BTreeMap<(usize, bool), String> = BTreeMap::new();
    for l in locals {
        let ns = format!("w2-{}", l.ns);
        let (pri, pro) = f.profiles(&ns);
        let mut policies: Vec<(usize, &Background)> = applying
            .get(l.iface.as_str())
            .into_iter()
            .flatten()
            .map(|&j| (j, &w.policies[j]))
            .collect();
        // Felix's order: tier order, then policy order, then name.
        policies.sort_by_key(|(_, p)| {
            let (_, tier_order, order) = p.placement();
            (tier_order, order, p.name.clone())
        });
        for (ingress, profile, side) in [(true, &pri, "tw"), (false, &pro, "fw")] {
            let mut tiers: Vec<TierChains> = Vec::new();
            for &(j, p) in &policies {
                if p.rules(ingress).is_none() {
                    continue;
                }
                let chain = match made.get(&(j, ingress)) {
                    Some(chain) => chain.clone(),
                    None => {
                        let chain = f.background(c, p, ingress);
                        made.insert((j, ingress), chain.clone());
                        chain
                    }
                };
                let tier = p.placement().0;
                match tiers.last_mut() {
                    Some((t, chains)) if *t == tier => chains.push(chain),
                    _ => tiers.push((tier, vec![chain])),
                }
            }
            f.endpoint(&format!("filter-cali-{side}-{}", l.iface), &tiers, profile);
        }
    }
    let mut all: Vec<&str> = ifaces.all().to_vec();
    all.extend(locals.iter().map(|l| l.iface.as_str()));
    f.dispatch(&all);
    f.forward();
    FelixTable {
        script: f.out,
        chains: f.policies,
        on_server,
    }
}

// ---------------------------------------------------------------------------------------
// Configurations.

/// Which policies a configuration holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// None (the baselines).
    Bare,
    /// All N select the server (worst case).
    AllSelect,
    /// W2: N spread over the cluster, 3 select the server.
    Spread,
}

impl Shape {
    fn label(self) -> &'static str {
        match self {
            Shape::Bare => "",
            Shape::AllSelect => "all-select",
            Shape::Spread => "spread",
        }
    }

    /// The index of one of this shape's N policies (`None`: not one of them, always kept).
    fn index(self, r: &Resource) -> Option<usize> {
        match self {
            Shape::Bare => None,
            Shape::AllSelect => name_index(r, "np"),
            Shape::Spread => name_index(r, "w2p"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// Tortie's ruleset through the nftables programmer.
    Tortie,
    /// Tortie's ruleset through the iptables programmer, in a variant.
    Iptables(Variant),
    Felix,
}

impl Layout {
    fn label(self) -> &'static str {
        match self {
            Layout::Tortie => "tortie",
            Layout::Iptables(Variant::Nft) => "tortie/iptables-nft",
            Layout::Iptables(Variant::Legacy) => "tortie/iptables-legacy",
            Layout::Felix => "felix-shape",
        }
    }
}

/// When a configuration is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// In the rounds that interleave every configuration.
    Interleaved,
    /// In rounds of their own after those: the legacy iptables tables stay registered.
    AfterLegacy,
}

/// What to load into the node before measuring.
enum Load {
    Nothing,
    /// An nft script.
    Script(String),
    /// Tortie's rendered table, through the agent's programmer.
    Tortie(Ruleset),
    /// Tortie's rendered ruleset, through the agent's iptables programmer.
    Iptables(Ruleset, Variant),
}

/// The chain an iptables rule jumps or goes to, if any.
fn xt_target(spec: &str) -> Option<&str> {
    let mut words = spec.split_whitespace();
    while let Some(w) = words.next() {
        if matches!(w, "-j" | "-g" | "--jump" | "--goto") {
            return words.next();
        }
    }
    None
}

struct Config {
    name: String,
    layout: Option<Layout>,
    shape: Shape,
    /// N: the shape's policies in the datastore (the all-select client policy and the
    /// spread server policies not counted).
    policies: usize,
    /// Policy chains in the node's table, as [`policy_key`]s.
    chains: BTreeSet<String>,
    /// Policy chains a new flow to the server walks.
    on_server: usize,
    /// Whether the server is policed (the denied port must then be dropped).
    policed: bool,
    /// Rules in the node's table (iptables: IPv4 rules, hooks included).
    rules: usize,
    load: Load,
    phase: Phase,
}

impl Config {
    fn bare(name: &str, rules: usize, load: Load) -> Config {
        Config {
            name: name.into(),
            layout: None,
            shape: Shape::Bare,
            policies: 0,
            chains: BTreeSet::new(),
            on_server: 0,
            policed: false,
            rules,
            load,
            phase: Phase::Interleaved,
        }
    }

    fn none() -> Config {
        Config::bare("none (baseline)", 0, Load::Nothing)
    }

    /// The baseline again, measured after the legacy configurations: their empty tables
    /// are still registered.
    fn legacy_residue() -> Config {
        Config {
            phase: Phase::AfterLegacy,
            ..Config::bare("none, legacy tables empty", 0, Load::Nothing)
        }
    }

    fn ct_only() -> Config {
        let script = "add table inet ctonly\nadd chain inet ctonly forward { type filter hook forward priority filter; policy accept; }\nadd rule inet ctonly forward ct state established,related accept\nadd rule inet ctonly forward ct state invalid drop\n";
        Config::bare("ct only", 2, Load::Script(script.into()))
    }

    fn named(layout: Layout, shape: Shape, n: usize) -> String {
        format!("{} {} {n}", layout.label(), shape.label())
    }

    /// Tortie's table for the node with the first `n` of the shape's policies.
    fn tortie(listed: &[Resource], ifaces: &Interfaces, shape: Shape, n: usize) -> Config {
        let kept = listed
            .iter()
            .filter(|r| shape.index(r).is_none_or(|j| j < n));
        let ruleset = tortie_rules::render(&Model::from_resources(kept), NODE);
        let rules = ruleset.chains.values().map(|c| c.rules.len()).sum();
        let chains = ruleset
            .chains
            .keys()
            .filter_map(|c| policy_key(c))
            .collect();
        let on_server = ruleset
            .chains
            .get(&format!("filter-cali-tw-{}", ifaces.server))
            .expect("the server's ingress chain")
            .rules
            .iter()
            .flat_map(|r| &r.stmts)
            .filter(|s| matches!(s, Stmt::Jump(c) if policy_key(c).is_some()))
            .count();
        Config {
            name: Config::named(Layout::Tortie, shape, n),
            layout: Some(Layout::Tortie),
            shape,
            policies: n,
            chains,
            on_server,
            policed: true,
            rules,
            load: Load::Tortie(ruleset),
            phase: Phase::Interleaved,
        }
    }

    /// A Tortie configuration's ruleset, through the iptables programmer in `variant`; its
    /// policy chains and the server's walk read from the iptables translation.
    fn iptables(tortie: &Config, ifaces: &Interfaces, variant: Variant) -> Config {
        let Load::Tortie(ruleset) = &tortie.load else {
            panic!("{}: not a Tortie configuration", tortie.name)
        };
        let xt = XtRuleset::from_ruleset(ruleset).expect("iptables can say the rendered ruleset");
        // Policy chains by their iptables names.
        let policies: BTreeMap<String, String> = ruleset
            .chains
            .keys()
            .filter_map(|c| Some((chain_name(c), policy_key(c)?)))
            .collect();
        let chains = xt
            .v4
            .values()
            .flat_map(|t| t.chains.keys())
            .filter_map(|c| policies.get(c).cloned())
            .collect();
        let server = chain_name(&format!("filter-cali-tw-{}", ifaces.server));
        let on_server = xt
            .v4
            .get(&Table::Filter)
            .and_then(|t| t.chains.get(&server))
            .expect("the server's ingress chain in iptables")
            .iter()
            .filter(|r| xt_target(&r.spec).is_some_and(|t| policies.contains_key(t)))
            .count();
        let rules = xt
            .v4
            .values()
            .map(|t| t.chains.values().map(Vec::len).sum::<usize>() + t.hooks.len())
            .sum();
        Config {
            name: Config::named(Layout::Iptables(variant), tortie.shape, tortie.policies),
            layout: Some(Layout::Iptables(variant)),
            shape: tortie.shape,
            policies: tortie.policies,
            chains,
            on_server,
            policed: true,
            rules,
            load: Load::Iptables(ruleset.clone(), variant),
            phase: match variant {
                Variant::Nft => Phase::Interleaved,
                Variant::Legacy => Phase::AfterLegacy,
            },
        }
    }

    fn felix(table: FelixTable, shape: Shape, n: usize) -> Config {
        let rules = table
            .script
            .lines()
            .filter(|l| l.starts_with("add rule"))
            .count();
        Config {
            name: Config::named(Layout::Felix, shape, n),
            layout: Some(Layout::Felix),
            shape,
            policies: n,
            chains: table.chains,
            on_server: table.on_server,
            policed: true,
            rules,
            load: Load::Script(table.script),
            phase: Phase::Interleaved,
        }
    }

    /// The backend whose rules the configuration loads (`None`: no Tortie rules).
    fn backend(&self) -> Option<Backend> {
        match &self.load {
            Load::Tortie(_) => Some(Backend::Nftables),
            Load::Iptables(_, v) => Some(Backend::Iptables(Some(*v))),
            Load::Nothing | Load::Script(_) => None,
        }
    }

    /// Removes every backend's state (nftables ruleset, Tortie's iptables chains in both
    /// variants, ipsets) and the conntrack table, then loads this configuration and checks
    /// that only its backend's rules are in the node; returns how long the load took.
    fn install(&self, node_ns: &str) -> Duration {
        common::clear_dataplane(node_ns);
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
            Load::Iptables(rs, v) => {
                IptablesProgrammer::new(XtablesCli::new(*v, Some(node_ns)))
                    .program(rs)
                    .unwrap_or_else(|e| panic!("{}: the iptables programmer: {e}", self.name));
            }
        }
        let took = start.elapsed();
        common::Holds::assert_only(node_ns, self.backend(), &self.name);
        took
    }
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
    /// Policed minus open new-flow p50 of each round, in microseconds: how much the
    /// paired figure moves between rounds of one configuration (its noise).
    round_paired: Vec<f64>,
}

impl Measured {
    fn add(&mut self, other: Measured) {
        self.policed.add(other.policed);
        self.open.add(other.open);
        self.lost += other.lost;
        self.round_p50.extend(other.round_p50);
        self.round_paired.extend(other.round_paired);
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
    let (policed, open) = (p(&m.policed.udp_new, 50.0), p(&m.open.udp_new, 50.0));
    m.round_p50.push(policed);
    m.round_paired
        .push((policed.as_secs_f64() - open.as_secs_f64()) * 1e6);
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
    let count = |v: usize| {
        if c.layout.is_some() {
            v.to_string()
        } else {
            "-".into()
        }
    };
    vec![
        c.name.clone(),
        count(c.policies),
        count(c.chains.len()),
        count(c.on_server),
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

fn print_results(configs: &[Config], results: &[Measured], size: &Size) {
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
            "N",
            "pol chains",
            "on server",
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
        "  all-select N: worst case, all N policies select the server (+1 allowing the client).
  spread N: W2 shape, {} namespaces x {} pods; N policies spread over the namespaces
  (70 % k8s, 30 % Calico in 3 tiers); 3 of them select the server whatever N is.
  N: policies in the datastore; pol chains: policy chains in the node's table (only
  policies selecting a pod of this node are rendered); on server: policy chains a new
  flow to the server walks.
  paired: minus the open (unpoliced) server on the same node, measured alternately with
  the same table loaded. Only the request is a new flow (the reply is established), so an
  added RTT is the added one-way cost of the first packet. CRR: one client, connect +
  1-byte request/response + RST close. Baseline new-flow p50 per round: {} us.
  tortie/iptables-*: the same rendered ruleset as tortie, programmed with iptables-restore
  and ipset (rules: its IPv4 rules); only one backend's rules are in the node at a time.
  The legacy ones run after all other rounds (their tables cannot be unloaded), as does
  `none, legacy tables empty`.",
        size.cluster.namespaces,
        size.cluster.pods,
        rounds.join(" / ")
    );
    print_backends(configs, results);
    print_flatness(configs, results);
}

/// Policed minus open new-flow p50, in microseconds.
fn paired_p50(m: &Measured) -> f64 {
    (p(&m.policed.udp_new, 50.0).as_secs_f64() - p(&m.open.udp_new, 50.0).as_secs_f64()) * 1e6
}

/// Tortie's ruleset through each backend, side by side per shape and N.
fn print_backends(configs: &[Config], results: &[Measured]) {
    let base = &results[0].policed;
    let mut rows = Vec::new();
    for shape in [Shape::Spread, Shape::AllSelect] {
        let counts: BTreeSet<usize> = configs
            .iter()
            .filter(|c| c.shape == shape)
            .map(|c| c.policies)
            .collect();
        for n in counts {
            let at = |layout| {
                configs
                    .iter()
                    .zip(results)
                    .find(|(c, _)| c.shape == shape && c.policies == n && c.layout == Some(layout))
            };
            let Some((_, nft)) = at(Layout::Tortie) else {
                continue;
            };
            for layout in [
                Layout::Tortie,
                Layout::Iptables(Variant::Nft),
                Layout::Iptables(Variant::Legacy),
            ] {
                let Some((c, m)) = at(layout) else { continue };
                let backend = c.backend().expect("a Tortie backend");
                let new = &m.policed.udp_new;
                rows.push(vec![
                    format!("{} {n}", shape.label()),
                    common::backend_label(backend),
                    c.rules.to_string(),
                    millis(median(&m.load)),
                    new.len().to_string(),
                    micros(p(new, 50.0)),
                    micros(p(new, 99.0)),
                    signed_micros(p(new, 50.0), p(&base.udp_new, 50.0)),
                    format!("{:+.1}", paired_p50(m)),
                    signed_micros(p(new, 50.0), p(&nft.policed.udp_new, 50.0)),
                    format!("{:+.1}", paired_p50(m) - paired_p50(nft)),
                    micros(p(&m.policed.udp_established, 50.0)),
                    micros(p(&m.policed.connect, 50.0)),
                    format!("{:.2}", m.policed.crr_rate() / base.crr_rate()),
                    format!("{:.2}", m.policed.crr_rate() / m.open.crr_rate()),
                ]);
            }
        }
    }
    if rows.iter().all(|r| r[1] == "nftables") {
        return;
    }
    print_table(
        "B10 backends: Tortie's ruleset through nftables and through iptables (UDP RTT in us, medians)",
        &[
            "shape N",
            "backend",
            "rules",
            "load ms",
            "n",
            "new p50",
            "new p99",
            "+p50 vs none",
            "+p50 paired",
            "p50 vs nftables",
            "paired vs nftables",
            "estab p50",
            "connect p50",
            "CRR vs none",
            "CRR paired",
        ],
        &rows,
    );
    println!(
        "  vs nftables: minus the same N through nftables (paired: the difference of the two\n  paired figures, each taken against the open server with its own table loaded)."
    );
}

/// For each layout and shape measured at several N: the paired +p50 at each N, its range,
/// and the noise (the largest round-to-round range of the paired p50 within one N).
fn print_flatness(configs: &[Config], results: &[Measured]) {
    let mut lines = Vec::new();
    for shape in [Shape::Spread, Shape::AllSelect] {
        for layout in [
            Layout::Tortie,
            Layout::Iptables(Variant::Nft),
            Layout::Iptables(Variant::Legacy),
            Layout::Felix,
        ] {
            let at: Vec<(&Config, &Measured)> = configs
                .iter()
                .zip(results)
                .filter(|(c, _)| c.shape == shape && c.layout == Some(layout))
                .collect();
            if at.len() < 2 {
                continue;
            }
            let paired: Vec<f64> = at.iter().map(|(_, m)| paired_p50(m)).collect();
            let range = |v: &[f64]| {
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                hi - lo
            };
            let noise = at
                .iter()
                .map(|(_, m)| range(&m.round_paired))
                .fold(0.0, f64::max);
            let spread = range(&paired);
            let ns: Vec<String> = at.iter().map(|(c, _)| c.policies.to_string()).collect();
            let values: Vec<String> = paired.iter().map(|d| format!("{d:+.1}")).collect();
            let verdict = if spread <= noise.max(0.5) {
                "flat (within noise)"
            } else {
                "GROWS with N"
            };
            lines.push(format!(
                "  {:<34} N {}: {} us; range {spread:.1}, noise {noise:.1} -> {verdict}",
                format!("{} {}", layout.label(), shape.label()),
                ns.join(" / "),
                values.join(" / ")
            ));
        }
    }
    if !lines.is_empty() {
        println!(
            "\nFlatness as N grows: +p50 paired at each N; noise = the largest round-to-round range of\none configuration's paired p50 (floor 0.5 us)\n{}",
            lines.join("\n")
        );
    }
}

fn median(v: &[Duration]) -> Duration {
    percentile(&sorted(v), 50.0)
}
