//! `Node` (Calico's view of a host: BGP, tunnel and WireGuard addresses).

use serde::{Deserialize, Serialize};

use super::common::{check_cidr, check_ip, check_name, check_net, de_opt_asn, is_mac};
use crate::validate::Report;
use crate::yaml::FieldPath;

/// `NodeSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSpec {
    /// BGP settings of this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgp: Option<NodeBgpSpec>,
    /// IPv4 address of the VXLAN tunnel device.
    #[serde(
        default,
        rename = "ipv4VXLANTunnelAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv4_vxlan_tunnel_addr: String,
    /// MAC address of the IPv4 VXLAN tunnel device.
    #[serde(
        default,
        rename = "vxlanTunnelMACAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub vxlan_tunnel_mac_addr: String,
    /// IPv6 address of the VXLAN tunnel device.
    #[serde(
        default,
        rename = "ipv6VXLANTunnelAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv6_vxlan_tunnel_addr: String,
    /// MAC address of the IPv6 VXLAN tunnel device.
    #[serde(
        default,
        rename = "vxlanTunnelMACAddrV6",
        skip_serializing_if = "String::is_empty"
    )]
    pub vxlan_tunnel_mac_addr_v6: String,
    /// The node's names in its orchestrators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orch_refs: Vec<OrchRef>,
    /// WireGuard settings of this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wireguard: Option<NodeWireguardSpec>,
    /// Addresses the node can be reached at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<NodeAddress>,
    /// The node's interfaces and their addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<NodeInterface>,
}

/// `NodeBGPSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeBgpSpec {
    /// The node's AS number (none: the cluster default).
    #[serde(
        default,
        deserialize_with = "de_opt_asn",
        skip_serializing_if = "Option::is_none"
    )]
    pub as_number: Option<u32>,
    /// IPv4 address and subnet of the node (`10.0.0.1/24`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ipv4_address: String,
    /// IPv6 address and subnet of the node.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ipv6_address: String,
    /// IPv4 address of the IP-in-IP tunnel device.
    #[serde(
        default,
        rename = "ipv4IPIPTunnelAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv4_ipip_tunnel_addr: String,
    /// Route reflector cluster ID (an IPv4 address); set makes the node a route reflector.
    #[serde(
        default,
        rename = "routeReflectorClusterID",
        skip_serializing_if = "String::is_empty"
    )]
    pub route_reflector_cluster_id: String,
}

/// `NodeWireguardSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeWireguardSpec {
    /// Address of the IPv4 WireGuard device.
    #[serde(
        default,
        rename = "interfaceIPv4Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub interface_ipv4_address: String,
    /// Address of the IPv6 WireGuard device.
    #[serde(
        default,
        rename = "interfaceIPv6Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub interface_ipv6_address: String,
}

/// `OrchRef`: the node's name in one orchestrator.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrchRef {
    /// The node's name in the orchestrator.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    /// The orchestrator (`k8s`).
    #[serde(default)]
    pub orchestrator: String,
}

/// `NodeAddress`: one address of the node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeAddress {
    /// The address (an IP, or a CIDR with no host bits).
    #[serde(default)]
    pub address: String,
    /// `CalicoNodeIP`, `InternalIP` or `ExternalIP`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub address_type: String,
}

/// `NodeInterface`: one interface of the node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeInterface {
    /// Interface name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The interface's addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
}

/// Node address types Calico knows.
const NODE_ADDRESS_TYPES: [&str; 3] = ["CalicoNodeIP", "InternalIP", "ExternalIP"];

fn check_mac(text: &str, path: &FieldPath, report: &mut Report) {
    if !text.is_empty() && !is_mac(text) {
        report.error(path.clone(), format!("`{text}` is not a MAC address"));
    }
}

/// Validates a `NodeSpec` with Calico's rules; `path` points at `spec`.
pub fn validate_node_spec(spec: &NodeSpec, path: &FieldPath, report: &mut Report) {
    if let Some(bgp) = &spec.bgp {
        let p = path.key("bgp");
        if *bgp == NodeBgpSpec::default() {
            report.error(
                p.clone(),
                "bgp must not be empty: remove it or set an address",
            );
        }
        check_cidr(&bgp.ipv4_address, Some(4), &p.key("ipv4Address"), report);
        check_cidr(&bgp.ipv6_address, Some(6), &p.key("ipv6Address"), report);
        check_ip(
            &bgp.ipv4_ipip_tunnel_addr,
            Some(4),
            &p.key("ipv4IPIPTunnelAddr"),
            report,
        );
        check_ip(
            &bgp.route_reflector_cluster_id,
            Some(4),
            &p.key("routeReflectorClusterID"),
            report,
        );
    }
    check_ip(
        &spec.ipv4_vxlan_tunnel_addr,
        Some(4),
        &path.key("ipv4VXLANTunnelAddr"),
        report,
    );
    check_mac(
        &spec.vxlan_tunnel_mac_addr,
        &path.key("vxlanTunnelMACAddr"),
        report,
    );
    check_ip(
        &spec.ipv6_vxlan_tunnel_addr,
        Some(6),
        &path.key("ipv6VXLANTunnelAddr"),
        report,
    );
    check_mac(
        &spec.vxlan_tunnel_mac_addr_v6,
        &path.key("vxlanTunnelMACAddrV6"),
        report,
    );
    for (i, r) in spec.orch_refs.iter().enumerate() {
        if r.orchestrator.is_empty() {
            report.warn(
                path.key("orchRefs").index(i).key("orchestrator"),
                "the orchestrator is empty",
            );
        }
    }
    if let Some(wg) = &spec.wireguard {
        let p = path.key("wireguard");
        check_ip(
            &wg.interface_ipv4_address,
            Some(4),
            &p.key("interfaceIPv4Address"),
            report,
        );
        check_ip(
            &wg.interface_ipv6_address,
            Some(6),
            &p.key("interfaceIPv6Address"),
            report,
        );
    }
    for (i, a) in spec.addresses.iter().enumerate() {
        let p = path.key("addresses").index(i);
        if a.address.is_empty() {
            report.error(p.key("address"), "the address must be given");
        }
        check_net(&a.address, None, &p.key("address"), report);
        if !a.address_type.is_empty() && !NODE_ADDRESS_TYPES.contains(&a.address_type.as_str()) {
            // Calico 3.29 to 3.31 reject unknown types; later versions stopped checking.
            report.warn(
                p.key("type"),
                format!(
                    "address type `{}` is not `CalicoNodeIP`, `InternalIP` or `ExternalIP`",
                    a.address_type
                ),
            );
        }
    }
    for (i, iface) in spec.interfaces.iter().enumerate() {
        check_name(
            &iface.name,
            "interface name",
            &path.key("interfaces").index(i).key("name"),
            report,
        );
    }
}
