//! Every case and step of the Kubernetes e2e corpus in a lab: two nodes as network namespaces,
//! the case's pods attached by veths, one real agent per node programming nftables, and real
//! TCP, UDP and SCTP (raw INIT) packets for every ordered pod pair of every probe step. Each
//! probe must match the corpus expectation and `tortie trace`'s verdict for the same flow.
//!
//! Cases run in parallel (one lab each, reused across the case's steps); both topologies run:
//! the case's own pods and the classic nine-pod model.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tortie_conformance::e2e::{Case, CaseModel, CaseStep, Topology, load};
use tortie_ctl::lab::check::{FlowCheck, check};
use tortie_ctl::lab::session::{AgentRunner, Session, Store, Topology as Machines};
use tortie_ctl::lab::{Interface, Machine};
use tortie_dataplane::{Backend, Variant};
use tortie_datastore::{ObjectRef, Write};
use tortie_model::{Kind, Resource, load_str};

/// Parallel labs: enough to overlap probe timeouts, few enough for two cores.
const WORKERS: usize = 3;
/// A denied probe costs this much; allowed ones answer in milliseconds.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1000);
const NODES: [&str; 2] = ["node-1", "node-2"];

fn one(yaml: &str) -> Resource {
    load_str(yaml, "e2e")
        .expect("yaml")
        .remove(0)
        .result
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

fn machines(case: &CaseModel) -> Machines {
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
    // Every pod serves every port and protocol of the case.
    let mut serve = Vec::new();
    for proto in &case.protocols {
        for port in &case.ports {
            serve.push(format!("{}/{port}", proto.to_ascii_lowercase()));
        }
    }
    let listen = case
        .pods_for(Topology::Full)
        .into_iter()
        .map(|p| (p, serve.clone()))
        .collect();
    Machines {
        networks: vec![],
        nodes,
        externals: vec![],
        listen,
        routes: vec![],
    }
}

/// The state a case's steps change: labels, and which policies exist.
struct World {
    pods: Vec<String>,
    ips: BTreeMap<String, String>,
    pod_labels: BTreeMap<String, BTreeMap<String, String>>,
    ns_labels: BTreeMap<String, BTreeMap<String, String>>,
    policies: BTreeSet<(String, String)>,
}

impl World {
    fn new(case: &CaseModel, topology: Topology, plan: &BTreeMap<String, String>) -> World {
        let pods = case.pods_for(topology);
        let pod_labels = pods
            .iter()
            .map(|p| {
                let name = p.split('/').nth(1).expect("ns/pod").to_string();
                let default = BTreeMap::from([("pod".to_string(), name)]);
                (
                    p.clone(),
                    case.pod_labels.get(p).cloned().unwrap_or(default),
                )
            })
            .collect();
        let ips = pods
            .iter()
            .map(|p| {
                let ip = case.pod_ips.get(p).or_else(|| plan.get(p)).expect("ip");
                (p.clone(), ip.clone())
            })
            .collect();
        World {
            pods,
            ips,
            pod_labels,
            ns_labels: case.namespace_labels.clone(),
            policies: BTreeSet::new(),
        }
    }

    fn node_of(&self, pod: &str) -> &'static str {
        let i = self.pods.iter().position(|p| p == pod).expect("pod");
        NODES[i % 2]
    }

    fn pod(&self, case: &CaseModel, pod: &str) -> Resource {
        let yaml = case.pod_yaml(
            pod,
            &self.pod_labels[pod],
            &self.ips[pod],
            self.node_of(pod),
        );
        one(&yaml)
    }

    fn initial(&self, case: &CaseModel) -> Vec<Resource> {
        let mut out: Vec<Resource> = case
            .namespaces
            .iter()
            .map(|ns| one(&CaseModel::namespace_yaml(ns, &self.ns_labels[ns])))
            .collect();
        out.extend(self.pods.iter().map(|p| self.pod(case, p)));
        out
    }

    /// The datastore writes of one non-probe step.
    fn writes(&mut self, case: &CaseModel, step: &CaseStep) -> Vec<Write> {
        match step.action.as_str() {
            "create-policy" | "update-policy" => {
                let resource = one(&step.policy.as_ref().expect("policy").to_string());
                let m = resource.metadata();
                self.policies.insert((m.namespace.clone(), m.name.clone()));
                vec![Write::Apply { resource }]
            }
            "delete-all-policies" => std::mem::take(&mut self.policies)
                .into_iter()
                .map(|(namespace, name)| Write::Delete {
                    object: ObjectRef {
                        kind: Kind::KubernetesNetworkPolicy,
                        namespace,
                        name,
                    },
                    resource_version: None,
                    skip_missing: false,
                })
                .collect(),
            "add-namespace-labels" => {
                let ns = step.namespace.clone().expect("namespace");
                let labels = self.ns_labels.get_mut(&ns).expect("namespace exists");
                labels.extend(step.labels.clone().expect("labels"));
                let yaml = CaseModel::namespace_yaml(&ns, labels);
                vec![Write::Apply {
                    resource: one(&yaml),
                }]
            }
            "add-pod-labels" => {
                let pod = step.pod.clone().expect("pod");
                let Some(labels) = self.pod_labels.get_mut(&pod) else {
                    return Vec::new(); // not in this topology
                };
                labels.extend(step.labels.clone().expect("labels"));
                vec![Write::Apply {
                    resource: self.pod(case, &pod),
                }]
            }
            other => panic!("unknown action {other}"),
        }
    }
}

#[derive(Default)]
struct Tally {
    cases: usize,
    steps: usize,
    probes: usize,
    failures: Vec<String>,
}

fn run_case(
    case: &Case,
    topology: Topology,
    backend: Backend,
    plan: &BTreeMap<String, String>,
    tally: &Mutex<Tally>,
) {
    let mut world = World::new(&case.model, topology, plan);
    let machines = machines(&case.model);
    let tag = format!("e{}", &case.id[..2]);
    let fail = |msg: String| {
        tally.lock().expect("tally").failures.push(msg);
    };
    let mut session = match Session::up_with(
        &Store::Embedded,
        &machines,
        world.initial(&case.model),
        &AgentRunner::Thread,
        backend,
        &tag,
    ) {
        Ok(s) => s,
        Err(e) => return fail(format!("{} ({topology:?}): lab: {e}", case.id)),
    };
    let (mut steps, mut probes) = (0, 0);
    for step in &case.steps {
        if step.action != "probe" {
            let writes = world.writes(&case.model, step);
            if !writes.is_empty()
                && let Err(e) = session.write(writes)
            {
                fail(format!("{} step {}: write: {e}", case.id, step.step));
            }
            continue;
        }
        let expect = match topology {
            Topology::Case => step.expect.as_ref(),
            Topology::Full => step.full_model_expect.as_ref(),
        }
        .expect("an expectation");
        let denied: BTreeSet<&(String, String)> = expect.denied.iter().collect();
        let proto = step
            .protocol
            .as_deref()
            .unwrap_or("TCP")
            .to_ascii_lowercase();
        let port = step.port.expect("port");
        let mut flows = Vec::new();
        for from in &world.pods {
            for to in world.pods.iter().filter(|t| *t != from) {
                let pair = (from.clone(), to.clone());
                flows.push(FlowCheck {
                    from: from.clone(),
                    to: to.clone(),
                    traffic: format!("{proto}/{port}"),
                    v6: false,
                    expected: if denied.contains(&pair) {
                        "deny"
                    } else {
                        "allow"
                    }
                    .into(),
                    logged: None,
                });
            }
        }
        let rows = session
            .sync()
            .and_then(|model| check(&session, &model, &flows, PROBE_TIMEOUT));
        match rows {
            Ok(rows) => {
                for r in rows.iter().filter(|r| !r.ok) {
                    fail(format!(
                        "{} step {} ({topology:?}) {} -> {} {}: expected {}, probe {}, trace {}",
                        case.id, step.step, r.from, r.to, r.traffic, r.expected, r.probe, r.trace
                    ));
                }
                probes += rows.len();
            }
            Err(e) => fail(format!("{} step {}: {e}", case.id, step.step)),
        }
        steps += 1;
    }
    if let Err(e) = session.down() {
        fail(format!("{}: {e}", case.id));
    }
    let mut t = tally.lock().expect("tally");
    t.cases += 1;
    t.steps += steps;
    t.probes += probes;
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn every_kubernetes_e2e_case_holds_with_real_packets_and_agrees_with_trace() {
    live_suite(Backend::Nftables, "nftables");
}

/// The same suite with the agents enforcing through iptables (Felix's chain layout).
#[test]
fn every_kubernetes_e2e_case_holds_with_iptables_too() {
    live_suite(Backend::Iptables(Some(Variant::Nft)), "iptables");
}

fn live_suite(backend: Backend, name: &str) {
    if !is_root() {
        println!("skipped: the live suite needs root (network namespaces, nftables)");
        return;
    }
    let (index, cases) = load();
    let work: Vec<(&Case, Topology)> = cases
        .iter()
        .flat_map(|c| [(c, Topology::Case), (c, Topology::Full)])
        .collect();
    let next = AtomicUsize::new(0);
    let tally = Mutex::new(Tally::default());
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                while let Some((case, topology)) = work.get(next.fetch_add(1, Ordering::Relaxed)) {
                    run_case(case, *topology, backend, &index.pod_ips, &tally);
                }
            });
        }
    });
    let t = tally.into_inner().expect("tally");
    println!(
        "k8s e2e live ({name}): {} case runs ({} cases x 2 topologies), {} probe steps, {} real probes, {} mismatches, {:.0} s",
        t.cases,
        cases.len(),
        t.steps,
        t.probes,
        t.failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
    assert_eq!(
        (t.cases, t.steps),
        (96, 130),
        "48 cases, 65 probe steps per topology"
    );
}
