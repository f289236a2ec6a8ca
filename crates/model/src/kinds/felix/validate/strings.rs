//! Free-form strings with a syntax: key=value lists, log settings, interface prefixes, host
//! names, addresses, regular expressions and the node selector.

use super::Checker;
use super::syntax::{
    iface_filter_message, is_iface_filter, is_interface_name, is_key_value_list, is_name,
    is_rate_limit, regex_problem,
};
use crate::kinds::felix::spec::FelixConfigurationSpec;
use crate::validate::names::{is_dns1123_label, parse_ip};

pub(super) fn check_strings(s: &FelixConfigurationSpec, c: &mut Checker<'_>) {
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
