//! The datastore verbs against a temporary embedded store, through the real binary.

mod common;
#[path = "common/store.rs"]
mod store;

use store::Store;

const EVERY_KIND: &str = "crates/ctl/tests/data/every-kind.yaml";

fn strip_version(yaml: &str) -> String {
    yaml.lines()
        .filter(|l| !l.trim_start().starts_with("resourceVersion:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// (kind argument, namespace, name) of every object in every-kind.yaml that a user writes
/// (derived objects are read-only and checked elsewhere).
const OBJECTS: &[(&str, &str, &str)] = &[
    ("tier", "", "security"),
    ("networkpolicy", "prod", "allow-web"),
    ("gnp", "", "deny-nodeports"),
    ("stagednetworkpolicy", "prod", "try-db"),
    ("sgnp", "", "try-all"),
    ("sknp", "prod", "try-k8s"),
    ("hep", "", "node1-eth0"),
    ("wep", "prod", "node1-cni-abc-eth0"),
    ("netset", "prod", "partners"),
    ("gnetset", "", "health-checkers"),
    ("profile", "", "legacy"),
    ("node", "", "node1"),
    ("felixconfiguration", "", "default"),
    ("ippool", "", "pods"),
    ("ipreservation", "", "reserved"),
    ("bgpconfig", "", "default"),
    ("bgppeer", "", "rack-tor"),
    ("bgpfilter", "", "only-pods"),
    ("kubecontrollersconfig", "", "default"),
    ("clusterinfo", "", "default"),
    ("ipamconfig", "", "default"),
    ("caliconodestatus", "", "node1-status"),
    ("netpol", "prod", "access-nginx"),
    ("namespace", "", "prod"),
    ("serviceaccount", "prod", "web"),
    ("pod", "prod", "nginx-1"),
    ("service", "prod", "nginx"),
    ("deployment", "prod", "web"),
    ("statefulset", "prod", "db"),
    ("daemonset", "prod", "agent"),
    ("replicaset", "prod", "web-abc"),
    ("job", "prod", "migrate"),
    ("cronjob", "prod", "backup"),
];

fn get_args<'a>(kind: &'a str, ns: &'a str, name: &'a str, out: &'a str) -> Vec<&'a str> {
    let mut args = vec!["get", kind, name, "-o", out];
    if !ns.is_empty() {
        args.extend(["-n", ns]);
    }
    args
}

#[test]
fn every_kind_round_trips_through_get_and_apply() {
    let s = Store::new("every");
    let out = s.ok(&["apply", "-f", EVERY_KIND], "");
    assert_eq!(out, "Successfully applied 33 resource(s)\n");
    for (kind, ns, name) in OBJECTS {
        for format in ["yaml", "json"] {
            let first = s.ok(&get_args(kind, ns, name, format), "");
            let applied = s.ok(&["apply", "-f", "-"], &first);
            assert!(
                applied.starts_with("Successfully applied 1 "),
                "{kind}: {applied}"
            );
            let again = s.ok(&get_args(kind, ns, name, format), "");
            if format == "yaml" {
                assert_eq!(
                    strip_version(&again),
                    strip_version(&first),
                    "{kind} {name}: get -o yaml | apply changed it"
                );
            } else {
                let (mut a, mut b): (serde_json::Value, serde_json::Value) = (
                    serde_json::from_str(&first).unwrap(),
                    serde_json::from_str(&again).unwrap(),
                );
                a["metadata"]["resourceVersion"] = serde_json::Value::Null;
                b["metadata"]["resourceVersion"] = serde_json::Value::Null;
                assert_eq!(a, b, "{kind} {name}: get -o json | apply changed it");
            }
        }
    }
    // A whole list printed by get feeds back to apply as well.
    let list = s.ok(&["get", "gnp", "-o", "yaml"], "");
    assert!(list.contains("kind: GlobalNetworkPolicyList"), "{list}");
    assert_eq!(
        s.ok(&["apply", "-f", "-"], &list),
        "Successfully applied 1 'GlobalNetworkPolicy' resource(s)\n"
    );
}

#[test]
fn a_stale_resource_version_is_a_conflict() {
    let s = Store::new("conflict");
    s.ok(&["apply", "-f", EVERY_KIND], "");
    let stale = s.ok(&["get", "gnp", "deny-nodeports", "-o", "yaml"], "");
    s.ok(
        &["apply", "-f", "-"],
        &stale.replace("order: 1100", "order: 1200"),
    );
    let r = s.run(
        &["replace", "-f", "-"],
        &stale.replace("order: 1100", "order: 1300"),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: GlobalNetworkPolicy `deny-nodeports` was changed by someone else: you have resourceVersion"), "{}", r.stderr);
    assert!(
        s.ok(&["get", "gnp", "-o", "wide"], "").contains("1200"),
        "the losing write changed nothing"
    );
}

#[test]
fn tables_have_calicoctls_columns() {
    let s = Store::new("tables");
    s.ok(&["apply", "-f", EVERY_KIND], "");
    assert_eq!(
        s.ok(&["get", "gnp"], ""),
        "NAME             TIER      \ndeny-nodeports   default   \n"
    );
    assert_eq!(
        s.ok(&["get", "gnp", "-o", "wide"], ""),
        "NAME             TIER      ORDER   SELECTOR                      \ndeny-nodeports   default   1100    ibm.role == 'worker_public'   \n"
    );
    assert_eq!(s.ok(&["get", "tiers"], ""), "NAME            ORDER      \nkube-admin      1000       \nsecurity        100        \ndefault         1000000    \nkube-baseline   10000000   \n".replace("kube-admin      1000       \nsecurity        100        \n", "security        100        \nkube-admin      1000       \n"));
    assert_eq!(
        s.ok(&["get", "hep", "-o", "wide"], ""),
        "NAME         NODE    INTERFACE   IPS          PROFILES                      \nnode1-eth0   node1   eth0        192.0.2.10   projectcalico-default-allow   \n"
    );
    assert_eq!(
        s.ok(&["get", "networkpolicy", "-n", "prod"], ""),
        "NAMESPACE   NAME                       TIER       \nprod        allow-web                  security   \nprod        knp.default.access-nginx   default    \n"
    );
    assert_eq!(
        s.ok(&["get", "wep", "-n", "prod"], ""),
        "NAMESPACE   WORKLOAD   NODE    NETWORKS      INTERFACE         \nprod        abc        node1   10.0.0.9/32   cali1234567890a   \nprod        nginx-1    node1   10.0.0.5/32   cali95267b37c9f   \n"
    );
    assert_eq!(
        s.ok(&["get", "gnp", "-o", "custom-columns=NAME,ORDER"], ""),
        "NAME             ORDER   \ndeny-nodeports   1100    \n"
    );
    assert_eq!(
        s.ok(&["get", "gnp", "-o", "name"], ""),
        "globalnetworkpolicy.projectcalico.org/deny-nodeports\n"
    );
}

#[test]
fn skip_exists_and_skip_not_exists() {
    let s = Store::new("skip");
    let gns = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: a}\nspec: {nets: [10.0.0.0/8]}\n";
    s.ok(&["create", "-f", "-"], gns);
    let again = s.run(&["create", "-f", "-"], gns);
    assert_eq!(again.code, 1);
    assert_eq!(again.stderr, "error: GlobalNetworkSet `a` already exists\n");
    assert_eq!(
        s.ok(&["create", "--skip-exists", "-f", "-"], gns),
        "Successfully created 0 resource(s)\nSkipped 1 resource(s) that already exist\n"
    );
    assert_eq!(
        s.ok(&["delete", "gnetset", "a"], ""),
        "Successfully deleted 1 'GlobalNetworkSet' resource(s)\n"
    );
    let missing = s.run(&["delete", "gnetset", "a"], "");
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (1, "error: GlobalNetworkSet `a` does not exist\n")
    );
    assert!(
        s.ok(&["delete", "-s", "gnetset", "a"], "")
            .contains("Skipped 1 resource(s) that do not exist")
    );
}

#[test]
fn bad_input_is_rejected_and_nothing_is_written() {
    let s = Store::new("bad");
    let mixed = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: good}\nspec: {nets: [10.0.0.0/8]}\n---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: bad}\nspec: {nets: [10.0.0.300], nett: []}\n";
    let r = s.run(&["apply", "-f", "-"], mixed);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("-:9: GlobalNetworkSet/bad: spec.nett: unknown field `nett`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .ends_with("error: 1 problem found; nothing was written\n"),
        "{}",
        r.stderr
    );
    let invalid = mixed.replace(", nett: []", "");
    let r = s.run(&["apply", "-f", "-"], &invalid);
    assert!(
        r.stderr
            .contains("-:9: GlobalNetworkSet/bad: spec.nets[0]: invalid network"),
        "{}",
        r.stderr
    );
    assert_eq!(
        s.ok(&["get", "gnetset"], ""),
        "NAME   \n",
        "neither object was written"
    );
}

#[test]
fn converted_policies_are_read_only_and_found_by_their_kubernetes_name() {
    let s = Store::new("knp");
    s.ok(&["apply", "-f", EVERY_KIND], "");
    let got = s.ok(
        &["get", "policy", "-o", "yaml", "access-nginx", "-n", "prod"],
        "",
    );
    assert!(got.contains("name: knp.default.access-nginx"), "{got}");
    assert!(
        got.contains("selector: projectcalico.org/orchestrator == 'k8s' && run == 'nginx'"),
        "{got}"
    );
    let r = s.run(&["apply", "-f", "-"], &got);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is converted from the Kubernetes object NetworkPolicy (networking.k8s.io/v1) `prod/access-nginx`"), "{}", r.stderr);
    for args in [
        vec![
            "delete",
            "networkpolicy",
            "knp.default.access-nginx",
            "-n",
            "prod",
        ],
        vec![
            "label",
            "networkpolicy",
            "knp.default.access-nginx",
            "a=b",
            "-n",
            "prod",
        ],
        vec![
            "patch",
            "networkpolicy",
            "knp.default.access-nginx",
            "-p",
            "{\"spec\":{\"order\":1}}",
            "-n",
            "prod",
        ],
    ] {
        let r = s.run(&args, "");
        assert_eq!(r.code, 1, "{args:?}");
        assert!(
            r.stderr.contains(
                "change NetworkPolicy (networking.k8s.io/v1) `prod/access-nginx` instead"
            ),
            "{args:?}: {}",
            r.stderr
        );
    }
    let all = s.ok(&["get", "networkpolicy", "-A"], "");
    assert!(
        all.contains("knp.default.access-nginx") && all.contains("allow-web"),
        "{all}"
    );
}

#[test]
fn label_and_patch_change_one_object() {
    let s = Store::new("label");
    s.ok(&["apply", "-f", EVERY_KIND], "");
    assert_eq!(
        s.ok(
            &["label", "hep", "node1-eth0", "ibm.role=worker_public"],
            ""
        ),
        "Successfully set label ibm.role on hostendpoint node1-eth0\n"
    );
    let r = s.run(&["label", "hep", "node1-eth0", "ibm.role=other"], "");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("already has label `ibm.role=worker_public`; use --overwrite"),
        "{}",
        r.stderr
    );
    s.ok(
        &[
            "label",
            "hep",
            "node1-eth0",
            "ibm.role=other",
            "--overwrite",
        ],
        "",
    );
    s.ok(&["label", "hep", "node1-eth0", "role", "--remove"], "");
    let hep = s.ok(&["get", "hep", "node1-eth0", "-o", "yaml"], "");
    assert!(
        hep.contains("ibm.role: other") && !hep.contains("role: worker"),
        "{hep}"
    );
    assert_eq!(
        s.ok(
            &[
                "patch",
                "gnp",
                "deny-nodeports",
                "-p",
                "{\"spec\":{\"order\":42}}"
            ],
            ""
        ),
        "Successfully patched 1 'GlobalNetworkPolicy' resource\n"
    );
    s.ok(
        &[
            "patch",
            "gnp",
            "deny-nodeports",
            "-t",
            "json",
            "-p",
            "[{\"op\":\"replace\",\"path\":\"/spec/selector\",\"value\":\"all()\"}]",
        ],
        "",
    );
    let wide = s.ok(&["get", "gnp", "-o", "wide"], "");
    assert!(wide.contains("42") && wide.contains("all()"), "{wide}");
    let r = s.run(
        &[
            "patch",
            "gnp",
            "deny-nodeports",
            "-p",
            "{\"spec\":{\"order\":\"x\"}}",
        ],
        "",
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("the patch makes GlobalNetworkPolicy `deny-nodeports` invalid"),
        "{}",
        r.stderr
    );
}

#[test]
fn namespaces_follow_calicoctl() {
    let s = Store::new("ns");
    let np = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: prod}\nspec: {selector: all()}\n";
    let r = s.run(&["apply", "-n", "dev", "-f", "-"], np);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("is in namespace `prod` but -n says `dev`"),
        "{}",
        r.stderr
    );
    s.ok(&["apply", "-f", "-"], &np.replace(", namespace: prod", ""));
    assert_eq!(
        s.ok(&["get", "np", "-o", "name"], ""),
        "networkpolicy.projectcalico.org/p\n",
        "no namespace means default"
    );
    assert_eq!(s.run(&["get", "np", "p", "-A"], "").code, 2);
    assert_eq!(s.run(&["get", "gnp", "-n", "x"], "").code, 2);
    assert_eq!(s.run(&["get", "np", "-n", "a", "-A"], "").code, 2);
    assert_eq!(s.run(&["get", "nosuchkind"], "").code, 2);
    let missing = s.run(&["get", "np", "nope"], "");
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (1, "error: NetworkPolicy `default/nope` does not exist\n")
    );
}

#[test]
fn two_concurrent_apply_runs_lose_no_update() {
    let s = Store::new("parallel");
    let file = |p: &str| -> String {
        (0..40)
            .map(|i| format!("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {{name: {p}-{i}, labels: {{from: {p}}}}}\nspec: {{nets: [10.0.{i}.0/24]}}\n---\n"))
            .collect()
    };
    let dir = s.dir.clone();
    std::thread::scope(|scope| {
        for p in ["a", "b", "c"] {
            let text = file(p);
            let dir = dir.clone();
            scope.spawn(move || {
                for _ in 0..3 {
                    let r = store::run_in(&dir, &["apply", "-f", "-"], &text);
                    assert_eq!(r.code, 0, "{}", r.stderr);
                }
            });
        }
    });
    let names = s.ok(&["get", "gnetset", "-o", "name"], "");
    assert_eq!(
        names.lines().count(),
        120,
        "every object of the three concurrent writers is there"
    );
}

#[test]
fn version_names_the_client_and_the_datastore() {
    let client_only = common::tortie(&["version", "--client"], "");
    assert_eq!(
        client_only.stdout,
        format!("Client Version:    v{}\n", env!("CARGO_PKG_VERSION"))
    );
    let s = Store::new("version");
    s.ok(
        &["apply", "-f", "-"],
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\n",
    );
    let full = s.ok(&["version"], "");
    assert!(
        full.contains("Cluster Type:      tortie,embedded"),
        "{full}"
    );
    assert!(
        full.contains("Datastore Revision: 2"),
        "built-in tiers at 1, the tier at 2: {full}"
    );
}
