use std::path::{Path, PathBuf};

use super::*;
use crate::validate::{Severity, Violation};
use crate::yaml::{DeError, Node, from_node, parse_stream};

fn parse(text: &str) -> Result<NetworkPolicy, DeError> {
    let docs = parse_stream(text).expect("valid YAML");
    from_node::<NetworkPolicy>(&docs[0])
}

fn validate(text: &str) -> Vec<Violation> {
    let np = parse(text).expect("loads");
    let mut report = Report::default();
    validate_network_policy(&np, &mut report);
    report.violations
}

fn errors_at(violations: &[Violation]) -> Vec<(String, Severity)> {
    violations
        .iter()
        .map(|v| (v.path.to_string(), v.severity))
        .collect()
}

/// Where the shared sample manifests are (outside the repository).
pub(crate) fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples")
}

/// Every YAML document under `dir` (recursively) with its file name.
pub(crate) fn sample_docs(dir: &Path) -> Vec<(PathBuf, Node)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("readable dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable file");
        match parse_stream(&text) {
            Ok(parsed) => docs.extend(parsed.into_iter().map(|d| (f.clone(), d))),
            // Some Calico samples are not well-formed YAML; none of them is a Kubernetes kind.
            Err(e) if !text.contains("networking.k8s.io") && !text.contains("apiVersion: v1") => {
                eprintln!("skipping {}: {e}", f.display());
            }
            Err(e) => panic!("{}: {e}", f.display()),
        }
    }
    docs
}

/// Loads and validates every `networking.k8s.io/v1` NetworkPolicy under a sample directory;
/// returns how many there were.
fn load_sample_policies(sub: &str) -> usize {
    let dir = samples_dir().join(sub);
    if !dir.is_dir() {
        eprintln!("skipping: {} is not present", dir.display());
        return usize::MAX;
    }
    let mut n = 0;
    for (file, doc) in sample_docs(&dir) {
        let is_np = doc.get("kind").and_then(Node::as_str) == Some("NetworkPolicy")
            && doc.get("apiVersion").and_then(Node::as_str) == Some("networking.k8s.io/v1");
        if !is_np {
            continue;
        }
        let np: NetworkPolicy = from_node(&doc)
            .unwrap_or_else(|e| panic!("{}: {}: {}", file.display(), e.path, e.message));
        let mut report = Report::default();
        validate_network_policy(&np, &mut report);
        assert!(
            !report.has_errors(),
            "{}: {:?}",
            file.display(),
            report.violations
        );
        // The JSON form reads back to the same value.
        let json = serde_json::to_value(&np).expect("serializes");
        let back: NetworkPolicy = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, np, "{}", file.display());
        n += 1;
    }
    n
}

#[test]
fn loads_ahmetb_recipes() {
    assert!(load_sample_policies("ahmetb-kubernetes-network-policy-recipes") >= 15);
}

#[test]
fn loads_kubernetes_website_examples() {
    // Includes JSON-flow documents (`{ apiVersion: "networking.k8s.io/v1", ... }`).
    assert!(load_sample_policies("kubernetes-website") >= 9);
}

#[test]
fn loads_stars_policy_demo() {
    assert!(load_sample_policies("tigera-docs/stars-policy-demo") >= 5);
}

#[test]
fn loads_every_kubernetes_policy_in_tigera_docs() {
    assert!(load_sample_policies("tigera-docs") >= 20);
}

const FULL: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: test-network-policy
  namespace: default
spec:
  podSelector:
    matchLabels:
      role: db
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - ipBlock:
        cidr: 172.17.0.0/16
        except:
        - 172.17.1.0/24
    - namespaceSelector:
        matchLabels:
          project: myproject
    - podSelector:
        matchLabels:
          role: frontend
    ports:
    - protocol: TCP
      port: 6379
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/24
    ports:
    - protocol: TCP
      port: 32000
      endPort: 32768
    - port: metrics
"#;

#[test]
fn typed_fields() {
    let np = parse(FULL).expect("loads");
    assert_eq!(np.metadata.namespace, "default");
    let ingress = np.spec.ingress.as_ref().expect("ingress");
    let from = ingress[0].from.as_ref().expect("from");
    assert_eq!(from.len(), 3);
    assert_eq!(
        from[0].ip_block.as_ref().map(|b| b.cidr.as_str()),
        Some("172.17.0.0/16")
    );
    assert!(from[1].pod_selector.is_none());
    assert!(from[1].namespace_selector.is_some());
    let ports = ingress[0].ports.as_ref().expect("ports");
    assert_eq!(ports[0].port, Some(IntOrString::Int(6379)));
    let egress_ports = np.spec.egress.as_ref().expect("egress")[0]
        .ports
        .as_ref()
        .expect("ports");
    assert_eq!(egress_ports[0].end_port, Some(32768));
    assert_eq!(
        egress_ports[1].port,
        Some(IntOrString::Str("metrics".into()))
    );
    assert_eq!(
        np.spec.policy_types,
        Some(vec![PolicyType::Ingress, PolicyType::Egress])
    );
    assert!(validate(FULL).is_empty());
}

#[test]
fn typo_is_rejected_with_its_path() {
    let err = parse(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  podSelecter: {}\n",
    )
    .expect_err("typo");
    assert_eq!(err.path.to_string(), "spec.podSelecter");
    assert_eq!(err.pos.line, 5);
    assert!(
        err.message.contains("did you mean `podSelector`"),
        "{}",
        err.message
    );

    let nested = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  ingress:\n  - from:\n    - ipBlok: {cidr: 10.0.0.0/8}\n";
    let err = parse(nested).expect_err("typo");
    assert_eq!(err.path.to_string(), "spec.ingress[0].from[0].ipBlok");
    assert!(err.message.contains("`ipBlock`"), "{}", err.message);

    let wrong_type =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec:\n  policyTypes: [Ingres]\n";
    let err = parse(wrong_type).expect_err("bad policy type");
    assert_eq!(err.path.to_string(), "spec.policyTypes[0]");
}

#[test]
fn absent_and_empty_round_trip() {
    let absent =
        parse("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec:\n  podSelector: {}\n")
            .expect("loads");
    let empty = parse("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec:\n  podSelector: {}\n  ingress: []\n").expect("loads");
    let allow_all = parse("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec:\n  podSelector: {}\n  ingress:\n  - {}\n").expect("loads");
    assert_eq!(absent.spec.ingress, None);
    assert_eq!(empty.spec.ingress, Some(vec![]));
    assert_eq!(
        allow_all.spec.ingress,
        Some(vec![NetworkPolicyIngressRule::default()])
    );
    for np in [&absent, &empty, &allow_all] {
        let json = serde_json::to_string(np).expect("serializes");
        let back: NetworkPolicy = serde_json::from_str(&json).expect("reads back");
        assert_eq!(&back, np, "{json}");
    }
    let json = serde_json::to_value(&absent).expect("serializes");
    assert!(json["spec"].get("ingress").is_none());
    assert_eq!(json["spec"]["podSelector"], serde_json::json!({}));
    assert_eq!(
        serde_json::to_value(&empty).expect("serializes")["spec"]["ingress"],
        serde_json::json!([])
    );

    // `podSelector: {}` in a peer (all pods) differs from no `podSelector`.
    let peers = parse(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec:\n  ingress:\n  - from:\n    - podSelector: {}\n    - namespaceSelector: {}\n",
    )
    .expect("loads");
    let from = peers.spec.ingress.as_ref().expect("ingress")[0]
        .from
        .clone()
        .expect("from");
    assert_eq!(from[0].pod_selector, Some(LabelSelector::default()));
    assert_eq!(from[0].namespace_selector, None);
    let back: NetworkPolicy =
        serde_json::from_value(serde_json::to_value(&peers).expect("ser")).expect("de");
    assert_eq!(back, peers);
}

#[test]
fn int_or_string() {
    let port = |text: &str| -> IntOrString {
        let docs = parse_stream(text).expect("yaml");
        from_node(&docs[0]).expect("port")
    };
    assert_eq!(port("80"), IntOrString::Int(80));
    assert_eq!(port("\"80\""), IntOrString::Str("80".into()));
    assert_eq!(port("http"), IntOrString::Str("http".into()));
    assert_eq!(port("-1"), IntOrString::Int(-1));
    let docs = parse_stream("4294967296").expect("yaml");
    assert!(from_node::<IntOrString>(&docs[0]).is_err());
    assert_eq!(
        serde_json::to_string(&IntOrString::Int(80)).expect("ser"),
        "80"
    );
    assert_eq!(
        serde_json::to_string(&IntOrString::Str("http".into())).expect("ser"),
        "\"http\""
    );
    assert_eq!(
        serde_json::from_str::<IntOrString>("\"web\"").expect("de"),
        IntOrString::Str("web".into())
    );
    assert_eq!(
        serde_json::from_str::<IntOrString>("8080").expect("de"),
        IntOrString::Int(8080)
    );
}

#[test]
fn validation_reports_paths() {
    let text = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: Bad_Name
  namespace: default
spec:
  podSelector:
    matchLabels:
      "-bad": ok
    matchExpressions:
    - {key: tier, operator: In}
    - {key: app, operator: Exists, values: [x]}
    - {key: app, operator: Equals, values: [x]}
  policyTypes: [Ingress, Ingress]
  ingress:
  - from:
    - {}
    - ipBlock: {cidr: 10.0.0.0/16}
      podSelector: {}
    - ipBlock:
        cidr: 10.0.0.0/16
        except: [10.0.0.0/16, 10.1.0.0/24, "fd00::/64", nonsense, 10.0.5.0/24]
    - ipBlock: {cidr: 10.0.0.1}
    ports:
    - {protocol: ICMP, port: 80}
    - port: 0
    - port: 70000
    - port: "80"
    - port: Web_Port
    - port: http
      endPort: 90
    - endPort: 90
    - {port: 100, endPort: 90}
    - {port: 100, endPort: 70000}
    - {port: 100, endPort: 200, protocol: SCTP}
"#;
    let v = validate(text);
    let got = errors_at(&v);
    let expected = [
        "metadata.name",
        "spec.podSelector.matchLabels.-bad",
        "spec.podSelector.matchExpressions[0].values",
        "spec.podSelector.matchExpressions[1].values",
        "spec.podSelector.matchExpressions[2].operator",
        "spec.ingress[0].ports[0].protocol",
        "spec.ingress[0].ports[1].port",
        "spec.ingress[0].ports[2].port",
        "spec.ingress[0].ports[3].port",
        "spec.ingress[0].ports[4].port",
        "spec.ingress[0].ports[5].endPort",
        "spec.ingress[0].ports[6].endPort",
        "spec.ingress[0].ports[7].endPort",
        "spec.ingress[0].ports[8].endPort",
        "spec.ingress[0].from[0]",
        "spec.ingress[0].from[1]",
        "spec.ingress[0].from[2].ipBlock.except[0]",
        "spec.ingress[0].from[2].ipBlock.except[1]",
        "spec.ingress[0].from[2].ipBlock.except[2]",
        "spec.ingress[0].from[2].ipBlock.except[3]",
        "spec.ingress[0].from[3].ipBlock.cidr",
        "spec.policyTypes[1]",
    ];
    let got_paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(got_paths, expected, "{v:#?}");
    assert!(v.iter().all(|x| x.severity == Severity::Error));
    let msg = |path: &str| {
        v.iter()
            .find(|x| x.path.to_string() == path)
            .map(|x| x.message.clone())
            .unwrap_or_default()
    };
    assert!(msg("spec.ingress[0].ports[3].port").contains("quoted number"));
    assert!(msg("spec.ingress[0].from[2].ipBlock.except[2]").contains("same IP family"));
    assert!(msg("spec.ingress[0].from[2].ipBlock.except[0]").contains("strictly inside"));
    assert!(msg("spec.ingress[0].from[1]").contains("cannot be combined"));
    assert!(msg("spec.ingress[0].ports[7].endPort").contains("below port `100`"));
}

#[test]
fn warnings_for_ignored_rules_and_host_bits() {
    let text = r"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: w, namespace: default}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.1/8}
";
    let v = validate(text);
    let got = errors_at(&v);
    assert_eq!(
        got,
        [
            (
                "spec.egress[0].to[0].ipBlock.cidr".to_string(),
                Severity::Warning
            ),
            ("spec.egress".to_string(), Severity::Warning),
        ],
        "{v:#?}"
    );
}

#[test]
fn effective_policy_types_follow_kubernetes_defaulting() {
    let mut spec = NetworkPolicySpec::default();
    assert_eq!(spec.effective_policy_types(), [PolicyType::Ingress]);
    spec.egress = Some(vec![]);
    assert_eq!(spec.effective_policy_types(), [PolicyType::Ingress]);
    spec.egress = Some(vec![NetworkPolicyEgressRule::default()]);
    assert_eq!(
        spec.effective_policy_types(),
        [PolicyType::Ingress, PolicyType::Egress]
    );
    spec.policy_types = Some(vec![PolicyType::Egress]);
    assert_eq!(spec.effective_policy_types(), [PolicyType::Egress]);
}

#[test]
fn selector_matching() {
    let docs = parse_stream(
        "matchLabels: {app: web}\nmatchExpressions:\n- {key: tier, operator: In, values: [a, b]}\n- {key: canary, operator: DoesNotExist}\n- {key: env, operator: NotIn, values: [prod]}\n",
    )
    .expect("yaml");
    let sel: LabelSelector = from_node(&docs[0]).expect("selector");
    let labels = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    };
    assert!(label_selector_matches(
        &sel,
        &labels(&[("app", "web"), ("tier", "a")])
    ));
    assert!(label_selector_matches(
        &sel,
        &labels(&[("app", "web"), ("tier", "b"), ("env", "dev")])
    ));
    assert!(!label_selector_matches(
        &sel,
        &labels(&[("app", "web"), ("tier", "c")])
    ));
    assert!(!label_selector_matches(
        &sel,
        &labels(&[("app", "web"), ("tier", "a"), ("canary", "")])
    ));
    assert!(!label_selector_matches(
        &sel,
        &labels(&[("app", "web"), ("tier", "a"), ("env", "prod")])
    ));
    assert!(label_selector_matches(
        &LabelSelector::default(),
        &labels(&[])
    ));
    assert!(label_selector_is_empty(&LabelSelector::default()));
    assert!(!label_selector_is_empty(&sel));
}

#[test]
fn new_policy_is_valid() {
    let np = NetworkPolicy::new("default", "deny-all");
    let mut report = Report::default();
    validate_network_policy(&np, &mut report);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert_eq!(np.spec.effective_policy_types(), [PolicyType::Ingress]);
}
