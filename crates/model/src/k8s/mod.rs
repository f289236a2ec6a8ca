//! Kubernetes kinds Tortie reads: `networking.k8s.io/v1` NetworkPolicy, `v1` Namespace, Pod,
//! Service, ServiceAccount, and the `apps/v1` and `batch/v1` workload controllers whose pod
//! templates stand for pods.

pub mod convert;
pub mod core;
pub mod network_policy;
pub mod workloads;
