//! Keys in Calico's etcd v3 layout: `/calico/resources/v3/projectcalico.org/<plural>/[<ns>/]<name>`.
//! Kubernetes objects (which Calico keeps in the API server) live under `/tortie/kubernetes/`.

use tortie_model::Kind;

/// The root of Calico resources.
pub const CALICO_PREFIX: &str = "/calico/resources/v3/projectcalico.org/";
/// The root of Kubernetes objects kept by Tortie.
pub const KUBERNETES_PREFIX: &str = "/tortie/kubernetes/";

/// The prefix of every key of `kind` (and of one namespace, if given).
#[must_use]
pub fn kind_prefix(kind: Kind, namespace: Option<&str>) -> String {
    let root = if kind.is_calico() {
        CALICO_PREFIX
    } else {
        KUBERNETES_PREFIX
    };
    match namespace.filter(|_| kind.is_namespaced()) {
        Some(ns) => format!("{root}{}/{ns}/", kind.plural()),
        None => format!("{root}{}/", kind.plural()),
    }
}

/// The key of one object.
#[must_use]
pub fn key(kind: Kind, namespace: &str, name: &str) -> String {
    let ns = kind.is_namespaced().then_some(namespace);
    format!("{}{name}", kind_prefix(kind, ns))
}

/// The kind, namespace and name a key stands for.
#[must_use]
pub fn parse(key: &str) -> Option<(Kind, String, String)> {
    let (root, rest) = if let Some(r) = key.strip_prefix(CALICO_PREFIX) {
        (true, r)
    } else {
        (false, key.strip_prefix(KUBERNETES_PREFIX)?)
    };
    let (plural, rest) = rest.split_once('/')?;
    let kind = Kind::ALL
        .iter()
        .copied()
        .find(|k| k.plural() == plural && k.is_calico() == root)?;
    if kind.is_namespaced() {
        let (ns, name) = rest.split_once('/')?;
        Some((kind, ns.to_string(), name.to_string()))
    } else {
        Some((kind, String::new(), rest.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_calicos_layout() {
        assert_eq!(
            key(Kind::GlobalNetworkPolicy, "", "deny-all"),
            "/calico/resources/v3/projectcalico.org/globalnetworkpolicies/deny-all"
        );
        assert_eq!(
            key(Kind::NetworkPolicy, "prod", "allow-db"),
            "/calico/resources/v3/projectcalico.org/networkpolicies/prod/allow-db"
        );
        assert_eq!(
            key(Kind::Pod, "prod", "web-1"),
            "/tortie/kubernetes/pods/prod/web-1"
        );
        for k in [
            key(Kind::NetworkPolicy, "prod", "knp.default.allow-db"),
            key(Kind::Tier, "", "security"),
            key(Kind::KubernetesNetworkPolicy, "ns", "p"),
        ] {
            let (kind, ns, name) = parse(&k).expect("parses");
            assert_eq!(key(kind, &ns, &name), k);
        }
        assert_eq!(
            kind_prefix(Kind::NetworkPolicy, Some("prod")),
            "/calico/resources/v3/projectcalico.org/networkpolicies/prod/"
        );
    }
}
