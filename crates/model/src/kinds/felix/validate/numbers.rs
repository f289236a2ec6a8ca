//! Numbers: integer ranges, mark masks and the Istio DSCP mark.

use super::Checker;
use crate::kinds::felix::spec::FelixConfigurationSpec;
use crate::kinds::felix::types::Dscp;

/// Whether a bad value is rejected (by the API, or by Felix at start-up) or only replaced by
/// Felix's default.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Rejected,
    Ignored,
}

pub(super) fn check_numbers(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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
