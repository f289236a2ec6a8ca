//! Lists, port ranges and nested structs: failsafe ports, node port ranges, CIDR and interface
//! lists, health timeout overrides, route table ranges and BPF conntrack timeouts.

use super::durations::{DurationSchema, check_duration};
use super::syntax::{iface_filter_message, is_iface_filter, is_name};
use super::{Checker, validate_proto_port};
use crate::kinds::felix::spec::FelixConfigurationSpec;
use crate::kinds::felix::types::ProtoPort;
use crate::numorstring::Port;
use crate::validate::names::parse_cidr;
use crate::yaml::FieldPath;

pub(super) fn check_failsafe(c: &mut Checker<'_>, key: &str, ports: Option<&[ProtoPort]>) {
    for (i, p) in ports.unwrap_or_default().iter().enumerate() {
        validate_proto_port(p, &c.key(key).index(i), c.report);
    }
}

pub(super) fn check_ports(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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

pub(super) fn check_cidr_lists(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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

pub(super) fn check_interface_lists(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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

pub(super) fn check_health_timeouts(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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

pub(super) fn check_route_tables(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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

pub(super) fn check_bpf_conntrack_timeouts(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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
