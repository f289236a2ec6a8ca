//! Which checks run for which kind.

use super::Report;
use super::calico::{self, NameRule};
use crate::k8s::{core, network_policy as np, workloads};
use crate::kinds::{felix, infra};
use crate::resource::Resource;
use crate::yaml::FieldPath;

/// Validates an object with Calico's (or Kubernetes') rules for its kind.
pub fn validate(resource: &Resource, report: &mut Report) {
    let spec = FieldPath::root().key("spec");
    let kind = resource.kind();
    let meta = resource.metadata();
    let name_rule = match resource {
        Resource::NetworkPolicy(_) | Resource::StagedNetworkPolicy(_) => {
            Some(NameRule::NamespacedPolicy)
        }
        Resource::GlobalNetworkPolicy(_) | Resource::StagedGlobalNetworkPolicy(_) => {
            Some(NameRule::GlobalPolicy)
        }
        Resource::Tier(_) => Some(NameRule::Tier),
        _ if kind.is_calico() => Some(NameRule::Subdomain),
        _ => None,
    };
    if let Some(rule) = name_rule {
        calico::object_meta(meta, rule, kind.is_namespaced(), report);
    }
    match resource {
        Resource::NetworkPolicy(p) => calico::network_policy_spec(&p.spec, report),
        Resource::GlobalNetworkPolicy(p) => calico::global_network_policy_spec(&p.spec, report),
        Resource::StagedNetworkPolicy(p) => calico::staged_network_policy_spec(&p.spec, report),
        Resource::StagedGlobalNetworkPolicy(p) => {
            calico::staged_global_network_policy_spec(&p.spec, report)
        }
        Resource::Tier(t) => calico::tier_spec(&t.metadata.name, &t.spec, report),
        Resource::HostEndpoint(h) => calico::host_endpoint_spec(&h.spec, &spec, report),
        Resource::Profile(p) => calico::profile_spec(&p.spec, &spec, report),
        Resource::NetworkSet(n) | Resource::GlobalNetworkSet(n) => {
            calico::network_set_labels(&n.metadata, report);
            calico::network_set_spec(&n.spec, &spec, report);
        }
        Resource::WorkloadEndpoint(w) => {
            infra::validate_workload_endpoint_name(
                &w.metadata.name,
                &w.spec,
                &FieldPath::root().key("metadata").key("name"),
                report,
            );
            infra::validate_workload_endpoint_spec(&w.spec, &spec, report);
        }
        Resource::Node(n) => infra::validate_node_spec(&n.spec, &spec, report),
        Resource::FelixConfiguration(f) => felix::validate_object(f, &FieldPath::root(), report),
        Resource::IPPool(p) => infra::validate_ip_pool_spec(&p.spec, &spec, report),
        Resource::IPReservation(p) => infra::validate_ip_reservation_spec(&p.spec, &spec, report),
        Resource::IPAMConfiguration(p) => {
            infra::validate_ipam_configuration_spec(&p.spec, &spec, report)
        }
        Resource::BGPConfiguration(b) => {
            infra::validate_bgp_configuration_spec(&b.spec, &spec, report)
        }
        Resource::BGPPeer(b) => infra::validate_bgp_peer_spec(&b.spec, &spec, report),
        Resource::BGPFilter(b) => infra::validate_bgp_filter_spec(&b.spec, &spec, report),
        Resource::KubeControllersConfiguration(k) => {
            infra::validate_kube_controllers_configuration_spec(&k.spec, &spec, report);
        }
        Resource::ClusterInformation(c) => {
            infra::validate_cluster_information_spec(&c.spec, &spec, report)
        }
        Resource::CalicoNodeStatus(c) => {
            infra::validate_calico_node_status_spec(&c.spec, &spec, report)
        }
        Resource::StagedKubernetesNetworkPolicy(p) => {
            np::validate_network_policy_spec(&p.spec.to_enforced(), &spec, report);
        }
        Resource::KubernetesNetworkPolicy(p) => np::validate_network_policy(p, report),
        Resource::Namespace(n) => core::validate_namespace(n, report),
        Resource::Pod(p) => core::validate_pod(p, report),
        Resource::Service(s) => core::validate_service(s, report),
        Resource::ServiceAccount(s) => core::validate_service_account(s, report),
        Resource::Deployment(w) => workloads::validate_workload(&**w, report),
        Resource::StatefulSet(w) => workloads::validate_workload(&**w, report),
        Resource::DaemonSet(w) => workloads::validate_workload(&**w, report),
        Resource::ReplicaSet(w) => workloads::validate_workload(&**w, report),
        Resource::Job(w) => workloads::validate_workload(&**w, report),
        Resource::CronJob(w) => workloads::validate_workload(&**w, report),
    }
}
