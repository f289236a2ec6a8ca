//! Enum-like strings: the allowed spellings of each field, and how strictly case is matched.

use super::Checker;
use crate::kinds::felix::spec::FelixConfigurationSpec;
use crate::yaml::FieldPath;

/// How a value is matched against its allowed spellings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    /// A kubebuilder `Enum` on a Go pointer: exact spelling, and not empty.
    Exact,
    /// A kubebuilder `Enum` (or Go `oneof`) on a plain Go string: exact spelling, or empty
    /// (which Calico omits).
    ExactOrEmpty,
    /// A `(?i)...?` kubebuilder pattern and no Go check: any case, or empty.
    Any,
    /// A `(?i)...?` pattern, but older Go validators wanted the exact spelling: any case, or
    /// empty, with a warning when the spelling is not the canonical one.
    AnyOlderExact,
}

const BACKENDS: &[&str] = &["Auto", "Legacy", "NFT"];
const INSERT_APPEND: &[&str] = &["Insert", "Append"];
const DROP_ACCEPT_RETURN: &[&str] = &["Drop", "Accept", "Return"];
const ACCEPT_RETURN: &[&str] = &["Accept", "Return"];
const DROP_REJECT: &[&str] = &["Drop", "Reject"];
const LOG_LEVELS: &[&str] = &["Trace", "Debug", "Info", "Warning", "Error", "Fatal"];
const CLIENT_AUTH: &[&str] = &[
    "NoClientCert",
    "RequireAndVerifyClientCert",
    "RequireAnyClientCert",
    "VerifyClientCertIfGiven",
];
const NAT_EXCLUSIONS: &[&str] = &["IPPoolsOnly", "IPPoolsAndHostIPs"];
const ENABLED_DISABLED: &[&str] = &["Enabled", "Disabled"];
const NFTABLES_MODES: &[&str] = &["Enabled", "Disabled", "Auto"];
const JIT_HARDENING: &[&str] = &["Auto", "Strict"];
const BPF_LOG_LEVELS: &[&str] = &["Off", "Info", "Debug"];
const OFF_DEBUG: &[&str] = &["Off", "Debug"];
const CONNTRACK_MODES: &[&str] = &["Auto", "Userspace", "BPFProgram"];
const CTLB_MODES: &[&str] = &["TCP", "Enabled", "Disabled"];
const SERVICE_MODES: &[&str] = &["Tunnel", "DSR"];
const CONNTRACK_SCALING: &[&str] = &["Disabled", "DoubleIfFull"];
const RPF_MODES: &[&str] = &["Disabled", "Strict", "Loose"];
const EVALUATION_MODES: &[&str] = &["None", "Continuous"];
const REDIRECT_MODES: &[&str] = &["Enabled", "Disabled", "L2Only"];
const ATTACH_TYPES: &[&str] = &["TCX", "TC"];
const ROUTE_SOURCES: &[&str] = &["WorkloadIPs", "CalicoIPAM"];
const SRC_DST_CHECKS: &[&str] = &["DoNothing", "Enable", "Disable"];
const LOOP_PREVENTION: &[&str] = &["Drop", "Reject", "Disabled"];
const SPOOFING: &[&str] = &["Disabled", "Any"];

pub(super) fn check_enums(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    use Case::{Any, AnyOlderExact, Exact, ExactOrEmpty};
    let rules: [(&str, Option<&str>, &[&str], Case); 38] = [
        (
            "iptablesBackend",
            s.iptables_backend.as_deref(),
            BACKENDS,
            AnyOlderExact,
        ),
        (
            "chainInsertMode",
            s.chain_insert_mode.as_deref(),
            INSERT_APPEND,
            Any,
        ),
        (
            "defaultEndpointToHostAction",
            s.default_endpoint_to_host_action.as_deref(),
            DROP_ACCEPT_RETURN,
            AnyOlderExact,
        ),
        (
            "iptablesFilterAllowAction",
            s.iptables_filter_allow_action.as_deref(),
            ACCEPT_RETURN,
            AnyOlderExact,
        ),
        (
            "iptablesMangleAllowAction",
            s.iptables_mangle_allow_action.as_deref(),
            ACCEPT_RETURN,
            AnyOlderExact,
        ),
        (
            "iptablesFilterDenyAction",
            s.iptables_filter_deny_action.as_deref(),
            DROP_REJECT,
            AnyOlderExact,
        ),
        (
            "logSeverityFile",
            s.log_severity_file.as_deref(),
            LOG_LEVELS,
            AnyOlderExact,
        ),
        (
            "logSeverityScreen",
            s.log_severity_screen.as_deref(),
            LOG_LEVELS,
            AnyOlderExact,
        ),
        (
            "logSeveritySys",
            s.log_severity_sys.as_deref(),
            LOG_LEVELS,
            AnyOlderExact,
        ),
        (
            "prometheusMetricsClientAuth",
            s.prometheus_metrics_client_auth.as_deref(),
            CLIENT_AUTH,
            Exact,
        ),
        (
            "natOutgoingExclusions",
            s.nat_outgoing_exclusions.as_deref(),
            NAT_EXCLUSIONS,
            Exact,
        ),
        (
            "programClusterRoutes",
            s.program_cluster_routes.as_deref(),
            ENABLED_DISABLED,
            Exact,
        ),
        (
            "ipForwarding",
            s.ip_forwarding.as_deref(),
            ENABLED_DISABLED,
            ExactOrEmpty,
        ),
        (
            "nftablesMode",
            s.nftables_mode.as_deref(),
            NFTABLES_MODES,
            Exact,
        ),
        (
            "nftablesFilterAllowAction",
            s.nftables_filter_allow_action.as_deref(),
            ACCEPT_RETURN,
            AnyOlderExact,
        ),
        (
            "nftablesMangleAllowAction",
            s.nftables_mangle_allow_action.as_deref(),
            ACCEPT_RETURN,
            AnyOlderExact,
        ),
        (
            "nftablesFilterDenyAction",
            s.nftables_filter_deny_action.as_deref(),
            DROP_REJECT,
            AnyOlderExact,
        ),
        (
            "bpfJITHardening",
            s.bpf_jit_hardening.as_deref(),
            JIT_HARDENING,
            Exact,
        ),
        (
            "bpfLogLevel",
            Some(s.bpf_log_level.as_str()),
            BPF_LOG_LEVELS,
            AnyOlderExact,
        ),
        (
            "bpfConntrackLogLevel",
            s.bpf_conntrack_log_level.as_deref(),
            OFF_DEBUG,
            ExactOrEmpty,
        ),
        (
            "bpfConntrackMode",
            s.bpf_conntrack_cleanup_mode.as_deref(),
            CONNTRACK_MODES,
            Exact,
        ),
        (
            "bpfConnectTimeLoadBalancing",
            s.bpf_connect_time_load_balancing.as_deref(),
            CTLB_MODES,
            Exact,
        ),
        (
            "bpfHostNetworkedNATWithoutCTLB",
            s.bpf_host_networked_nat_without_ctlb.as_deref(),
            ENABLED_DISABLED,
            Exact,
        ),
        (
            "bpfExternalServiceMode",
            s.bpf_external_service_mode.as_deref(),
            SERVICE_MODES,
            AnyOlderExact,
        ),
        (
            "bpfMapSizeConntrackScaling",
            s.bpf_map_size_conntrack_scaling.as_deref(),
            CONNTRACK_SCALING,
            Any,
        ),
        (
            "bpfEnforceRPF",
            s.bpf_enforce_rpf.as_deref(),
            RPF_MODES,
            Any,
        ),
        (
            "istioAmbientMode",
            s.istio_ambient_mode.as_deref(),
            ENABLED_DISABLED,
            Exact,
        ),
        (
            "flowLogsPolicyEvaluationMode",
            s.flow_logs_policy_evaluation_mode.as_deref(),
            EVALUATION_MODES,
            Exact,
        ),
        (
            "bpfRedirectToPeer",
            s.bpf_redirect_to_peer.as_deref(),
            REDIRECT_MODES,
            ExactOrEmpty,
        ),
        (
            "bpfAttachType",
            s.bpf_attach_type.as_deref(),
            ATTACH_TYPES,
            Exact,
        ),
        (
            "flowLogsLocalReporter",
            s.flow_logs_local_reporter.as_deref(),
            ENABLED_DISABLED,
            Exact,
        ),
        (
            "bpfProfiling",
            s.bpf_profiling.as_deref(),
            ENABLED_DISABLED,
            ExactOrEmpty,
        ),
        ("routeSource", s.route_source.as_deref(), ROUTE_SOURCES, Any),
        (
            "awsSrcDstCheck",
            s.aws_src_dst_check.as_deref(),
            SRC_DST_CHECKS,
            Exact,
        ),
        (
            "serviceLoopPrevention",
            s.service_loop_prevention.as_deref(),
            LOOP_PREVENTION,
            AnyOlderExact,
        ),
        (
            "workloadSourceSpoofing",
            s.workload_source_spoofing.as_deref(),
            SPOOFING,
            AnyOlderExact,
        ),
        (
            "floatingIPs",
            s.floating_ips.as_deref(),
            ENABLED_DISABLED,
            Exact,
        ),
        (
            "windowsManageFirewallRules",
            s.windows_manage_firewall_rules.as_deref(),
            ENABLED_DISABLED,
            Exact,
        ),
    ];
    for (key, value, allowed, case) in rules {
        if let Some(v) = value {
            let at = c.key(key);
            check_enum(c, at, v, allowed, case);
        }
    }
    if s.bpf_redirect_to_peer.as_deref() == Some("L2Only") {
        c.warn(
            c.key("bpfRedirectToPeer"),
            "`L2Only` is deprecated; newer Calico releases treat it as `Enabled`",
        );
    }
}

fn check_enum(c: &mut Checker<'_>, at: FieldPath, value: &str, allowed: &[&str], case: Case) {
    if allowed.contains(&value) || (value.is_empty() && case != Case::Exact) {
        return;
    }
    if value.is_empty() {
        c.error(
            at,
            format!(
                "the value must not be empty; expected one of {}",
                quote_list(allowed)
            ),
        );
        return;
    }
    match (case, allowed.iter().find(|a| a.eq_ignore_ascii_case(value))) {
        (Case::Any, Some(_)) => {}
        (Case::AnyOlderExact, Some(canonical)) => c.warn(
            at,
            format!(
                "`{value}` is accepted by Calico's CRD schema, but older Calico validators require \
                 the exact spelling `{canonical}`"
            ),
        ),
        (Case::Exact | Case::ExactOrEmpty, Some(canonical)) => {
            c.error(
                at,
                format!("`{value}` must be spelled exactly `{canonical}`"),
            );
        }
        (_, None) => c.error(
            at,
            format!("`{value}` is not one of {}", quote_list(allowed)),
        ),
    }
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
