//! Tests of `KubeControllersConfiguration`, `ClusterInformation` and `CalicoNodeStatus`.

use serde_json::json;

use super::*;

const KCC: &str = "\
apiVersion: projectcalico.org/v3
kind: KubeControllersConfiguration
metadata:
  name: default
spec:
  logSeverityScreen: Info
  healthChecks: Enabled
  etcdV3CompactionPeriod: 10m
  prometheusMetricsPort: 9094
  debugProfilePort: 0
  controllers:
    node:
      reconcilerPeriod: 5m
      leakGracePeriod: 15m
      syncLabels: Enabled
      hostEndpoint:
        autoCreate: Enabled
        createDefaultHostEndpoint: Disabled
        templates:
          - generateName: int
            interfaceCIDRs: [10.0.0.0/8]
            interfacePattern: '^eth.*'
            labels: {network: internal}
            nodeSelector: has(node-role.kubernetes.io/worker)
    policy:
      reconcilerPeriod: 5m
    workloadEndpoint:
      reconcilerPeriod: 5m
    serviceAccount:
      reconcilerPeriod: 5m
    namespace:
      reconcilerPeriod: 5m
    loadBalancer:
      assignIPs: AllServices
    policyMigration:
      enabled: Disabled
status:
  environmentVars:
    ENABLED_CONTROLLERS: node
";

#[test]
fn kube_controllers_configuration() {
    let kcc: Object<KubeControllersConfigurationSpec> = load(KCC);
    let c = &kcc.spec.controllers;
    let node = c.node.as_ref().expect("node");
    assert_eq!(node.leak_grace_period.as_deref(), Some("15m"));
    let hep = node.host_endpoint.as_ref().expect("hep");
    assert_eq!(hep.templates[0].interface_cidrs, ["10.0.0.0/8"]);
    assert_eq!(kcc.spec.debug_profile_port, Some(0));
    assert_eq!(
        check(&kcc.spec, validate_kube_controllers_configuration_spec),
        (vec![], vec![])
    );
    let v = serde_json::to_value(&kcc.spec).expect("serializes");
    assert_eq!(
        v["controllers"]["loadBalancer"],
        json!({"assignIPs": "AllServices"})
    );
    assert_eq!(
        v["controllers"]["node"]["hostEndpoint"]["templates"][0]["interfaceCIDRs"],
        json!(["10.0.0.0/8"])
    );
    let back: KubeControllersConfigurationSpec = serde_json::from_value(v).expect("reads back");
    assert_eq!(back, kcc.spec);
    // Go always writes `controllers`, even when empty.
    assert_eq!(
        serde_json::to_value(KubeControllersConfigurationSpec::default()).expect("serializes"),
        json!({"controllers": {}})
    );

    let mut bad = kcc.spec.clone();
    bad.health_checks = "On".into();
    bad.prometheus_metrics_port = Some(70_000);
    let node = bad.controllers.node.as_mut().expect("node");
    node.reconciler_period = Some("5".into());
    let t = &mut node.host_endpoint.as_mut().expect("hep").templates[0];
    t.interface_cidrs.clear();
    t.interface_pattern.clear();
    t.labels.insert("bad key!".into(), "v".into());
    assert_eq!(
        error_paths(&bad, validate_kube_controllers_configuration_spec),
        [
            "spec.healthChecks",
            "spec.prometheusMetricsPort",
            "spec.controllers.node.reconcilerPeriod",
            "spec.controllers.node.hostEndpoint.templates[0]",
            "spec.controllers.node.hostEndpoint.templates[0].labels.bad key!",
        ]
    );
    let text = KCC.replace("    loadBalancer:", "    loadbalancer:");
    assert_eq!(
        load_error::<KubeControllersConfigurationSpec>(&text).0,
        "spec.controllers.loadbalancer"
    );
}

#[test]
fn cluster_information() {
    let text = "\
apiVersion: projectcalico.org/v3
kind: ClusterInformation
metadata:
  name: default
spec:
  calicoVersion: v3.30.2
  clusterGUID: 3d5c8e1e2a0b4c7e9f1a2b3c4d5e6f70
  clusterType: k8s,bgp,kubeadm,kdd
  datastoreReady: true
  variant: Calico
";
    let ci: Object<ClusterInformationSpec> = load(text);
    assert_eq!(ci.spec.datastore_ready, Some(true));
    assert_eq!(
        check(&ci.spec, validate_cluster_information_spec),
        (vec![], vec![])
    );
    let v = serde_json::to_value(&ci.spec).expect("serializes");
    assert_eq!(v["clusterGUID"], json!("3d5c8e1e2a0b4c7e9f1a2b3c4d5e6f70"));
    let text = text.replace("clusterGUID", "clusterGuid");
    let (path, msg) = load_error::<ClusterInformationSpec>(&text);
    assert_eq!(path, "spec.clusterGuid");
    assert!(msg.contains("did you mean `clusterGUID`?"), "{msg}");
}

#[test]
fn calico_node_status() {
    let text = "\
apiVersion: projectcalico.org/v3
kind: CalicoNodeStatus
metadata:
  name: my-caliconodestatus-1
spec:
  classes:
    - Agent
    - BGP
    - Routes
  node: my-node
  updatePeriodSeconds: 10
";
    let st: Object<CalicoNodeStatusSpec> = load(text);
    assert_eq!(st.spec.update_period_seconds, Some(10));
    assert_eq!(
        check(&st.spec, validate_calico_node_status_spec),
        (vec![], vec![])
    );
    let bad = CalicoNodeStatusSpec {
        node: String::new(),
        classes: vec!["BGP".into(), "BGP".into(), "Peers".into()],
        update_period_seconds: Some(86_401),
    };
    assert_eq!(
        error_paths(&bad, validate_calico_node_status_spec),
        [
            "spec.node",
            "spec.classes[1]",
            "spec.classes[2]",
            "spec.updatePeriodSeconds"
        ]
    );
    let text = text.replace("updatePeriodSeconds: 10", "updatePeriodSeconds: -1");
    assert_eq!(
        load_error::<CalicoNodeStatusSpec>(&text).0,
        "spec.updatePeriodSeconds"
    );
}
