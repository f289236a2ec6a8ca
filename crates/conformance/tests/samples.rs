//! Every manifest under `../shared/samples/` is loaded and validated. Those Calico or Kubernetes
//! accept must pass; the ones they reject must fail, for the reason listed here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tortie_model::lint::lint;
use tortie_model::{Severity, load_str};

/// Files that must fail, a substring each failure must contain, and why the file is invalid.
const EXPECTED_FAILURES: &[(&str, &str, &str)] = &[
    (
        "ibm-kube-samples/history/",
        "legacy Calico v1 API format",
        "calicoctl 1.x (apiVersion: v1, kind: policy/hostEndpoint) files",
    ),
    (
        "/generic-privatehostendpoint.yaml",
        "is given twice",
        "a template: placeholder names, node and IP, and both documents share one name",
    ),
    (
        "calico-policy/calico-labels--01.yaml",
        "needs a protocol",
        "numeric port without protocol (Calico: ports need TCP or UDP)",
    ),
    (
        "calico-policy/calico-labels--02.yaml",
        "needs a protocol",
        "numeric port without protocol",
    ),
    (
        "hosts/protect-hosts--01.yaml",
        "invalid network `<your management CIDR>`",
        "placeholder CIDRs",
    ),
    (
        "policy-rules/icmp-ping--02.yaml",
        "icmp.type: expected an integer",
        "a lost `#` turns the comment into part of the ICMP type",
    ),
    (
        "policy-rules/icmp-ping--03.yaml",
        "icmp.code: expected an integer",
        "lost `#` in ICMP type and code",
    ),
    (
        "policy-rules/log-rules--01.yaml",
        "invalid name `<log-everything-in-cluster>`",
        "placeholder name",
    ),
    (
        "policy-rules/log-rules--02.yaml",
        "invalid namespace `<namespace>`",
        "placeholder namespace",
    ),
    (
        "services/kubernetes-node-ports--01.yaml",
        "is not masked",
        "rule nets 1.2.3.4/16 and 100.100.100.0/16 have host bits set",
    ),
    (
        "services/kubernetes-node-ports--03.yaml",
        "invalid IP address `INSERT_IP_HERE`",
        "placeholder expectedIPs",
    ),
    (
        "services/services-cluster-ips--01.yaml",
        "invalid network `10.20.30.40/32  Cluster IP A`",
        "lost `#` makes comments part of the CIDRs",
    ),
    (
        "services/services-cluster-ips--02.yaml",
        "invalid network `192.168.0.0/16  Pod CIDR`",
        "lost `#` in a CIDR",
    ),
    (
        "services/services-cluster-ips--03.yaml",
        "spec.types[1]: expected one of",
        "rules written under `types:` (the `ingress:` key is missing)",
    ),
    (
        "ingress-gateway/create-ingress-gateway.yaml",
        "invalid namespace `<gateway-namespace>`",
        "placeholder namespace",
    ),
    (
        "reference/resources/workloadendpoint.yaml",
        "duplicate key `endpoint`",
        "the key `endpoint` appears twice; strict YAML decoding (calicoctl's) rejects it",
    ),
];

fn manifests(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("samples dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            manifests(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

/// Every error message of a file, as `line: object: field: message`.
fn errors_of(text: &str, name: &str) -> Vec<String> {
    let loaded = match load_str(text, name) {
        Ok(l) => l,
        Err(e) => return vec![format!("{}: invalid YAML: {}", e.pos.line, e.message)],
    };
    let mut errors = Vec::new();
    let cross = lint(&loaded);
    for (i, obj) in loaded.iter().enumerate() {
        let own = obj.check();
        let all = own
            .iter()
            .chain(cross.iter().filter(|f| f.object == i).map(|f| &f.violation));
        for v in all.filter(|v| v.severity == Severity::Error) {
            errors.push(format!("{}: {}: {v}", obj.line_of(&v.path), obj.label()));
        }
    }
    errors
}

#[test]
fn every_sample_loads_and_validates_as_calico_and_kubernetes_would() {
    let root = tortie_conformance::shared_dir().join("samples");
    let mut files = Vec::new();
    manifests(&root, &mut files);
    let mut failures = Vec::new();
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut valid, mut invalid) = (0, 0);
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .expect("under root")
            .display()
            .to_string();
        let text = std::fs::read_to_string(path).expect("readable sample");
        let errors = errors_of(&text, &rel);
        match EXPECTED_FAILURES
            .iter()
            .find(|(pattern, _, _)| rel.contains(pattern))
        {
            Some((pattern, must_contain, why)) => {
                *used.entry(pattern).or_default() += 1;
                invalid += 1;
                if errors.is_empty() {
                    failures.push(format!("{rel}: expected to fail ({why}) but validated"));
                } else if !errors.iter().any(|e| e.contains(must_contain)) {
                    failures.push(format!(
                        "{rel}: expected an error containing {must_contain:?}, got {errors:?}"
                    ));
                }
            }
            None => {
                valid += 1;
                if !errors.is_empty() {
                    failures.push(format!(
                        "{rel}: rejected a valid manifest:\n    {}",
                        errors.join("\n    ")
                    ));
                }
            }
        }
    }
    for (pattern, _, _) in EXPECTED_FAILURES {
        if !used.contains_key(pattern) {
            failures.push(format!(
                "expected-failure entry {pattern:?} matched no file"
            ));
        }
    }
    println!(
        "samples: {} files, {valid} valid, {invalid} rejected as expected",
        files.len()
    );
    for (pattern, must, why) in EXPECTED_FAILURES {
        println!(
            "  expected to fail: {pattern} ({} file(s)): {why} [{must}]",
            used.get(pattern).unwrap_or(&0)
        );
    }
    assert!(
        failures.is_empty(),
        "{} sample problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        files.len() >= 370,
        "only {} sample files found",
        files.len()
    );
}

/// Printing an object as YAML (calicoctl's layout) and as JSON and reading it back gives the
/// same object, for every object of every valid sample.
#[test]
fn every_valid_sample_object_round_trips_through_yaml_and_json() {
    let root = tortie_conformance::shared_dir().join("samples");
    let mut files = Vec::new();
    manifests(&root, &mut files);
    let mut objects = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        let Ok(loaded) = load_str(&text, "x") else {
            continue;
        };
        for obj in loaded {
            let Ok(resource) = obj.result else { continue };
            objects += 1;
            let json = resource.to_json();
            let yaml = tortie_model::yaml::to_yaml_string(&json);
            for (form, text) in [
                ("yaml", yaml.clone()),
                ("json", serde_json::to_string_pretty(&json).expect("json")),
            ] {
                let back = load_str(&text, "round-trip")
                    .expect("printed form parses")
                    .remove(0);
                let again = back.result.unwrap_or_else(|e| {
                    panic!("{}: {form} form does not load: {e}\n{text}", path.display())
                });
                assert_eq!(
                    again,
                    resource,
                    "{}: {form} round trip changed the object\n{text}",
                    path.display()
                );
            }
        }
    }
    println!("round-tripped {objects} sample objects through YAML and JSON");
    assert!(objects > 350, "only {objects} objects");
}
