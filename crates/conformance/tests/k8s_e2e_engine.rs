//! Every case and step of the Kubernetes e2e corpus through the engine, on the case's own pods
//! and on the nine-pod model, with the policies and label changes of each step applied to one
//! model incrementally.

use std::collections::{BTreeMap, BTreeSet};

use tortie_calc::{Key, Model};
use tortie_conformance::e2e::{Case, CaseModel, Topology, load, protocol_number};
use tortie_eval::{Flow, ModelTopology, Peer, Verdict, decide};
use tortie_model::{Resource, load_str};

fn one(yaml: &str) -> Resource {
    load_str(yaml, "e2e")
        .expect("yaml")
        .remove(0)
        .result
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

struct World {
    model: Model,
    pods: Vec<String>,
    pod_labels: BTreeMap<String, BTreeMap<String, String>>,
    ns_labels: BTreeMap<String, BTreeMap<String, String>>,
    ips: BTreeMap<String, String>,
    policies: BTreeSet<Key>,
}

impl World {
    fn new(case: &CaseModel, topology: Topology, plan: &BTreeMap<String, String>) -> World {
        let pods = case.pods_for(topology);
        let mut w = World {
            model: Model::new(),
            pod_labels: pods
                .iter()
                .map(|p| {
                    let default = BTreeMap::from([(
                        "pod".to_string(),
                        p.split('/').nth(1).unwrap().to_string(),
                    )]);
                    (
                        p.clone(),
                        case.pod_labels.get(p).cloned().unwrap_or(default),
                    )
                })
                .collect(),
            ns_labels: case.namespace_labels.clone(),
            ips: pods
                .iter()
                .map(|p| {
                    (
                        p.clone(),
                        case.pod_ips
                            .get(p)
                            .or_else(|| plan.get(p))
                            .expect("ip")
                            .clone(),
                    )
                })
                .collect(),
            pods,
            policies: BTreeSet::new(),
        };
        for ns in &case.namespaces {
            w.put(&CaseModel::namespace_yaml(ns, &w.ns_labels[ns]));
        }
        for (i, p) in w.pods.clone().iter().enumerate() {
            let node = format!("node-{}", i % 2 + 1);
            w.put(&case.pod_yaml(p, &w.pod_labels[p], &w.ips[p], &node));
        }
        w
    }

    fn put(&mut self, yaml: &str) -> Key {
        let r = one(yaml);
        let k = Key::of(&r);
        self.model.set(k.clone(), Some(r));
        k
    }

    fn step(&mut self, case: &CaseModel, action: &tortie_conformance::e2e::CaseStep) {
        match action.action.as_str() {
            "create-policy" | "update-policy" => {
                let text = action.policy.as_ref().expect("policy").to_string();
                let k = self.put(&text);
                self.policies.insert(k);
            }
            "delete-all-policies" => {
                for k in std::mem::take(&mut self.policies) {
                    self.model.set(k, None);
                }
            }
            "add-namespace-labels" => {
                let ns = action.namespace.clone().expect("namespace");
                self.ns_labels
                    .get_mut(&ns)
                    .expect("ns")
                    .extend(action.labels.clone().expect("labels"));
                let yaml = CaseModel::namespace_yaml(&ns, &self.ns_labels[&ns]);
                self.put(&yaml);
            }
            "add-pod-labels" => {
                let pod = action.pod.clone().expect("pod");
                if let Some(l) = self.pod_labels.get_mut(&pod) {
                    l.extend(action.labels.clone().expect("labels"));
                    let i = self.pods.iter().position(|p| p == &pod).expect("pod");
                    let yaml = case.pod_yaml(
                        &pod,
                        &self.pod_labels[&pod],
                        &self.ips[&pod],
                        &format!("node-{}", i % 2 + 1),
                    );
                    self.put(&yaml);
                }
            }
            other => panic!("unknown action {other}"),
        }
    }

    fn denied(&self, port: u16, protocol: u8) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for from in &self.pods {
            for to in &self.pods {
                if from == to {
                    continue;
                }
                let flow = Flow {
                    src: Peer::Ip(self.ips[from].parse().unwrap()),
                    dst: Peer::Ip(self.ips[to].parse().unwrap()),
                    protocol,
                    src_port: None,
                    dst_port: Some(port),
                    icmp: None,
                    backend: None,
                };
                let d = decide(&self.model, &flow, &ModelTopology::default()).expect("decide");
                if d.verdict == Verdict::Deny {
                    out.insert((from.clone(), to.clone()));
                }
            }
        }
        out
    }
}

fn run(
    case: &Case,
    topology: Topology,
    plan: &BTreeMap<String, String>,
    failures: &mut Vec<String>,
) -> (usize, usize) {
    let mut w = World::new(&case.model, topology, plan);
    let (mut probes, mut pairs) = (0, 0);
    for step in &case.steps {
        if step.action != "probe" {
            w.step(&case.model, step);
            continue;
        }
        let expect = match topology {
            Topology::Case => step.expect.as_ref(),
            Topology::Full => step.full_model_expect.as_ref(),
        }
        .expect("an expectation");
        let want: BTreeSet<(String, String)> = expect.denied.iter().cloned().collect();
        let got = w.denied(
            step.port.expect("port"),
            protocol_number(step.protocol.as_deref().unwrap_or("TCP")),
        );
        probes += 1;
        pairs += w.pods.len() * (w.pods.len() - 1);
        if got != want {
            let extra: Vec<_> = got.difference(&want).collect();
            let missing: Vec<_> = want.difference(&got).collect();
            failures.push(format!(
                "{} step {} ({topology:?}): wrongly denied {extra:?}; wrongly allowed {missing:?}",
                case.id, step.step
            ));
        }
    }
    (probes, pairs)
}

#[test]
fn the_engine_agrees_with_every_kubernetes_e2e_expectation() {
    let (index, cases) = load();
    let mut failures = Vec::new();
    let (mut probes, mut pairs) = (0, 0);
    for case in &cases {
        for topology in [Topology::Case, Topology::Full] {
            let (p, n) = run(case, topology, &index.pod_ips, &mut failures);
            probes += p;
            pairs += n;
        }
    }
    println!(
        "k8s e2e through the engine: {} cases, {probes} probe steps over both topologies, {pairs} pod pairs, {} mismatches",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        (cases.len(), probes),
        (48, 130),
        "48 cases and 65 probe steps per topology"
    );
}
