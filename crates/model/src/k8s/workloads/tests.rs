use serde::de::DeserializeOwned;

use super::*;
use crate::k8s::network_policy::tests::{sample_docs, samples_dir};
use crate::validate::{Severity, Violation};
use crate::yaml::{DeError, Node, from_node, parse_stream};

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, DeError> {
    let docs = parse_stream(text).expect("valid YAML");
    from_node::<T>(&docs[0])
}

fn check<W: Workload + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    text: &str,
) -> (W, Vec<Violation>) {
    let w: W = parse(text).unwrap_or_else(|e| panic!("{}: {}", e.path, e.message));
    let back: W =
        serde_json::from_value(serde_json::to_value(&w).expect("serializes")).expect("reads back");
    assert_eq!(back, w);
    let mut report = Report::default();
    validate_workload(&w, &mut report);
    (w, report.violations)
}

fn paths(v: &[Violation]) -> Vec<String> {
    v.iter().map(|x| x.path.to_string()).collect()
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app.kubernetes.io/name: web, app.kubernetes.io/part-of: shop}
  annotations: {deployment.kubernetes.io/revision: "3"}
spec:
  replicas: 3
  selector:
    matchLabels: {app.kubernetes.io/name: web}
    matchExpressions:
    - {key: track, operator: NotIn, values: [canary]}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  minReadySeconds: 5
  revisionHistoryLimit: 10
  paused: false
  progressDeadlineSeconds: 600
  template:
    metadata:
      creationTimestamp: null
      labels: {app.kubernetes.io/name: web, track: stable}
      annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9090"}
    spec:
      serviceAccountName: web
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: registry.example.com/shop/web:2.3.1
        ports:
        - {name: http, containerPort: 8080}
        - {name: metrics, containerPort: 9090}
        env:
        - {name: DB_HOST, value: db.shop.svc.cluster.local}
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: db, key: password}}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
        readinessProbe:
          httpGet: {path: /ready, port: http}
          periodSeconds: 5
        livenessProbe:
          httpGet: {path: /healthz, port: 8080, scheme: HTTP}
        volumeMounts:
        - {name: tmp, mountPath: /tmp}
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
      volumes:
      - name: tmp
        emptyDir: {}
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app.kubernetes.io/name: web}}}
status:
  observedGeneration: 3
  replicas: 3
  readyReplicas: 3
  conditions:
  - {type: Available, status: "True"}
"#;

#[test]
fn deployment_loads_and_validates() {
    let (d, v) = check::<Deployment>(DEPLOYMENT);
    assert!(v.is_empty(), "{v:#?}");
    let tpl = d.pod_template().expect("template");
    assert_eq!(
        tpl.metadata.labels.get("track").map(String::as_str),
        Some("stable")
    );
    assert_eq!(tpl.spec.containers[0].ports.as_ref().map(Vec::len), Some(2));
    let w: &dyn Workload = &d;
    assert_eq!(w.kind_name(), "Deployment");
    assert!(w.pod_template().is_some());
}

#[test]
fn statefulset_daemonset_replicaset_load() {
    let sts = r"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db-headless
  replicas: 3
  podManagementPolicy: Parallel
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 0, maxUnavailable: 1}}
  revisionHistoryLimit: 5
  minReadySeconds: 10
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Delete}
  ordinals: {start: 1}
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      terminationGracePeriodSeconds: 60
      containers:
      - name: postgres
        image: postgres:16
        ports:
        - {name: pg, containerPort: 5432}
        env:
        - name: PGDATA
          value: /var/lib/postgresql/data/pgdata
        volumeMounts:
        - {name: data, mountPath: /var/lib/postgresql/data}
        startupProbe:
          exec: {command: [pg_isready]}
          failureThreshold: 30
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: fast
      resources: {requests: {storage: 10Gi}}
";
    let (s, v) = check::<StatefulSet>(sts);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(
        s.spec.as_ref().and_then(|s| s.service_name.as_deref()),
        Some("db-headless")
    );

    let ds = r"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agent, namespace: kube-system}
spec:
  selector:
    matchLabels: {k8s-app: node-agent}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}
  minReadySeconds: 0
  revisionHistoryLimit: 10
  template:
    metadata:
      labels: {k8s-app: node-agent}
    spec:
      hostNetwork: true
      hostPID: true
      dnsPolicy: ClusterFirstWithHostNet
      priorityClassName: system-node-critical
      tolerations:
      - operator: Exists
      containers:
      - name: agent
        image: example.com/agent:1.0
        ports:
        - {name: metrics, containerPort: 9100, hostPort: 9100}
        securityContext: {privileged: true}
        volumeMounts:
        - {name: proc, mountPath: /host/proc, readOnly: true, mountPropagation: HostToContainer}
      volumes:
      - name: proc
        hostPath: {path: /proc, type: Directory}
";
    let (d, v) = check::<DaemonSet>(ds);
    assert!(v.is_empty(), "{v:#?}");
    assert!(d.pod_template().expect("template").spec.uses_host_network());

    let rs = r"
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7d9c6b5f4
  namespace: shop
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: 1234, controller: true, blockOwnerDeletion: true}
spec:
  replicas: 2
  minReadySeconds: 0
  selector:
    matchLabels: {app: web, pod-template-hash: 7d9c6b5f4}
  template:
    metadata:
      labels: {app: web, pod-template-hash: 7d9c6b5f4}
    spec:
      containers:
      - {name: web, image: nginx:1.27, ports: [{containerPort: 80}]}
";
    let (_, v) = check::<ReplicaSet>(rs);
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn job_and_cronjob_load() {
    let job = r"
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec:
  parallelism: 2
  completions: 4
  activeDeadlineSeconds: 3600
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: migrate, operator: In, values: [42]}
  successPolicy:
    rules:
    - {succeededIndexes: 0-1, succeededCount: 2}
  backoffLimit: 6
  backoffLimitPerIndex: 1
  maxFailedIndexes: 2
  ttlSecondsAfterFinished: 600
  completionMode: Indexed
  suspend: false
  podReplacementPolicy: Failed
  managedBy: kubernetes.io/job-controller
  template:
    metadata:
      labels: {app: migrate}
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: example.com/migrate:1.0
        args: [--all]
";
    let (j, v) = check::<Job>(job);
    assert!(v.is_empty(), "{v:#?}");
    assert!(j.pod_template().is_some());

    let manual = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: m}\nspec:\n  manualSelector: true\n  selector: {matchLabels: {app: m}}\n  template:\n    metadata: {labels: {app: m}}\n    spec:\n      restartPolicy: OnFailure\n      containers: [{name: c, image: busybox}]\n";
    let (_, v) = check::<Job>(manual);
    assert!(v.is_empty(), "{v:#?}");

    let cron = r#"
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  schedule: "*/15 * * * *"
  timeZone: Europe/Paris
  startingDeadlineSeconds: 200
  concurrencyPolicy: Forbid
  suspend: false
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 1
  jobTemplate:
    metadata:
      labels: {app: report}
    spec:
      backoffLimit: 2
      template:
        metadata:
          labels: {app: report}
        spec:
          restartPolicy: OnFailure
          containers:
          - name: report
            image: example.com/report:1.0
            envFrom:
            - configMapRef: {name: report}
"#;
    let (c, v) = check::<CronJob>(cron);
    assert!(v.is_empty(), "{v:#?}");
    let tpl = c.pod_template().expect("template");
    assert_eq!(
        tpl.metadata.labels.get("app").map(String::as_str),
        Some("report")
    );
    assert_eq!(
        c.spec.as_ref().map(|s| s.schedule.as_str()),
        Some("*/15 * * * *")
    );
}

#[test]
fn workload_validation_reports_paths() {
    let bad = r"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: -1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: api}
    spec:
      restartPolicy: OnFailure
      containers:
      - name: web
        ports:
        - {containerPort: 0}
";
    let (_, v) = check::<Deployment>(bad);
    assert_eq!(
        paths(&v),
        [
            "spec.template.metadata.labels",
            "spec.template.spec.containers[0].ports[0].containerPort",
            "spec.template.spec.restartPolicy",
            "spec.replicas",
        ],
        "{v:#?}"
    );

    let empty_selector = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: c}]\n";
    let (_, v) = check::<DaemonSet>(empty_selector);
    assert_eq!(paths(&v), ["spec.selector"]);

    let no_spec = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\n";
    let (s, v) = check::<StatefulSet>(no_spec);
    assert!(s.pod_template().is_none());
    assert_eq!(paths(&v), ["spec"]);

    let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  selector: {matchLabels: {app: j}}\n  template:\n    metadata: {labels: {app: j}}\n    spec:\n      containers: [{name: c}]\n";
    let (_, v) = check::<Job>(job);
    assert_eq!(
        paths(&v),
        ["spec.selector", "spec.template.spec.restartPolicy"],
        "{v:#?}"
    );

    let long = "a".repeat(53);
    let cron = format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: {long}}}\nspec:\n  jobTemplate:\n    spec:\n      manualSelector: true\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{{name: c, ports: [{{containerPort: 80, protocol: ICMP}}]}}]\n"
    );
    let (_, v) = check::<CronJob>(&cron);
    assert_eq!(
        paths(&v),
        [
            "spec.jobTemplate.spec.selector",
            "spec.jobTemplate.spec.template.spec.containers[0].ports[0].protocol",
            "metadata.name",
            "spec.schedule",
        ],
        "{v:#?}"
    );
    assert!(v.iter().all(|x| x.severity == Severity::Error));
}

#[test]
fn typos_in_workloads_are_rejected() {
    let err = parse::<Deployment>("apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 3\n")
        .expect_err("typo");
    assert_eq!(err.path.to_string(), "spec.replica");
    assert!(err.message.contains("`replicas`"), "{}", err.message);
    let err = parse::<Deployment>(
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    metadata:\n      label: {app: x}\n",
    )
    .expect_err("typo");
    assert_eq!(err.path.to_string(), "spec.template.metadata.label");
    let err = parse::<CronJob>(
        "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n            port: []\n",
    )
    .expect_err("typo");
    assert_eq!(
        err.path.to_string(),
        "spec.jobTemplate.spec.template.spec.containers[0].port"
    );
    // Deep sub-structures are kept as given: unknown names there are accepted.
    let ok = parse::<Deployment>(
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  strategy: {futureField: 1}\n  template:\n    spec:\n      containers:\n      - name: c\n        livenessProbe: {futureProbe: {}}\n",
    );
    assert!(ok.is_ok());
}

#[test]
fn stars_demo_deployments_load() {
    let dir = samples_dir().join("tigera-docs/stars-policy-demo");
    if !dir.is_dir() {
        eprintln!("skipping: {} is not present", dir.display());
        return;
    }
    let mut n = 0;
    for (file, doc) in sample_docs(&dir) {
        if doc.get("kind").and_then(Node::as_str) != Some("Deployment") {
            continue;
        }
        let d: Deployment = from_node(&doc).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut report = Report::default();
        validate_workload(&d, &mut report);
        assert!(
            report.violations.is_empty(),
            "{}: {:?}",
            file.display(),
            report.violations
        );
        assert!(
            d.pod_template()
                .is_some_and(|t| t.metadata.labels.contains_key("role"))
        );
        n += 1;
    }
    assert_eq!(n, 4);
}
