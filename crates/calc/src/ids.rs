//! Identities of the things the model holds.

use std::fmt;

/// The kinds of policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKind {
    /// Calico `NetworkPolicy` (also the `knp.default.*` policies converted from Kubernetes).
    NetworkPolicy,
    /// Calico `GlobalNetworkPolicy`.
    GlobalNetworkPolicy,
    /// Calico `StagedNetworkPolicy`.
    StagedNetworkPolicy,
    /// Calico `StagedGlobalNetworkPolicy`.
    StagedGlobalNetworkPolicy,
    /// Calico `StagedKubernetesNetworkPolicy`.
    StagedKubernetesNetworkPolicy,
}

impl PolicyKind {
    /// Calico's short name (`np`, `gnp`, ...), used by log prefixes and chain ids.
    #[must_use]
    pub fn short(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => "np",
            PolicyKind::GlobalNetworkPolicy => "gnp",
            PolicyKind::StagedNetworkPolicy => "snp",
            PolicyKind::StagedGlobalNetworkPolicy => "sgnp",
            PolicyKind::StagedKubernetesNetworkPolicy => "sknp",
        }
    }

    /// The kind name as in YAML.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => "NetworkPolicy",
            PolicyKind::GlobalNetworkPolicy => "GlobalNetworkPolicy",
            PolicyKind::StagedNetworkPolicy => "StagedNetworkPolicy",
            PolicyKind::StagedGlobalNetworkPolicy => "StagedGlobalNetworkPolicy",
            PolicyKind::StagedKubernetesNetworkPolicy => "StagedKubernetesNetworkPolicy",
        }
    }

    /// Whether policies of this kind are evaluated but not enforced.
    #[must_use]
    pub fn is_staged(self) -> bool {
        matches!(
            self,
            PolicyKind::StagedNetworkPolicy
                | PolicyKind::StagedGlobalNetworkPolicy
                | PolicyKind::StagedKubernetesNetworkPolicy
        )
    }
}

/// A policy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyId {
    /// Kind.
    pub kind: PolicyKind,
    /// Namespace (empty for global kinds).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl PolicyId {
    /// Calico's tie-break key within a tier and order: `name/namespace/kind`.
    #[must_use]
    pub fn sort_key(&self) -> String {
        format!("{}/{}/{}", self.name, self.namespace, self.kind.short())
    }
}

impl fmt::Display for PolicyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind.name(), self.name)
        } else {
            write!(f, "{} {}/{}", self.kind.name(), self.namespace, self.name)
        }
    }
}

/// Something selectors can match: an endpoint or a network set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityId {
    /// A workload endpoint (by its WorkloadEndpoint name).
    Workload {
        /// Namespace.
        namespace: String,
        /// WorkloadEndpoint name.
        name: String,
    },
    /// A workload known only from a Pod or a controller's pod template, without an address.
    Template {
        /// `Pod`, `Deployment`, ...
        kind: &'static str,
        /// Namespace.
        namespace: String,
        /// Object name.
        name: String,
    },
    /// A host endpoint.
    Host {
        /// HostEndpoint name.
        name: String,
    },
    /// A namespaced network set.
    NetworkSet {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// A global network set.
    GlobalNetworkSet {
        /// Name.
        name: String,
    },
}

impl EntityId {
    /// Whether policies can select this entity (endpoints yes, network sets no).
    #[must_use]
    pub fn is_endpoint(&self) -> bool {
        matches!(
            self,
            EntityId::Workload { .. } | EntityId::Template { .. } | EntityId::Host { .. }
        )
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityId::Workload { namespace, name } => {
                write!(f, "WorkloadEndpoint {namespace}/{name}")
            }
            EntityId::Template {
                kind,
                namespace,
                name,
            } => write!(f, "{kind} {namespace}/{name}"),
            EntityId::Host { name } => write!(f, "HostEndpoint {name}"),
            EntityId::NetworkSet { namespace, name } => write!(f, "NetworkSet {namespace}/{name}"),
            EntityId::GlobalNetworkSet { name } => write!(f, "GlobalNetworkSet {name}"),
        }
    }
}

/// A traffic direction relative to an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Into the endpoint.
    Ingress,
    /// Out of the endpoint.
    Egress,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        })
    }
}
