//! Workload controllers whose pod templates stand for pods: `apps/v1` Deployment, StatefulSet,
//! DaemonSet and ReplicaSet, and `batch/v1` Job and CronJob. Every spec field name of
//! Kubernetes 1.29 to 1.34 is known; selectors and pod templates are typed, the rest is kept as
//! given.

use serde::{Deserialize, Serialize};

pub use super::core::PodTemplateSpec;
use super::core::{NameRule, validate_labels, validate_meta, validate_pod_spec};
use super::network_policy::{
    label_selector_is_empty, label_selector_matches, validate_label_selector,
};
use crate::meta::{LabelSelector, ObjectMeta};
use crate::validate::Report;
use crate::yaml::FieldPath;

/// Kept-as-given value of a sub-structure that does not affect networking.
type Any = serde_json::Value;

/// Declares a workload kind: type meta, metadata, an optional spec and a kept-as-given status.
macro_rules! workload_kind {
    ($(#[$meta:meta])* $name:ident, $spec:ty, $api:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            #[doc = concat!("`", $api, "`.")]
            pub api_version: String,
            #[doc = concat!("`", stringify!($name), "`.")]
            pub kind: String,
            /// Metadata.
            #[serde(default)]
            pub metadata: ObjectMeta,
            /// The spec (absent in partial documents such as patches).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub spec: Option<$spec>,
            /// Status, as given.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub status: Option<Any>,
        }

        impl $name {
            /// The API group and version.
            pub const API_VERSION: &'static str = $api;
            /// The kind name.
            pub const KIND: &'static str = stringify!($name);

            /// An object with a namespace, a name and a default spec.
            #[must_use]
            pub fn new(namespace: &str, name: &str) -> Self {
                $name {
                    api_version: Self::API_VERSION.to_string(),
                    kind: Self::KIND.to_string(),
                    metadata: ObjectMeta {
                        name: name.to_string(),
                        namespace: namespace.to_string(),
                        ..ObjectMeta::default()
                    },
                    spec: Some(<$spec>::default()),
                    status: None,
                }
            }
        }
    };
}

workload_kind!(
    /// An `apps/v1` `Deployment`.
    Deployment, DeploymentSpec, "apps/v1"
);
workload_kind!(
    /// An `apps/v1` `StatefulSet`.
    StatefulSet, StatefulSetSpec, "apps/v1"
);
workload_kind!(
    /// An `apps/v1` `DaemonSet`.
    DaemonSet, DaemonSetSpec, "apps/v1"
);
workload_kind!(
    /// An `apps/v1` `ReplicaSet`.
    ReplicaSet, ReplicaSetSpec, "apps/v1"
);
workload_kind!(
    /// A `batch/v1` `Job`.
    Job, JobSpec, "batch/v1"
);
workload_kind!(
    /// A `batch/v1` `CronJob`.
    CronJob, CronJobSpec, "batch/v1"
);

/// `DeploymentSpec`, every field in Go struct order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentSpec {
    /// Desired pod count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The pods the deployment owns; must match the template labels.
    #[serde(default)]
    pub selector: LabelSelector,
    /// The pods to create.
    #[serde(default)]
    pub template: PodTemplateSpec,
    /// Rollout strategy, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Any>,
    /// Seconds a pod must be ready to count as available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    /// Old replica sets kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i32>,
    /// Whether rollouts are paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// Seconds before a stalled rollout is reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_seconds: Option<i32>,
}

/// `StatefulSetSpec`, every field in Go struct order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatefulSetSpec {
    /// Desired pod count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The pods the set owns; must match the template labels.
    #[serde(default)]
    pub selector: LabelSelector,
    /// The pods to create.
    #[serde(default)]
    pub template: PodTemplateSpec,
    /// Per-pod volume claims, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_claim_templates: Option<Vec<Any>>,
    /// The headless service giving pods their DNS names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// `OrderedReady` or `Parallel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_management_policy: Option<String>,
    /// Update strategy, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<Any>,
    /// Old revisions kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i32>,
    /// Seconds a pod must be ready to count as available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    /// What happens to claims on scale-down and deletion, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim_retention_policy: Option<Any>,
    /// Ordinal numbering, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinals: Option<Any>,
}

/// `DaemonSetSpec`, every field in Go struct order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DaemonSetSpec {
    /// The pods the set owns; must match the template labels.
    #[serde(default)]
    pub selector: LabelSelector,
    /// The pods to create, one per eligible node.
    #[serde(default)]
    pub template: PodTemplateSpec,
    /// Update strategy, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<Any>,
    /// Seconds a pod must be ready to count as available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    /// Old revisions kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i32>,
}

/// `ReplicaSetSpec`, every field in Go struct order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicaSetSpec {
    /// Desired pod count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Seconds a pod must be ready to count as available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    /// The pods the set owns; must match the template labels.
    #[serde(default)]
    pub selector: LabelSelector,
    /// The pods to create.
    #[serde(default)]
    pub template: PodTemplateSpec,
}

/// `JobSpec`, every field of Kubernetes 1.29 to 1.34 in Go struct order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobSpec {
    /// Pods running at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<i32>,
    /// Successful pods needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completions: Option<i32>,
    /// Deadline for the job, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// Pod failure handling, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_failure_policy: Option<Any>,
    /// When an indexed job counts as succeeded, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_policy: Option<Any>,
    /// Retries before the job fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<i32>,
    /// Retries per index (indexed jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_limit_per_index: Option<i32>,
    /// Failed indexes before the job fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_failed_indexes: Option<i32>,
    /// The pods the job owns (generated unless `manualSelector`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// Whether `selector` is given by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_selector: Option<bool>,
    /// The pods to create.
    #[serde(default)]
    pub template: PodTemplateSpec,
    /// Seconds after finishing before the job is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds_after_finished: Option<i32>,
    /// `NonIndexed` or `Indexed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_mode: Option<String>,
    /// Whether the job is suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// `TerminatingOrFailed` or `Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_replacement_policy: Option<String>,
    /// The controller managing the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

/// `CronJobSpec`, every field in Go struct order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronJobSpec {
    /// Cron schedule.
    #[serde(default)]
    pub schedule: String,
    /// Time zone of the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Seconds a missed run may still start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_deadline_seconds: Option<i64>,
    /// `Allow`, `Forbid` or `Replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<String>,
    /// Whether runs are suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// The jobs to create.
    #[serde(default)]
    pub job_template: JobTemplateSpec,
    /// Successful jobs kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_jobs_history_limit: Option<i32>,
    /// Failed jobs kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_jobs_history_limit: Option<i32>,
}

/// `JobTemplateSpec`: the jobs a CronJob creates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobTemplateSpec {
    /// Metadata of the jobs.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec of the jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<JobSpec>,
}

impl Deployment {
    /// The pod template (`spec.template`), if there is a spec.
    #[must_use]
    pub fn pod_template(&self) -> Option<&PodTemplateSpec> {
        self.spec.as_ref().map(|s| &s.template)
    }
}

impl StatefulSet {
    /// The pod template (`spec.template`), if there is a spec.
    #[must_use]
    pub fn pod_template(&self) -> Option<&PodTemplateSpec> {
        self.spec.as_ref().map(|s| &s.template)
    }
}

impl DaemonSet {
    /// The pod template (`spec.template`), if there is a spec.
    #[must_use]
    pub fn pod_template(&self) -> Option<&PodTemplateSpec> {
        self.spec.as_ref().map(|s| &s.template)
    }
}

impl ReplicaSet {
    /// The pod template (`spec.template`), if there is a spec.
    #[must_use]
    pub fn pod_template(&self) -> Option<&PodTemplateSpec> {
        self.spec.as_ref().map(|s| &s.template)
    }
}

impl Job {
    /// The pod template (`spec.template`), if there is a spec.
    #[must_use]
    pub fn pod_template(&self) -> Option<&PodTemplateSpec> {
        self.spec.as_ref().map(|s| &s.template)
    }
}

impl CronJob {
    /// The pod template (`spec.jobTemplate.spec.template`), if there is a job spec.
    #[must_use]
    pub fn pod_template(&self) -> Option<&PodTemplateSpec> {
        self.spec
            .as_ref()?
            .job_template
            .spec
            .as_ref()
            .map(|s| &s.template)
    }
}

/// How a controller's selector relates to its pods.
#[derive(Clone, Copy, Debug)]
pub enum SelectorRule<'a> {
    /// `apps/v1`: required, non-empty, matching the template labels.
    Required(&'a LabelSelector),
    /// Job: generated by Kubernetes unless `manualSelector` is true.
    JobManual(Option<&'a LabelSelector>, Option<bool>),
    /// CronJob: always generated.
    Generated(Option<&'a LabelSelector>, Option<bool>),
}

/// What validation needs from a workload controller.
pub trait Workload {
    /// The kind name.
    fn kind_name(&self) -> &'static str;
    /// The object's metadata.
    fn metadata(&self) -> &ObjectMeta;
    /// Whether the object has a `spec`.
    fn has_spec(&self) -> bool;
    /// The pod template, if the object has a spec.
    fn pod_template(&self) -> Option<&PodTemplateSpec>;
    /// Where the pod template is, from the document root.
    fn template_path(&self) -> FieldPath;
    /// Where the selector is, from the document root.
    fn selector_path(&self) -> FieldPath;
    /// The selector and its rule, if the object has a spec.
    fn selector_rule(&self) -> Option<SelectorRule<'_>>;
    /// The pod restart policies the controller accepts, and whether leaving it unset is fine.
    fn restart_policies(&self) -> (&'static [&'static str], bool) {
        (&["Always"], true)
    }
    /// Kind-specific spec checks.
    fn validate_extra(&self, _report: &mut Report) {}
}

fn spec_path() -> FieldPath {
    FieldPath::root().key("spec")
}

macro_rules! apps_workload {
    ($($name:ident)*) => {$(
        impl Workload for $name {
            fn kind_name(&self) -> &'static str {
                Self::KIND
            }
            fn metadata(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn has_spec(&self) -> bool {
                self.spec.is_some()
            }
            fn pod_template(&self) -> Option<&PodTemplateSpec> {
                $name::pod_template(self)
            }
            fn template_path(&self) -> FieldPath {
                spec_path().key("template")
            }
            fn selector_path(&self) -> FieldPath {
                spec_path().key("selector")
            }
            fn selector_rule(&self) -> Option<SelectorRule<'_>> {
                self.spec.as_ref().map(|s| SelectorRule::Required(&s.selector))
            }
            fn validate_extra(&self, report: &mut Report) {
                if let Some(spec) = &self.spec {
                    apps_extra(spec.replicas_field(), report);
                }
            }
        }
    )*};
}

apps_workload!(Deployment StatefulSet DaemonSet ReplicaSet);

/// The `replicas` of an apps spec (DaemonSets have none).
trait ReplicasField {
    fn replicas_field(&self) -> Option<i32>;
}

impl ReplicasField for DeploymentSpec {
    fn replicas_field(&self) -> Option<i32> {
        self.replicas
    }
}

impl ReplicasField for StatefulSetSpec {
    fn replicas_field(&self) -> Option<i32> {
        self.replicas
    }
}

impl ReplicasField for DaemonSetSpec {
    fn replicas_field(&self) -> Option<i32> {
        None
    }
}

impl ReplicasField for ReplicaSetSpec {
    fn replicas_field(&self) -> Option<i32> {
        self.replicas
    }
}

fn apps_extra(replicas: Option<i32>, report: &mut Report) {
    if let Some(n) = replicas.filter(|n| *n < 0) {
        report.error(
            spec_path().key("replicas"),
            format!("replicas `{n}` must not be negative"),
        );
    }
}

impl Workload for Job {
    fn kind_name(&self) -> &'static str {
        Self::KIND
    }
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn has_spec(&self) -> bool {
        self.spec.is_some()
    }
    fn pod_template(&self) -> Option<&PodTemplateSpec> {
        Job::pod_template(self)
    }
    fn template_path(&self) -> FieldPath {
        spec_path().key("template")
    }
    fn selector_path(&self) -> FieldPath {
        spec_path().key("selector")
    }
    fn selector_rule(&self) -> Option<SelectorRule<'_>> {
        self.spec
            .as_ref()
            .map(|s| SelectorRule::JobManual(s.selector.as_ref(), s.manual_selector))
    }
    fn restart_policies(&self) -> (&'static [&'static str], bool) {
        (&["OnFailure", "Never"], false)
    }
    fn validate_extra(&self, report: &mut Report) {
        if let Some(spec) = &self.spec {
            job_extra(spec, &spec_path(), report);
        }
    }
}

impl Workload for CronJob {
    fn kind_name(&self) -> &'static str {
        Self::KIND
    }
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn has_spec(&self) -> bool {
        self.spec.is_some()
    }
    fn pod_template(&self) -> Option<&PodTemplateSpec> {
        CronJob::pod_template(self)
    }
    fn template_path(&self) -> FieldPath {
        job_spec_path().key("template")
    }
    fn selector_path(&self) -> FieldPath {
        job_spec_path().key("selector")
    }
    fn selector_rule(&self) -> Option<SelectorRule<'_>> {
        let job = self.spec.as_ref()?.job_template.spec.as_ref()?;
        Some(SelectorRule::Generated(
            job.selector.as_ref(),
            job.manual_selector,
        ))
    }
    fn restart_policies(&self) -> (&'static [&'static str], bool) {
        (&["OnFailure", "Never"], false)
    }
    fn validate_extra(&self, report: &mut Report) {
        let name = &self.metadata.name;
        if name.len() > 52 {
            report.error(
                FieldPath::root().key("metadata").key("name"),
                format!("name `{name}` is longer than 52 characters, the limit for a CronJob"),
            );
        }
        let Some(spec) = &self.spec else { return };
        if spec.schedule.trim().is_empty() {
            report.error(spec_path().key("schedule"), "a schedule is required");
        }
        match &spec.job_template.spec {
            None => report.error(
                spec_path().key("jobTemplate").key("spec"),
                "the job template needs a `spec`",
            ),
            Some(job) => job_extra(job, &job_spec_path(), report),
        }
        validate_labels(
            &spec.job_template.metadata.labels,
            &spec_path().key("jobTemplate").key("metadata").key("labels"),
            report,
        );
    }
}

fn job_spec_path() -> FieldPath {
    spec_path().key("jobTemplate").key("spec")
}

fn job_extra(spec: &JobSpec, path: &FieldPath, report: &mut Report) {
    for (field, value) in [
        ("parallelism", spec.parallelism),
        ("completions", spec.completions),
        ("backoffLimit", spec.backoff_limit),
    ] {
        if let Some(n) = value.filter(|n| *n < 0) {
            report.error(
                path.key(field),
                format!("{field} `{n}` must not be negative"),
            );
        }
    }
    if let Some(mode) = spec.completion_mode.as_deref()
        && !matches!(mode, "NonIndexed" | "Indexed")
    {
        report.error(
            path.key("completionMode"),
            format!("unsupported value `{mode}`: use `NonIndexed` or `Indexed`"),
        );
    }
}

/// Validates a workload document: metadata, selector vs template labels, and the pod template.
pub fn validate_workload<W: Workload + ?Sized>(w: &W, report: &mut Report) {
    validate_meta(
        w.metadata(),
        &FieldPath::root().key("metadata"),
        NameRule::Subdomain,
        true,
        report,
    );
    let Some(template) = w.pod_template() else {
        if !w.has_spec() {
            report.error(spec_path(), format!("a {} needs a `spec`", w.kind_name()));
        }
        w.validate_extra(report);
        return;
    };
    let tpath = w.template_path();
    let labels_path = tpath.key("metadata").key("labels");
    validate_labels(&template.metadata.labels, &labels_path, report);
    match w.selector_rule() {
        Some(SelectorRule::Required(sel)) => {
            if label_selector_is_empty(sel) {
                report.error(w.selector_path(), "a non-empty `selector` is required");
            } else {
                validate_label_selector(sel, &w.selector_path(), report);
                if !label_selector_matches(sel, &template.metadata.labels) {
                    report.error(labels_path, "the template labels do not match `selector`");
                }
            }
        }
        Some(SelectorRule::JobManual(sel, manual)) => match (sel, manual == Some(true)) {
            (Some(_), false) => report.error(
                w.selector_path(),
                "`selector` is generated by Kubernetes: remove it, or set `manualSelector: true`",
            ),
            (None, true) => report.error(
                w.selector_path(),
                "`manualSelector: true` needs a `selector`",
            ),
            (Some(sel), true) => {
                validate_label_selector(sel, &w.selector_path(), report);
                if !label_selector_matches(sel, &template.metadata.labels) {
                    report.error(labels_path, "the template labels do not match `selector`");
                }
            }
            (None, false) => {}
        },
        Some(SelectorRule::Generated(sel, manual)) if manual == Some(true) || sel.is_some() => {
            report.error(
                w.selector_path(),
                "a CronJob's job template cannot set `selector` or `manualSelector`",
            );
        }
        Some(SelectorRule::Generated(..)) | None => {}
    }
    let spec_at = tpath.key("spec");
    validate_pod_spec(&template.spec, &spec_at, report);
    let (allowed, unset_ok) = w.restart_policies();
    match template.spec.restart_policy.as_deref() {
        None | Some("") if unset_ok => {}
        // Unknown values are reported by the pod spec checks.
        Some(p) if allowed.contains(&p) || !["Always", "OnFailure", "Never", ""].contains(&p) => {}
        _ => {
            let list = allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            report.error(
                spec_at.key("restartPolicy"),
                format!(
                    "a {} pod template needs `restartPolicy` {list}",
                    w.kind_name()
                ),
            );
        }
    }
    w.validate_extra(report);
}

#[cfg(test)]
mod tests;
