//! Objects derived from Kubernetes objects, as Calico's kube-controllers writes them in etcd
//! mode: Namespace → Profile `kns.<name>`, ServiceAccount → Profile `ksa.<ns>.<name>`, Pod →
//! WorkloadEndpoint, NetworkPolicy → NetworkPolicy `knp.default.<name>`. Derived objects are
//! read-only through their Calico kind: change the Kubernetes object instead.

use tortie_model::k8s::convert;
use tortie_model::{Kind, Resource};

use super::ObjectRef;

/// The Calico objects derived from `r` (none for kinds that derive nothing).
pub(super) fn derived(r: &Resource, interface_prefix: &str) -> Vec<Resource> {
    match r {
        Resource::Namespace(ns) => vec![Resource::Profile(Box::new(
            convert::namespace_to_profile(ns),
        ))],
        Resource::ServiceAccount(sa) => {
            vec![Resource::Profile(Box::new(
                convert::service_account_to_profile(sa),
            ))]
        }
        Resource::Pod(pod) => convert::pod_to_workload_endpoint(pod, interface_prefix)
            .map(|w| Resource::WorkloadEndpoint(Box::new(w)))
            .into_iter()
            .collect(),
        Resource::KubernetesNetworkPolicy(np) => {
            let mut policy = convert::network_policy_to_calico(np).policy;
            policy.metadata.name = convert::knp_name(&np.metadata.name);
            vec![Resource::NetworkPolicy(Box::new(policy))]
        }
        _ => Vec::new(),
    }
}

/// The Kubernetes object a Calico object is (or would be) derived from, judged by kind and name
/// (and, for workload endpoints, by the pod they name).
pub(super) fn source_of(obj: &ObjectRef, resource: Option<&Resource>) -> Option<ObjectRef> {
    let k8s = |kind, namespace: &str, name: &str| ObjectRef {
        kind,
        namespace: namespace.into(),
        name: name.into(),
    };
    match obj.kind {
        Kind::NetworkPolicy => convert::k8s_name_of_knp(&obj.name)
            .map(|n| k8s(Kind::KubernetesNetworkPolicy, &obj.namespace, n)),
        Kind::Profile => {
            if let Some(ns) = obj.name.strip_prefix("kns.") {
                Some(k8s(Kind::Namespace, "", ns))
            } else {
                let rest = obj.name.strip_prefix("ksa.")?;
                let (ns, sa) = rest.split_once('.')?;
                Some(k8s(Kind::ServiceAccount, ns, sa))
            }
        }
        Kind::WorkloadEndpoint => match resource {
            Some(Resource::WorkloadEndpoint(w))
                if w.spec.orchestrator == "k8s" && !w.spec.pod.is_empty() =>
            {
                Some(k8s(Kind::Pod, &obj.namespace, &w.spec.pod))
            }
            _ => None,
        },
        _ => None,
    }
}
