//! The lab on etcd: real etcd members on loopback, three node namespaces, one agent per node,
//! real packets.
//!
//! * A k8s e2e corpus case (nine pods spread over three nodes; a label change on one node
//!   must reach the agent of another) holds with every probe as expected and as traced.
//! * A three-member cluster loses one member (CLI writes and agent watches carry on), then
//!   all of them (agents keep enforcing and report not-ready by status, `/readyz`, metric and
//!   log), comes back (agents converge to what is written right after), and a TCP connection
//!   opened before the outage carries data throughout.

#![cfg(feature = "etcd")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tortie_calc::Model;
use tortie_conformance::e2e::{Case, CaseModel, CaseStep, Topology, load};
use tortie_ctl::config::EtcdConfig;
use tortie_ctl::lab::check::{FlowCheck, Row, check};
use tortie_ctl::lab::session::{AgentRunner, Session, Store, Topology as Machines};
use tortie_ctl::lab::{Interface, Machine};
use tortie_datastore::Write as StoreWrite;
use tortie_model::{Kind, Resource, load_str};
use tortie_testkit::etcd::{EtcdCluster, EtcdOptions};

const NODES: [&str; 3] = ["node-1", "node-2", "node-3"];
const PROBE_TIMEOUT: Duration = Duration::from_millis(800);

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn one(yaml: &str) -> Resource {
    load_str(yaml, "test")
        .expect("yaml")
        .remove(0)
        .result
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

fn resources(yaml: &str) -> Vec<Resource> {
    load_str(yaml, "test")
        .expect("yaml")
        .into_iter()
        .map(|l| l.result.expect("valid manifest"))
        .collect()
}

/// Three nodes on one network.
fn machines(listen: BTreeMap<String, Vec<String>>) -> Machines {
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
    Machines {
        networks: vec![],
        nodes,
        externals: vec![],
        listen,
        routes: vec![],
    }
}

fn etcd_store(cluster: &EtcdCluster) -> Store {
    Store::Etcd(EtcdConfig {
        endpoints: cluster.endpoints(),
        ..EtcdConfig::default()
    })
}

fn mismatches(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter(|r| !r.ok)
        .map(|r| {
            format!(
                "{} -> {} {}: expected {}, probe {}, trace {}",
                r.from, r.to, r.traffic, r.expected, r.probe, r.trace
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// A k8s e2e corpus case on three nodes.

const CASE: &str = "22-ingress-from-updated-pod";

/// Labels of the nine pods as the case's steps change them; pods go round-robin on nodes.
struct World {
    pods: Vec<String>,
    ips: BTreeMap<String, String>,
    labels: BTreeMap<String, BTreeMap<String, String>>,
}

impl World {
    fn node_of(&self, pod: &str) -> &'static str {
        NODES[self.pods.iter().position(|p| p == pod).expect("pod") % NODES.len()]
    }

    fn pod(&self, model: &CaseModel, pod: &str) -> Resource {
        one(&model.pod_yaml(pod, &self.labels[pod], &self.ips[pod], self.node_of(pod)))
    }

    fn writes(&mut self, model: &CaseModel, step: &CaseStep) -> Vec<StoreWrite> {
        let resource = match step.action.as_str() {
            "create-policy" | "update-policy" => {
                one(&step.policy.as_ref().expect("policy").to_string())
            }
            "add-pod-labels" => {
                let pod = step.pod.clone().expect("pod");
                let labels = self.labels.get_mut(&pod).expect("pod");
                labels.extend(step.labels.clone().expect("labels"));
                self.pod(model, &pod)
            }
            other => panic!("{CASE} has no {other} step; this test does not do it"),
        };
        vec![StoreWrite::Apply { resource }]
    }
}

fn probe_flows(world: &World, step: &CaseStep) -> Vec<FlowCheck> {
    let expect = step.full_model_expect.as_ref().expect("an expectation");
    let denied: BTreeSet<&(String, String)> = expect.denied.iter().collect();
    let traffic = format!(
        "{}/{}",
        step.protocol
            .as_deref()
            .unwrap_or("TCP")
            .to_ascii_lowercase(),
        step.port.expect("port")
    );
    let mut flows = Vec::new();
    for from in &world.pods {
        for to in world.pods.iter().filter(|t| *t != from) {
            let deny = denied.contains(&(from.clone(), to.clone()));
            flows.push(FlowCheck {
                from: from.clone(),
                to: to.clone(),
                traffic: traffic.clone(),
                v6: false,
                expected: if deny { "deny" } else { "allow" }.into(),
                logged: None,
            });
        }
    }
    flows
}

#[test]
fn a_k8s_e2e_case_holds_on_three_nodes_with_an_etcd_datastore() {
    if !is_root() {
        println!("skipped: the etcd lab needs root (network namespaces, nftables)");
        return;
    }
    let started = Instant::now();
    let (index, cases) = load();
    let case: &Case = cases.iter().find(|c| c.id == CASE).expect("the case");
    let model = &case.model;
    let pods = model.pods_for(Topology::Full);
    let mut world = World {
        ips: pods
            .iter()
            .map(|p| (p.clone(), index.pod_ips[p].clone()))
            .collect(),
        labels: pods
            .iter()
            .map(|p| {
                let name = p.split('/').nth(1).expect("ns/pod").to_string();
                let default = BTreeMap::from([("pod".to_string(), name)]);
                (
                    p.clone(),
                    model.pod_labels.get(p).cloned().unwrap_or(default),
                )
            })
            .collect(),
        pods,
    };
    let mut initial: Vec<Resource> = model
        .namespaces
        .iter()
        .map(|ns| one(&CaseModel::namespace_yaml(ns, &model.namespace_labels[ns])))
        .collect();
    initial.extend(world.pods.iter().map(|p| world.pod(model, p)));
    let serve: Vec<String> = model
        .protocols
        .iter()
        .flat_map(|proto| {
            model
                .ports
                .iter()
                .map(move |port| format!("{}/{port}", proto.to_ascii_lowercase()))
        })
        .collect();
    let listen = world
        .pods
        .iter()
        .map(|p| (p.clone(), serve.clone()))
        .collect();

    let cluster = EtcdCluster::single("labe2e").expect("etcd starts");
    let mut session = Session::up_on(
        &etcd_store(&cluster),
        &machines(listen),
        initial,
        &AgentRunner::Thread,
        "k",
    )
    .expect("the lab comes up on etcd");
    assert_eq!(session.client().backend_kind(), "etcdv3");
    let on_node: BTreeSet<&str> = world.pods.iter().map(|p| world.node_of(p)).collect();
    assert_eq!(on_node.len(), 3, "pods on every node");

    let (mut probes, mut failures) = (0, Vec::new());
    for step in &case.steps {
        if step.action != "probe" {
            let writes = world.writes(model, step);
            session.write(writes).expect("write");
            continue;
        }
        let flows = probe_flows(&world, step);
        let model = session.sync().expect("every agent programs the change");
        let rows = check(&session, &model, &flows, PROBE_TIMEOUT).expect("probes run");
        probes += rows.len();
        failures.extend(
            mismatches(&rows)
                .into_iter()
                .map(|m| format!("step {}: {m}", step.step)),
        );
    }
    session.down().expect("the lab goes down");
    // What the lab wrote stays in etcd; another lab must not build on it.
    let again = Session::up_on(
        &etcd_store(&cluster),
        &machines(BTreeMap::new()),
        Vec::new(),
        &AgentRunner::Thread,
        "k",
    );
    let refused = again.err().unwrap_or_default();
    assert!(refused.contains("already holds resources"), "{refused}");
    println!(
        "{CASE} on etcd, three nodes: {probes} probes, {} mismatches, {:.1} s",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(probes, 2 * 9 * 8, "two probe steps over nine pods");
}

// ---------------------------------------------------------------------------------------
// A three-member cluster: one member down, all down, back.

const PODS: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: prod, labels: {app: client}}
spec: {nodeName: node-1, containers: [{name: c, image: x}]}
status: {podIP: 10.0.1.1, podIPs: [{ip: 10.0.1.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {nodeName: node-2, containers: [{name: c, image: x}]}
status: {podIP: 10.0.2.1, podIPs: [{ip: 10.0.2.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {nodeName: node-3, containers: [{name: c, image: x}]}
status: {podIP: 10.0.3.1, podIPs: [{ip: 10.0.3.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: prod, labels: {app: other}}
spec: {nodeName: node-3, containers: [{name: c, image: x}]}
status: {podIP: 10.0.3.2, podIPs: [{ip: 10.0.3.2}]}
";

/// Ingress to `app` from the pods with the given apps, on TCP 80, 5432 and 7000 (the held
/// connection's port).
fn ingress(app: &str, from: &[&str]) -> String {
    let peers: Vec<String> = from
        .iter()
        .map(|a| format!("{{podSelector: {{matchLabels: {{app: {a}}}}}}}"))
        .collect();
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {app}-ingress, namespace: prod}}\nspec:\n  podSelector: {{matchLabels: {{app: {app}}}}}\n  policyTypes: [Ingress]\n  ingress: [{{from: [{}], ports: [{{port: 80}}, {{port: 5432}}, {{port: 7000}}]}}]\n",
        peers.join(", ")
    )
}

fn flow(from: &str, to: &str, port: u16, expected: &str) -> FlowCheck {
    FlowCheck {
        from: format!("prod/{from}"),
        to: format!("prod/{to}"),
        traffic: format!("tcp/{port}"),
        v6: false,
        expected: expected.into(),
        logged: None,
    }
}

/// `tortie apply -f -` against etcd through calicoctl's environment variable only.
fn cli_apply(endpoints: &[String], yaml: &str) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tortie"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TORTIE_")
            || k.starts_with("CALICO_")
            || k.starts_with("ETCD_")
            || k == "DATASTORE_TYPE"
        {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .env("ETCD_ENDPOINTS", endpoints.join(","))
        .args(["apply", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tortie runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(yaml.as_bytes())
        .expect("stdin");
    let out = child.wait_with_output().expect("tortie finishes");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// One HTTP GET on loopback: status line and body.
fn http_get(addr: SocketAddr, path: &str) -> (String, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("metrics");
    s.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head.lines().next().unwrap_or_default().to_string(),
        body.to_string(),
    )
}

fn datastore_errors(addr: SocketAddr) -> u64 {
    let (_, body) = http_get(addr, "/metrics");
    body.lines()
        .find_map(|l| l.strip_prefix("tortie_agent_datastore_errors_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Polls `done` every 50 ms until it holds or `limit` passes; says what was awaited.
fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A TCP connection from one pod to another, opened once and used again and again.
struct Held {
    client: TcpStream,
    server: TcpStream,
    round: u32,
}

impl Held {
    fn open(session: &Session, from: &str, to: &str, port: u16) -> Held {
        let lab = session.lab();
        let dst: IpAddr = session.addresses().of(to, false).expect("address");
        let listener = tortie_lab::in_netns(lab.netns_of(to).expect("netns"), || {
            TcpListener::bind((dst, port))
        })
        .expect("enter the server's netns")
        .expect("listen");
        let client = tortie_lab::in_netns(lab.netns_of(from).expect("netns"), || {
            TcpStream::connect_timeout(&SocketAddr::new(dst, port), Duration::from_secs(3))
        })
        .expect("enter the client's netns")
        .expect("the held connection opens");
        let (server, _) = listener.accept().expect("accept");
        for s in [&client, &server] {
            s.set_read_timeout(Some(Duration::from_secs(3)))
                .expect("timeout");
        }
        Held {
            client,
            server,
            round: 0,
        }
    }

    /// A message each way; panics (naming `when`) if either is lost.
    fn ping(&mut self, when: &str) {
        self.round += 1;
        let msg = format!("ping {:04}", self.round);
        let mut buf = [0u8; 9];
        self.client.write_all(msg.as_bytes()).expect("send");
        self.server
            .read_exact(&mut buf)
            .unwrap_or_else(|e| panic!("the held connection lost data {when}: {e}"));
        assert_eq!(&buf, msg.as_bytes());
        self.server.write_all(&buf).expect("answer");
        self.client
            .read_exact(&mut buf)
            .unwrap_or_else(|e| panic!("the held connection lost the answer {when}: {e}"));
        assert_eq!(&buf, msg.as_bytes());
    }
}

fn assert_flows(session: &Session, model: &Model, flows: &[FlowCheck], when: &str) {
    let rows = check(session, model, flows, PROBE_TIMEOUT).expect("probes run");
    let bad = mismatches(&rows);
    assert!(bad.is_empty(), "{when}:\n{}", bad.join("\n"));
}

#[test]
fn agents_ride_out_etcd_member_and_cluster_outages() {
    if !is_root() {
        println!("skipped: the etcd lab needs root (network namespaces, nftables)");
        return;
    }
    let started = Instant::now();
    let mut cluster = EtcdCluster::start(EtcdOptions {
        members: 3,
        tag: "labha".into(),
        ..EtcdOptions::default()
    })
    .expect("a three-member etcd cluster starts");
    let endpoints = cluster.endpoints();
    let mut manifests = resources(PODS);
    manifests.push(one(&ingress("web", &["client"])));
    manifests.push(one(&ingress("db", &["web"])));
    let listen = BTreeMap::from([
        ("prod/web".to_string(), vec!["tcp/80".to_string()]),
        ("prod/db".to_string(), vec!["tcp/5432".to_string()]),
    ]);
    let tortie = PathBuf::from(env!("CARGO_BIN_EXE_tortie"));
    let mut session = Session::up_on(
        &etcd_store(&cluster),
        &machines(listen),
        manifests,
        &AgentRunner::Process(tortie),
        "h",
    )
    .expect("the lab comes up on etcd");

    let model = session.sync().expect("agents program the manifests");
    // Agents outside their nodes (`--netns`) still register the nodes' own addresses.
    let nodes = session
        .client()
        .list(Kind::Node, None, None)
        .expect("nodes")
        .items;
    let registered: Vec<String> = nodes
        .iter()
        .map(|n| n.to_json()["spec"]["bgp"]["ipv4Address"].to_string())
        .collect();
    assert_eq!(
        registered,
        ["\"10.0.0.11/24\"", "\"10.0.0.12/24\"", "\"10.0.0.13/24\""],
        "{nodes:?}"
    );
    assert_flows(
        &session,
        &model,
        &[
            flow("client", "web", 80, "allow"),
            flow("client", "db", 5432, "deny"),
            flow("other", "web", 80, "deny"),
        ],
        "all members up",
    );
    let mut held = Held::open(&session, "prod/client", "prod/web", 7000);
    held.ping("once opened");

    // One member down: the CLI (given every endpoint) and the agents' watches carry on.
    cluster.stop_member(0);
    let (ok, out) = cli_apply(&endpoints, &ingress("db", &["web", "client"]));
    assert!(ok, "tortie apply with one member down: {out}");
    let model = session
        .sync()
        .expect("agents program a change made with a member down");
    assert_flows(
        &session,
        &model,
        &[flow("client", "db", 5432, "allow")],
        "one member down",
    );
    held.ping("with one member down");

    // All members down: nothing can be written, the agents say so and keep the rules.
    let errors_before: BTreeMap<&str, u64> = NODES
        .iter()
        .map(|n| {
            (
                *n,
                datastore_errors(session.metrics_addr(n).expect("metrics")),
            )
        })
        .collect();
    cluster.stop_all();
    let (ok, out) = cli_apply(&endpoints, &ingress("web", &["client", "other"]));
    assert!(!ok && out.contains("etcd"), "a write with etcd down: {out}");
    for n in NODES {
        wait_until(
            &format!("{n} reports not ready"),
            Duration::from_secs(15),
            || session.status(n).is_ok_and(|s| s["ready"] == false),
        );
        let addr = session.metrics_addr(n).expect("metrics");
        // Alive, but not in sync.
        let (status, _) = http_get(addr, "/healthz");
        assert!(
            status.contains(" 200 "),
            "{n} /healthz while etcd is down: {status}"
        );
        let (status, _) = http_get(addr, "/readyz");
        assert!(
            status.contains(" 503 "),
            "{n} /readyz while etcd is down: {status}"
        );
        assert!(
            datastore_errors(addr) > errors_before[n],
            "{n} counts datastore errors"
        );
        // The line follows the status by a moment.
        wait_until(
            &format!("{n} logs the outage"),
            Duration::from_secs(5),
            || {
                std::fs::read_to_string(session.agent_log(n))
                    .is_ok_and(|log| log.contains("keeping the programmed rules"))
            },
        );
    }
    assert_flows(
        &session,
        &model,
        &[
            flow("client", "web", 80, "allow"),
            flow("client", "db", 5432, "allow"),
            flow("other", "web", 80, "deny"),
        ],
        "every member down",
    );
    held.ping("with every member down");

    // Back: what is written right after the restart, and later, is enforced everywhere.
    cluster.start_all().expect("the members start again");
    let (ok, out) = cli_apply(&endpoints, &ingress("web", &["client", "other"]));
    assert!(ok, "tortie apply right after the restart: {out}");
    let model = session.sync().expect("agents converge after the outage");
    for n in NODES {
        let (status, _) = http_get(session.metrics_addr(n).expect("metrics"), "/readyz");
        assert!(
            status.contains(" 200 "),
            "{n} /readyz after the outage: {status}"
        );
    }
    assert_flows(
        &session,
        &model,
        &[
            flow("other", "web", 80, "allow"),
            flow("client", "db", 5432, "allow"),
        ],
        "right after the restart",
    );
    session
        .write(vec![StoreWrite::Apply {
            resource: one(&ingress("db", &["web"])),
        }])
        .expect("the lab's own client writes again");
    let model = session.sync().expect("agents program a later change");
    assert_flows(
        &session,
        &model,
        &[
            flow("client", "db", 5432, "deny"),
            flow("other", "web", 80, "allow"),
        ],
        "later",
    );
    held.ping("after the outage");
    session.down().expect("the lab goes down");
    println!("etcd outages: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn agent_refuses_a_netns_that_does_not_exist() {
    let out = Command::new(env!("CARGO_BIN_EXE_tortie"))
        .args(["agent", "--node", "n1", "--netns", "tortie-no-such-netns"])
        .env("TORTIE_DATASTORE", "/nonexistent/never-opened")
        .output()
        .expect("tortie runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--netns tortie-no-such-netns: no such network namespace"),
        "{stderr}"
    );
}
