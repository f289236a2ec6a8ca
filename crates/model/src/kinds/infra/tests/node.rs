//! Tests of `Node`.

use serde_json::json;

use super::*;

const NODE: &str = "\
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node-hostname
spec:
  bgp:
    asNumber: 64512
    ipv4Address: 10.244.0.1/24
    ipv6Address: 2001:db8:85a3::8a2e:370:7334/120
    ipv4IPIPTunnelAddr: 192.168.0.1
    routeReflectorClusterID: 224.0.0.1
  ipv4VXLANTunnelAddr: 192.168.0.2
  vxlanTunnelMACAddr: 66:1c:a5:2e:11:9b
  ipv6VXLANTunnelAddr: fd00:10:244::1
  vxlanTunnelMACAddrV6: 66:1c:a5:2e:11:9c
  orchRefs:
  - nodeName: node-hostname
    orchestrator: k8s
  wireguard:
    interfaceIPv4Address: 10.244.0.3
    interfaceIPv6Address: fd00:10:244::3
  addresses:
  - address: 10.244.0.1
    type: InternalIP
  - address: 172.16.0.0/24
  interfaces:
  - name: eth0
    addresses: [10.244.0.1, 'fd00::1']
status:
  podCIDRs: [10.244.0.0/24]
  wireguardPublicKey: jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=
";

#[test]
fn node_loads_validates_and_round_trips() {
    let node: Object<NodeSpec> = load(NODE);
    let bgp = node.spec.bgp.as_ref().expect("bgp");
    assert_eq!(bgp.as_number, Some(64512));
    assert_eq!(bgp.ipv4_ipip_tunnel_addr, "192.168.0.1");
    assert_eq!(node.spec.addresses[0].address_type, "InternalIP");
    assert!(node.status.is_some());
    assert_eq!(check(&node.spec, validate_node_spec), (vec![], vec![]));
    let v = serde_json::to_value(&node.spec).expect("serializes");
    let keys: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "addresses",
            "bgp",
            "interfaces",
            "ipv4VXLANTunnelAddr",
            "ipv6VXLANTunnelAddr",
            "orchRefs",
            "vxlanTunnelMACAddr",
            "vxlanTunnelMACAddrV6",
            "wireguard"
        ]
    );
    assert_eq!(
        v["bgp"],
        json!({
            "asNumber": 64512,
            "ipv4Address": "10.244.0.1/24",
            "ipv6Address": "2001:db8:85a3::8a2e:370:7334/120",
            "ipv4IPIPTunnelAddr": "192.168.0.1",
            "routeReflectorClusterID": "224.0.0.1"
        })
    );
    assert_eq!(
        v["wireguard"],
        json!({"interfaceIPv4Address": "10.244.0.3", "interfaceIPv6Address": "fd00:10:244::3"})
    );
    assert_eq!(
        v["addresses"][0],
        json!({"address": "10.244.0.1", "type": "InternalIP"})
    );
    let back: NodeSpec = serde_json::from_value(v).expect("reads back");
    assert_eq!(back, node.spec);
}

#[test]
fn node_as_numbers_may_be_strings() {
    let text = NODE.replace("asNumber: 64512", "asNumber: '1.10'");
    assert_eq!(
        load::<NodeSpec>(&text).spec.bgp.expect("bgp").as_number,
        Some(65546)
    );
    let text = NODE.replace("asNumber: 64512", "asNumber: \"64513\"");
    assert_eq!(
        load::<NodeSpec>(&text).spec.bgp.expect("bgp").as_number,
        Some(64513)
    );
    let text = NODE.replace("asNumber: 64512", "asNumber: 4294967296");
    let (path, msg) = load_error::<NodeSpec>(&text);
    assert_eq!(path, "spec.bgp.asNumber");
    assert!(msg.contains("above 4294967295"), "{msg}");
    let text = NODE.replace("asNumber: 64512", "asNumber: 1.10");
    assert_eq!(load_error::<NodeSpec>(&text).0, "spec.bgp.asNumber");
}

#[test]
fn node_validation_errors() {
    let mut s = load::<NodeSpec>(NODE).spec;
    s.bgp.as_mut().expect("bgp").ipv4_address = "2001:db8::1/64".into();
    s.bgp.as_mut().expect("bgp").route_reflector_cluster_id = "rr1".into();
    s.ipv6_vxlan_tunnel_addr = "10.0.0.1".into();
    s.vxlan_tunnel_mac_addr = "zz:zz".into();
    s.wireguard.as_mut().expect("wg").interface_ipv4_address = "300.1.1.1".into();
    s.addresses[1].address = "172.16.0.1/24".into();
    s.addresses[0].address_type = "Public".into();
    s.interfaces[0].name = "Eth_0".into();
    let (errors, warnings) = check(&s, validate_node_spec);
    let paths: Vec<_> = errors.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.bgp.ipv4Address",
            "spec.bgp.routeReflectorClusterID",
            "spec.vxlanTunnelMACAddr",
            "spec.ipv6VXLANTunnelAddr",
            "spec.wireguard.interfaceIPv4Address",
            "spec.addresses[1].address",
            "spec.interfaces[0].name",
        ]
    );
    assert_eq!(errors[0].1, "`2001:db8::1/64` is not an IPv4 CIDR");
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].0, "spec.addresses[0].type");

    let empty_bgp = NodeSpec {
        bgp: Some(NodeBgpSpec::default()),
        ..NodeSpec::default()
    };
    assert_eq!(error_paths(&empty_bgp, validate_node_spec), ["spec.bgp"]);
}
