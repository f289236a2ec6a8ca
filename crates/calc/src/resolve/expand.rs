//! What Kubernetes objects contribute, as Calico's kube-controllers derive it: Namespace and
//! ServiceAccount profiles, workload endpoints for pods, `knp.default.*` policies, staged
//! policies, and template entities for pods without an address and for workload controllers.
//! The same functions the datastore uses, so a snapshot read from manifests and one read from
//! the datastore resolve alike.

use tortie_model::Resource;
use tortie_model::k8s::convert;

use super::entity::{Entity, from_pod_spec, from_template};

/// A derived object or a template entity.
#[derive(Clone, Debug)]
pub enum Contribution {
    /// A Calico object derived from the Kubernetes one.
    Object(Box<Resource>),
    /// A workload without an address.
    Template(Box<Entity>),
}

/// What a resource contributes (nothing for Calico kinds).
#[must_use]
pub fn contributions(r: &Resource, interface_prefix: &str) -> Vec<Contribution> {
    match r {
        Resource::Namespace(ns) => vec![obj(Resource::Profile(Box::new(
            convert::namespace_to_profile(ns),
        )))],
        Resource::ServiceAccount(sa) => {
            vec![obj(Resource::Profile(Box::new(
                convert::service_account_to_profile(sa),
            )))]
        }
        Resource::Pod(pod) => {
            if pod.spec.host_network == Some(true) {
                return Vec::new();
            }
            match convert::pod_to_workload_endpoint(pod, interface_prefix) {
                Some(w) if !w.spec.ip_networks.is_empty() => {
                    vec![obj(Resource::WorkloadEndpoint(Box::new(w)))]
                }
                _ => vec![Contribution::Template(Box::new(from_pod_spec(
                    "Pod",
                    &pod.metadata.namespace,
                    &pod.metadata.name,
                    Some(&pod.metadata),
                    &pod.spec,
                )))],
            }
        }
        Resource::KubernetesNetworkPolicy(np) => {
            let mut policy = convert::network_policy_to_calico(np).policy;
            policy.metadata.name = convert::knp_name(&np.metadata.name);
            vec![obj(Resource::NetworkPolicy(Box::new(policy)))]
        }
        Resource::Deployment(w) => template("Deployment", &w.metadata, w.pod_template()),
        Resource::StatefulSet(w) => template("StatefulSet", &w.metadata, w.pod_template()),
        Resource::DaemonSet(w) => template("DaemonSet", &w.metadata, w.pod_template()),
        Resource::ReplicaSet(w) => template("ReplicaSet", &w.metadata, w.pod_template()),
        Resource::Job(w) => template("Job", &w.metadata, w.pod_template()),
        Resource::CronJob(w) => template("CronJob", &w.metadata, w.pod_template()),
        _ => Vec::new(),
    }
}

fn template(
    kind: &'static str,
    meta: &tortie_model::meta::ObjectMeta,
    t: Option<&tortie_model::k8s::core::PodTemplateSpec>,
) -> Vec<Contribution> {
    t.filter(|t| t.spec.host_network != Some(true))
        .map(|t| Contribution::Template(Box::new(from_template(kind, meta, t))))
        .into_iter()
        .collect()
}

fn obj(r: Resource) -> Contribution {
    Contribution::Object(Box::new(r))
}
