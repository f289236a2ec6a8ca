//! Tests of `WorkloadEndpoint`.

use serde_json::json;

use super::*;

/// The sample from Calico's WorkloadEndpoint reference page.
const WEP_SAMPLE: &str = "\
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: node1-k8s-my--nginx--b1337a-eth0
  namespace: default
  labels:
    app: frontend
    projectcalico.org/namespace: default
    projectcalico.org/orchestrator: k8s
spec:
  node: node1
  orchestrator: k8s
  endpoint: eth0
  containerID: 1337495556942031415926535
  pod: my-nginx-b1337a
  endpoint: eth0
  interfaceName: cali0ef24ba
  mac: ca:fe:1d:52:bb:e9
  ipNetworks:
  - 192.168.0.0/32
  profiles:
  - profile1
  ports:
  - name: some-port
    port: 1234
    protocol: TCP
  - name: another-port
    port: 5432
    protocol: UDP
";

/// The sample repeats `endpoint: eth0`; the YAML layer may refuse repeated keys, in which case
/// the sample is loaded without the repetition.
fn wep_sample_text() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples/tigera-docs/calico-docs-examples/reference/resources/",
        "workloadendpoint.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|_| WEP_SAMPLE.to_string());
    match parse_stream(&text) {
        Ok(_) => text,
        Err(e) => {
            assert!(
                e.message.contains("endpoint"),
                "unexpected error: {}",
                e.message
            );
            let dup = "  endpoint: eth0\n";
            let first = text.find(dup).expect("sample has endpoint") + dup.len();
            let second = first + text[first..].find(dup).expect("repeated endpoint");
            format!("{}{}", &text[..second], &text[second + dup.len()..])
        }
    }
}

#[test]
fn workload_endpoint_sample_loads_and_validates() {
    let wep: Object<WorkloadEndpointSpec> = load(&wep_sample_text());
    let s = &wep.spec;
    assert_eq!(s.node, "node1");
    assert_eq!(s.orchestrator, "k8s");
    assert_eq!(s.container_id, "1337495556942031415926535");
    assert_eq!(s.pod, "my-nginx-b1337a");
    assert_eq!(s.endpoint, "eth0");
    assert_eq!(s.interface_name, "cali0ef24ba");
    assert_eq!(s.mac, "ca:fe:1d:52:bb:e9");
    assert_eq!(s.ip_networks, ["192.168.0.0/32"]);
    assert_eq!(s.profiles, ["profile1"]);
    assert_eq!(s.ports.len(), 2);
    assert_eq!(s.ports[1].name, "another-port");
    assert_eq!(s.ports[1].port, 5432);
    assert_eq!(s.ports[1].protocol.to_string(), "UDP");
    assert_eq!(check(s, validate_workload_endpoint_spec), (vec![], vec![]));
    assert_eq!(s.expected_name().as_deref(), Ok(wep.metadata.name.as_str()));
    let mut report = Report::default();
    validate_workload_endpoint_name(
        &wep.metadata.name,
        s,
        &FieldPath::parse("metadata.name"),
        &mut report,
    );
    assert!(report.violations.is_empty(), "{:?}", report.violations);
}

const WEP_FULL: &str = "\
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: node-1-k8s-web-eth0
  namespace: prod
spec:
  orchestrator: k8s
  node: node-1
  containerID: abc123
  pod: web
  endpoint: eth0
  serviceAccountName: web-sa
  ipNetworks: [10.0.0.5/32, 'fd00::5/128']
  ipNATs:
  - internalIP: 10.0.0.5
    externalIP: 172.16.0.5
  ipv4Gateway: 169.254.1.1
  ipv6Gateway: fe80::1
  profiles: [kns.prod, ksa.prod.web-sa]
  interfaceName: cali1234567890a
  mac: 'ee:ee:ee:ee:ee:ee'
  ports:
  - name: http
    protocol: TCP
    port: 8080
    hostPort: 80
    hostIP: 192.168.1.10
  - name: ''
    protocol: 17
    port: 53
    hostPort: 5353
  allowSpoofedSourcePrefixes: [10.9.0.0/16]
  qosControls:
    ingressBandwidth: 1000000
    ingressBurst: 4294967296
    egressBandwidth: 2000000
    ingressPacketRate: 100
    egressMaxConnections: 50
    dscp: AF11
";

#[test]
fn workload_endpoint_every_field() {
    let wep: Object<WorkloadEndpointSpec> = load(WEP_FULL);
    let s = &wep.spec;
    assert_eq!(s.ip_nats[0].external_ip, "172.16.0.5");
    assert_eq!(s.ports[1].protocol.number(), Some(17));
    let qos = s.qos_controls.as_ref().expect("qos");
    assert_eq!(qos.ingress_burst, 4_294_967_296);
    assert_eq!(qos.dscp, Some(Dscp::Name("AF11".into())));
    assert_eq!(check(s, validate_workload_endpoint_spec), (vec![], vec![]));
    assert_eq!(s.expected_name().as_deref(), Ok("node--1-k8s-web-eth0"));

    round_trip(
        &wep,
        &json!({
            "apiVersion": "projectcalico.org/v3",
            "kind": "WorkloadEndpoint",
            "metadata": {"name": "node-1-k8s-web-eth0", "namespace": "prod"},
            "spec": {
                "orchestrator": "k8s",
                "node": "node-1",
                "containerID": "abc123",
                "pod": "web",
                "endpoint": "eth0",
                "serviceAccountName": "web-sa",
                "ipNetworks": ["10.0.0.5/32", "fd00::5/128"],
                "ipNATs": [{"internalIP": "10.0.0.5", "externalIP": "172.16.0.5"}],
                "ipv4Gateway": "169.254.1.1",
                "ipv6Gateway": "fe80::1",
                "profiles": ["kns.prod", "ksa.prod.web-sa"],
                "interfaceName": "cali1234567890a",
                "mac": "ee:ee:ee:ee:ee:ee",
                "ports": [
                    {"name": "http", "protocol": "TCP", "port": 8080, "hostPort": 80,
                     "hostIP": "192.168.1.10"},
                    {"name": "", "protocol": 17, "port": 53, "hostPort": 5353, "hostIP": ""}
                ],
                "allowSpoofedSourcePrefixes": ["10.9.0.0/16"],
                "qosControls": {
                    "ingressBandwidth": 1_000_000,
                    "ingressBurst": 4_294_967_296_i64,
                    "egressBandwidth": 2_000_000,
                    "ingressPacketRate": 100,
                    "egressMaxConnections": 50,
                    "dscp": "AF11"
                }
            }
        }),
    );
}

#[test]
fn workload_endpoint_unknown_fields_are_rejected() {
    let text = WEP_FULL.replace("    hostPort: 80\n", "    hostport: 80\n");
    let (path, msg) = load_error::<WorkloadEndpointSpec>(&text);
    assert_eq!(path, "spec.ports[0].hostport");
    assert!(
        msg.contains("unknown field `hostport`") && msg.contains("`hostPort`"),
        "{msg}"
    );

    let text = WEP_FULL.replace("  ipNATs:", "  ipNats:");
    let (path, msg) = load_error::<WorkloadEndpointSpec>(&text);
    assert_eq!(path, "spec.ipNats");
    assert!(msg.contains("`ipNATs`"), "{msg}");

    let text = WEP_FULL.replace("    dscp: AF11\n", "    dscp: AF11\n    latency: 5\n");
    assert_eq!(
        load_error::<WorkloadEndpointSpec>(&text).0,
        "spec.qosControls.latency"
    );
}

#[test]
fn workload_endpoint_validation_errors() {
    let mut s = load::<WorkloadEndpointSpec>(WEP_FULL).spec;
    s.ip_networks = vec!["10.0.0.0/24".into(), "10.0.1.1/24".into(), "nope".into()];
    s.ip_nats[0].external_ip = "fd00::9".into();
    s.interface_name = "cali1234567890abcdef".into();
    s.container_id = "-bad".into();
    s.pod = "Web".into();
    s.ipv4_gateway = "fe80::1".into();
    s.mac = "ee:ee".into();
    s.ports[0].protocol = crate::numorstring::Protocol::Name("ICMP".into());
    s.ports[0].port = 0;
    s.ports[1].host_port = 0;
    s.profiles.push("Bad_Profile".into());
    s.allow_spoofed_source_prefixes.push("10.9.0.0/33".into());
    s.qos_controls.as_mut().expect("qos").dscp = Some(Dscp::Number(64));
    assert_eq!(
        error_paths(&s, validate_workload_endpoint_spec),
        [
            "spec.containerID",
            "spec.pod",
            "spec.ipNetworks[0]",
            "spec.ipNetworks[1]",
            "spec.ipNetworks[2]",
            "spec.ipNATs[0].externalIP",
            "spec.ipNATs[0].internalIP",
            "spec.ipv4Gateway",
            "spec.profiles[2]",
            "spec.interfaceName",
            "spec.mac",
            "spec.ports[0].protocol",
            "spec.ports[0].port",
            "spec.ports[1].name",
            "spec.allowSpoofedSourcePrefixes[1]",
            "spec.qosControls.dscp",
        ]
    );
    let (errors, _) = check(&s, validate_workload_endpoint_spec);
    assert_eq!(
        errors[2].1,
        "`10.0.0.0/24` contains several addresses; only /32 and /128 are supported"
    );
    assert_eq!(
        errors[3].1,
        "`10.0.1.1/24` has host bits set; the network is `10.0.1.0/24`"
    );

    let missing = WorkloadEndpointSpec::default();
    assert_eq!(
        error_paths(&missing, validate_workload_endpoint_spec),
        ["spec.interfaceName"]
    );
}

#[test]
fn workload_endpoint_qos_ranges_warn() {
    let mut s = load::<WorkloadEndpointSpec>(WEP_FULL).spec;
    let q = s.qos_controls.as_mut().expect("qos");
    q.ingress_bandwidth = 10;
    q.egress_packet_rate = 20_000;
    let (errors, warnings) = check(&s, validate_workload_endpoint_spec);
    assert!(errors.is_empty(), "{errors:?}");
    let paths: Vec<_> = warnings.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.qosControls.ingressBandwidth",
            "spec.qosControls.egressPacketRate"
        ]
    );
}

#[test]
fn workload_endpoint_name_mismatch() {
    let wep: Object<WorkloadEndpointSpec> = load(WEP_FULL);
    let mut report = Report::default();
    validate_workload_endpoint_name(
        "wrong",
        &wep.spec,
        &FieldPath::parse("metadata.name"),
        &mut report,
    );
    assert_eq!(report.violations.len(), 1);
    assert_eq!(report.violations[0].path.to_string(), "metadata.name");
    assert_eq!(
        report.violations[0].message,
        "the name of this workload endpoint must be `node--1-k8s-web-eth0`, not `wrong`"
    );
}
