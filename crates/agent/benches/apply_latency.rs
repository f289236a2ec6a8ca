//! B13 (`performance.md`), agent-internal: from a policy write to the datastore to the
//! moment the agent's transaction for it has committed in the kernel, on one node, with each
//! dataplane backend in the same run: nftables (`nft -f`) and iptables (`ipset restore`,
//! `iptables-restore --noflush` per family; nf_tables variant, and legacy in the full run).
//!
//! ```text
//!   bench ──client.write──► embedded datastore ──watch──► Agent (thread) ──nft -f──► netns
//!     t0                                                    │  or ipset + iptables-restore
//!                                                           └ the last kernel call of the
//!                                                             program returns = commit
//! ```
//!
//! Steady state shaped like W2: 100 local workload endpoints (pods on the agent's node with
//! podIPs; no interfaces needed), remote pods on other nodes, 100 namespaces and 1,000
//! Kubernetes NetworkPolicies with varied selectors, peers and ports. Then, interleaved, for
//! each sample: create, update (new port) and delete of (a) a NetworkPolicy selecting the 10
//! local pods of one namespace and (b) a GlobalNetworkPolicy selecting every local pod.
//!
//! The commit instant is taken inside our own [`Nft`] and [`Xtables`] wrappers (when the last
//! kernel call of a program returns success; [`Timed`] groups one program's calls), and
//! attributed to the write once the agent's `programmed_revision` gauge reaches the write's
//! revision. The wrappers also count read-backs (`list_json`, `iptables-save`, `ipset save`):
//! §3.5 requires none on the update path, so the drift check is pushed out of the run and
//! the count asserted 0. Before each agent run the namespace is emptied of every backend's
//! state, and after it only that backend's rules may be there.
//!
//! `cargo bench --bench apply_latency` runs the full size with each backend, with the default
//! batch window and again with none (to show the floor); without `--bench` (CI) a small smoke
//! run with nftables and iptables-nft. `cargo bench --bench apply_latency -- steps` runs only
//! the in-process step breakdown (Model::set, render, diff, translation), for profiling;
//! `-- nftables` (or another backend's label) runs only the backends named.

mod common;

use std::fmt::Write as _;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{TempDir, millis, percentile, print_table};
use tortie_agent::{Agent, AgentConfig, Telemetry, register_node};
use tortie_calc::{Key, Model};
use tortie_dataplane::{
    Backend, Dataplane, DataplaneError, Drift, IptablesProgrammer, Nft, NftCli, Programmed,
    Programmer, Variant, Xtables, XtablesCli,
};
use tortie_datastore::{Client, ObjectRef, Write};
use tortie_model::Resource;
use tortie_rules::ir::Family;
use tortie_rules::xt::{XtRuleset, restore};
use tortie_rules::{Ruleset, Stats};

/// The agent's node; local pods carry it as `nodeName`.
const NODE: &str = "bench-node";
/// Remote pods per remote node.
const PODS_PER_REMOTE_NODE: usize = 100;
/// Local pods per namespace: the NetworkPolicy case selects exactly one namespace's.
const LOCAL_PER_NAMESPACE: usize = 10;
/// Labels every pod has, so the GlobalNetworkPolicy case can select all of them.
const CLUSTER_LABEL: &str = "cluster: bench";

/// The shape of one run.
struct Size {
    namespaces: usize,
    local_pods: usize,
    remote_pods: usize,
    policies: usize,
    samples: usize,
    /// Batch windows to run the agent with, one agent run each per backend.
    windows: &'static [u64],
    /// Backends to run the agent with (those whose commands are missing are skipped).
    backends: &'static [Backend],
}

const NFT: Backend = Backend::Nftables;
const IPT_NFT: Backend = Backend::Iptables(Some(Variant::Nft));
const IPT_LEGACY: Backend = Backend::Iptables(Some(Variant::Legacy));

const FULL: Size = Size {
    namespaces: 100,
    local_pods: 100,
    remote_pods: 9_900,
    policies: 1_000,
    samples: 50,
    windows: &[20, 0],
    backends: &[NFT, IPT_NFT, IPT_LEGACY],
};

const SMOKE: Size = Size {
    namespaces: 4,
    local_pods: 20,
    remote_pods: 20,
    policies: 20,
    samples: 3,
    windows: &[20],
    backends: &[NFT, IPT_NFT],
};

fn main() {
    if !common::is_root() {
        println!("apply_latency: skipped (needs root for network namespaces and nftables)");
        return;
    }
    let full = common::full_run();
    let size = if full { FULL } else { SMOKE };
    let started = Instant::now();
    let netns = Netns::new();
    let tmp = TempDir::new("apply");
    let client = common::open_store(&tmp);

    // `-- nftables` (or `iptables-nft`, `iptables-legacy`): only the backends named.
    let labels = [NFT, IPT_NFT, IPT_LEGACY].map(common::backend_label);
    let named: Vec<String> = std::env::args().filter(|a| labels.contains(a)).collect();
    let backends: Vec<Backend> = size
        .backends
        .iter()
        .copied()
        .filter(|b| match b {
            Backend::Iptables(Some(v)) => common::iptables_variants().contains(v),
            _ => true,
        })
        .filter(|b| named.is_empty() || named.contains(&common::backend_label(*b)))
        .collect();
    for b in size.backends.iter().filter(|b| !backends.contains(b)) {
        println!(
            "apply_latency: {} skipped (not named, or its commands or ipset not found)",
            common::backend_label(*b)
        );
    }

    write_world(&client, &size, full);
    // `-- steps`: only the in-process steps, to profile them without the agents' runs.
    if std::env::args().any(|a| a == "steps") {
        print_steps(&size, &in_process(&client, size.samples.min(20)));
        return;
    }
    let mut tables = Vec::new();
    // Backends alternate within each window, so drift hits them alike.
    for &window in size.windows {
        for &backend in &backends {
            common::clear_dataplane(&netns.0);
            tables.push(run_agent(&client, &netns, &tmp, &size, backend, window));
            common::Holds::assert_only(
                &netns.0,
                Some(backend),
                &format!("after the {} agent", common::backend_label(backend)),
            );
        }
    }
    let steps = in_process(&client, size.samples.min(20));
    for t in &tables {
        t.print(&size);
    }
    print_side_by_side(&size, &tables);
    print_steps(&size, &steps);
    println!(
        "\n  p99 is nearest-rank: with fewer than 100 samples it is the largest one.\nB13 target (agent-internal): p50 <= 5 ms, p99 <= 25 ms. Total run {:.1} s.",
        started.elapsed().as_secs_f64()
    );
}

/// Writes the steady state and registers the node.
fn write_world(client: &Client, size: &Size, full: bool) {
    let setup = Instant::now();
    let world = common::resources(&world_yaml(size));
    let objects = world.len();
    common::apply_all(client, world);
    register_node(client, NODE, &[]).expect("register the node");
    println!(
        "apply_latency ({}): {} namespaces, {} local + {} remote pods, {} NetworkPolicies ({objects} objects) written in {:.1} s",
        if full { "full" } else { "smoke" },
        size.namespaces,
        size.local_pods,
        size.remote_pods,
        size.policies,
        setup.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// The world: namespaces, pods, policies as YAML.

fn namespace_yaml(out: &mut String, i: usize) {
    let env = ["prod", "staging", "dev"][i % 3];
    let _ = write!(
        out,
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: ns{i}, labels: {{team: t{}, env: {env}}}}}\n",
        i % 10
    );
}

/// Ten labels per pod, as in W2; values spread so selectors match different subsets.
fn pod_yaml(out: &mut String, name: &str, ns: usize, node: &str, ip: &str, i: usize) {
    let tier = ["web", "api", "db", "cache"][i % 4];
    let role = ["client", "server", "worker"][i % 3];
    let _ = write!(
        out,
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: ns{ns}\n  labels: {{app: app{}, tier: {tier}, role: {role}, version: v{}, team: t{}, env: e{}, zone: z{}, release: r{}, component: c{}, {CLUSTER_LABEL}}}\nspec:\n  nodeName: {node}\n  containers: [{{name: main, image: img, ports: [{{containerPort: 8080, name: http}}]}}]\nstatus: {{phase: Running, podIP: {ip}, podIPs: [{{ip: {ip}}}]}}\n",
        i % 10,
        i % 2,
        ns % 10,
        i % 3,
        i % 3,
        i % 2,
        i % 7
    );
}

fn pod_selector(j: usize) -> String {
    match j % 5 {
        0 => format!("{{matchLabels: {{app: app{}}}}}", j % 10),
        1 => format!(
            "{{matchLabels: {{tier: {}}}}}",
            ["web", "api", "db", "cache"][j % 4]
        ),
        2 => format!(
            "{{matchExpressions: [{{key: app, operator: In, values: [app{}, app{}]}}]}}",
            j % 10,
            (j + 3) % 10
        ),
        3 => format!("{{matchLabels: {{role: server, version: v{}}}}}", j % 2),
        _ => "{}".into(),
    }
}

fn peer(j: usize) -> String {
    match j % 4 {
        0 => format!(
            "{{podSelector: {{matchLabels: {{role: client, app: app{}}}}}}}",
            j % 10
        ),
        1 => format!(
            "{{namespaceSelector: {{matchLabels: {{team: t{}}}}}}}",
            j % 10
        ),
        2 => format!(
            "{{namespaceSelector: {{matchLabels: {{env: prod}}}}, podSelector: {{matchLabels: {{tier: {}}}}}}}",
            ["web", "api", "db", "cache"][(j / 4) % 4]
        ),
        _ => format!(
            "{{ipBlock: {{cidr: 172.16.{}.0/24, except: [172.16.{}.128/25]}}}}",
            j % 256,
            j % 256
        ),
    }
}

fn ports(j: usize) -> String {
    match (j / 3) % 4 {
        0 => format!("\n    ports: [{{protocol: TCP, port: {}}}]", 8000 + j % 100),
        1 => "\n    ports: [{protocol: TCP, port: http}]".into(),
        2 => {
            "\n    ports: [{protocol: TCP, port: 9000, endPort: 9010}, {protocol: UDP, port: 9000}]"
                .into()
        }
        _ => String::new(),
    }
}

/// A NetworkPolicy; every third one also restricts egress (DNS to the team's namespaces).
fn policy_yaml(out: &mut String, j: usize, namespaces: usize) {
    let egress = j.is_multiple_of(3);
    let _ = write!(
        out,
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: np{j}, namespace: ns{}}}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress{}]\n  ingress:\n  - from: [{}, {}]{}\n",
        j % namespaces,
        pod_selector(j),
        if egress { ", Egress" } else { "" },
        peer(j),
        peer(j + 1),
        ports(j)
    );
    if egress {
        let _ = write!(
            out,
            "  egress:\n  - to: [{{namespaceSelector: {{matchLabels: {{team: t{}}}}}}}]\n    ports: [{{protocol: UDP, port: 53}}, {{protocol: TCP, port: 53}}]\n",
            j % 10
        );
    }
}

fn ip(base: u8, i: usize) -> String {
    format!("10.{base}.{}.{}", i / 250, i % 250 + 1)
}

fn world_yaml(size: &Size) -> String {
    let mut out = String::new();
    for i in 0..size.namespaces {
        namespace_yaml(&mut out, i);
    }
    for i in 0..size.local_pods {
        pod_yaml(
            &mut out,
            &format!("local{i}"),
            i / LOCAL_PER_NAMESPACE,
            NODE,
            &ip(65, i),
            i,
        );
    }
    for i in 0..size.remote_pods {
        let node = format!("node{}", i / PODS_PER_REMOTE_NODE);
        pod_yaml(
            &mut out,
            &format!("remote{i}"),
            i % size.namespaces,
            &node,
            &ip(66, i),
            i,
        );
    }
    for j in 0..size.policies {
        policy_yaml(&mut out, j, size.namespaces);
    }
    out
}

/// The two measured policies, on a given port.
#[derive(Clone, Copy, Debug)]
enum Case {
    /// A NetworkPolicy selecting the 10 local pods of `ns0`.
    TenLocal,
    /// A GlobalNetworkPolicy selecting every pod (so every local one).
    AllLocal,
}

impl Case {
    fn label(self, size: &Size) -> String {
        match self {
            Case::TenLocal => format!("{LOCAL_PER_NAMESPACE} local pods (NetworkPolicy)"),
            Case::AllLocal => format!("all {} local pods (GlobalNetworkPolicy)", size.local_pods),
        }
    }

    fn resource(self, port: u16) -> Resource {
        let yaml = match self {
            Case::TenLocal => format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: bench-ten, namespace: ns0}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - from: [{{podSelector: {{matchLabels: {{role: client}}}}}}]\n    ports: [{{protocol: TCP, port: {port}}}]\n"
            ),
            Case::AllLocal => format!(
                "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: bench-all}}\nspec:\n  selector: cluster == 'bench'\n  types: [Ingress]\n  ingress:\n  - action: Allow\n    protocol: TCP\n    source: {{selector: role == 'client'}}\n    destination: {{ports: [{port}]}}\n"
            ),
        };
        common::resources(&yaml).pop().expect("one policy")
    }
}

// ---------------------------------------------------------------------------------------
// Kernel side: our namespace, and wrappers that timestamp commits and count read-backs.

/// A network namespace named after this process, deleted on drop (also on panic).
struct Netns(String);

impl Netns {
    fn new() -> Netns {
        let name = format!("tortie-bench-apply-{}", std::process::id());
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ip netns add {name}");
        Netns(name)
    }

    /// The backend's IPv4 rules inside the namespace, bypassing the agent's counters:
    /// `nft list table inet tortie` or `iptables-<variant>-save`.
    fn listing(&self, backend: Backend) -> String {
        let (program, args) = match backend {
            Backend::Iptables(Some(v)) => (format!("iptables-{}-save", v.name()), Vec::new()),
            _ => ("nft".to_string(), vec!["list", "table", "inet", "tortie"]),
        };
        let out = Command::new("ip")
            .args(["netns", "exec", &self.0, &program])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Whether a backend's listing matches destination port `port`: nftables' `dport <port>`,
/// iptables' `--dport(s) <list>` holding it.
fn mentions_port(backend: Backend, text: &str, port: u16) -> bool {
    let p = port.to_string();
    match backend {
        Backend::Nftables => text.match_indices(&format!("dport {p}")).any(|(i, m)| {
            !text[i + m.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        }),
        Backend::Iptables(_) => {
            let words: Vec<&str> = text.split_whitespace().collect();
            words.windows(2).any(|w| {
                matches!(w[0], "--dport" | "--dports")
                    && w[1].split(',').any(|item| match item.split_once(':') {
                        Some((a, b)) => {
                            a.parse::<u16>().is_ok_and(|a| a <= port)
                                && b.parse::<u16>().is_ok_and(|b| port <= b)
                        }
                        None => item == p,
                    })
            })
        }
    }
}

/// One committed program.
#[derive(Clone, Copy, Debug)]
struct Commit {
    /// When its last kernel call returned success.
    at: Instant,
    /// How long its kernel calls took together.
    took: Duration,
    /// How many kernel calls it made (`nft -f`: one; iptables: ipset restore, one
    /// iptables-restore per family with changes, ipset destroys).
    calls: u32,
}

/// The kernel calls of the program under way.
#[derive(Clone, Copy, Debug, Default)]
struct Calls {
    count: u32,
    took: Duration,
    end: Option<Instant>,
}

/// What the wrappers saw, shared with the bench thread.
#[derive(Default)]
struct Tally {
    /// Programs that changed the kernel.
    commits: AtomicU64,
    /// Kernel calls refused.
    refused: AtomicU64,
    /// ipset destroys refused (a set still in use); the programmer leaves the set for later.
    deferred: AtomicU64,
    /// Read-backs: `nft list`, `iptables-save`, `ipset save`.
    lists: AtomicU64,
    current: Mutex<Calls>,
    last: Mutex<Option<Commit>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tally {
    fn last(&self) -> Option<Commit> {
        *locked(&self.last)
    }

    /// Runs one kernel call that changes something, timing it into the current program; a
    /// refusal is counted, as deferred when `tolerated` (the programmer goes on without it).
    fn change(
        &self,
        tolerated: bool,
        call: impl FnOnce() -> Result<(), DataplaneError>,
    ) -> Result<(), DataplaneError> {
        let start = Instant::now();
        let result = call();
        let end = Instant::now();
        if result.is_ok() {
            let mut c = locked(&self.current);
            c.count += 1;
            c.took += end - start;
            c.end = Some(end);
        } else if tolerated {
            self.deferred.fetch_add(1, Ordering::SeqCst);
        } else {
            self.refused.fetch_add(1, Ordering::SeqCst);
        }
        result
    }

    fn read_back(&self) {
        self.lists.fetch_add(1, Ordering::SeqCst);
    }
}

/// The real `nft` CLI, instrumented.
struct Counted {
    inner: NftCli,
    tally: Arc<Tally>,
}

impl Nft for Counted {
    fn apply(&mut self, script: &str) -> Result<(), DataplaneError> {
        self.tally.change(false, || self.inner.apply(script))
    }

    fn list_json(&mut self, table: &str) -> Result<Option<String>, DataplaneError> {
        self.tally.read_back();
        self.inner.list_json(table)
    }
}

/// The real iptables and ipset commands, instrumented.
struct CountedXt {
    inner: XtablesCli,
    tally: Arc<Tally>,
}

impl Xtables for CountedXt {
    fn restore(&mut self, family: Family, text: &str) -> Result<(), DataplaneError> {
        self.tally
            .change(false, || self.inner.restore(family, text))
    }

    fn save(&mut self, family: Family) -> Result<String, DataplaneError> {
        self.tally.read_back();
        self.inner.save(family)
    }

    fn ipset_restore(&mut self, text: &str) -> Result<(), DataplaneError> {
        if text.is_empty() {
            // Runs nothing.
            return self.inner.ipset_restore(text);
        }
        // The programmer ignores a refused destroy of sets no rule names any more.
        let destroys = text.lines().all(|l| l.starts_with("destroy "));
        self.tally
            .change(destroys, || self.inner.ipset_restore(text))
    }

    fn ipset_save(&mut self) -> Result<String, DataplaneError> {
        self.tally.read_back();
        self.inner.ipset_save()
    }
}

/// A backend whose programs are published as commits: the kernel calls one `program` made,
/// ending at the last one's return.
struct Timed<D> {
    inner: D,
    tally: Arc<Tally>,
}

impl<D: Dataplane> Dataplane for Timed<D> {
    fn program(&mut self, desired: Ruleset) -> Result<Programmed, DataplaneError> {
        *locked(&self.tally.current) = Calls::default();
        let done = self.inner.program(desired)?;
        let calls = *locked(&self.tally.current);
        if let (false, Some(at)) = (matches!(done, Programmed::Unchanged), calls.end) {
            *locked(&self.tally.last) = Some(Commit {
                at,
                took: calls.took,
                calls: calls.count,
            });
            self.tally.commits.fetch_add(1, Ordering::SeqCst);
        }
        Ok(done)
    }

    fn check_and_repair(&mut self) -> Result<Vec<Drift>, DataplaneError> {
        self.inner.check_and_repair()
    }

    fn forget(&mut self) {
        self.inner.forget();
    }
}

// ---------------------------------------------------------------------------------------
// The agent under test.

/// The agent on its own thread; stopped and joined on drop, before the namespace goes.
struct Running {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    telemetry: Arc<Telemetry>,
    tally: Arc<Tally>,
}

impl Running {
    fn start(
        client: &Client,
        netns: &Netns,
        tmp: &TempDir,
        backend: Backend,
        window: Duration,
    ) -> Running {
        let mut cfg = AgentConfig::new(NODE);
        // No drift check (a full read-back) may run while we measure.
        cfg.drift_interval = Duration::from_secs(24 * 3600);
        cfg.batch_window = window;
        cfg.status_file = Some(tmp.0.join("status.json"));
        let telemetry = Arc::new(Telemetry::new());
        let tally = Arc::new(Tally::default());
        let dataplane: Box<dyn Dataplane + Send> = match backend {
            Backend::Iptables(Some(v)) => Box::new(Timed {
                inner: IptablesProgrammer::new(CountedXt {
                    inner: XtablesCli::new(v, Some(&netns.0)),
                    tally: Arc::clone(&tally),
                }),
                tally: Arc::clone(&tally),
            }),
            Backend::Nftables => Box::new(Timed {
                inner: Programmer::new(Counted {
                    inner: NftCli::in_netns(&netns.0),
                    tally: Arc::clone(&tally),
                }),
                tally: Arc::clone(&tally),
            }),
            Backend::Iptables(None) => panic!("the bench names the iptables variant"),
        };
        let mut agent = Agent::new(client.clone(), cfg, dataplane, Arc::clone(&telemetry));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("agent".into())
            .spawn(move || agent.run(&flag))
            .expect("spawn the agent");
        Running {
            stop,
            handle: Some(handle),
            telemetry,
            tally,
        }
    }

    fn programmed(&self) -> u64 {
        u64::try_from(self.telemetry.programmed_revision.get()).unwrap_or(0)
    }

    /// Waits until the agent has committed `revision` (polled every 100 µs; the commit
    /// instant itself comes from the wrapper, so the poll interval adds no error).
    fn wait_programmed(&self, revision: u64, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.programmed() < revision {
            assert!(
                self.handle.as_ref().is_some_and(|h| !h.is_finished()),
                "the agent thread ended"
            );
            assert_eq!(
                self.tally.refused.load(Ordering::SeqCst),
                0,
                "the kernel refused a transaction"
            );
            assert!(
                Instant::now() < deadline,
                "revision {revision} not programmed within {limit:?}"
            );
            std::thread::sleep(Duration::from_micros(100));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Measurement.

/// One timed write.
#[derive(Clone, Copy, Debug)]
struct Sample {
    /// Write call started → transaction committed.
    total: Duration,
    /// The datastore write call alone.
    write: Duration,
    /// The program's kernel calls alone (`nft -f`; ipset and iptables-restore).
    kernel: Duration,
    /// How many kernel calls the program made.
    calls: u32,
}

const OPS: [&str; 3] = ["create", "update", "delete"];

/// Writes, then waits for the agent to commit the resulting revision.
fn timed(client: &Client, agent: &Running, write: Write) -> Sample {
    let before = agent.tally.commits.load(Ordering::SeqCst);
    let t0 = Instant::now();
    client
        .write(vec![write])
        .expect("datastore accepts the write");
    let wrote = t0.elapsed();
    let revision = client.revision().expect("revision");
    agent.wait_programmed(revision, Duration::from_secs(60));
    assert!(
        agent.tally.commits.load(Ordering::SeqCst) > before,
        "the write produced a transaction"
    );
    let commit = agent.tally.last().expect("a commit");
    Sample {
        total: commit.at.saturating_duration_since(t0),
        write: wrote,
        kernel: commit.took,
        calls: commit.calls,
    }
}

/// Create, update and delete of one case's policy; checks the kernel after the last round.
fn round(
    client: &Client,
    agent: &Running,
    case: Case,
    port: u16,
    check: Option<(&Netns, Backend)>,
) -> [Sample; 3] {
    let created = timed(
        client,
        agent,
        Write::Apply {
            resource: case.resource(port),
        },
    );
    let updated = timed(
        client,
        agent,
        Write::Apply {
            resource: case.resource(port + 1),
        },
    );
    if let Some((ns, backend)) = check {
        let text = ns.listing(backend);
        assert!(
            mentions_port(backend, &text, port + 1) && !mentions_port(backend, &text, port),
            "{}: the kernel has the updated {case:?} policy (port {})",
            common::backend_label(backend),
            port + 1
        );
    }
    let object = ObjectRef::of(&case.resource(port));
    let deleted = timed(
        client,
        agent,
        Write::Delete {
            object,
            resource_version: None,
            skip_missing: false,
        },
    );
    if let Some((ns, backend)) = check {
        assert!(
            !mentions_port(backend, &ns.listing(backend), port + 1),
            "{}: the kernel no longer has the deleted {case:?} policy",
            common::backend_label(backend)
        );
    }
    [created, updated, deleted]
}

/// The results of one agent run.
struct RunTable {
    backend: Backend,
    window: u64,
    cold_start: Duration,
    table_rules: usize,
    /// Per case, per op.
    samples: Vec<(Case, [Vec<Sample>; 3])>,
    read_backs: u64,
    /// ipset destroys the kernel refused during the samples (sets left for later).
    deferred: u64,
}

fn run_agent(
    client: &Client,
    netns: &Netns,
    tmp: &TempDir,
    size: &Size,
    backend: Backend,
    window: u64,
) -> RunTable {
    let start = Instant::now();
    let agent = Running::start(client, netns, tmp, backend, Duration::from_millis(window));
    agent.wait_programmed(
        client.revision().expect("revision"),
        Duration::from_secs(600),
    );
    let cold_start = start.elapsed();
    let table_rules = usize::try_from(agent.telemetry.rules.get()).unwrap_or(0);

    let lists_before = agent.tally.lists.load(Ordering::SeqCst);
    let deferred_before = agent.tally.deferred.load(Ordering::SeqCst);
    let cases = [Case::TenLocal, Case::AllLocal];
    let mut samples: Vec<(Case, [Vec<Sample>; 3])> = cases
        .iter()
        .map(|c| (*c, [Vec::new(), Vec::new(), Vec::new()]))
        .collect();
    for s in 0..size.samples {
        let last = s + 1 == size.samples;
        for (case, per_op) in &mut samples {
            let port = 20_000 + u16::try_from(2 * s).expect("few samples");
            let got = round(
                client,
                &agent,
                *case,
                port,
                last.then_some((netns, backend)),
            );
            for (v, sample) in per_op.iter_mut().zip(got) {
                v.push(sample);
            }
        }
    }
    let read_backs = agent.tally.lists.load(Ordering::SeqCst) - lists_before;
    assert_eq!(
        read_backs,
        0,
        "{}: the agent read the kernel back on the update path",
        common::backend_label(backend)
    );
    let deferred = agent.tally.deferred.load(Ordering::SeqCst) - deferred_before;
    RunTable {
        backend,
        window,
        cold_start,
        table_rules,
        samples,
        read_backs,
        deferred,
    }
}

fn p(v: &[Duration], q: f64) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    percentile(&s, q)
}

impl RunTable {
    fn print(&self, size: &Size) {
        let mut rows = Vec::new();
        for (case, per_op) in &self.samples {
            for (op, v) in OPS.iter().zip(per_op) {
                let total: Vec<Duration> = v.iter().map(|s| s.total).collect();
                let write: Vec<Duration> = v.iter().map(|s| s.write).collect();
                let kernel: Vec<Duration> = v.iter().map(|s| s.kernel).collect();
                let rest: Vec<Duration> = v
                    .iter()
                    .map(|s| s.total.saturating_sub(s.write + s.kernel))
                    .collect();
                let mut calls: Vec<u32> = v.iter().map(|s| s.calls).collect();
                calls.sort_unstable();
                rows.push(vec![
                    format!("{} {op}", case.label(size)),
                    v.len().to_string(),
                    millis(p(&total, 50.0)),
                    millis(p(&total, 90.0)),
                    millis(p(&total, 99.0)),
                    millis(p(&total, 100.0)),
                    millis(p(&write, 50.0)),
                    millis(p(&rest, 50.0)),
                    millis(p(&kernel, 50.0)),
                    calls
                        .get(calls.len() / 2)
                        .map_or("-".into(), u32::to_string),
                ]);
            }
        }
        print_table(
            &format!(
                "B13 {}: policy write -> committed in kernel, batch window {} ms (cold start {:.2} s, {} rules; read-backs during updates: {}; ipset destroys deferred: {})",
                common::backend_label(self.backend),
                self.window,
                self.cold_start.as_secs_f64(),
                self.table_rules,
                self.read_backs,
                self.deferred
            ),
            &[
                "case",
                "n",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "write p50",
                "watch+batch+render p50",
                "kernel p50",
                "calls",
            ],
            &rows,
        );
    }

    fn totals(&self, case: usize, op: usize) -> Vec<Duration> {
        self.samples[case].1[op].iter().map(|s| s.total).collect()
    }
}

/// p50 and p99 of every backend next to each other, per window, case and operation.
fn print_side_by_side(size: &Size, tables: &[RunTable]) {
    let mut backends: Vec<Backend> = Vec::new();
    for t in tables {
        if !backends.contains(&t.backend) {
            backends.push(t.backend);
        }
    }
    let mut header = vec!["window".to_string(), "case".into(), "n".into()];
    for b in &backends {
        let label = common::backend_label(*b);
        header.push(format!("{label} p50"));
        header.push(format!("{label} p99"));
    }
    let mut rows = Vec::new();
    for &window in size.windows {
        let at: Vec<Option<&RunTable>> = backends
            .iter()
            .map(|b| {
                tables
                    .iter()
                    .find(|t| t.backend == *b && t.window == window)
            })
            .collect();
        let Some(first) = at.iter().flatten().next() else {
            continue;
        };
        for (c, (case, per_op)) in first.samples.iter().enumerate() {
            for (o, op) in OPS.iter().enumerate() {
                let mut row = vec![
                    format!("{window} ms"),
                    format!("{} {op}", case.label(size)),
                    per_op[o].len().to_string(),
                ];
                for t in &at {
                    let (p50, p99) = t.map_or(("-".into(), "-".into()), |t| {
                        let v = t.totals(c, o);
                        (millis(p(&v, 50.0)), millis(p(&v, 99.0)))
                    });
                    row.push(p50);
                    row.push(p99);
                }
                rows.push(row);
            }
        }
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    print_table(
        "B13 backends side by side: policy write -> committed in kernel (ms)",
        &header,
        &rows,
    );
    let cold: Vec<String> = tables
        .iter()
        .map(|t| {
            format!(
                "{} {} ms: {:.2} s",
                common::backend_label(t.backend),
                t.window,
                t.cold_start.as_secs_f64()
            )
        })
        .collect();
    println!(
        "  cold start (empty namespace -> whole ruleset programmed): {}",
        cold.join("; ")
    );
}

// ---------------------------------------------------------------------------------------
// Where the time goes: the agent's per-change steps on the same world, in-process.

/// Medians of the agent's userspace steps for one case.
struct Steps {
    case: Case,
    model_set: Duration,
    /// A render from nothing, and one reusing the previous render's sets (as the agent does).
    render: Duration,
    render_cached: Duration,
    diff: Duration,
    script_bytes: usize,
    /// The iptables backend's own steps: translating the ruleset, and the `ipset` and
    /// `iptables-restore` input from the programmed translation to the new one.
    xt_translate: Duration,
    xt_update: Duration,
    xt_bytes: usize,
}

/// Times `Model::set`, `render` and `update_script` as the agent runs them for one change
/// (the agent renders the whole node and diffs whole rulesets on every batch), and the
/// iptables programmer's translation and update input.
fn in_process(client: &Client, reps: usize) -> Vec<Steps> {
    let listed = client.list_acted_on().expect("list");
    let mut model = Model::from_resources(&listed.items);
    let ifaces = tortie_rules::HostInterfaces::new();
    let mut cache = tortie_rules::SetCache::default();
    let base = tortie_rules::render_cached(&model, NODE, &ifaces, &mut cache);
    let base_xt = XtRuleset::from_ruleset(&base).expect("iptables can say the ruleset");
    let mut out = Vec::new();
    for case in [Case::TenLocal, Case::AllLocal] {
        let stored = tortie_calc::offline::as_stored(vec![case.resource(20_000)]).remove(0);
        let key = Key::of(&stored);
        let (mut set, mut render, mut diff) = (Vec::new(), Vec::new(), Vec::new());
        let mut render_cached = Vec::new();
        let (mut translate, mut update) = (Vec::new(), Vec::new());
        let (mut script_bytes, mut xt_bytes) = (0, 0);
        for _ in 0..reps {
            let t = Instant::now();
            model.set(key.clone(), Some(stored.clone()));
            set.push(t.elapsed());
            let t = Instant::now();
            let new = tortie_rules::render(&model, NODE);
            render.push(t.elapsed());
            let mut carried = cache.clone();
            let t = Instant::now();
            let again = tortie_rules::render_cached(&model, NODE, &ifaces, &mut carried);
            render_cached.push(t.elapsed());
            assert!(again == new, "a cached render must equal a fresh one");
            let t = Instant::now();
            let script = tortie_rules::update_script(&base, &new).expect("a change");
            diff.push(t.elapsed());
            script_bytes = script.0.len();
            let t = Instant::now();
            let xt = XtRuleset::from_ruleset(&new).expect("iptables can say the ruleset");
            translate.push(t.elapsed());
            let t = Instant::now();
            let mut stats = Stats::default();
            let sets = restore::ipsets_update(&base_xt.ipsets, &xt.ipsets, &mut stats);
            let tables: Vec<String> = Family::BOTH
                .iter()
                .filter_map(|f| restore::update(base_xt.family(*f), xt.family(*f), &mut stats))
                .collect();
            update.push(t.elapsed());
            xt_bytes = sets.before.len()
                + sets.after.len()
                + tables.iter().map(String::len).sum::<usize>();
            model.set(key.clone(), None);
        }
        out.push(Steps {
            case,
            model_set: p(&set, 50.0),
            render: p(&render, 50.0),
            render_cached: p(&render_cached, 50.0),
            diff: p(&diff, 50.0),
            script_bytes,
            xt_translate: p(&translate, 50.0),
            xt_update: p(&update, 50.0),
            xt_bytes,
        });
    }
    out
}

fn print_steps(size: &Size, steps: &[Steps]) {
    let rows: Vec<Vec<String>> = steps
        .iter()
        .map(|s| {
            vec![
                format!("{} create", s.case.label(size)),
                millis(s.model_set),
                millis(s.render),
                millis(s.render_cached),
                millis(s.diff),
                s.script_bytes.to_string(),
                millis(s.xt_translate),
                millis(s.xt_update),
                s.xt_bytes.to_string(),
            ]
        })
        .collect();
    print_table(
        "Agent steps per change, in-process on the same world (medians; no kernel)",
        &[
            "case",
            "Model::set ms",
            "render ms",
            "cached render ms",
            "update_script ms",
            "script bytes",
            "xt translate ms",
            "xt update ms",
            "xt bytes",
        ],
        &rows,
    );
}
