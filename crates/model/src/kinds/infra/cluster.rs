//! Cluster-wide settings and status requests: `KubeControllersConfiguration`,
//! `ClusterInformation`, `CalicoNodeStatus`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::common::{check_cidr, check_duration, check_name, check_one_of, check_selector};
use crate::validate::Report;
use crate::validate::names::{label_key_problem, label_value_problem};
use crate::yaml::FieldPath;

/// `KubeControllersConfigurationSpec` (the singleton named `default`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubeControllersConfigurationSpec {
    /// Log level: `None`, `Debug`, `Info`, `Warning`, `Error`, `Fatal`, `Panic`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log_severity_screen: String,
    /// `Enabled` (default) or `Disabled`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub health_checks: String,
    /// Period of etcd compaction requests (a duration; 0 disables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etcd_v3_compaction_period: Option<String>,
    /// Prometheus metrics port (0 disables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_metrics_port: Option<i64>,
    /// The controllers to run and their settings.
    #[serde(default)]
    pub controllers: ControllersConfig,
    /// Port serving CPU and memory profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_profile_port: Option<i64>,
}

/// `ControllersConfig`: one entry per controller; absent means disabled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControllersConfig {
    /// The node controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeControllerConfig>,
    /// The policy controller (etcd datastore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<ReconcilerConfig>,
    /// The workload endpoint controller (etcd datastore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_endpoint: Option<ReconcilerConfig>,
    /// The service account controller (etcd datastore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<ReconcilerConfig>,
    /// The namespace controller (etcd datastore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<ReconcilerConfig>,
    /// The LoadBalancer address controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancerControllerConfig>,
    /// The policy name migration controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_migration: Option<MigrationControllerConfig>,
}

/// `PolicyControllerConfig`, `WorkloadEndpointControllerConfig`,
/// `ServiceAccountControllerConfig` and `NamespaceControllerConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReconcilerConfig {
    /// Period of full reconciliation (a duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciler_period: Option<String>,
}

/// `NodeControllerConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeControllerConfig {
    /// Period of full reconciliation (a duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciler_period: Option<String>,
    /// `Enabled` or `Disabled`: copy Kubernetes node labels to Calico nodes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sync_labels: String,
    /// Automatic host endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_endpoint: Option<AutoHostEndpointConfig>,
    /// How long an address may look leaked before it is released (a duration; 0 disables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak_grace_period: Option<String>,
}

/// `AutoHostEndpointConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoHostEndpointConfig {
    /// `Enabled` or `Disabled`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auto_create: String,
    /// `Enabled` or `Disabled`: create the default `*` host endpoint per node.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub create_default_host_endpoint: String,
    /// Templates of further host endpoints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<HostEndpointTemplate>,
}

/// `Template`: how to build automatic host endpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostEndpointTemplate {
    /// Suffix of the generated names.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub generate_name: String,
    /// Node addresses within these CIDRs become expected IPs.
    #[serde(
        default,
        rename = "interfaceCIDRs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub interface_cidrs: Vec<String>,
    /// Regular expression over interface names.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub interface_pattern: String,
    /// Labels added to the host endpoints.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Nodes the template applies to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_selector: String,
}

/// `LoadBalancerControllerConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancerControllerConfig {
    /// `AllServices` (default) or `RequestedServicesOnly`.
    #[serde(
        default,
        rename = "assignIPs",
        skip_serializing_if = "String::is_empty"
    )]
    pub assign_ips: String,
}

/// `MigrationControllerConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MigrationControllerConfig {
    /// `Enabled` (default) or `Disabled`: the policy name migrator.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub enabled: String,
}

/// `ClusterInformationSpec` (written by Calico, the singleton named `default`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterInformationSpec {
    /// The cluster's GUID.
    #[serde(
        default,
        rename = "clusterGUID",
        skip_serializing_if = "String::is_empty"
    )]
    pub cluster_guid: String,
    /// Comma-separated cluster type tags (`k8s,bgp,kubeadm`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster_type: String,
    /// The Calico version running.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub calico_version: String,
    /// False while a datastore migration is in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datastore_ready: Option<bool>,
    /// The Calico variant (`Calico`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

/// `CalicoNodeStatusSpec`: asks calico-node to report its status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CalicoNodeStatusSpec {
    /// The node to report on (required).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// What to report: `Agent`, `BGP`, `Routes` (1 to 3, no repeats).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// Report period in seconds, 0 to 86400 (0: do not refresh; required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_period_seconds: Option<u32>,
}

const ENABLED_DISABLED: [&str; 2] = ["Enabled", "Disabled"];

fn check_port(port: Option<i64>, path: &FieldPath, report: &mut Report) {
    if let Some(p) = port
        && !(0..=65_535).contains(&p)
    {
        report.error(path.clone(), format!("port {p} is outside 0 to 65535"));
    }
}

/// Validates a `KubeControllersConfigurationSpec`; `path` points at `spec`.
pub fn validate_kube_controllers_configuration_spec(
    spec: &KubeControllersConfigurationSpec,
    path: &FieldPath,
    report: &mut Report,
) {
    check_one_of(
        &spec.log_severity_screen,
        &[
            "None", "Debug", "Info", "Warning", "Error", "Fatal", "Panic",
        ],
        &path.key("logSeverityScreen"),
        report,
    );
    check_one_of(
        &spec.health_checks,
        &ENABLED_DISABLED,
        &path.key("healthChecks"),
        report,
    );
    check_duration(
        spec.etcd_v3_compaction_period.as_deref(),
        &path.key("etcdV3CompactionPeriod"),
        report,
    );
    check_port(
        spec.prometheus_metrics_port,
        &path.key("prometheusMetricsPort"),
        report,
    );
    check_port(
        spec.debug_profile_port,
        &path.key("debugProfilePort"),
        report,
    );
    let c = &spec.controllers;
    let cp = path.key("controllers");
    if let Some(node) = &c.node {
        let p = cp.key("node");
        check_duration(
            node.reconciler_period.as_deref(),
            &p.key("reconcilerPeriod"),
            report,
        );
        check_one_of(
            &node.sync_labels,
            &ENABLED_DISABLED,
            &p.key("syncLabels"),
            report,
        );
        check_duration(
            node.leak_grace_period.as_deref(),
            &p.key("leakGracePeriod"),
            report,
        );
        if let Some(hep) = &node.host_endpoint {
            let p = p.key("hostEndpoint");
            check_one_of(
                &hep.auto_create,
                &ENABLED_DISABLED,
                &p.key("autoCreate"),
                report,
            );
            check_one_of(
                &hep.create_default_host_endpoint,
                &ENABLED_DISABLED,
                &p.key("createDefaultHostEndpoint"),
                report,
            );
            for (i, t) in hep.templates.iter().enumerate() {
                validate_template(t, &p.key("templates").index(i), report);
            }
        }
    }
    for (field, rc) in [
        ("policy", &c.policy),
        ("workloadEndpoint", &c.workload_endpoint),
        ("serviceAccount", &c.service_account),
        ("namespace", &c.namespace),
    ] {
        if let Some(rc) = rc {
            let p = cp.key(field).key("reconcilerPeriod");
            check_duration(rc.reconciler_period.as_deref(), &p, report);
        }
    }
    if let Some(lb) = &c.load_balancer {
        check_one_of(
            &lb.assign_ips,
            &["AllServices", "RequestedServicesOnly"],
            &cp.key("loadBalancer").key("assignIPs"),
            report,
        );
    }
    if let Some(m) = &c.policy_migration {
        check_one_of(
            &m.enabled,
            &ENABLED_DISABLED,
            &cp.key("policyMigration").key("enabled"),
            report,
        );
    }
}

fn validate_template(t: &HostEndpointTemplate, path: &FieldPath, report: &mut Report) {
    check_name(
        &t.generate_name,
        "generateName",
        &path.key("generateName"),
        report,
    );
    if t.interface_cidrs.is_empty() && t.interface_pattern.is_empty() {
        report.error(
            path.clone(),
            "a template needs interfaceCIDRs or interfacePattern",
        );
    }
    for (i, c) in t.interface_cidrs.iter().enumerate() {
        let p = path.key("interfaceCIDRs").index(i);
        if c.is_empty() {
            report.error(p, "an empty entry is not a CIDR");
        } else {
            check_cidr(c, None, &p, report);
        }
    }
    for (k, v) in &t.labels {
        let p = path.key("labels").key(k);
        if let Some(problem) = label_key_problem(k).or_else(|| label_value_problem(v)) {
            report.error(p, problem);
        }
    }
    check_selector(&t.node_selector, &path.key("nodeSelector"), report);
}

/// Validates a `ClusterInformationSpec` (written by Calico: only warns when the datastore is
/// marked not ready); `path` points at `spec`.
pub fn validate_cluster_information_spec(
    spec: &ClusterInformationSpec,
    path: &FieldPath,
    report: &mut Report,
) {
    if spec.datastore_ready == Some(false) {
        report.warn(
            path.key("datastoreReady"),
            "the datastore is marked not ready",
        );
    }
}

/// Validates a `CalicoNodeStatusSpec`; `path` points at `spec`.
pub fn validate_calico_node_status_spec(
    spec: &CalicoNodeStatusSpec,
    path: &FieldPath,
    report: &mut Report,
) {
    if spec.node.is_empty() {
        report.error(path.key("node"), "the node must be given");
    }
    check_name(&spec.node, "node name", &path.key("node"), report);
    if spec.classes.is_empty() {
        report.error(
            path.key("classes"),
            "at least one class must be given: `Agent`, `BGP` or `Routes`",
        );
    }
    for (i, c) in spec.classes.iter().enumerate() {
        let p = path.key("classes").index(i);
        if c.is_empty() {
            report.error(p, "an empty class is not one of `Agent`, `BGP`, `Routes`");
        } else if spec.classes[..i].contains(c) {
            report.error(p, format!("class `{c}` is given twice"));
        } else {
            check_one_of(c, &["Agent", "BGP", "Routes"], &p, report);
        }
    }
    match spec.update_period_seconds {
        None => report.error(
            path.key("updatePeriodSeconds"),
            "the update period must be given",
        ),
        Some(s) if s > 86_400 => report.error(
            path.key("updatePeriodSeconds"),
            format!("{s} seconds is above the maximum of 86400 (one day)"),
        ),
        Some(_) => {}
    }
}
