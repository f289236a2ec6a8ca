//! IP address management kinds: `IPPool`, `IPReservation`, `IPAMConfiguration`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::common::{check_cidr, check_one_of, check_selector, is_zero};
use crate::serde_util::is_false;
use crate::validate::Report;
use crate::validate::names::parse_cidr;
use crate::yaml::FieldPath;

/// `IPPoolSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IPPoolSpec {
    /// The pool's CIDR (required).
    #[serde(default)]
    pub cidr: String,
    /// VXLAN encapsulation: `Never` (default), `Always` or `CrossSubnet`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vxlan_mode: String,
    /// IP-in-IP encapsulation: `Never` (default), `Always` or `CrossSubnet`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ipip_mode: String,
    /// Masquerade traffic from the pool to destinations outside all pools.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nat_outgoing: bool,
    /// Stop allocating from the pool.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
    /// Do not advertise the pool's routes over BGP.
    #[serde(default, rename = "disableBGPExport", skip_serializing_if = "is_false")]
    pub disable_bgp_export: bool,
    /// Prefix length of the blocks handed to nodes (default 26 for IPv4, 122 for IPv6).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub block_size: i32,
    /// Nodes the pool allocates for (default `all()`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_selector: String,
    /// Namespaces the pool allocates for (both selectors must match).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace_selector: String,
    /// API v1 leftover; must not be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipip: Option<IpipConfiguration>,
    /// API v1 leftover (`nat-outgoing`); must not be set.
    #[serde(default, rename = "nat-outgoing", skip_serializing_if = "is_false")]
    pub nat_outgoing_v1: bool,
    /// What the pool is for: `Workload`, `Tunnel`, `LoadBalancer` (default workloads and
    /// tunnels).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_uses: Vec<String>,
    /// `Automatic` (default) or `Manual` (only on explicit request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_mode: Option<String>,
}

/// `IPIPConfiguration` (API v1 leftover in `IPPoolSpec.ipip`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpipConfiguration {
    /// Whether IP-in-IP was on.
    #[serde(default, skip_serializing_if = "is_false")]
    pub enabled: bool,
    /// `always` or `cross-subnet`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mode: String,
}

/// `IPReservationSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IPReservationSpec {
    /// CIDRs and addresses Calico IPAM must not hand out.
    #[serde(
        default,
        rename = "reservedCIDRs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub reserved_cidrs: Vec<String>,
}

/// `IPAMConfigurationSpec` (the singleton named `default`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IPAMConfigurationSpec {
    /// Never borrow addresses from other nodes' blocks.
    #[serde(default)]
    pub strict_affinity: bool,
    /// Maximum blocks per node (0: no limit).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_blocks_per_host: i32,
    /// Allocate new blocks to nodes on demand.
    #[serde(default)]
    pub auto_allocate_blocks: bool,
    /// `Enabled` or `Disabled`: keep KubeVirt VM addresses across pod re-creation.
    #[serde(
        default,
        rename = "kubeVirtVMAddressPersistence",
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_virt_vm_address_persistence: Option<String>,
    /// Minimum age of a released address before it is handed out again, seconds.
    #[serde(
        default,
        rename = "minIPReclaimAgeSeconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub min_ip_reclaim_age_seconds: Option<i32>,
}

const V4_LINK_LOCAL: IpNet = IpNet::new_assert(IpAddr::V4(Ipv4Addr::new(169, 254, 0, 0)), 16);
const V6_LINK_LOCAL: IpNet =
    IpNet::new_assert(IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)), 10);
const MODES: [&str; 3] = ["Never", "Always", "CrossSubnet"];
const ALLOWED_USES: [&str; 3] = ["Workload", "Tunnel", "LoadBalancer"];

fn mode_enabled(mode: &str) -> bool {
    mode == "Always" || mode == "CrossSubnet"
}

/// Validates an `IPPoolSpec` with Calico's rules (empty fields count as their defaults);
/// `path` points at `spec`.
pub fn validate_ip_pool_spec(spec: &IPPoolSpec, path: &FieldPath, report: &mut Report) {
    check_one_of(&spec.vxlan_mode, &MODES, &path.key("vxlanMode"), report);
    check_one_of(&spec.ipip_mode, &MODES, &path.key("ipipMode"), report);
    check_selector(&spec.node_selector, &path.key("nodeSelector"), report);
    check_selector(
        &spec.namespace_selector,
        &path.key("namespaceSelector"),
        report,
    );
    if spec.ipip.is_some() {
        report.error(
            path.key("ipip"),
            "`ipip` is an API v1 field and must not be set; use ipipMode",
        );
    }
    if spec.nat_outgoing_v1 {
        report.error(
            path.key("nat-outgoing"),
            "`nat-outgoing` is an API v1 field and must not be set; use natOutgoing",
        );
    }
    if let Some(mode) = &spec.assignment_mode {
        check_one_of(
            mode,
            &["Automatic", "Manual"],
            &path.key("assignmentMode"),
            report,
        );
    }

    let load_balancer = spec.allowed_uses.iter().any(|u| u == "LoadBalancer");
    for (i, use_) in spec.allowed_uses.iter().enumerate() {
        let p = path.key("allowedUses").index(i);
        if !ALLOWED_USES.contains(&use_.as_str()) {
            report.error(
                p,
                format!("`{use_}` is not one of `Workload`, `Tunnel`, `LoadBalancer`"),
            );
        } else if load_balancer && use_ != "LoadBalancer" {
            report.error(
                p,
                format!("`LoadBalancer` cannot be combined with `{use_}`"),
            );
        }
    }
    if mode_enabled(&spec.ipip_mode) && mode_enabled(&spec.vxlan_mode) {
        report.error(
            path.key("ipipMode"),
            "ipipMode and vxlanMode cannot both be enabled",
        );
    }
    if load_balancer && (mode_enabled(&spec.ipip_mode) || mode_enabled(&spec.vxlan_mode)) {
        report.error(
            path.key("ipipMode"),
            "a LoadBalancer pool cannot use IP-in-IP or VXLAN",
        );
    }
    if load_balancer && spec.disable_bgp_export {
        report.error(
            path.key("disableBGPExport"),
            "a LoadBalancer pool must not disable BGP export",
        );
    }
    if load_balancer && !spec.node_selector.is_empty() && spec.node_selector.trim() != "all()" {
        report.error(
            path.key("nodeSelector"),
            "a LoadBalancer pool must have the node selector `all()`",
        );
    }

    let cidr_path = path.key("cidr");
    if spec.cidr.is_empty() {
        report.error(cidr_path, "the pool's CIDR must be given");
        return;
    }
    let Some((net, masked)) = parse_cidr(&spec.cidr) else {
        report.error(cidr_path, format!("`{}` is not a valid CIDR", spec.cidr));
        return;
    };
    let v6 = net.addr().is_ipv6();
    if !masked {
        report.error(
            cidr_path.clone(),
            format!(
                "`{}` is not strictly masked; the network is `{}`",
                spec.cidr,
                net.trunc()
            ),
        );
    }
    if v6 && mode_enabled(&spec.ipip_mode) {
        report.error(
            path.key("ipipMode"),
            "IP-in-IP is not supported on an IPv6 pool; use `Never`",
        );
    }
    let (min, max, default) = if v6 { (116, 128, 122) } else { (20, 32, 26) };
    let block_size = if spec.block_size == 0 {
        default
    } else {
        spec.block_size
    };
    if !(min..=max).contains(&block_size) {
        report.error(
            path.key("blockSize"),
            format!(
                "block size {block_size} is invalid for an IPv{} pool: it must be from {min} to \
                 {max}",
                if v6 { 6 } else { 4 }
            ),
        );
    } else if !spec.disabled && i32::from(net.prefix_len()) > block_size {
        report.error(
            cidr_path.clone(),
            format!(
                "`{}` is smaller than one block (/{block_size}); the pool must be at least as large \
                 as its block size",
                spec.cidr
            ),
        );
    }
    let link_local = if v6 { V6_LINK_LOCAL } else { V4_LINK_LOCAL };
    let net = net.trunc();
    if link_local.contains(&net) || net.contains(&link_local) {
        report.error(
            cidr_path,
            format!(
                "`{}` overlaps the link-local range `{link_local}`",
                spec.cidr
            ),
        );
    }
}

/// Validates an `IPReservationSpec`; `path` points at `spec`.
pub fn validate_ip_reservation_spec(
    spec: &IPReservationSpec,
    path: &FieldPath,
    report: &mut Report,
) {
    for (i, c) in spec.reserved_cidrs.iter().enumerate() {
        let p = path.key("reservedCIDRs").index(i);
        if c.is_empty() {
            report.error(p, "an empty entry is not a CIDR or IP address");
        } else {
            check_cidr(c, None, &p, report);
        }
    }
}

/// Validates an `IPAMConfigurationSpec`; `path` points at `spec`.
pub fn validate_ipam_configuration_spec(
    spec: &IPAMConfigurationSpec,
    path: &FieldPath,
    report: &mut Report,
) {
    if !(0..=1_000_000).contains(&spec.max_blocks_per_host) {
        report.error(
            path.key("maxBlocksPerHost"),
            format!("{} is outside 0 to 1000000", spec.max_blocks_per_host),
        );
    }
    if let Some(p) = &spec.kube_virt_vm_address_persistence {
        check_one_of(
            p,
            &["Enabled", "Disabled"],
            &path.key("kubeVirtVMAddressPersistence"),
            report,
        );
    }
    if spec.min_ip_reclaim_age_seconds.is_some_and(|s| s < 0) {
        report.error(
            path.key("minIPReclaimAgeSeconds"),
            "the age must not be negative",
        );
    }
}
