//! A synthetic cluster for the calculation benchmarks (B2, B3): running pods spread over
//! namespaces and nodes, each with an app, a tier and a team label, and a mix of Kubernetes and
//! Calico policies shaped like real ones (the app a policy protects, the apps or namespaces it
//! admits, a port).

use serde_json::{Value, json};
use tortie_model::{Kind, Resource};

/// The size of a world.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub pods: usize,
    pub namespaces: usize,
    pub policies: usize,
    pub nodes: usize,
}

fn resource(kind: Kind, v: &Value) -> Resource {
    Resource::from_json_str(kind, &v.to_string()).expect("generated object is valid")
}

/// The app label of pod `i` (ten pods per app).
pub fn app_of(i: usize) -> String {
    format!("app-{}", i / 10)
}

/// Namespace `n`.
pub fn namespace(n: usize) -> String {
    format!("ns-{n}")
}

/// A running pod.
pub fn pod(i: usize, size: Size, extra_label: Option<(&str, &str)>) -> Resource {
    let tier = ["web", "api", "db"][i % 3];
    let mut labels = json!({
        "app": app_of(i),
        "tier": tier,
        "team": format!("team-{}", i % 17),
    });
    if let Some((k, v)) = extra_label {
        labels[k] = json!(v);
    }
    resource(
        Kind::Pod,
        &json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("pod-{i}"), "namespace": namespace(i % size.namespaces), "labels": labels},
            "spec": {"nodeName": format!("node-{}", i % size.nodes),
                     "containers": [{"name": "c", "image": "i", "ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": format!("10.{}.{}.{}", 64 + i / 65536, (i / 256) % 256, i % 256)},
        }),
    )
}

/// A namespace with an environment label.
pub fn namespace_object(n: usize, env: &str) -> Resource {
    resource(
        Kind::Namespace,
        &json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": namespace(n), "labels": {"env": env, "kubernetes.io/metadata.name": namespace(n)}}}),
    )
}

/// Policy `j`: seven in ten are Kubernetes NetworkPolicies admitting one app on a port, the
/// rest Calico policies (namespaced, and every tenth global) with a namespace selector or a
/// team selector.
pub fn policy(j: usize, size: Size) -> Resource {
    let ns = namespace(j % size.namespaces);
    let target = app_of(j * 7 % size.pods.max(1));
    let peer = app_of(j * 13 % size.pods.max(1));
    match j % 10 {
        0..=6 => resource(
            Kind::KubernetesNetworkPolicy,
            &json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": format!("knp-{j}"), "namespace": ns},
                    "spec": {"podSelector": {"matchLabels": {"app": target}},
                             "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": peer}}}],
                                          "ports": [{"port": 8080}]}]}}),
        ),
        7 | 8 => resource(
            Kind::NetworkPolicy,
            &json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                    "metadata": {"name": format!("np-{j}"), "namespace": ns},
                    "spec": {"order": j, "selector": format!("app == '{target}'"),
                             "ingress": [{"action": "Allow", "protocol": "TCP",
                                          "source": {"namespaceSelector": "env == 'prod'", "selector": "tier == 'web'"},
                                          "destination": {"ports": ["http"]}}],
                             "egress": [{"action": "Allow", "destination": {"selector": format!("team == 'team-{}'", j % 17)}}]}}),
        ),
        _ => resource(
            Kind::GlobalNetworkPolicy,
            &json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                    "metadata": {"name": format!("gnp-{j}")},
                    "spec": {"order": j, "selector": format!("team == 'team-{}' && tier == 'db'", j % 17),
                             "ingress": [{"action": "Deny", "source": {"selector": format!("app == '{peer}'")}},
                                         {"action": "Allow", "source": {"namespaceSelector": "env == 'prod'"}}]}}),
        ),
    }
}

/// Every object of a world, as the datastore would hold them.
pub fn world(size: Size) -> Vec<Resource> {
    let mut out: Vec<Resource> = (0..size.namespaces)
        .map(|n| namespace_object(n, if n % 2 == 0 { "prod" } else { "dev" }))
        .collect();
    out.extend((0..size.pods).map(|i| pod(i, size, None)));
    out.extend((0..size.policies).map(|j| policy(j, size)));
    tortie_calc::offline::as_stored(out)
}
