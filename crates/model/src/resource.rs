//! The kinds Tortie knows, with their wire names, API versions, etcd plurals, scopes and the
//! aliases calicoctl accepts, and [`Resource`], a value of any of them.

use serde::Serialize;

use crate::k8s;
use crate::kinds::endpoints::{HostEndpointSpec, NetworkSetSpec, ProfileSpec, TierSpec};
use crate::kinds::felix::FelixConfigurationSpec;
use crate::kinds::infra::{
    BGPConfigurationSpec, BGPFilterSpec, BGPPeerSpec, CalicoNodeStatusSpec, ClusterInformationSpec,
    IPAMConfigurationSpec, IPPoolSpec, IPReservationSpec, KubeControllersConfigurationSpec,
    NodeSpec, WorkloadEndpointSpec,
};
use crate::kinds::policy::{
    GlobalNetworkPolicySpec, NetworkPolicySpec, StagedGlobalNetworkPolicySpec,
    StagedKubernetesNetworkPolicySpec, StagedNetworkPolicySpec,
};
use crate::kinds::{CALICO_API_VERSION, Object};
use crate::meta::ObjectMeta;
use crate::yaml::{DeError, Node, from_node};

/// How much Tortie does with a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Enforced or used to decide flows.
    ActedOn,
    /// Accepted, validated and stored; not acted on (BGP, IPAM and similar).
    StoredOnly,
}

macro_rules! registry {
    ($(
        $variant:ident : $ty:ty, $name:literal, $api:expr, $plural:literal, $namespaced:literal,
        $support:ident, [$($alias:literal),*];
    )*) => {
        /// A kind Tortie knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $(
            #[doc = $name]
            $variant,
        )* }

        impl Kind {
            /// Every kind, in registry order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The `kind` field value.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Kind::$variant => $name,)* }
            }

            /// The `apiVersion` field value.
            #[must_use]
            pub fn api_version(self) -> &'static str {
                match self { $(Kind::$variant => $api,)* }
            }

            /// The lower-case plural used in etcd keys and URLs.
            #[must_use]
            pub fn plural(self) -> &'static str {
                match self { $(Kind::$variant => $plural,)* }
            }

            /// Whether objects of this kind live in a namespace.
            #[must_use]
            pub fn is_namespaced(self) -> bool {
                match self { $(Kind::$variant => $namespaced,)* }
            }

            /// Whether Tortie acts on this kind.
            #[must_use]
            pub fn support(self) -> Support {
                match self { $(Kind::$variant => Support::$support,)* }
            }

            /// The names a user may type for this kind on the command line (lower case).
            #[must_use]
            pub fn aliases(self) -> &'static [&'static str] {
                match self { $(Kind::$variant => &[$($alias),*],)* }
            }
        }

        /// A value of any known kind. Boxed: objects differ in size by a factor of ten
        /// (FelixConfiguration is kilobytes), and models keep many thousands of them.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Resource { $(
            #[doc = $name]
            $variant(Box<$ty>),
        )* }

        impl Resource {
            /// The kind.
            #[must_use]
            pub fn kind(&self) -> Kind {
                match self { $(Resource::$variant(_) => Kind::$variant,)* }
            }

            /// The metadata.
            #[must_use]
            pub fn metadata(&self) -> &ObjectMeta {
                match self { $(Resource::$variant(r) => &r.metadata,)* }
            }

            /// The metadata, mutably.
            pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
                match self { $(Resource::$variant(r) => &mut r.metadata,)* }
            }

            /// The JSON form, field order as Calico writes it.
            #[must_use]
            pub fn to_json(&self) -> serde_json::Value {
                match self { $(Resource::$variant(r) => to_value(r),)* }
            }

            /// Decodes the JSON form (as stored in a datastore) of an object of `kind`.
            ///
            /// # Errors
            /// The text is not a valid object of that kind.
            pub fn from_json_str(kind: Kind, text: &str) -> Result<Resource, serde_json::Error> {
                match kind { $(Kind::$variant => serde_json::from_str::<$ty>(text).map(|v| Resource::$variant(Box::new(v))),)* }
            }

            /// Deserializes a document of the given kind.
            ///
            /// # Errors
            /// The first field that does not fit, with its path and position.
            pub fn from_node(kind: Kind, node: &Node) -> Result<Resource, DeError> {
                match kind { $(Kind::$variant => from_node::<$ty>(node).map(|v| Resource::$variant(Box::new(v))),)* }
            }
        }
    };
}

fn to_value<T: Serialize>(v: &T) -> serde_json::Value {
    // Serializing plain data structs to a JSON value cannot fail.
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

const CALICO: &str = CALICO_API_VERSION;

registry! {
    NetworkPolicy: Object<NetworkPolicySpec>, "NetworkPolicy", CALICO, "networkpolicies", true,
        ActedOn, ["networkpolicy", "networkpolicies", "policy", "np", "policies", "pol", "pols"];
    GlobalNetworkPolicy: Object<GlobalNetworkPolicySpec>, "GlobalNetworkPolicy", CALICO,
        "globalnetworkpolicies", false, ActedOn,
        ["globalnetworkpolicy", "globalnetworkpolicies", "gnp", "gnps"];
    StagedNetworkPolicy: Object<StagedNetworkPolicySpec>, "StagedNetworkPolicy", CALICO,
        "stagednetworkpolicies", true, ActedOn,
        ["stagednetworkpolicy", "stagednetworkpolicies", "stagedpolicy", "snp", "stagedpolicies", "spol", "spols"];
    StagedGlobalNetworkPolicy: Object<StagedGlobalNetworkPolicySpec>, "StagedGlobalNetworkPolicy",
        CALICO, "stagedglobalnetworkpolicies", false, ActedOn,
        ["stagedglobalnetworkpolicy", "stagedglobalnetworkpolicies", "sgnp", "sgnps"];
    StagedKubernetesNetworkPolicy: Object<StagedKubernetesNetworkPolicySpec>,
        "StagedKubernetesNetworkPolicy", CALICO, "stagedkubernetesnetworkpolicies", true, ActedOn,
        ["stagedkubernetesnetworkpolicy", "stagedkubernetesnetworkpolicies", "stagedkubernetespolicy",
         "sknp", "stagedkubernetespolicies", "skpol", "skpols"];
    Tier: Object<TierSpec>, "Tier", CALICO, "tiers", false, ActedOn, ["tier", "tiers"];
    HostEndpoint: Object<HostEndpointSpec>, "HostEndpoint", CALICO, "hostendpoints", false, ActedOn,
        ["hostendpoint", "hostendpoints", "hep", "heps"];
    WorkloadEndpoint: Object<WorkloadEndpointSpec>, "WorkloadEndpoint", CALICO, "workloadendpoints",
        true, ActedOn, ["workloadendpoint", "workloadendpoints", "wep", "weps"];
    NetworkSet: Object<NetworkSetSpec>, "NetworkSet", CALICO, "networksets", true, ActedOn,
        ["networkset", "networksets", "netset", "netsets"];
    GlobalNetworkSet: Object<NetworkSetSpec>, "GlobalNetworkSet", CALICO, "globalnetworksets", false,
        ActedOn, ["globalnetworkset", "globalnetworksets", "gnetset", "gnetsets"];
    Profile: Object<ProfileSpec>, "Profile", CALICO, "profiles", false, ActedOn,
        ["profile", "profiles", "pro", "pros"];
    Node: Object<NodeSpec>, "Node", CALICO, "nodes", false, ActedOn, ["node", "nodes", "no", "nos"];
    FelixConfiguration: Object<FelixConfigurationSpec>, "FelixConfiguration", CALICO,
        "felixconfigurations", false, ActedOn,
        ["felixconfiguration", "felixconfigurations", "felixconfig", "felixconfigs"];
    IPPool: Object<IPPoolSpec>, "IPPool", CALICO, "ippools", false, StoredOnly,
        ["ippool", "ippools", "ipp", "ipps", "pool", "pools"];
    IPReservation: Object<IPReservationSpec>, "IPReservation", CALICO, "ipreservations", false,
        StoredOnly, ["ipreservation", "ipreservations"];
    BGPConfiguration: Object<BGPConfigurationSpec>, "BGPConfiguration", CALICO, "bgpconfigurations",
        false, StoredOnly, ["bgpconfiguration", "bgpconfigurations", "bgpconfig", "bgpconfigs"];
    BGPPeer: Object<BGPPeerSpec>, "BGPPeer", CALICO, "bgppeers", false, StoredOnly,
        ["bgppeer", "bgppeers", "bgpp", "bgpps", "bp", "bps"];
    BGPFilter: Object<BGPFilterSpec>, "BGPFilter", CALICO, "bgpfilters", false, StoredOnly,
        ["bgpfilter", "bgpfilters", "bgpf", "bgpfs", "bf", "bfs"];
    KubeControllersConfiguration: Object<KubeControllersConfigurationSpec>,
        "KubeControllersConfiguration", CALICO, "kubecontrollersconfigurations", false, StoredOnly,
        ["kubecontrollersconfiguration", "kubecontrollersconfigurations", "kubecontrollersconfig",
         "kubecontrollersconfigs"];
    ClusterInformation: Object<ClusterInformationSpec>, "ClusterInformation", CALICO,
        "clusterinformations", false, StoredOnly,
        ["clusterinformation", "clusterinformations", "clusterinfo", "clusterinfos"];
    IPAMConfiguration: Object<IPAMConfigurationSpec>, "IPAMConfiguration", CALICO,
        "ipamconfigurations", false, StoredOnly,
        ["ipamconfiguration", "ipamconfigurations", "ipamconfig", "ipamconfigs"];
    CalicoNodeStatus: Object<CalicoNodeStatusSpec>, "CalicoNodeStatus", CALICO, "caliconodestatuses",
        false, StoredOnly, ["caliconodestatus", "caliconodestatuses", "nodestatus", "nodestatuses"];
    KubernetesNetworkPolicy: k8s::network_policy::NetworkPolicy, "NetworkPolicy",
        "networking.k8s.io/v1", "networkpolicies", true, ActedOn,
        ["networkpolicy.networking.k8s.io", "networkpolicies.networking.k8s.io", "netpol", "netpols"];
    Namespace: k8s::core::Namespace, "Namespace", "v1", "namespaces", false, ActedOn,
        ["namespace", "namespaces", "ns"];
    Pod: k8s::core::Pod, "Pod", "v1", "pods", true, ActedOn, ["pod", "pods", "po"];
    Service: k8s::core::Service, "Service", "v1", "services", true, ActedOn,
        ["service", "services", "svc"];
    ServiceAccount: k8s::core::ServiceAccount, "ServiceAccount", "v1", "serviceaccounts", true,
        ActedOn, ["serviceaccount", "serviceaccounts", "sa"];
    Deployment: k8s::workloads::Deployment, "Deployment", "apps/v1", "deployments", true, ActedOn,
        ["deployment", "deployments", "deploy"];
    StatefulSet: k8s::workloads::StatefulSet, "StatefulSet", "apps/v1", "statefulsets", true,
        ActedOn, ["statefulset", "statefulsets", "sts"];
    DaemonSet: k8s::workloads::DaemonSet, "DaemonSet", "apps/v1", "daemonsets", true, ActedOn,
        ["daemonset", "daemonsets", "ds"];
    ReplicaSet: k8s::workloads::ReplicaSet, "ReplicaSet", "apps/v1", "replicasets", true, ActedOn,
        ["replicaset", "replicasets", "rs"];
    Job: k8s::workloads::Job, "Job", "batch/v1", "jobs", true, ActedOn, ["job", "jobs"];
    CronJob: k8s::workloads::CronJob, "CronJob", "batch/v1", "cronjobs", true, ActedOn,
        ["cronjob", "cronjobs", "cj"];
}

impl Kind {
    /// The kind with this `apiVersion` and `kind`.
    #[must_use]
    pub fn from_type(api_version: &str, kind: &str) -> Option<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.api_version() == api_version && k.name() == kind)
    }

    /// The kind a user means by `word` on the command line: a calicoctl alias, case-insensitive,
    /// singular or plural. Calico kinds win over Kubernetes ones (`networkpolicy` is Calico's,
    /// as in calicoctl).
    #[must_use]
    pub fn from_alias(word: &str) -> Option<Kind> {
        let lower = word.to_ascii_lowercase();
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.aliases().contains(&lower.as_str()))
    }

    /// Whether this is a Calico `projectcalico.org/v3` kind.
    #[must_use]
    pub fn is_calico(self) -> bool {
        self.api_version() == CALICO_API_VERSION
    }

    /// Whether this kind is a policy (enforced or staged, Calico or Kubernetes).
    #[must_use]
    pub fn is_policy(self) -> bool {
        matches!(
            self,
            Kind::NetworkPolicy
                | Kind::GlobalNetworkPolicy
                | Kind::StagedNetworkPolicy
                | Kind::StagedGlobalNetworkPolicy
                | Kind::StagedKubernetesNetworkPolicy
                | Kind::KubernetesNetworkPolicy
        )
    }

    /// Calico's short kind name, as the `%k` log-prefix specifier and policy ids print it.
    #[must_use]
    pub fn short_name(self) -> &'static str {
        match self {
            Kind::NetworkPolicy => "np",
            Kind::GlobalNetworkPolicy => "gnp",
            Kind::StagedNetworkPolicy => "snp",
            Kind::StagedGlobalNetworkPolicy => "sgnp",
            Kind::StagedKubernetesNetworkPolicy => "sknp",
            Kind::KubernetesNetworkPolicy => "knp",
            Kind::Profile => "pro",
            other => other.plural(),
        }
    }
}

impl Resource {
    /// `kind/name` or `kind/namespace/name`, for messages.
    #[must_use]
    pub fn display_name(&self) -> String {
        let m = self.metadata();
        if m.namespace.is_empty() {
            format!("{}/{}", self.kind().name(), m.name)
        } else {
            format!("{}/{}/{}", self.kind().name(), m.namespace, m.name)
        }
    }
}
