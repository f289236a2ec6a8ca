//! Calico's policy semantics, case by case (`calico-inventory.md` §6): every case builds a small
//! world from YAML, decides flows through the engine, and states the verdict and the policy (or
//! profile, end of tier, failsafe) and rule that decided it.

mod hosts;
mod matching;
mod profiles;
mod services;
mod tiers;

use tortie_calc::Model;
use tortie_eval::{Decision, Flow, ModelTopology, StepVerdict, decide, endpoint_arg};
use tortie_model::load_str;

/// Two nodes, 10.1.0.1 and 10.1.0.2.
pub const TWO_NODES: &str = r"
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: node1}
spec: {bgp: {ipv4Address: 10.1.0.1/24}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: node2}
spec: {bgp: {ipv4Address: 10.1.0.2/24}}
---
";

/// A world of resources.
pub struct World {
    pub model: Model,
}

impl World {
    /// Loads YAML documents; any invalid one fails the test with its message.
    pub fn new(yaml: &str) -> World {
        let loaded = load_str(yaml, "case.yaml").expect("the case's YAML parses");
        let resources = loaded
            .into_iter()
            .map(|l| {
                let r = l
                    .result
                    .unwrap_or_else(|e| panic!("line {}: {e}", l.origin.line));
                let mut report = tortie_model::validate::Report::default();
                tortie_model::validate::validate(&r, &mut report);
                assert!(!report.has_errors(), "line {}: {report:?}", l.origin.line);
                r
            })
            .collect();
        World {
            model: Model::from_manifests(resources),
        }
    }

    /// Decides `traffic` (`tcp/80`, `udp/53`, `sctp/9`, `icmp/8/0`, `icmp/8`, `icmpv6/128`,
    /// `proto/47`) from one endpoint argument to another.
    pub fn trace(&self, from: &str, to: &str, traffic: &str) -> Decision {
        self.trace_via(from, to, traffic, None)
    }

    /// The same, for traffic from outside arriving through host endpoint `via` (`hep/NAME`).
    pub fn trace_via(&self, from: &str, to: &str, traffic: &str, via: Option<&str>) -> Decision {
        let peer = |t: &str| endpoint_arg::parse(&self.model, t).unwrap_or_else(|e| panic!("{e}"));
        let mut parts = traffic.split('/');
        let proto = parts.next().unwrap();
        let a: Option<u16> = parts.next().map(|p| p.parse().unwrap());
        let b: Option<u8> = parts.next().map(|p| p.parse().unwrap());
        let (protocol, dst_port, icmp) = match proto {
            "tcp" => (6, a, None),
            "udp" => (17, a, None),
            "sctp" => (132, a, None),
            "icmp" => (1, None, a.map(|t| (u8::try_from(t).unwrap(), b))),
            "icmpv6" => (58, None, a.map(|t| (u8::try_from(t).unwrap(), b))),
            "proto" => (u8::try_from(a.unwrap()).unwrap(), None, None),
            other => panic!("unknown traffic {other}"),
        };
        let via = via.map(|v| match peer(v) {
            tortie_eval::Peer::Entity(id) => id,
            other => panic!("--via {other:?}"),
        });
        let flow = Flow {
            src: peer(from),
            dst: peer(to),
            protocol,
            src_port: None,
            dst_port,
            icmp,
            backend: None,
        };
        decide(&self.model, &flow, &ModelTopology { via }).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Who decided a step: a policy name, `profile NAME`, `end of tier NAME`, `failsafe`,
/// `no profile` (no profile allowed), or `-`.
pub fn who(step: &tortie_eval::Step) -> String {
    if let Some(p) = &step.policy {
        p.name.clone()
    } else if let Some(p) = &step.profile {
        format!("profile {p}")
    } else if step.checkpoint.contains("failsafe") {
        "failsafe".into()
    } else if let Some(t) = &step.tier {
        format!("end of tier {t}")
    } else {
        "-".into()
    }
}

fn render(d: &Decision) -> String {
    d.steps
        .iter()
        .map(|s| {
            format!(
                "  {} [{}] {:?} by {} rule {:?}: {}",
                s.checkpoint,
                s.endpoint.clone().unwrap_or_default(),
                s.verdict,
                who(s),
                s.rule_index,
                s.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts the flow is allowed and that the step at `checkpoint` was decided by `by`, rule
/// `rule`.
#[track_caller]
pub fn allowed(d: &Decision, checkpoint: &str, by: &str, rule: Option<usize>) {
    assert_eq!(
        d.verdict,
        tortie_eval::Verdict::Allow,
        "expected Allow:\n{}",
        render(d)
    );
    let found = d.steps.iter().any(|s| {
        s.checkpoint.starts_with(checkpoint)
            && who(s) == by
            && s.rule_index == rule
            && s.verdict == StepVerdict::Allow
    });
    assert!(
        found,
        "no `{checkpoint}` step allowed by {by} rule {rule:?}:\n{}",
        render(d)
    );
}

/// Asserts the flow is denied, at `checkpoint`, by `by`, rule `rule` (the last step).
#[track_caller]
pub fn denied(d: &Decision, checkpoint: &str, by: &str, rule: Option<usize>) {
    assert_eq!(
        d.verdict,
        tortie_eval::Verdict::Deny,
        "expected Deny:\n{}",
        render(d)
    );
    let last = d.steps.last().expect("a denied flow has steps");
    assert!(
        last.checkpoint.starts_with(checkpoint)
            && who(last) == by
            && last.rule_index == rule
            && last.verdict == StepVerdict::Deny,
        "expected the last step `{checkpoint}` denied by {by} rule {rule:?}:\n{}",
        render(d)
    );
}

/// YAML for running pods: `(namespace/name, ip, node, "k=v,k=v")`.
pub fn pods(list: &[(&str, &str, &str, &str)]) -> String {
    list.iter()
        .map(|(id, ip, node, labels)| {
            let (ns, name) = id.split_once('/').unwrap();
            let labels: String = labels
                .split(',')
                .filter(|l| !l.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    format!("    {k}: '{v}'\n")
                })
                .collect();
            let labels = if labels.is_empty() {
                "  labels: {}\n".to_string()
            } else {
                format!("  labels:\n{labels}")
            };
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n{labels}spec:\n  nodeName: {node}\n  containers: [{{name: c, image: i, ports: [{{name: http, containerPort: 8080}}, {{name: dns, containerPort: 53, protocol: UDP}}]}}]\nstatus: {{phase: Running, podIP: {ip}}}\n---\n"
            )
        })
        .collect()
}
