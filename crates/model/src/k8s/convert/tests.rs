use std::collections::BTreeMap;

use super::*;
use crate::k8s::core::{
    Container, ContainerPort, Namespace, Pod, PodIp, PodStatus, ServiceAccount,
};
use crate::k8s::network_policy::{
    IntOrString, IpBlock, NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort,
};
use crate::kinds::Object;
use crate::kinds::policy::{StagedAction, StagedKubernetesNetworkPolicySpec};
use crate::meta::{LabelSelector, LabelSelectorRequirement};
use crate::numorstring::{Port, Protocol};
use crate::rule::{Action, PolicyType};

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.into(),
        operator: op.into(),
        values: (!values.is_empty()).then(|| values.iter().map(|v| (*v).to_string()).collect()),
    }
}

#[test]
fn selectors_print_as_calico_does() {
    let sel = LabelSelector {
        match_labels: Some(labels(&[("b", "2"), ("a", "1")])),
        match_expressions: Some(vec![
            req("k", "In", &["x", "y"]),
            req("n", "NotIn", &["z"]),
            req("e", "Exists", &[]),
            req("d", "DoesNotExist", &[]),
            req("u", "Unknown", &[]),
        ]),
    };
    assert_eq!(
        label_selector_to_calico(Some(&sel), SelectorTarget::Pod),
        "projectcalico.org/orchestrator == 'k8s' && a == '1' && b == '2' && k in { 'x', 'y' } \
         && n not in { 'z' } && has(e) && ! has(d)"
    );
    assert_eq!(
        label_selector_to_calico(Some(&sel), SelectorTarget::Namespace),
        "a == '1' && b == '2' && k in { 'x', 'y' } && n not in { 'z' } && has(e) && ! has(d)"
    );
    let empty = LabelSelector::default();
    assert_eq!(
        label_selector_to_calico(None, SelectorTarget::Namespace),
        ""
    );
    assert_eq!(
        label_selector_to_calico(Some(&empty), SelectorTarget::Namespace),
        "all()"
    );
    assert_eq!(
        label_selector_to_calico(None, SelectorTarget::Pod),
        "projectcalico.org/orchestrator == 'k8s'"
    );
}

fn ports(text: &str) -> Vec<Port> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| port_from_string(s).unwrap())
        .collect()
}

#[test]
fn ports_parse_and_simplify_as_calico_does() {
    assert_eq!(port_from_string("80"), Ok(Port::Number(80)));
    assert_eq!(port_from_string("5:5"), Ok(Port::Number(5)));
    assert_eq!(port_from_string("http"), Ok(Port::Named("http".into())));
    assert_eq!(
        port_from_string("-50:-1").unwrap_err(),
        "invalid name for named port (-50:-1)"
    );
    assert_eq!(
        port_from_string("70000").unwrap_err(),
        "invalid port format (70000)"
    );
    assert_eq!(
        port_from_string("90:80").unwrap_err(),
        "minimum port number (90) is greater than maximum port number (80) in port range"
    );
    assert_eq!(
        port_from_string("1:70000").unwrap_err(),
        "invalid maximum port number in range (1:70000)"
    );
    assert_eq!(simplify_ports(ports("80,foo")), ports("80,foo"));
    assert_eq!(simplify_ports(ports("80,80")), ports("80"));
    assert_eq!(
        simplify_ports(ports("81:90,4,2,foo,80:81,3,1,9090,http")),
        ports("foo,http,1:4,80:90,9090")
    );
    assert_eq!(protocol_from_string("udp"), Protocol::Name("UDP".into()));
    assert_eq!(
        protocol_from_string("icmpv6"),
        Protocol::Name("ICMPv6".into())
    );
    assert_eq!(protocol_from_string("gre"), Protocol::Name("gre".into()));
}

fn port(protocol: Option<&str>, p: Option<IntOrString>, end: Option<i32>) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: protocol.map(Into::into),
        port: p,
        end_port: end,
    }
}

#[test]
fn network_policy_groups_ports_by_protocol_and_peer() {
    let mut np = NetworkPolicy::new("ns", "p");
    let peers = vec![
        NetworkPolicyPeer {
            pod_selector: Some(LabelSelector::default()),
            ..NetworkPolicyPeer::default()
        },
        NetworkPolicyPeer {
            ip_block: Some(IpBlock {
                cidr: "10.1.2.3/16".into(),
                except: Some(vec!["10.1.2.0/24".into()]),
            }),
            ..NetworkPolicyPeer::default()
        },
    ];
    np.spec.ingress = Some(vec![NetworkPolicyIngressRule {
        ports: Some(vec![
            port(Some("udp"), Some(IntOrString::Int(53)), None),
            port(None, Some(IntOrString::Int(80)), Some(82)),
            port(Some("TCP"), Some(IntOrString::Int(83)), None),
            port(Some("SCTP"), None, None),
            port(Some("SCTP"), Some(IntOrString::Int(9)), None),
        ]),
        from: Some(peers),
    }]);
    np.spec.policy_types = Some(vec![PolicyType::Egress, PolicyType::Ingress]);
    let c = network_policy_to_calico(&np);
    assert!(c.dropped.is_empty());
    let spec = &c.policy.spec;
    assert_eq!(spec.types, vec![PolicyType::Ingress, PolicyType::Egress]);
    assert_eq!((spec.tier.as_str(), spec.order), ("default", Some(1000.0)));
    let summary: Vec<(String, Vec<Port>, Vec<String>)> = spec
        .ingress
        .iter()
        .map(|r| {
            (
                r.protocol.as_ref().unwrap().to_string(),
                r.destination.ports.clone(),
                r.source.nets.clone(),
            )
        })
        .collect();
    let nets = vec!["10.1.0.0/16".to_string()];
    assert_eq!(
        summary,
        vec![
            ("SCTP".into(), vec![], vec![]),
            ("SCTP".into(), vec![], nets.clone()),
            ("TCP".into(), vec![Port::Range(80, 83)], vec![]),
            ("TCP".into(), vec![Port::Range(80, 83)], nets.clone()),
            ("UDP".into(), vec![Port::Number(53)], vec![]),
            ("UDP".into(), vec![Port::Number(53)], nets),
        ]
    );
    assert_eq!(spec.ingress[1].source.not_nets, vec!["10.1.2.0/24"]);
    assert_eq!(spec.ingress[1].source.selector, "");
    assert_eq!(spec.ingress[0].source.namespace_selector, "");
    assert_eq!(spec.ingress[0].action, Action::Allow);
}

#[test]
fn unconvertible_rules_are_dropped_with_calico_reason() {
    let mut np = NetworkPolicy::new("ns", "p");
    np.spec.egress = Some(vec![crate::k8s::network_policy::NetworkPolicyEgressRule {
        ports: Some(vec![port(None, Some(IntOrString::Str("a:b".into())), None)]),
        to: None,
    }]);
    let c = network_policy_to_calico(&np);
    assert!(c.policy.spec.egress.is_empty());
    assert_eq!(c.policy.spec.types, vec![PolicyType::Ingress]);
    assert_eq!(c.dropped.len(), 1);
    assert_eq!(c.dropped[0].direction, PolicyType::Egress);
    assert_eq!(
        c.dropped[0].reason,
        "k8s rule couldn't be converted: failed to parse k8s port: invalid port a:b: invalid name for named port (a:b)"
    );
    assert!(c.error().unwrap().starts_with("policy p: 1 rule(s)"));
}

#[test]
fn invalid_except_stops_the_exception_list() {
    let peer = NetworkPolicyPeer {
        ip_block: Some(IpBlock {
            cidr: "10.0.0.0/8".into(),
            except: Some(vec![
                "10.1.0.0/16".into(),
                "bad".into(),
                "10.2.0.0/16".into(),
            ]),
        }),
        ..NetworkPolicyPeer::default()
    };
    let f = peer_to_calico_fields(Some(&peer));
    assert_eq!(f.nets, vec!["10.0.0.0/8"]);
    assert_eq!(f.not_nets, vec!["10.1.0.0/16"]);
    assert_eq!(peer_to_calico_fields(None), PeerFields::default());
}

#[test]
fn knp_names() {
    assert_eq!(knp_name("web"), "knp.default.web");
    assert_eq!(k8s_name_of_knp("knp.default.web"), Some("web"));
    assert_eq!(k8s_name_of_knp("web"), None);
}

#[test]
fn staged_policies_keep_their_action() {
    let mut staged: Object<StagedKubernetesNetworkPolicySpec> =
        Object::new("StagedKubernetesNetworkPolicy", "s");
    staged.metadata.namespace = "ns".into();
    staged.spec.staged_action = Some(StagedAction::Delete);
    let c = staged_k8s_policy_to_calico(&staged);
    assert_eq!(c.policy.kind, "StagedNetworkPolicy");
    assert_eq!(c.policy.metadata.name, "s");
    assert_eq!(c.policy.metadata.namespace, "ns");
    assert_eq!(c.policy.spec.staged_action, Some(StagedAction::Delete));
    assert_eq!(
        c.policy.spec.selector,
        "projectcalico.org/orchestrator == 'k8s'"
    );
}

#[test]
fn profiles_and_their_names() {
    let mut ns = Namespace::new("prod");
    ns.metadata.labels = labels(&[("team", "a")]);
    let p = namespace_to_profile(&ns);
    assert_eq!(p.metadata.name, "kns.prod");
    assert_eq!(p.spec.ingress.len(), 1);
    assert_eq!(
        p.spec.labels_to_apply,
        labels(&[("pcns.team", "a"), ("pcns.projectcalico.org/name", "prod")])
    );
    let sa = ServiceAccount::new("", "build");
    let p = service_account_to_profile(&sa);
    assert_eq!(p.metadata.name, "ksa.default.build");
    assert!(p.spec.ingress.is_empty() && p.spec.egress.is_empty());
    assert_eq!(parse_namespace_profile_name("kns.a"), Some("a"));
    assert_eq!(parse_namespace_profile_name("ns.a"), None);
    assert_eq!(
        parse_service_account_profile_name("ksa.a.b.c"),
        Some(("a", "b.c"))
    );
    assert_eq!(parse_service_account_profile_name("ksa.a"), None);
}

#[test]
fn uids_are_bit_reversed_except_version_and_variant() {
    let uid = "30316465-6365-4463-ad63-3564622d3638";
    let converted = convert_uid(uid).unwrap();
    assert_ne!(converted, uid);
    assert_eq!(&converted[14..15], "4");
    assert_eq!(convert_uid(&converted).as_deref(), Some(uid));
    assert_eq!(
        convert_uid("00000000000000000000000000000001").unwrap(),
        "00000000-0000-0000-0000-000000000080"
    );
    assert_eq!(convert_uid("not-a-uid"), None);
    assert_eq!(convert_uid(""), None);
}

fn pod() -> Pod {
    let mut pod = Pod::new("default", "test-pod");
    pod.metadata.labels = labels(&[("app", "web")]);
    pod.spec.node_name = Some("node-1".into());
    pod.spec.service_account_name = Some("sa".into());
    let cport = |name: &str, proto: Option<&str>, port: i32, host: i32| ContainerPort {
        name: (!name.is_empty()).then(|| name.to_string()),
        host_port: (host != 0).then_some(host),
        container_port: port,
        protocol: proto.map(Into::into),
        host_ip: None,
    };
    pod.spec.containers = vec![Container {
        name: "c".into(),
        ports: Some(vec![
            cport("http", None, 80, 0),
            cport("dns", Some("UDP"), 53, 0),
            cport("", Some("TCP"), 8080, 0),
            cport("", Some("TCP"), 9090, 30000),
            cport("odd", Some("unknown"), 1, 0),
        ]),
        ..Container::default()
    }];
    pod.spec.init_containers = Some(vec![Container {
        name: "i".into(),
        ports: Some(vec![cport("init", Some("SCTP"), 7, 0)]),
        ..Container::default()
    }]);
    pod.status = Some(PodStatus {
        pod_ip: Some("10.0.0.5".into()),
        pod_ips: Some(vec![
            PodIp {
                ip: "10.0.0.5".into(),
            },
            PodIp {
                ip: "fd00::5".into(),
            },
        ]),
        ..PodStatus::default()
    });
    pod
}

#[test]
fn pods_become_workload_endpoints() {
    let wep = pod_to_workload_endpoint(&pod(), "").unwrap();
    assert_eq!(wep.metadata.name, "node--1-k8s-test--pod-eth0");
    assert_eq!(wep.metadata.namespace, "default");
    assert_eq!(wep.spec.interface_name, "cali7fba7a35b74");
    assert_eq!(wep.spec.ip_networks, vec!["10.0.0.5/32", "fd00::5/128"]);
    assert_eq!(wep.spec.profiles, vec!["kns.default", "ksa.default.sa"]);
    assert_eq!(
        wep.metadata.labels,
        labels(&[
            ("app", "web"),
            ("projectcalico.org/namespace", "default"),
            ("projectcalico.org/orchestrator", "k8s"),
            ("projectcalico.org/serviceaccount", "sa"),
        ])
    );
    let ports: Vec<(String, String, u16, u16)> = wep
        .spec
        .ports
        .iter()
        .map(|p| (p.name.clone(), p.protocol.to_string(), p.port, p.host_port))
        .collect();
    assert_eq!(
        ports,
        vec![
            ("http".into(), "TCP".into(), 80, 0),
            ("dns".into(), "UDP".into(), 53, 0),
            (String::new(), "TCP".into(), 9090, 30000),
            ("init".into(), "SCTP".into(), 7, 0),
        ]
    );
    assert_eq!(interface_name("tap,cali", "ns1", "nginx"), "tap47b67498227");
}

#[test]
fn pods_without_endpoints_or_addresses() {
    let mut host = pod();
    host.spec.host_network = Some(true);
    assert!(pod_to_workload_endpoint(&host, "cali").is_none());
    let mut unscheduled = pod();
    unscheduled.spec.node_name = None;
    assert!(pod_to_workload_endpoint(&unscheduled, "cali").is_none());
    let mut done = pod();
    done.status.as_mut().unwrap().phase = Some("Succeeded".into());
    assert!(is_finished(&done));
    let wep = pod_to_workload_endpoint(&done, "cali").unwrap();
    assert!(wep.spec.ip_networks.is_empty());
    let mut annotated = pod();
    annotated.status = None;
    annotated.spec.service_account_name = None;
    annotated
        .metadata
        .annotations
        .insert(ANNOTATION_POD_IP.into(), "10.0.0.9/32".into());
    let wep = pod_to_workload_endpoint(&annotated, "cali").unwrap();
    assert_eq!(wep.spec.ip_networks, vec!["10.0.0.9/32"]);
    assert_eq!(wep.spec.profiles, vec!["kns.default"]);
    assert!(!wep.metadata.labels.contains_key(LABEL_SERVICE_ACCOUNT));
    annotated.metadata.deletion_timestamp = Some("2024-01-01T00:00:00Z".into());
    annotated
        .metadata
        .annotations
        .insert(ANNOTATION_POD_IP.into(), String::new());
    assert!(is_finished(&annotated));
    let mut long_sa = pod();
    long_sa.spec.service_account_name = Some("a".repeat(63));
    assert!(!workload_pod_labels(&long_sa).contains_key(LABEL_SERVICE_ACCOUNT));
}
