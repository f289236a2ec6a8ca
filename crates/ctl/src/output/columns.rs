//! Table columns per kind, as calicoctl prints them (`get -o ps` and `-o wide`), and every
//! heading a `custom-columns=` list may name.

use tortie_model::Resource;

/// A float the way Go's `%v` prints it (`1000`, `100.5`).
fn float(f: Option<f64>) -> String {
    f.map(|v| {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{v:.0}")
        } else {
            format!("{v}")
        }
    })
    .unwrap_or_default()
}

fn join(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn truncate(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        s
    } else {
        format!(
            "{}...",
            s.chars().take(max.saturating_sub(3)).collect::<String>()
        )
    }
}

/// The headings of the default (`ps`) or wide table.
#[must_use]
pub fn headings(kind: tortie_model::Kind, wide: bool) -> &'static [&'static str] {
    use tortie_model::Kind as K;
    match (kind, wide) {
        (
            K::NetworkPolicy
            | K::GlobalNetworkPolicy
            | K::StagedNetworkPolicy
            | K::StagedGlobalNetworkPolicy,
            false,
        ) => &["NAME", "TIER"],
        (
            K::NetworkPolicy
            | K::GlobalNetworkPolicy
            | K::StagedNetworkPolicy
            | K::StagedGlobalNetworkPolicy,
            true,
        ) => &["NAME", "TIER", "ORDER", "SELECTOR"],
        (K::StagedKubernetesNetworkPolicy | K::KubernetesNetworkPolicy, false) => &["NAME"],
        (K::StagedKubernetesNetworkPolicy | K::KubernetesNetworkPolicy, true) => {
            &["NAME", "PODSELECTOR"]
        }
        (K::Tier, _) => &["NAME", "ORDER"],
        (K::HostEndpoint, false) => &["NAME", "NODE"],
        (K::HostEndpoint, true) => &["NAME", "NODE", "INTERFACE", "IPS", "PROFILES"],
        (K::WorkloadEndpoint, false) => &["WORKLOAD", "NODE", "NETWORKS", "INTERFACE"],
        (K::WorkloadEndpoint, true) => &[
            "NAME",
            "WORKLOAD",
            "NODE",
            "NETWORKS",
            "INTERFACE",
            "PROFILES",
            "NATS",
        ],
        (K::NetworkSet | K::GlobalNetworkSet, true) => &["NAME", "NETS"],
        (K::Profile, true) => &["NAME", "LABELS"],
        (K::Node, true) => &["NAME", "ASN", "IPV4", "IPV6"],
        (K::Pod, _) => &["NAME", "NODE", "IP"],
        (K::Service, _) => &["NAME", "TYPE", "CLUSTER-IP", "PORTS"],
        _ => &["NAME"],
    }
}

/// The value of one heading for one object (empty when the kind has no such column).
#[must_use]
pub fn cell(r: &Resource, heading: &str) -> String {
    let m = r.metadata();
    match heading {
        "NAME" => m.name.clone(),
        "NAMESPACE" => m.namespace.clone(),
        _ => kind_cell(r, heading),
    }
}

fn kind_cell(r: &Resource, heading: &str) -> String {
    match (r, heading) {
        (Resource::NetworkPolicy(p), _) => {
            policy_cell(heading, &p.spec.tier, p.spec.order, &p.spec.selector)
        }
        (Resource::GlobalNetworkPolicy(p), _) => {
            policy_cell(heading, &p.spec.tier, p.spec.order, &p.spec.selector)
        }
        (Resource::StagedNetworkPolicy(p), _) => {
            policy_cell(heading, &p.spec.tier, p.spec.order, &p.spec.selector)
        }
        (Resource::StagedGlobalNetworkPolicy(p), _) => {
            policy_cell(heading, &p.spec.tier, p.spec.order, &p.spec.selector)
        }
        (Resource::StagedKubernetesNetworkPolicy(p), "PODSELECTOR") => {
            label_selector(&p.spec.pod_selector)
        }
        (Resource::KubernetesNetworkPolicy(p), "PODSELECTOR") => {
            label_selector(&p.spec.pod_selector)
        }
        (Resource::Tier(t), "ORDER") => float(t.spec.order),
        (Resource::HostEndpoint(h), _) => match heading {
            "NODE" => h.spec.node.clone(),
            "INTERFACE" => h.spec.interface_name.clone(),
            "IPS" => join(&h.spec.expected_ips),
            "PROFILES" => join(&h.spec.profiles),
            _ => String::new(),
        },
        (Resource::WorkloadEndpoint(w), _) => match heading {
            "WORKLOAD" => {
                if w.spec.workload.is_empty() {
                    w.spec.pod.clone()
                } else {
                    w.spec.workload.clone()
                }
            }
            "NODE" => w.spec.node.clone(),
            "NETWORKS" => join(&w.spec.ip_networks),
            "INTERFACE" => w.spec.interface_name.clone(),
            "PROFILES" => join(&w.spec.profiles),
            "NATS" => join(
                w.spec
                    .ip_nats
                    .iter()
                    .map(|n| format!("{}->{}", n.internal_ip, n.external_ip)),
            ),
            _ => String::new(),
        },
        (Resource::NetworkSet(n) | Resource::GlobalNetworkSet(n), "NETS") => {
            truncate(join(&n.spec.nets), 80)
        }
        (Resource::Profile(p), "LABELS") => join(
            p.spec
                .labels_to_apply
                .iter()
                .map(|(k, v)| format!("{k}={v}")),
        ),
        (Resource::Node(n), _) => node_cell(n, heading),
        (Resource::Pod(p), _) => match heading {
            "NODE" => p.spec.node_name.clone().unwrap_or_default(),
            "IP" => p
                .status
                .as_ref()
                .and_then(|s| s.pod_ip.clone())
                .unwrap_or_default(),
            _ => String::new(),
        },
        (Resource::Service(s), _) => service_cell(s, heading),
        _ => String::new(),
    }
}

fn policy_cell(heading: &str, tier: &str, order: Option<f64>, selector: &str) -> String {
    match heading {
        "TIER" => tier.to_string(),
        "ORDER" => float(order),
        "SELECTOR" => selector.to_string(),
        _ => String::new(),
    }
}

fn label_selector(s: &tortie_model::meta::LabelSelector) -> String {
    let mut parts: Vec<String> = s
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in s.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(format!("{} {} ({values})", e.key, e.operator));
    }
    parts.join(",")
}

fn node_cell(
    n: &tortie_model::kinds::Object<tortie_model::kinds::infra::NodeSpec>,
    heading: &str,
) -> String {
    let bgp = n.spec.bgp.as_ref();
    match heading {
        "ASN" => bgp
            .and_then(|b| b.as_number)
            .map_or_else(|| "(64512)".to_string(), |a| a.to_string()),
        "IPV4" => bgp.map(|b| b.ipv4_address.clone()).unwrap_or_default(),
        "IPV6" => bgp.map(|b| b.ipv6_address.clone()).unwrap_or_default(),
        _ => String::new(),
    }
}

fn service_cell(s: &tortie_model::k8s::core::Service, heading: &str) -> String {
    let spec = &s.spec;
    match heading {
        "TYPE" => spec
            .service_type
            .clone()
            .unwrap_or_else(|| "ClusterIP".into()),
        "CLUSTER-IP" => spec.cluster_ip.clone().unwrap_or_default(),
        "PORTS" => join(spec.ports.clone().unwrap_or_default().iter().map(|p| {
            let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
            match p.node_port {
                Some(np) => format!("{}:{np}/{proto}", p.port),
                None => format!("{}/{proto}", p.port),
            }
        })),
        _ => String::new(),
    }
}

/// Every heading a kind understands (for `custom-columns=`).
#[must_use]
pub fn all_headings(kind: tortie_model::Kind) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = vec!["NAME"];
    if kind.is_namespaced() {
        all.push("NAMESPACE");
    }
    for h in headings(kind, true).iter().chain(headings(kind, false)) {
        if !all.contains(h) {
            all.push(h);
        }
    }
    all
}
