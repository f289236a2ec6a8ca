//! Calico's validation of a FelixConfiguration: the API's rules (the Go validator tags and
//! struct validators of libcalico-go, and the CRD's kubebuilder markers and CEL rules) as
//! errors, plus the values Felix itself refuses at start-up (errors) or silently replaces with
//! its default (warnings).
//!
//! Enum-like fields follow their markers: a `(?i)` pattern accepts any case (older Calico
//! validators wanted the exact spelling, which earns a warning), an `Enum` marker wants the
//! exact spelling.

use super::spec::FelixConfigurationSpec;
use super::types::{Dscp, ProtoPort};
use crate::kinds::Object;
use crate::numorstring::Port;
use crate::validate::Report;
use crate::validate::names::{is_dns1123_label, parse_cidr, parse_ip};
use crate::yaml::FieldPath;

/// Validates a spec; `path` points at the spec.
pub fn validate_spec(spec: &FelixConfigurationSpec, path: &FieldPath, report: &mut Report) {
    let mut c = Checker { path, report };
    check_durations(spec, &mut c);
    check_enums(spec, &mut c);
    check_numbers(spec, &mut c);
    check_strings(spec, &mut c);
    check_failsafe(
        &mut c,
        "failsafeInboundHostPorts",
        spec.failsafe_inbound_host_ports.as_deref(),
    );
    check_failsafe(
        &mut c,
        "failsafeOutboundHostPorts",
        spec.failsafe_outbound_host_ports.as_deref(),
    );
    check_ports(spec, &mut c);
    check_cidr_lists(spec, &mut c);
    check_interface_lists(spec, &mut c);
    check_health_timeouts(spec, &mut c);
    check_route_tables(spec, &mut c);
    check_bpf_conntrack_timeouts(spec, &mut c);
}

/// Validates a whole FelixConfiguration object (the spec, plus the rules that involve the
/// name); `path` points at the document root.
pub fn validate_object(
    obj: &Object<FelixConfigurationSpec>,
    path: &FieldPath,
    report: &mut Report,
) {
    let spec_path = path.key("spec");
    validate_spec(&obj.spec, &spec_path, report);
    let name = obj.metadata.name.as_str();
    let scoped_by_name = name == "default" || name.starts_with("node.");
    let has_selector = obj
        .spec
        .node_selector
        .as_deref()
        .is_some_and(|s| !s.is_empty());
    if scoped_by_name && has_selector {
        report.error(
            spec_path.key("nodeSelector"),
            format!(
                "a node selector is not allowed on FelixConfiguration `{name}`, which applies by \
                 its name"
            ),
        );
    } else if !scoped_by_name && !has_selector && !name.is_empty() {
        report.warn(
            path.key("metadata").key("name"),
            format!(
                "a FelixConfiguration named `{name}` is ignored: only `default`, \
                 `node.<node name>` and (in the newest Calico releases) resources with a \
                 `nodeSelector` apply"
            ),
        );
    }
}

/// Records findings under the spec path.
struct Checker<'a> {
    path: &'a FieldPath,
    report: &'a mut Report,
}

impl Checker<'_> {
    fn error(&mut self, at: FieldPath, message: impl Into<String>) {
        self.report.error(at, message);
    }

    fn warn(&mut self, at: FieldPath, message: impl Into<String>) {
        self.report.warn(at, message);
    }

    fn key(&self, key: &str) -> FieldPath {
        self.path.key(key)
    }
}

// ---------------------------------------------------------------------------------------------
// Durations.

/// What the CRD pattern of a duration field accepts, beyond being a Go duration.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DurationSchema {
    /// No pattern.
    Any,
    /// `^([0-9]+(\\.[0-9]+)?(ms|s|m|h))*$`: the doubled backslash makes the fraction unusable, so
    /// only whole numbers with `ms`, `s`, `m` or `h` units pass.
    WholeUnits,
    /// `^([0-9]+(\.[0-9]+)?(ms|s|m|h))*$`.
    DecimalUnits,
}

fn check_durations(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    use DurationSchema::{Any, DecimalUnits, WholeUnits};
    let fields: [(&str, &Option<String>, DurationSchema); 23] = [
        (
            "dataplaneWatchdogTimeout",
            &s.dataplane_watchdog_timeout,
            Any,
        ),
        (
            "routeRefreshInterval",
            &s.route_refresh_interval,
            WholeUnits,
        ),
        (
            "interfaceRefreshInterval",
            &s.interface_refresh_interval,
            WholeUnits,
        ),
        (
            "iptablesRefreshInterval",
            &s.iptables_refresh_interval,
            WholeUnits,
        ),
        (
            "iptablesPostWriteCheckInterval",
            &s.iptables_post_write_check_interval,
            WholeUnits,
        ),
        ("iptablesLockTimeout", &s.iptables_lock_timeout, WholeUnits),
        (
            "iptablesLockProbeInterval",
            &s.iptables_lock_probe_interval,
            WholeUnits,
        ),
        (
            "ipsetsRefreshInterval",
            &s.ipsets_refresh_interval,
            WholeUnits,
        ),
        ("xdpRefreshInterval", &s.xdp_refresh_interval, WholeUnits),
        ("netlinkTimeout", &s.netlink_timeout, WholeUnits),
        ("reportingInterval", &s.reporting_interval, WholeUnits),
        ("reportingTTL", &s.reporting_ttl, WholeUnits),
        (
            "endpointReportingDelay",
            &s.endpoint_reporting_delay,
            WholeUnits,
        ),
        (
            "usageReportingInitialDelay",
            &s.usage_reporting_initial_delay,
            WholeUnits,
        ),
        (
            "usageReportingInterval",
            &s.usage_reporting_interval,
            WholeUnits,
        ),
        (
            "debugSimulateCalcGraphHangAfter",
            &s.debug_simulate_calc_graph_hang_after,
            WholeUnits,
        ),
        (
            "debugSimulateDataplaneHangAfter",
            &s.debug_simulate_dataplane_hang_after,
            WholeUnits,
        ),
        (
            "debugSimulateDataplaneApplyDelay",
            &s.debug_simulate_dataplane_apply_delay,
            WholeUnits,
        ),
        ("nftablesRefreshInterval", &s.nftables_refresh_interval, Any),
        (
            "bpfKubeProxyMinSyncPeriod",
            &s.bpf_kube_proxy_min_sync_period,
            WholeUnits,
        ),
        (
            "flowLogsFlushInterval",
            &s.flow_logs_flush_interval,
            WholeUnits,
        ),
        (
            "liveMigrationRouteConvergenceTime",
            &s.live_migration_route_convergence_time,
            DecimalUnits,
        ),
        (
            "wireguardKeepAlive",
            &s.wireguard_persistent_keep_alive,
            WholeUnits,
        ),
    ];
    for (key, value, schema) in fields {
        if let Some(v) = value {
            let at = c.key(key);
            check_duration(c, at, v, schema);
        }
    }
}

fn check_duration(c: &mut Checker<'_>, at: FieldPath, text: &str, schema: DurationSchema) {
    if text.is_empty() {
        c.error(at, "the duration is empty; write `0s` for none");
        return;
    }
    match parse_go_duration(text) {
        Err(why) => c.error(
            at,
            format!("`{text}` is not a duration such as `90s` or `1m30s`: {why}"),
        ),
        Ok(nanos) if nanos < 0 => c.error(
            at,
            format!("`{text}` is negative; the duration must be 0 or more"),
        ),
        Ok(_) => {
            let schema_ok = match schema {
                DurationSchema::Any => true,
                DurationSchema::WholeUnits => matches_unit_sequence(text, false),
                DurationSchema::DecimalUnits => matches_unit_sequence(text, true),
            };
            if !schema_ok {
                let numbers = if schema == DurationSchema::WholeUnits {
                    "whole numbers"
                } else {
                    "numbers"
                };
                c.warn(
                    at,
                    format!(
                        "`{text}` is a valid duration, but the Kubernetes API server's schema for \
                         this field only accepts {numbers} with `ms`, `s`, `m` or `h` (such as \
                         `0s` or `1m30s`)"
                    ),
                );
            }
        }
    }
}

/// Parses a Go duration (`time.ParseDuration`: `300ms`, `-1.5h`, `2h45m`, or `0`) into
/// nanoseconds.
///
/// # Errors
/// Why the text is not a duration, as a clause.
pub(crate) fn parse_go_duration(text: &str) -> Result<i128, String> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body == "0" {
        return Ok(0);
    }
    if body.is_empty() {
        return Err("it is empty".to_string());
    }
    let mut rest = body;
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(a) => a.split_at(a.bytes().take_while(u8::is_ascii_digit).count()),
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err("a number is missing".to_string());
        }
        let unit_len = after
            .find(|ch: char| ch == '.' || ch.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err("a unit (`ns`, `us`, `ms`, `s`, `m` or `h`) is missing".to_string()),
            other => return Err(format!("`{other}` is not a unit")),
        };
        let too_large = || "it is too large".to_string();
        if int_part.len() > 20 {
            return Err(too_large());
        }
        let whole: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| too_large())?
        };
        let mut fraction: i128 = 0;
        let mut denominator: i128 = 1;
        for digit in frac_part.bytes().take(18) {
            fraction = fraction * 10 + i128::from(digit - b'0');
            denominator *= 10;
        }
        total += whole * scale + fraction * scale / denominator;
        if total > i128::from(i64::MAX) {
            return Err(too_large());
        }
        rest = after;
    }
    Ok(if negative { -total } else { total })
}

/// `^([0-9]+(\.[0-9]+)?(ms|s|m|h))*$`, with or without the fraction.
pub(super) fn matches_unit_sequence(text: &str, allow_fraction: bool) -> bool {
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        if allow_fraction && let Some(after_dot) = rest.strip_prefix('.') {
            let frac = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            if frac == 0 {
                return false;
            }
            rest = &after_dot[frac..];
        }
        rest = if let Some(r) = rest.strip_prefix("ms") {
            r
        } else if let Some(r) = rest.strip_prefix(['s', 'm', 'h']) {
            r
        } else {
            return false;
        };
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Enum-like strings.

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

fn check_enums(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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

// ---------------------------------------------------------------------------------------------
// Numbers.

/// Whether a bad value is rejected (by the API, or by Felix at start-up) or only replaced by
/// Felix's default.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Rejected,
    Ignored,
}

fn check_numbers(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    use Outcome::{Ignored, Rejected};
    let ranges: [(&str, Option<i64>, i64, i64, Outcome); 19] = [
        ("metadataPort", s.metadata_port, 0, 65535, Rejected),
        (
            "logActionRateLimitBurst",
            s.log_action_rate_limit_burst,
            0,
            9999,
            Rejected,
        ),
        ("healthPort", s.health_port, 0, 65535, Ignored),
        (
            "prometheusMetricsPort",
            s.prometheus_metrics_port,
            0,
            65535,
            Ignored,
        ),
        ("debugPort", s.debug_port, 0, 65535, Rejected),
        (
            "bpfExtToServiceConnmark",
            s.bpf_ext_to_service_connmark,
            0,
            i64::from(u32::MAX),
            Rejected,
        ),
        (
            "bpfMapSizeConntrackCleanupQueue",
            s.bpf_map_size_conntrack_cleanup_queue,
            1,
            i64::MAX,
            Rejected,
        ),
        (
            "ipv4NormalRoutePriority",
            s.ipv4_normal_route_priority,
            1,
            2_147_483_646,
            Ignored,
        ),
        (
            "ipv4ElevatedRoutePriority",
            s.ipv4_elevated_route_priority,
            1,
            2_147_483_646,
            Ignored,
        ),
        (
            "ipv6NormalRoutePriority",
            s.ipv6_normal_route_priority,
            1,
            2_147_483_646,
            Ignored,
        ),
        (
            "ipv6ElevatedRoutePriority",
            s.ipv6_elevated_route_priority,
            1,
            2_147_483_646,
            Ignored,
        ),
        (
            "wireguardListeningPort",
            s.wireguard_listening_port,
            1,
            65535,
            Rejected,
        ),
        (
            "wireguardListeningPortV6",
            s.wireguard_listening_port_v6,
            1,
            65535,
            Rejected,
        ),
        (
            "wireguardRoutingRulePriority",
            s.wireguard_routing_rule_priority,
            1,
            32765,
            Rejected,
        ),
        ("goGCThreshold", s.go_gc_threshold, -1, i64::MAX, Rejected),
        (
            "goMemoryLimitMB",
            s.go_memory_limit_mb,
            -1,
            i64::MAX,
            Rejected,
        ),
        ("goMaxProcs", s.go_max_procs, -1, i64::MAX, Rejected),
        (
            "bpfMaglevMaxEndpointsPerService",
            s.bpf_maglev_max_endpoints_per_service,
            1,
            3000,
            Ignored,
        ),
        (
            "bpfMaglevMaxServices",
            s.bpf_maglev_max_services,
            1,
            3000,
            Ignored,
        ),
    ];
    for (key, value, min, max, outcome) in ranges {
        let Some(v) = value else { continue };
        if (min..=max).contains(&v) {
            continue;
        }
        let bound = if max == i64::MAX {
            format!("at least {min}")
        } else {
            format!("from {min} to {max}")
        };
        match outcome {
            Rejected => c.error(
                c.key(key),
                format!("`{v}` is out of range; it must be {bound}"),
            ),
            Ignored => c.warn(
                c.key(key),
                format!("`{v}` is out of range ({bound}); Felix ignores it and uses its default"),
            ),
        }
    }
    for (key, mask) in [
        ("iptablesMarkMask", s.iptables_mark_mask),
        ("nftablesMarkMask", s.nftables_mark_mask),
    ] {
        if let Some(m) = mask
            && m.count_ones() < 2
        {
            c.error(
                c.key(key),
                format!("mark mask `{m:#x}` has fewer than 2 bits set, which Felix refuses"),
            );
        }
    }
    if let Some(d) = &s.istio_dscp_mark
        && d.code_point().is_none()
    {
        let why = match d {
            Dscp::Number(_) => "a DSCP number must be from 0 to 63",
            Dscp::Name(_) => "it is not a DSCP name such as `AF11`, `CS1` or `EF`",
        };
        c.error(
            c.key("istioDSCPMark"),
            format!("`{d}` is not a DSCP value: {why}"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Free-form strings with a syntax.

fn check_strings(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    if let Some(v) = nonempty(&s.feature_detect_override)
        && !is_key_value_list(v, true)
    {
        c.error(
            c.key("featureDetectOverride"),
            format!("`{v}` is not a list such as `Feature=true,Other=false,Third=`"),
        );
    }
    if let Some(v) = nonempty(&s.feature_gates)
        && !is_key_value_list(v, false)
    {
        c.error(
            c.key("featureGates"),
            format!("`{v}` is not a list such as `Feature=enabled,Other=value`"),
        );
    }
    if let Some(v) = nonempty(&s.log_prefix)
        && let Some(bad) = v
            .chars()
            .find(|ch| !(ch.is_ascii_alphanumeric() || "%: /_-".contains(*ch)))
    {
        c.error(
            c.key("logPrefix"),
            format!(
                "`{v}` contains `{bad}`; a log prefix may only use letters, digits, `%`, `:`, \
                 ` `, `/`, `_` and `-`"
            ),
        );
    }
    if let Some(v) = nonempty(&s.log_action_rate_limit)
        && !is_rate_limit(v)
    {
        c.error(
            c.key("logActionRateLimit"),
            format!(
                "`{v}` is not a rate such as `10/second`: 1 to 9999 per `second`, `minute`, \
                 `hour` or `day`"
            ),
        );
    }
    if let Some(v) = nonempty(&s.interface_prefix)
        && !v.split(',').all(|p| is_name(p, 15, "_-"))
    {
        c.error(
            c.key("interfacePrefix"),
            format!(
                "`{v}` is not a comma-separated list of interface prefixes (1 to 15 of letters, \
                 digits, `_` and `-`)"
            ),
        );
    }
    if let Some(v) = nonempty(&s.metadata_addr)
        && !is_name(v, usize::MAX, "_.-")
    {
        c.error(
            c.key("metadataAddr"),
            format!(
                "`{v}` is not a host name, IPv4 address or `none` (letters, digits, `_`, `.` and \
                 `-`)"
            ),
        );
    }
    if let Some(v) = nonempty(&s.openstack_region) {
        if v.len() > 46 {
            c.error(
                c.key("openstackRegion"),
                format!("`{v}` is longer than 46 characters"),
            );
        } else if !is_dns1123_label(v) {
            c.error(
                c.key("openstackRegion"),
                format!("`{v}` is not a DNS label (lower-case letters, digits and `-`)"),
            );
        }
    }
    if let Some(v) = nonempty(&s.iptables_nat_outgoing_interface_filter)
        && !is_iface_filter(v)
    {
        c.error(
            c.key("iptablesNATOutgoingInterfaceFilter"),
            iface_filter_message(v),
        );
    }
    if let Some(v) = nonempty(&s.prometheus_metrics_host)
        && !is_name(v, 64, ":._+-")
    {
        c.error(
            c.key("prometheusMetricsHost"),
            format!("`{v}` is not a host name or address (at most 64 characters)"),
        );
    }
    if let Some(v) = nonempty(&s.health_host)
        && !is_name(v, 64, ":._+-")
    {
        c.warn(
            c.key("healthHost"),
            format!(
                "`{v}` is not a host name or address (at most 64 characters); Felix uses \
                 `localhost`"
            ),
        );
    }
    for (key, value) in [
        ("wireguardInterfaceName", &s.wireguard_interface_name),
        ("wireguardInterfaceNameV6", &s.wireguard_interface_name_v6),
    ] {
        if let Some(v) = nonempty(value)
            && !is_interface_name(v)
        {
            c.error(
                c.key(key),
                format!(
                    "`{v}` is not an interface name (1 to 15 of letters, digits, `_`, `.` and `-`)"
                ),
            );
        }
    }
    check_addresses(s, c);
    for (key, value) in [
        ("logDebugFilenameRegex", &s.log_debug_filename_regex),
        ("bpfDataIfacePattern", &s.bpf_data_iface_pattern),
        ("bpfL3IfacePattern", &s.bpf_l3_iface_pattern),
        ("bpfDisableGROForIfaces", &s.bpf_disable_gro_for_ifaces),
        ("mtuIfacePattern", &s.mtu_iface_pattern),
    ] {
        if let Some(v) = nonempty(value)
            && let Some(why) = regex_problem(v)
        {
            c.error(
                c.key(key),
                format!("`{v}` is not a regular expression: {why}"),
            );
        }
    }
    if let Some(v) = nonempty(&s.interface_exclude) {
        for item in v.split(',') {
            if let Some(re) = item.strip_prefix('/').and_then(|r| r.strip_suffix('/'))
                && let Some(why) = regex_problem(re)
            {
                c.warn(
                    c.key("interfaceExclude"),
                    format!(
                        "`{item}` is not a regular expression ({why}); Felix ignores the whole \
                         value"
                    ),
                );
            }
        }
    }
    if let Some(v) = nonempty(&s.bpf_ctlb_log_filter)
        && !v.eq_ignore_ascii_case("all")
    {
        c.warn(
            c.key("bpfCTLBLogFilter"),
            format!("`{v}` is not `all`, the only value Felix understands"),
        );
    }
    if let Some(v) = &s.node_selector {
        if v.len() > 1024 {
            c.error(
                c.key("nodeSelector"),
                "the node selector is longer than 1024 characters",
            );
        } else if let Err(e) = tortie_selector::Selector::parse(v) {
            c.error(
                c.key("nodeSelector"),
                format!("`{v}` is not a valid selector: {e}"),
            );
        }
    }
}

fn check_addresses(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    let fields: [(&str, &Option<String>, bool); 3] = [
        ("natOutgoingAddress", &s.nat_outgoing_address, true),
        (
            "deviceRouteSourceAddress",
            &s.device_route_source_address,
            true,
        ),
        (
            "deviceRouteSourceAddressIPv6",
            &s.device_route_source_address_ipv6,
            false,
        ),
    ];
    for (key, value, v4) in fields {
        let Some(v) = nonempty(value) else { continue };
        let ok = parse_ip(v).is_some_and(|ip| ip.is_ipv4() == v4);
        if !ok {
            let family = if v4 { "IPv4" } else { "IPv6" };
            c.error(c.key(key), format!("`{v}` is not an {family} address"));
        }
    }
}

fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// 1 to `max` characters, each alphanumeric or one of `extra`.
fn is_name(s: &str, max: usize, extra: &str) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || extra.contains(ch))
}

/// Calico's `interface` rule: `*` or `^[a-zA-Z0-9_.-]{1,15}$`.
fn is_interface_name(s: &str) -> bool {
    s == "*" || is_name(s, 15, "_.-")
}

/// Calico's `ifaceFilter` rule: `^[a-zA-Z0-9:._+-]{1,15}$` (iptables names, `+` wildcard).
fn is_iface_filter(s: &str) -> bool {
    is_name(s, 15, ":._+-")
}

fn iface_filter_message(v: &str) -> String {
    format!(
        "`{v}` is not an interface name or `+` pattern (1 to 15 of letters, digits, `:`, `.`, \
         `_`, `+` and `-`)"
    )
}

/// `^[1-9]\d{0,3}/(?:second|minute|hour|day)$`.
fn is_rate_limit(s: &str) -> bool {
    let Some((count, unit)) = s.split_once('/') else {
        return false;
    };
    (1..=4).contains(&count.len())
        && count.bytes().all(|b| b.is_ascii_digit())
        && !count.starts_with('0')
        && matches!(unit, "second" | "minute" | "hour" | "day")
}

/// The CRD patterns of `featureDetectOverride` (values `true`, `false` or empty:
/// `^([a-zA-Z0-9-_]+=(true|false|),)*([a-zA-Z0-9-_]+=(true|false|))?$`) and `featureGates`
/// (any non-empty values without `=`: `^([a-zA-Z0-9-_]+=([^=]+),)*([a-zA-Z0-9-_]+=([^=]+))?$`).
pub(super) fn is_key_value_list(s: &str, boolean_values: bool) -> bool {
    let is_key = |k: &str| is_name(k, usize::MAX, "-_");
    let is_value = |v: &str| {
        if boolean_values {
            matches!(v, "true" | "false" | "")
        } else {
            !v.is_empty()
        }
    };
    // Split at each `=`: a key, then pieces of the form `value,key`, then a last value.
    let pieces: Vec<&str> = s.split('=').collect();
    let Some((first, rest)) = pieces.split_first() else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return s.is_empty();
    };
    if !is_key(first) {
        return false;
    }
    for piece in middle {
        // A value can hold commas only in featureGates, so the key follows the last comma.
        let split = if boolean_values {
            piece.find(',')
        } else {
            piece.rfind(',')
        };
        let Some(comma) = split else { return false };
        if !is_value(&piece[..comma]) || !is_key(&piece[comma + 1..]) {
            return false;
        }
    }
    // A trailing comma after the last value is allowed (in featureGates it is part of the value).
    is_value(last.strip_suffix(',').unwrap_or(last)) || is_value(last)
}

/// A light syntax check of a Go (RE2) regular expression: escapes, brackets, parentheses and
/// repetition operators. Returns why the text is not a regular expression.
pub(super) fn regex_problem(re: &str) -> Option<String> {
    let mut depth = 0usize;
    // Whether the previous item can take a repetition operator, and whether it is one.
    let mut can_repeat = false;
    let mut after_repeat = false;
    let mut chars = re.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                if chars.next().is_none() {
                    return Some("it ends with a lone `\\`".to_string());
                }
                (can_repeat, after_repeat) = (true, false);
            }
            '[' => {
                // A class; `]` right after `[` or `[^` is a literal.
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                }
                let mut closed = false;
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' if chars.next().is_none() => {
                            return Some("it ends with a lone `\\`".to_string());
                        }
                        ']' => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return Some("a `[` is not closed".to_string());
                }
                (can_repeat, after_repeat) = (true, false);
            }
            '(' => {
                depth += 1;
                if chars.peek() == Some(&'?') {
                    chars.next();
                }
                (can_repeat, after_repeat) = (false, false);
            }
            ')' => {
                if depth == 0 {
                    return Some("a `)` has no matching `(`".to_string());
                }
                depth -= 1;
                (can_repeat, after_repeat) = (true, false);
            }
            '|' => (can_repeat, after_repeat) = (false, false),
            '*' | '+' | '?' => {
                if after_repeat && ch == '?' {
                    // A lazy operator such as `*?`.
                    after_repeat = false;
                    can_repeat = false;
                } else if after_repeat {
                    return Some(format!("a repetition operator is repeated at `{ch}`"));
                } else if !can_repeat {
                    return Some(format!("`{ch}` has nothing to repeat"));
                } else {
                    (can_repeat, after_repeat) = (false, true);
                }
            }
            _ => (can_repeat, after_repeat) = (true, false),
        }
    }
    (depth > 0).then(|| "a `(` is not closed".to_string())
}

// ---------------------------------------------------------------------------------------------
// Lists and nested structs.

fn check_failsafe(c: &mut Checker<'_>, key: &str, ports: Option<&[ProtoPort]>) {
    for (i, p) in ports.unwrap_or_default().iter().enumerate() {
        validate_proto_port(p, &c.key(key).index(i), c.report);
    }
}

/// Validates one failsafe `{protocol, port, net}` entry; `at` points at the entry.
pub fn validate_proto_port(p: &ProtoPort, at: &FieldPath, report: &mut Report) {
    if p.effective_protocol().is_none() {
        let given = p.protocol.as_deref().unwrap_or_default();
        report.error(
            at.key("protocol"),
            format!("`{given}` is not `TCP`, `UDP` or `SCTP`"),
        );
    }
    if p.port == 0 {
        report.warn(
            at.key("port"),
            "port 0 matches no traffic; ports are 1 to 65535",
        );
    }
    if let Some(net) = &p.net
        && !net.is_empty()
        && parse_cidr(net).is_none()
    {
        report.error(
            at.key("net"),
            format!("`{net}` is not a CIDR or IP address"),
        );
    }
}

fn check_ports(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    if let Some(ranges) = &s.kube_node_port_ranges {
        let at = c.key("kubeNodePortRanges");
        if ranges.len() > 7 {
            c.error(
                at.clone(),
                format!(
                    "{} node port ranges are given; at most 7 are allowed",
                    ranges.len()
                ),
            );
        }
        for (i, p) in ranges.iter().enumerate() {
            match p {
                Port::Named(name) => {
                    c.error(
                        at.index(i),
                        format!("`{name}` is a named port; node port ranges must be numeric"),
                    );
                }
                _ => check_port_not_zero(c, at.index(i), p),
            }
        }
    }
    for (key, port) in [
        ("natPortRange", &s.nat_port_range),
        ("bpfPSNATPorts", &s.bpf_psnat_ports),
    ] {
        match port {
            Some(Port::Named(name)) => c.warn(
                c.key(key),
                format!(
                    "`{name}` is a named port; Felix needs a number or range and uses its default"
                ),
            ),
            Some(p) => check_port_not_zero(c, c.key(key), p),
            None => {}
        }
    }
}

fn check_port_not_zero(c: &mut Checker<'_>, at: FieldPath, port: &Port) {
    if port.bounds().is_some_and(|(min, _)| min == 0) {
        c.error(
            at,
            format!("`{port}` includes port 0; ports are 1 to 65535"),
        );
    }
}

fn check_cidr_lists(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    if let Some(list) = &s.external_nodes_cidr_list {
        for (i, cidr) in list.iter().enumerate() {
            match parse_cidr(cidr) {
                None => c.error(
                    c.key("externalNodesList").index(i),
                    format!("`{cidr}` is not a CIDR or IP address"),
                ),
                Some((net, _)) if !matches!(net, ipnet::IpNet::V4(_)) => {
                    c.error(
                        c.key("externalNodesList").index(i),
                        format!("`{cidr}` is not IPv4; only IPv4 is allowed"),
                    );
                }
                Some(_) => {}
            }
        }
    }
    for (key, list) in [
        ("bpfDSROptoutCIDRs", &s.bpf_dsr_optout_cidrs),
        ("bpfExcludeCIDRsFromNAT", &s.bpf_exclude_cidrs_from_nat),
    ] {
        for (i, cidr) in list.as_deref().unwrap_or_default().iter().enumerate() {
            if parse_cidr(cidr).is_none() {
                c.error(
                    c.key(key).index(i),
                    format!("`{cidr}` is not a CIDR or IP address"),
                );
            }
        }
    }
}

fn check_interface_lists(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    for (i, name) in s
        .bpf_force_track_packets_from_ifaces
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if !is_iface_filter(name) {
            c.error(
                c.key("bpfForceTrackPacketsFromIfaces").index(i),
                iface_filter_message(name),
            );
        }
    }
    for key in s.bpf_log_filters.iter().flat_map(|m| m.keys()) {
        if !is_name(key, 15, "_.-") {
            c.error(
                c.key("bpfLogFilters").key(key),
                format!("`{key}` is not an interface name, `all`, `weps` or `heps`"),
            );
        }
    }
}

fn check_health_timeouts(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    for (i, o) in s
        .health_timeout_overrides
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let at = c.key("healthTimeoutOverrides").index(i);
        if !is_name(&o.name, usize::MAX, "_ -") {
            c.error(
                at.key("name"),
                format!(
                    "`{}` is not a subcomponent name (letters, digits, ` `, `_` and `-`)",
                    o.name
                ),
            );
        }
        check_duration(c, at.key("timeout"), &o.timeout, DurationSchema::Any);
    }
}

fn check_route_tables(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    if let Some(r) = &s.route_table_range
        && !(r.min >= 1 && r.min <= r.max && r.max <= 250)
    {
        c.error(
            c.key("routeTableRange"),
            format!(
                "`{}-{}` is not a range of route table indices within 1 to 250",
                r.min, r.max
            ),
        );
    }
    if let Some(ranges) = &s.route_table_ranges {
        if s.route_table_range.is_some() {
            c.error(
                c.key("routeTableRange"),
                "`routeTableRange` cannot be set together with `routeTableRanges`",
            );
        }
        let mut total: i128 = 0;
        for (i, r) in ranges.iter().enumerate() {
            let at = c.key("routeTableRanges").index(i);
            if r.min > r.max {
                c.error(
                    at.clone(),
                    format!("the minimum `{}` is above the maximum `{}`", r.min, r.max),
                );
            }
            if r.min < 1 {
                c.error(
                    at.key("min"),
                    format!("`{}` is below 1; route table indices start at 1", r.min),
                );
            }
            if r.max > i64::from(u32::MAX) {
                c.error(
                    at.key("max"),
                    format!(
                        "`{}` is above the highest route table index 4294967295",
                        r.max
                    ),
                );
            }
            total += i128::from(r.max) - i128::from(r.min) + 1;
        }
        if total > 0xffff {
            c.error(
                c.key("routeTableRanges"),
                format!("the ranges cover {total} route tables; at most 65535 are allowed"),
            );
        }
    }
}

fn check_bpf_conntrack_timeouts(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
    let Some(t) = &s.bpf_conntrack_timeouts else {
        return;
    };
    for (key, value) in t.entries() {
        if let Some(v) = value
            && !is_conntrack_timeout(v)
        {
            c.error(
                c.key("bpfConntrackTimeouts").key(key),
                format!("`{v}` is not a duration such as `30s` or `1h`, nor `Auto`"),
            );
        }
    }
}

/// `^(([0-9]*(\.[0-9]*)?(ms|s|h|m|us)+)+|Auto)$`.
fn is_conntrack_timeout(s: &str) -> bool {
    if s == "Auto" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        rest = rest.trim_start_matches(|ch: char| ch.is_ascii_digit());
        if let Some(after) = rest.strip_prefix('.') {
            rest = after.trim_start_matches(|ch: char| ch.is_ascii_digit());
        }
        let before_units = rest.len();
        loop {
            if let Some(r) = rest.strip_prefix("us") {
                rest = r;
            } else if let Some(r) = rest.strip_prefix(['m', 's', 'h']) {
                rest = r;
            } else {
                break;
            }
        }
        if rest.len() == before_units {
            return false;
        }
    }
    true
}
