//! Tests of `BGPConfiguration`, `BGPPeer` and `BGPFilter`.

use serde_json::json;

use super::*;

const BGP_CONFIG: &str = "\
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  logSeverityScreen: Info
  nodeToNodeMeshEnabled: true
  nodeMeshMaxRestartTime: 120s
  asNumber: 63400
  serviceClusterIPs:
    - cidr: 10.96.0.0/12
  serviceExternalIPs:
    - cidr: 104.244.42.129/32
    - cidr: 172.217.3.0/24
  serviceLoadBalancerIPs:
    - cidr: 203.0.113.0/24
  listenPort: 178
  bindMode: NodeIP
  communities:
    - name: bgp-large-community
      value: 63400:300:100
  prefixAdvertisements:
    - cidr: 172.218.4.0/26
      communities:
        - bgp-large-community
        - 63400:120
  ignoredInterfaces: [cni*, 'docker.*']
  localWorkloadPeeringIPV4: 169.254.0.179
  localWorkloadPeeringIPV6: 'fe80::179'
  programClusterRoutes: Enabled
  serviceLoadBalancerAggregation: Disabled
  nodeMeshPassword:
    secretKeyRef:
      name: bgp-secrets
      key: mesh-password
";

#[test]
fn bgp_configuration() {
    let cfg: Object<BGPConfigurationSpec> = load(BGP_CONFIG);
    let s = &cfg.spec;
    assert_eq!(s.as_number, Some(63400));
    assert_eq!(s.listen_port, 178);
    assert_eq!(s.service_cluster_ips[0].cidr, "10.96.0.0/12");
    assert_eq!(check(s, validate_bgp_configuration_spec), (vec![], vec![]));
    let v = serde_json::to_value(s).expect("serializes");
    let keys: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "asNumber",
            "bindMode",
            "communities",
            "ignoredInterfaces",
            "listenPort",
            "localWorkloadPeeringIPV4",
            "localWorkloadPeeringIPV6",
            "logSeverityScreen",
            "nodeMeshMaxRestartTime",
            "nodeMeshPassword",
            "nodeToNodeMeshEnabled",
            "prefixAdvertisements",
            "programClusterRoutes",
            "serviceClusterIPs",
            "serviceExternalIPs",
            "serviceLoadBalancerAggregation",
            "serviceLoadBalancerIPs",
        ]
    );
    assert_eq!(
        v["nodeMeshPassword"],
        json!({"secretKeyRef": {"name": "bgp-secrets", "key": "mesh-password"}})
    );
    let back: BGPConfigurationSpec = serde_json::from_value(v).expect("reads back");
    assert_eq!(&back, s);
}

#[test]
fn bgp_configuration_validation_errors() {
    let mut s = load::<BGPConfigurationSpec>(BGP_CONFIG).spec;
    s.log_severity_screen = "info".into();
    s.service_external_ips[1].cidr = "172.217.3.1/24".into();
    s.communities[0].value = "65536:1".into();
    s.prefix_advertisements[0]
        .communities
        .push("undefined".into());
    s.node_to_node_mesh_enabled = Some(false);
    s.node_mesh_max_restart_time = Some("2 minutes".into());
    s.ignored_interfaces.push("*".into());
    s.local_workload_peering_ipv4 = "fe80::1".into();
    s.bind_mode = Some("All".into());
    let paths = error_paths(&s, validate_bgp_configuration_spec);
    assert_eq!(
        paths,
        [
            "spec.logSeverityScreen",
            "spec.serviceExternalIPs[1].cidr",
            "spec.communities[0].value",
            "spec.prefixAdvertisements[0].communities[2]",
            "spec.nodeMeshPassword",
            "spec.nodeMeshMaxRestartTime",
            "spec.nodeMeshMaxRestartTime",
            "spec.bindMode",
            "spec.ignoredInterfaces[2]",
            "spec.localWorkloadPeeringIPV4",
        ]
    );
    let only_communities = BGPConfigurationSpec {
        communities: vec![Community {
            name: "c".into(),
            value: "1:1".into(),
        }],
        ..BGPConfigurationSpec::default()
    };
    assert_eq!(
        check(&only_communities, validate_bgp_configuration_spec).0,
        [(
            "spec.communities".to_string(),
            "communities are defined but no prefixAdvertisements use them".to_string()
        )]
    );
}

const BGP_PEERS: &str = "\
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: some.name
spec:
  node: rack1-host1
  peerIP: 192.168.1.1
  asNumber: 63400
  filters:
    - my-filter
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: peer-with-route-reflectors
spec:
  nodeSelector: all()
  peerSelector: route-reflector == 'true'
  keepaliveTime: 30s
  maxRestartTime: 2m
  nextHopMode: Self
  reversePeering: Manual
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: tor
spec:
  nodeSelector: rack == 'a'
  peerIP: '[fd00::1]:1179'
  asNumber: '65000.1'
  localASNumber: 64513
  sourceAddress: None
  ttlSecurity: 1
  numAllowedLocalASNumbers: 2
  reachableBy: 'fd00::fe'
  password:
    secretKeyRef:
      name: bgp-secrets
      key: rr-password
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: vm-peers
spec:
  localWorkloadSelector: app == 'router'
  asNumber: 65010
  keepOriginalNextHop: true
";

#[test]
fn bgp_peers() {
    let peers: Vec<Object<BGPPeerSpec>> = load_all(BGP_PEERS);
    assert_eq!(peers.len(), 4);
    assert_eq!(peers[0].spec.as_number, 63400);
    assert_eq!(peers[2].spec.as_number, (65000 << 16) + 1);
    assert_eq!(peers[2].spec.local_as_number, Some(64513));
    assert_eq!(peers[2].spec.ttl_security, Some(1));
    for p in &peers {
        assert_eq!(
            check(&p.spec, validate_bgp_peer_spec),
            (vec![], vec![]),
            "{}",
            p.metadata.name
        );
    }
    round_trip(
        &peers[2],
        &json!({
            "apiVersion": "projectcalico.org/v3",
            "kind": "BGPPeer",
            "metadata": {"name": "tor"},
            "spec": {
                "nodeSelector": "rack == 'a'",
                "peerIP": "[fd00::1]:1179",
                "asNumber": 4_259_840_001_u32,
                "password": {"secretKeyRef": {"name": "bgp-secrets", "key": "rr-password"}},
                "sourceAddress": "None",
                "numAllowedLocalASNumbers": 2,
                "ttlSecurity": 1,
                "reachableBy": "fd00::fe",
                "localASNumber": 64513
            }
        }),
    );
}

#[test]
fn bgp_peer_validation_errors() {
    let peers: Vec<Object<BGPPeerSpec>> = load_all(BGP_PEERS);
    let mut s = peers[0].spec.clone();
    s.node_selector = "all()".into();
    s.peer_selector = "rr == 'true'".into();
    s.peer_ip = "192.168.1.1:0".into();
    s.reachable_by = "fd00::1".into();
    s.keep_original_next_hop = true;
    s.next_hop_mode = Some("Keep".into());
    s.password = Some(BgpPassword {
        secret_key_ref: Some(SecretKeySelector::default()),
    });
    s.source_address = "NodeIP".into();
    s.keepalive_time = Some("30".into());
    s.filters.push("Bad Filter".into());
    assert_eq!(
        error_paths(&s, validate_bgp_peer_spec),
        [
            "spec.peerIP",
            "spec.node",
            "spec.peerIP",
            "spec.asNumber",
            "spec.keepOriginalNextHop",
            "spec.password.secretKeyRef.key",
            "spec.sourceAddress",
            "spec.keepaliveTime",
            "spec.filters[1]",
        ]
    );
    let mut lw = peers[3].spec.clone();
    lw.as_number = 0;
    lw.peer_ip = "10.0.0.1".into();
    lw.reachable_by = "fd00::1".into();
    let (errors, _) = check(&lw, validate_bgp_peer_spec);
    let got: Vec<_> = errors.iter().map(|(p, m)| format!("{p}: {m}")).collect();
    assert_eq!(
        got,
        [
            "spec.asNumber: asNumber must be set when localWorkloadSelector is set",
            "spec.peerIP: peerIP must be empty when localWorkloadSelector is set",
            "spec.reachableBy: reachableBy and peerIP must be of the same IP version",
        ]
    );
    let text = BGP_PEERS.replacen("  peerIP: 192.168.1.1", "  peerIp: 192.168.1.1", 1);
    let (path, msg) = load_error::<BGPPeerSpec>(&text);
    assert_eq!(path, "spec.peerIp");
    assert!(msg.contains("`peerIP`"), "{msg}");
}

const BGP_FILTER: &str = "\
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata:
  name: my-filter
spec:
  exportV4:
    - action: Accept
      matchOperator: In
      cidr: 77.0.0.0/16
      source: RemotePeers
    - action: Reject
      interface: '*.calico'
  importV4:
    - action: Accept
      matchOperator: In
      cidr: 55.0.0.0/16
      prefixLength:
        min: 30
    - action: Reject
      matchOperator: NotIn
      cidr: 44.0.0.0/16
  exportV6:
    - action: Reject
      source: RemotePeers
    - action: Reject
      interface: '*.calico'
    - action: Accept
      peerType: eBGP
      communities:
        values: ['65000:100']
      asPathPrefix: [65000, '65001']
      priority: 512
      operations:
        - addCommunity: {value: '65000:200'}
        - prependASPath: {prefix: [65000, 65000]}
        - setPriority: {value: 1024}
  importV6:
    - action: Accept
      matchOperator: Equal
      cidr: 5000::0/64
    - action: Reject
";

#[test]
fn bgp_filter() {
    let f: Object<BGPFilterSpec> = load(BGP_FILTER);
    assert_eq!(f.spec.export_v4.len(), 2);
    assert_eq!(
        f.spec.import_v4[0]
            .prefix_length
            .as_ref()
            .and_then(|p| p.min),
        Some(30)
    );
    let rich = &f.spec.export_v6[2];
    assert_eq!(rich.as_path_prefix, [65000, 65001]);
    assert_eq!(
        rich.operations[1]
            .prepend_as_path
            .as_ref()
            .map(|p| p.prefix.len()),
        Some(2)
    );
    assert_eq!(check(&f.spec, validate_bgp_filter_spec), (vec![], vec![]));
    let v = serde_json::to_value(&f.spec).expect("serializes");
    assert_eq!(
        v["exportV6"][2],
        json!({
            "peerType": "eBGP",
            "communities": {"values": ["65000:100"]},
            "asPathPrefix": [65000, 65001],
            "priority": 512,
            "action": "Accept",
            "operations": [
                {"addCommunity": {"value": "65000:200"}},
                {"prependASPath": {"prefix": [65000, 65000]}},
                {"setPriority": {"value": 1024}}
            ]
        })
    );
    let back: BGPFilterSpec = serde_json::from_value(v).expect("reads back");
    assert_eq!(back, f.spec);

    let mut bad = f.spec.clone();
    bad.export_v4[0].match_operator = String::new();
    bad.export_v4[1].action = "Drop".into();
    bad.import_v4[0].cidr = "2001:db8::/32".into();
    bad.import_v4[0].prefix_length.as_mut().expect("pl").max = Some(33);
    bad.export_v6[2].action = "Reject".into();
    bad.export_v6[2]
        .operations
        .push(BgpFilterOperation::default());
    bad.import_v6[1].action = String::new();
    assert_eq!(
        error_paths(&bad, validate_bgp_filter_spec),
        [
            "spec.exportV4[0].matchOperator",
            "spec.exportV4[1].action",
            "spec.importV4[0].cidr",
            "spec.importV4[0].prefixLength.max",
            "spec.exportV6[2].operations",
            "spec.exportV6[2].operations[3]",
            "spec.importV6[1].action",
        ]
    );
    let text = BGP_FILTER.replace(
        "      source: RemotePeers\n    - action: Reject\n      interface: '*.calico'\n  importV4",
        "      sources: RemotePeers\n  importV4",
    );
    assert_eq!(
        load_error::<BGPFilterSpec>(&text).0,
        "spec.exportV4[0].sources"
    );
}
