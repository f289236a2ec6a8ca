use serde::de::DeserializeOwned;

use super::*;
use crate::k8s::network_policy::tests::{sample_docs, samples_dir};
use crate::validate::{Severity, Violation};
use crate::yaml::{DeError, Node, from_node, parse_stream};

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, DeError> {
    let docs = parse_stream(text).expect("valid YAML");
    from_node::<T>(&docs[0])
}

fn paths(v: &[Violation]) -> Vec<String> {
    v.iter().map(|x| x.path.to_string()).collect()
}

fn round_trips<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_value(value).expect("serializes");
    let back: T = serde_json::from_value(json).expect("reads back");
    assert_eq!(&back, value);
}

pub(crate) const POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9c6b5f4-x2x9k
  namespace: shop
  labels:
    app.kubernetes.io/name: web
    pod-template-hash: 7d9c6b5f4
  annotations:
    kubectl.kubernetes.io/default-container: web
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: web-7d9c6b5f4
    uid: 0f0e0d0c-0b0a-0908-0706-050403020100
    controller: true
    blockOwnerDeletion: true
spec:
  volumes:
  - name: config
    configMap:
      name: web-config
      items:
      - {key: app.yaml, path: app.yaml}
  - name: cache
    emptyDir: {sizeLimit: 1Gi}
  - name: token
    projected:
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3600, audience: vault}
  initContainers:
  - name: migrate
    image: registry.example.com/shop/migrate:1.4.2
    command: ["/bin/migrate", "--wait"]
    envFrom:
    - configMapRef: {name: db-env}
    - secretRef: {name: db-secret, optional: true}
  - name: proxy
    image: envoyproxy/envoy:v1.31.0
    restartPolicy: Always
    ports:
    - {name: admin, containerPort: 9901}
  containers:
  - name: web
    image: registry.example.com/shop/web:2.3.1
    imagePullPolicy: IfNotPresent
    args: ["--port=8080", "--metrics-port", "9090"]
    workingDir: /app
    ports:
    - name: http
      containerPort: 8080
      protocol: TCP
    - name: metrics
      containerPort: 9090
    - name: dns
      containerPort: 5353
      protocol: UDP
      hostPort: 5353
      hostIP: 0.0.0.0
    env:
    - name: POD_IP
      valueFrom:
        fieldRef: {fieldPath: status.podIP}
    - name: MEMORY_LIMIT
      valueFrom:
        resourceFieldRef: {resource: limits.memory, divisor: 1Mi}
    - name: MODE
      value: production
    resources:
      requests: {cpu: 250m, memory: 256Mi}
      limits: {cpu: 1, memory: 512Mi, ephemeral-storage: 2Gi}
    resizePolicy:
    - {resourceName: cpu, restartPolicy: NotRequired}
    volumeMounts:
    - {name: config, mountPath: /etc/web, readOnly: true}
    - {name: cache, mountPath: /var/cache/web, subPath: web}
    livenessProbe:
      httpGet: {path: /healthz, port: http, httpHeaders: [{name: X-Probe, value: live}]}
      initialDelaySeconds: 10
      periodSeconds: 10
      failureThreshold: 3
    readinessProbe:
      tcpSocket: {port: 8080}
      timeoutSeconds: 2
    startupProbe:
      grpc: {port: 9090, service: health}
      failureThreshold: 30
    lifecycle:
      preStop:
        sleep: {seconds: 5}
      postStart:
        exec: {command: [sh, -c, "echo started"]}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      runAsNonRoot: true
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
      seccompProfile: {type: RuntimeDefault}
    stdin: false
    stdinOnce: false
    tty: false
  - name: sidecar
    image: busybox:1.36
    command: [sh, -c, "tail -f /dev/null"]
    ports:
    - {name: http, containerPort: 8080}
  restartPolicy: Always
  terminationGracePeriodSeconds: 45
  activeDeadlineSeconds: 86400
  dnsPolicy: ClusterFirst
  nodeSelector:
    kubernetes.io/os: linux
    gpu: "true"
  serviceAccountName: web
  serviceAccount: web
  automountServiceAccountToken: false
  nodeName: worker-1.example.com
  hostNetwork: false
  hostPID: false
  hostIPC: false
  shareProcessNamespace: true
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    fsGroupChangePolicy: OnRootMismatch
    supplementalGroups: [4000]
    sysctls:
    - {name: net.ipv4.ip_local_port_range, value: "1024 65535"}
  imagePullSecrets:
  - name: registry-creds
  hostname: web-0
  subdomain: web-headless
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          labelSelector:
            matchLabels: {app.kubernetes.io/name: web}
          topologyKey: kubernetes.io/hostname
  schedulerName: default-scheduler
  tolerations:
  - {key: dedicated, operator: Equal, value: web, effect: NoSchedule}
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
  hostAliases:
  - ip: 10.1.2.3
    hostnames: [db.internal]
  priorityClassName: high-priority
  priority: 1000000
  dnsConfig:
    nameservers: [1.1.1.1]
    searches: [shop.svc.cluster.local]
    options:
    - {name: ndots, value: "2"}
  readinessGates:
  - conditionType: example.com/feature-1
  runtimeClassName: gvisor
  enableServiceLinks: false
  preemptionPolicy: PreemptLowerPriority
  overhead: {cpu: 250m, memory: 120Mi}
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels: {app.kubernetes.io/name: web}
    matchLabelKeys: [pod-template-hash]
  setHostnameAsFQDN: false
  os: {name: linux}
  hostUsers: true
  schedulingGates:
  - name: example.com/quota
  resourceClaims:
  - name: gpu
    resourceClaimTemplateName: gpu-template
  resources:
    limits: {cpu: "2", memory: 1Gi}
status:
  observedGeneration: 1
  phase: Running
  conditions:
  - {type: Ready, status: "True", lastProbeTime: null, lastTransitionTime: "2024-05-01T10:00:00Z"}
  hostIP: 192.168.1.10
  hostIPs:
  - ip: 192.168.1.10
  podIP: 10.244.1.17
  podIPs:
  - ip: 10.244.1.17
  - ip: fd00:10:244:1::11
  startTime: "2024-05-01T09:59:58Z"
  containerStatuses:
  - name: web
    ready: true
    restartCount: 0
    image: registry.example.com/shop/web:2.3.1
    imageID: registry.example.com/shop/web@sha256:0123
    containerID: containerd://abc
    started: true
    state:
      running: {startedAt: "2024-05-01T10:00:00Z"}
  qosClass: Burstable
"#;

#[test]
fn realistic_pod_loads_and_validates() {
    let pod: Pod = parse(POD).expect("loads");
    assert_eq!(pod.spec.containers.len(), 2);
    assert_eq!(pod.spec.init_containers.as_ref().map(Vec::len), Some(2));
    assert_eq!(pod.spec.effective_service_account(), "web");
    let ports: Vec<(String, i32, &str)> = pod
        .spec
        .container_ports()
        .map(|(c, p)| (c.name.clone(), p.container_port, p.protocol_or_default()))
        .collect();
    assert_eq!(ports[0], ("proxy".to_string(), 9901, "TCP"));
    assert_eq!(ports[3], ("web".to_string(), 5353, "UDP"));
    let status = pod.status.as_ref().expect("status");
    assert_eq!(status.addresses(), ["10.244.1.17", "fd00:10:244:1::11"]);
    assert_eq!(
        pod.spec
            .node_selector
            .as_ref()
            .and_then(|m| m.get("gpu"))
            .map(String::as_str),
        Some("true")
    );
    round_trips(&pod);

    let mut report = Report::default();
    validate_pod(&pod, &mut report);
    // `http` is declared by two containers for the same port: allowed, no finding.
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
}

#[test]
fn every_field_name_is_known() {
    // The JSON form of the realistic pod names most fields; these are the rest.
    let pod: Pod = parse(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    volumeDevices: [{name: d, devicePath: /dev/xvda}]\n    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [42]}}]\n  ephemeralContainers:\n  - name: debug\n    image: busybox\n    targetContainerName: c\n    stdin: true\n    tty: true\n  hostnameOverride: custom-host\n  hostNetwork: true\n",
    )
    .expect("loads");
    assert_eq!(pod.spec.hostname_override.as_deref(), Some("custom-host"));
    assert!(pod.spec.uses_host_network());
    round_trips(&pod);
    let status: PodStatus = parse(
        "nominatedNodeName: n\nmessage: m\nreason: r\ninitContainerStatuses: []\nephemeralContainerStatuses: []\nresize: InProgress\nresourceClaimStatuses: []\nextendedResourceClaimStatus: {requestMappings: [], resourceClaimName: x}\n",
    )
    .expect("loads");
    assert_eq!(status.resize.as_deref(), Some("InProgress"));
}

#[test]
fn typos_are_rejected_with_their_path() {
    let err = parse::<Pod>("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    imagePullPolicey: Always\n")
        .expect_err("typo");
    assert_eq!(err.path.to_string(), "spec.containers[0].imagePullPolicey");
    assert!(err.message.contains("`imagePullPolicy`"), "{}", err.message);

    let err =
        parse::<Pod>("apiVersion: v1\nkind: Pod\nspec:\n  hostNetwrok: true\n").expect_err("typo");
    assert_eq!(err.path.to_string(), "spec.hostNetwrok");
    assert!(err.message.contains("`hostNetwork`"), "{}", err.message);

    let err = parse::<Pod>("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    ports:\n    - containerPort: 80\n      hostIp: 1.2.3.4\n")
        .expect_err("wrong case");
    assert_eq!(err.path.to_string(), "spec.containers[0].ports[0].hostIp");
    assert!(err.message.contains("`hostIP`"), "{}", err.message);

    let err = parse::<Pod>("apiVersion: v1\nkind: Pod\nstatus:\n  podIp: 10.0.0.1\n")
        .expect_err("wrong case");
    assert_eq!(err.path.to_string(), "status.podIp");

    let err = parse::<Service>("apiVersion: v1\nkind: Service\nspec:\n  clusterIp: None\n")
        .expect_err("wrong case");
    assert_eq!(err.path.to_string(), "spec.clusterIp");
    assert!(err.message.contains("`clusterIP`"), "{}", err.message);

    let err = parse::<Service>(
        "apiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n    targetport: 8080\n",
    )
    .expect_err("typo");
    assert_eq!(err.path.to_string(), "spec.ports[0].targetport");
}

#[test]
fn pod_validation_reports_paths() {
    let text = r#"
apiVersion: v1
kind: Pod
metadata:
  name: Web
  namespace: Shop
spec:
  hostNetwork: true
  initContainers:
  - name: init
    ports:
    - {containerPort: 9000, hostPort: 9001}
  containers:
  - name: web
    ports:
    - {name: http, containerPort: 8080}
    - {name: http, containerPort: 8081}
    - {name: HTTP, containerPort: 0}
    - {containerPort: 70000, protocol: tcp}
    - {containerPort: 53, hostPort: 53, protocol: UDP}
    - {containerPort: 53, hostPort: 53, protocol: UDP}
    - {containerPort: 54, hostPort: 54, hostIP: nope}
  - name: web
    ports:
    - {name: http, containerPort: 9090}
  - name: Bad_Name
  ephemeralContainers:
  - name: debug
    ports:
    - containerPort: 1
  restartPolicy: Sometimes
  dnsPolicy: ClusterFirst
  serviceAccountName: Web_SA
  serviceAccount: other
  hostname: a.b
status:
  podIP: 10.0.0.1
  podIPs:
  - ip: 10.0.0.2
  - ip: 10.0.0.3
  hostIP: not-an-ip
"#;
    let pod: Pod = parse(text).expect("loads");
    let mut report = Report::default();
    validate_pod(&pod, &mut report);
    let v = &report.violations;
    let expected = [
        ("metadata.name", Severity::Error),
        ("metadata.namespace", Severity::Error),
        ("spec.initContainers[0].ports[0].hostPort", Severity::Error),
        ("spec.containers[0].ports[1].name", Severity::Error),
        ("spec.containers[0].ports[2].name", Severity::Error),
        ("spec.containers[0].ports[2].containerPort", Severity::Error),
        ("spec.containers[0].ports[3].containerPort", Severity::Error),
        ("spec.containers[0].ports[3].protocol", Severity::Error),
        ("spec.containers[0].ports[5].hostPort", Severity::Error),
        ("spec.containers[0].ports[6].hostIP", Severity::Error),
        ("spec.containers[1].name", Severity::Error),
        ("spec.containers[1].ports[0].name", Severity::Warning),
        ("spec.containers[2].name", Severity::Error),
        ("spec.ephemeralContainers[0].ports", Severity::Error),
        ("spec.restartPolicy", Severity::Error),
        ("spec.serviceAccountName", Severity::Error),
        ("spec.serviceAccount", Severity::Warning),
        ("spec.hostname", Severity::Error),
        ("status.podIPs[1].ip", Severity::Error),
        ("status.podIPs[0].ip", Severity::Error),
        ("status.hostIP", Severity::Error),
    ];
    let got: Vec<(String, Severity)> = v.iter().map(|x| (x.path.to_string(), x.severity)).collect();
    let want: Vec<(String, Severity)> = expected
        .iter()
        .map(|(p, s)| ((*p).to_string(), *s))
        .collect();
    assert_eq!(got, want, "{v:#?}");
    let msg = |p: &str| {
        v.iter()
            .find(|x| x.path.to_string() == p)
            .map(|x| x.message.clone())
            .unwrap_or_default()
    };
    assert!(msg("spec.initContainers[0].ports[0].hostPort").contains("must equal containerPort"));
    assert!(msg("spec.containers[0].ports[5].hostPort").contains("already used"));
    assert!(msg("spec.containers[1].ports[0].name").contains("also used by container `web`"));

    let empty: Pod =
        parse("apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n").expect("loads");
    let mut report = Report::default();
    validate_pod(&empty, &mut report);
    assert_eq!(paths(&report.violations), ["spec.containers"]);
}

const SERVICE: &str = r"
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels: {app.kubernetes.io/name: web}
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: nlb
spec:
  type: LoadBalancer
  selector:
    app.kubernetes.io/name: web
  ports:
  - name: http
    protocol: TCP
    appProtocol: http
    port: 80
    targetPort: http
    nodePort: 31080
  - name: https
    port: 443
    targetPort: 8443
    nodePort: 31443
  - name: dns
    protocol: UDP
    port: 53
    targetPort: 5353
  clusterIP: 10.96.12.34
  clusterIPs: [10.96.12.34, fd00:10:96::1234]
  externalIPs: [203.0.113.10]
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP: {timeoutSeconds: 10800}
  loadBalancerIP: 203.0.113.20
  loadBalancerSourceRanges: [198.51.100.0/24, 2001:db8::/32]
  externalTrafficPolicy: Local
  healthCheckNodePort: 32000
  publishNotReadyAddresses: false
  ipFamilies: [IPv4, IPv6]
  ipFamilyPolicy: PreferDualStack
  allocateLoadBalancerNodePorts: true
  loadBalancerClass: example.com/lb
  internalTrafficPolicy: Cluster
  trafficDistribution: PreferClose
status:
  loadBalancer:
    ingress:
    - ip: 203.0.113.20
      ipMode: VIP
      ports:
      - {port: 80, protocol: TCP}
      - {port: 443, protocol: TCP, error: Pending}
    - hostname: lb.example.com
  conditions:
  - {type: LoadBalancerReady, status: 'True', reason: Ready, message: ok, lastTransitionTime: '2024-05-01T10:00:00Z'}
";

#[test]
fn realistic_service_loads_and_validates() {
    let svc: Service = parse(SERVICE).expect("loads");
    assert_eq!(svc.spec.type_or_default(), "LoadBalancer");
    let ports = svc.spec.ports.as_ref().expect("ports");
    assert_eq!(ports[0].target_port, Some(IntOrString::Str("http".into())));
    assert_eq!(ports[2].protocol_or_default(), "UDP");
    assert_eq!(ports[1].target_port_or_default(), IntOrString::Int(8443));
    let json = serde_json::to_value(&svc).expect("serializes");
    assert_eq!(json["spec"]["clusterIPs"][1], "fd00:10:96::1234");
    assert_eq!(json["spec"]["type"], "LoadBalancer");
    assert_eq!(json["spec"]["loadBalancerIP"], "203.0.113.20");
    round_trips(&svc);
    let mut report = Report::default();
    validate_service(&svc, &mut report);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
}

#[test]
fn service_validation_reports_paths() {
    let text = r#"
apiVersion: v1
kind: Service
metadata: {name: 1web, namespace: shop}
spec:
  type: Internal
  selector: {"app/": web}
  ports:
  - {port: 80, targetPort: 0, nodePort: 30080}
  - {name: http, port: 80, protocol: TCP}
  - {name: Web, port: 0, targetPort: 70000}
  - {name: http, port: 8080, protocol: HTTP, targetPort: "8080"}
  clusterIP: 10.0.0.300
  clusterIPs: [None, 10.0.0.1]
  externalIPs: [nope]
  loadBalancerSourceRanges: [10.0.0.0]
  externalTrafficPolicy: Local
  ipFamilies: [IPv4, IPv4, IPv5]
  trafficDistribution: Nearest
"#;
    let svc: Service = parse(text).expect("loads");
    let mut report = Report::default();
    validate_service(&svc, &mut report);
    let v = &report.violations;
    let expected = [
        "metadata.name",
        "spec.type",
        "spec.ports[0].name",
        "spec.ports[1]",
        "spec.ports[2].name",
        "spec.ports[2].port",
        "spec.ports[2].targetPort",
        "spec.ports[3].name",
        "spec.ports[3].protocol",
        "spec.ports[3].targetPort",
        "spec.selector.app/",
        "spec.clusterIP",
        "spec.clusterIPs[0]",
        "spec.clusterIPs[0]",
        "spec.externalIPs[0]",
        "spec.loadBalancerSourceRanges",
        "spec.loadBalancerSourceRanges[0]",
        "spec.externalTrafficPolicy",
        "spec.ipFamilies[1]",
        "spec.ipFamilies[2]",
        "spec.trafficDistribution",
    ];
    assert_eq!(paths(v), expected, "{v:#?}");
    assert!(v.iter().all(|x| x.severity == Severity::Error));

    // Type is checked after defaulting: no type means ClusterIP, which forbids node ports.
    let ok = "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\nspec:\n  clusterIP: None\n  selector: {app: db}\n";
    let mut report = Report::default();
    validate_service(&parse(ok).expect("loads"), &mut report);
    assert!(
        report.violations.is_empty(),
        "headless without ports: {:?}",
        report.violations
    );

    let ext = "apiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec:\n  type: ExternalName\n  externalName: db.example.com.\n";
    let mut report = Report::default();
    validate_service(&parse(ext).expect("loads"), &mut report);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    let bad_ext = "apiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec:\n  type: ExternalName\n  clusterIP: 10.0.0.1\n";
    let mut report = Report::default();
    validate_service(&parse(bad_ext).expect("loads"), &mut report);
    assert_eq!(
        paths(&report.violations),
        ["spec.clusterIP", "spec.externalName"]
    );

    let cluster_ip = "apiVersion: v1\nkind: Service\nmetadata: {name: c}\nspec:\n  ports: [{port: 80, nodePort: 30080}]\n";
    let mut report = Report::default();
    validate_service(&parse(cluster_ip).expect("loads"), &mut report);
    assert_eq!(paths(&report.violations), ["spec.ports[0].nodePort"]);

    // Node ports outside the default 30000-32767 range are a server setting, not an error.
    let np = "apiVersion: v1\nkind: Service\nmetadata: {name: np}\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 8080}]\n";
    let mut report = Report::default();
    validate_service(&parse(np).expect("loads"), &mut report);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
}

#[test]
fn namespace_and_service_account() {
    let ns: Namespace = parse(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: web\n    kubernetes.io/metadata.name: other\nspec:\n  finalizers: [kubernetes]\nstatus:\n  phase: Active\n  conditions: []\n",
    )
    .expect("loads");
    round_trips(&ns);
    assert_eq!(
        ns.effective_labels()
            .get(NAMESPACE_NAME_LABEL)
            .map(String::as_str),
        Some("shop")
    );
    let mut report = Report::default();
    validate_namespace(&ns, &mut report);
    assert_eq!(
        paths(&report.violations),
        ["metadata.labels.kubernetes.io/metadata.name"]
    );
    assert_eq!(report.violations[0].severity, Severity::Warning);

    let bad: Namespace =
        parse("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop.prod, namespace: x}\n")
            .expect("loads");
    let mut report = Report::default();
    validate_namespace(&bad, &mut report);
    let got: Vec<(String, Severity)> = report
        .violations
        .iter()
        .map(|v| (v.path.to_string(), v.severity))
        .collect();
    assert_eq!(
        got,
        [
            ("metadata.name".to_string(), Severity::Error),
            ("metadata.namespace".to_string(), Severity::Warning)
        ]
    );
    let err = parse::<Namespace>("apiVersion: v1\nkind: Namespace\nspec:\n  finalizer: []\n")
        .expect_err("typo");
    assert_eq!(err.path.to_string(), "spec.finalizer");

    let sa: ServiceAccount = parse(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\n  labels: {team: web}\nsecrets:\n- name: web-token\n  namespace: shop\nimagePullSecrets:\n- name: registry-creds\nautomountServiceAccountToken: false\n",
    )
    .expect("loads");
    round_trips(&sa);
    let mut report = Report::default();
    validate_service_account(&sa, &mut report);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    let err = parse::<ServiceAccount>("apiVersion: v1\nkind: ServiceAccount\nspec: {}\n")
        .expect_err("no spec");
    assert_eq!(err.path.to_string(), "spec");
    let mut report = Report::default();
    validate_service_account(&ServiceAccount::new("shop", "Bad"), &mut report);
    assert_eq!(paths(&report.violations), ["metadata.name"]);
}

#[test]
fn stars_demo_namespaces_and_services_load() {
    let dir = samples_dir().join("tigera-docs/stars-policy-demo");
    if !dir.is_dir() {
        eprintln!("skipping: {} is not present", dir.display());
        return;
    }
    let (mut namespaces, mut services) = (0, 0);
    for (file, doc) in sample_docs(&dir) {
        let kind = doc
            .get("kind")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string();
        let mut report = Report::default();
        match kind.as_str() {
            "Namespace" => {
                let ns: Namespace =
                    from_node(&doc).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                validate_namespace(&ns, &mut report);
                namespaces += 1;
            }
            "Service" => {
                let svc: Service =
                    from_node(&doc).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                validate_service(&svc, &mut report);
                services += 1;
            }
            _ => continue,
        }
        assert!(
            report.violations.is_empty(),
            "{}: {:?}",
            file.display(),
            report.violations
        );
    }
    assert_eq!((namespaces, services), (3, 4));
}
