//! B13 in etcd mode (`performance.md`): a policy written to a three-member etcd cluster on
//! loopback, until its rules are committed by the agents of all three nodes of a lab (real
//! `tortie agent` processes, one per node namespace, each with its own etcd watch). Every
//! sample updates one GlobalNetworkPolicy that selects the pods of every node, so every node
//! has something to program; the clock runs from just before the write to the last agent
//! reporting that revision programmed in its status file.
//!
//! `cargo bench --bench lab_apply_etcd` takes 30 samples and prints median and p99;
//! `cargo test --all-targets` runs it without `--bench` as a smoke test of three samples.
//! Needs root (network namespaces, nftables) and Debian's etcd-server.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use tortie_ctl::config::EtcdConfig;
use tortie_ctl::lab::session::{AgentRunner, Session, Store, Topology};
use tortie_ctl::lab::{Interface, Machine};
use tortie_datastore::Write;
use tortie_model::{Resource, load_str};
use tortie_testkit::etcd::{EtcdCluster, EtcdOptions};

const NODES: [&str; 3] = ["node-1", "node-2", "node-3"];
const PODS_PER_NODE: usize = 3;
/// How long one sample may take before the run fails.
const LIMIT: Duration = Duration::from_secs(10);

fn one(yaml: &str) -> Resource {
    load_str(yaml, "bench")
        .expect("yaml")
        .remove(0)
        .result
        .expect("valid manifest")
}

fn topology() -> Topology {
    let nodes = NODES
        .iter()
        .enumerate()
        .map(|(i, n)| Machine {
            name: (*n).to_string(),
            interfaces: vec![Interface {
                name: "eth0".into(),
                network: "fabric".into(),
                addresses: vec![format!("10.0.0.{}/24", 11 + i)],
            }],
        })
        .collect();
    Topology {
        networks: vec![],
        nodes,
        externals: vec![],
        listen: BTreeMap::new(),
        routes: vec![],
    }
}

fn pods() -> Vec<Resource> {
    let mut out = vec![one(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n",
    )];
    for (n, node) in NODES.iter().enumerate() {
        for p in 0..PODS_PER_NODE {
            out.push(one(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{n}{p}, namespace: bench, labels: {{app: bench}}}}\nspec: {{nodeName: {node}, containers: [{{name: c, image: x}}]}}\nstatus: {{podIP: 10.1.{n}.{ip}, podIPs: [{{ip: 10.1.{n}.{ip}}}]}}\n",
                ip = p + 1
            )));
        }
    }
    out
}

/// The policy of sample `i`: a different port each time, so every node's rules change.
fn policy(i: usize) -> Resource {
    one(&format!(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: b13}}\nspec:\n  selector: app == 'bench'\n  types: [Ingress]\n  ingress: [{{action: Allow, protocol: TCP, destination: {{ports: [{}]}}}}]\n",
        port(i)
    ))
}

fn port(i: usize) -> usize {
    20_000 + i
}

/// How long one sample took, from just before the write.
struct Sample {
    /// The write acknowledged by etcd.
    acked: Duration,
    /// The first node programmed it.
    first: Duration,
    /// Every node programmed it.
    all: Duration,
}

/// Writes sample `i`'s policy and waits until every node programmed it.
fn sample(session: &Session, i: usize) -> Sample {
    let t0 = Instant::now();
    let written = session
        .client()
        .write(vec![Write::Apply {
            resource: policy(i),
        }])
        .expect("the write");
    let acked = t0.elapsed();
    let revision: u64 = written[0]
        .resource
        .as_ref()
        .and_then(|r| r.metadata().resource_version.parse().ok())
        .expect("the written revision");
    let mut pending: Vec<&str> = NODES.to_vec();
    let mut first = None;
    while !pending.is_empty() {
        assert!(
            t0.elapsed() < LIMIT,
            "{pending:?} did not program {revision}"
        );
        pending.retain(|n| {
            session.status(n).map_or(true, |s| {
                s["programmedRevision"].as_u64().unwrap_or(0) < revision
            })
        });
        if pending.len() < NODES.len() {
            first.get_or_insert_with(|| t0.elapsed());
        }
        if !pending.is_empty() {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
    let all = t0.elapsed();
    Sample {
        acked,
        first: first.unwrap_or(all),
        all,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    if !std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        println!("lab_apply_etcd: skipped, needs root (network namespaces, nftables)");
        return;
    }
    if cfg!(not(feature = "etcd")) {
        println!("lab_apply_etcd: skipped, tortie was built without the `etcd` feature");
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let samples = if full { 30 } else { 3 };
    let cluster = EtcdCluster::start(EtcdOptions {
        members: 3,
        tag: "b13".into(),
        ..EtcdOptions::default()
    })
    .expect("a three-member etcd cluster starts");
    let store = Store::Etcd(EtcdConfig {
        endpoints: cluster.endpoints(),
        ..EtcdConfig::default()
    });
    let tortie = PathBuf::from(env!("CARGO_BIN_EXE_tortie"));
    let mut resources = pods();
    resources.push(policy(0));
    let mut session = Session::up_on(
        &store,
        &topology(),
        resources,
        &AgentRunner::Process(tortie),
        "b",
    )
    .expect("the lab comes up on etcd");
    session.sync().expect("agents program the start state");

    let (mut acked, mut first, mut all) = (Vec::new(), Vec::new(), Vec::new());
    for i in 1..=samples {
        let s = sample(&session, i);
        acked.push(s.acked);
        first.push(s.first);
        all.push(s.all);
    }
    // The status files are the agents' word; the kernel's tables must agree.
    let last = format!("dport {}", port(samples));
    for n in NODES {
        let table = Command::new("ip")
            .args(["netns", "exec", session.lab().node_netns(n)])
            .args(["nft", "list", "table", "inet", "tortie"])
            .output()
            .expect("nft runs");
        let text = String::from_utf8_lossy(&table.stdout);
        assert!(text.contains(&last), "{n} has no `{last}` rule:\n{text}");
    }
    session.down().expect("the lab goes down");

    let summary = |mut v: Vec<Duration>| {
        v.sort();
        format!(
            "median {:.1} ms, p99 {:.1} ms",
            ms(percentile(&v, 50.0)),
            ms(percentile(&v, 99.0))
        )
    };
    println!(
        "B13 etcd mode (3 etcd members, 3 nodes x {PODS_PER_NODE} pods, agents as processes), {samples} samples\n  policy apply -> programmed on all three nodes: {}\n  first node programmed: {}\n  write acknowledged by etcd: {}",
        summary(all),
        summary(first),
        summary(acked),
    );
}
