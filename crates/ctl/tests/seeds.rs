//! The seed manifests: each as-published file gets exactly the findings it deserves, and each
//! corrected file validates cleanly.

mod common;

use common::tortie;

/// (file, exit status, lines that must appear in stderr, as `line: ...fragment`).
const AS_PUBLISHED: &[(&str, i32, &[&str])] = &[
    ("deny-nodeports.yaml", 0, &[]),
    ("access-nginx.yaml", 0, &[]),
    ("access-nginx-calico.yaml", 0, &[]),
    ("log-denied-packets.yaml", 0, &[]),
    ("allow-outbound-external.yaml", 0, &[]),
    ("allow-nodeport.yaml", 0, &[]),
    (
        "whitelist-nlb2.yaml",
        1,
        &[
            "12: GlobalNetworkPolicy/whitelist: spec.ingress[0].destination.nets[0]: invalid network `<loadbalancer_IP>/32`",
            "12: warning: GlobalNetworkPolicy/whitelist: spec.ingress[0].destination.nets[0]: `<loadbalancer_IP>` looks like a placeholder",
            "18: GlobalNetworkPolicy/whitelist: spec.ingress[0].source.nets[0]: invalid network `<client_address>/32`",
            "18: warning: GlobalNetworkPolicy/whitelist: spec.ingress[0].source.nets[0]: `<client_address>` looks like a placeholder",
        ],
    ),
    (
        "whitelist-nlb1.yaml",
        1,
        &[
            "12: GlobalNetworkPolicy/whitelist: spec.ingress[0].destination.nets[0]: invalid network `<loadbalancer_IP>/32`",
            "12: warning: GlobalNetworkPolicy/whitelist: spec.ingress[0].destination.nets[0]: `<loadbalancer_IP>` looks like a placeholder",
            "18: GlobalNetworkPolicy/whitelist: spec.ingress[0].source.nets[0]: invalid network `<client_address>/32`",
            "18: warning: GlobalNetworkPolicy/whitelist: spec.ingress[0].source.nets[0]: `<client_address>` looks like a placeholder",
        ],
    ),
    (
        "backend-allow.yaml",
        0,
        &[
            "15: warning: NetworkPolicy/backend-allow: spec.ingress[0].from[0].podSelector.matchLabels.Tier: label key `Tier` differs only in case from `tier`",
        ],
    ),
    (
        "db-allow.yaml",
        0,
        &[
            "15: warning: NetworkPolicy/db-allow: spec.ingress[0].from[0].podSelector.matchLabels.Tier: label key `Tier` differs only in case from `tier`",
        ],
    ),
    (
        "accounts-allow.yaml",
        1,
        &[
            "4: NetworkPolicy/accounts-allow: metadata.Namespace: unknown field `Namespace` (not recognized, or in the wrong location); did you mean `namespace`?",
            "13: NetworkPolicy/accounts-allow: spec.ingress[0].from[0].NamespaceSelector: unknown field `NamespaceSelector` (not recognized, or in the wrong location); did you mean `namespaceSelector`?",
            "16: NetworkPolicy/accounts-allow: spec.ingress[0].ports: expected a list, found a mapping",
        ],
    ),
    (
        "allow-cluster-internal-ingress-only.yaml",
        1,
        &[
            "12: GlobalNetworkPolicy/allow-cluster-internal-ingress-only: spec.ingress[0].source.nets[0]: network `1.2.3.4/16` is not masked: host bits are set; did you mean `1.2.0.0/16`?",
            "12: GlobalNetworkPolicy/allow-cluster-internal-ingress-only: spec.ingress[0].source.nets[1]: network `100.100.100.0/16` is not masked",
        ],
    ),
    (
        "node1-eth0.yaml",
        1,
        &[
            "11: HostEndpoint/node1-eth0: spec.expectedIPs[0]: invalid IP address `INSERT_IP_HERE`",
            "11: warning: HostEndpoint/node1-eth0: spec.expectedIPs[0]: `INSERT_IP_HERE` looks like a placeholder",
        ],
    ),
];

#[test]
fn each_published_seed_gets_the_findings_it_deserves() {
    let dir = "examples/seeds/as-published";
    let files: Vec<String> = std::fs::read_dir(common::root().join(dir))
        .expect("seed dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files.len(),
        AS_PUBLISHED.len(),
        "every as-published seed has an expectation here"
    );
    for (file, code, lines) in AS_PUBLISHED {
        let path = format!("{dir}/{file}");
        let run = tortie(&["validate", "-f", &path], "");
        assert_eq!(run.code, *code, "{file}: exit status\n{}", run.stderr);
        for line in *lines {
            let want = format!("{path}:{line}");
            assert!(
                run.stderr.lines().any(|l| l.starts_with(&want)),
                "{file}: missing\n  {want}\nin\n{}",
                run.stderr
            );
        }
        assert_eq!(
            run.stderr.lines().count(),
            lines.len(),
            "{file}: exactly these findings, got\n{}",
            run.stderr
        );
    }
}

#[test]
fn every_corrected_seed_validates_without_findings() {
    let run = tortie(&["validate", "-f", "examples/seeds/corrected"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.is_empty(),
        "corrected seeds must be clean:\n{}",
        run.stderr
    );
    assert!(
        run.stdout
            .starts_with("14 objects in 14 files: 0 errors, 0 warnings"),
        "{}",
        run.stdout
    );
}
