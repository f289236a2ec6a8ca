//! Durations: Go's `time.ParseDuration` syntax, and the CRD patterns of duration fields.

use super::Checker;
use crate::kinds::felix::spec::FelixConfigurationSpec;
use crate::yaml::FieldPath;

/// What the CRD pattern of a duration field accepts, beyond being a Go duration.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum DurationSchema {
    /// No pattern.
    Any,
    /// `^([0-9]+(\\.[0-9]+)?(ms|s|m|h))*$`: the doubled backslash makes the fraction unusable, so
    /// only whole numbers with `ms`, `s`, `m` or `h` units pass.
    WholeUnits,
    /// `^([0-9]+(\.[0-9]+)?(ms|s|m|h))*$`.
    DecimalUnits,
}

pub(super) fn check_durations(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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

pub(super) fn check_duration(
    c: &mut Checker<'_>,
    at: FieldPath,
    text: &str,
    schema: DurationSchema,
) {
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
pub(in crate::kinds::felix) fn matches_unit_sequence(text: &str, allow_fraction: bool) -> bool {
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
