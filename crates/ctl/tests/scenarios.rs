//! Every scenario of the two seed documents, traced offline from `examples/scenarios/`: the
//! verdict and, step by step, which policy (or profile, or end of tier) and rule decided.

mod common;

use common::tortie;
use serde_json::Value;

/// One expected checkpoint: its name, who decided, the rule index, the verdict.
///
/// `who` is a policy name, `profile NAME`, `end of tier NAME` (the tier's default action),
/// `failsafe`, or `-` for a step without policy (DNAT, SNAT, skipped stages).
type Expect = (&'static str, &'static str, Option<u64>, &'static str);

struct Case {
    dir: &'static str,
    /// The `trace` arguments after `-f DIR -o json`, separated by spaces.
    args: &'static str,
    verdict: &'static str,
    steps: &'static [Expect],
}

const CASES: &[Case] = &[
    // IBM, "Isolating app microservices": front end -> back end -> database.
    Case {
        dir: "srv1-isolation",
        args: "--from default/srv1-frontend --to default/srv1-backend --port 8080",
        verdict: "Allow",
        steps: &[
            ("source egress", "profile kns.default", Some(0), "Allow"),
            (
                "destination ingress",
                "knp.default.backend-allow",
                Some(0),
                "Allow",
            ),
        ],
    },
    Case {
        dir: "srv1-isolation",
        args: "--from default/srv1-backend --to default/srv1-db --port 5432",
        verdict: "Allow",
        steps: &[(
            "destination ingress",
            "knp.default.db-allow",
            Some(0),
            "Allow",
        )],
    },
    Case {
        dir: "srv1-isolation",
        args: "--from default/srv1-frontend --to default/srv1-db --port 5432",
        verdict: "Deny",
        steps: &[("destination ingress", "end of tier default", None, "Deny")],
    },
    Case {
        dir: "srv1-isolation",
        args: "--from default/other --to default/srv1-backend --port 8080",
        verdict: "Deny",
        steps: &[("destination ingress", "end of tier default", None, "Deny")],
    },
    // IBM: finance namespace -> accounts back end on port 3111 only.
    Case {
        dir: "accounts-finance",
        args: "--from finance/ledger --to accounts/srv1-backend --port 3111",
        verdict: "Allow",
        steps: &[
            ("source egress", "profile kns.finance", Some(0), "Allow"),
            (
                "destination ingress",
                "knp.default.accounts-allow",
                Some(0),
                "Allow",
            ),
        ],
    },
    Case {
        dir: "accounts-finance",
        args: "--from finance/ledger --to accounts/srv1-backend --port 8080",
        verdict: "Deny",
        steps: &[("destination ingress", "end of tier default", None, "Deny")],
    },
    Case {
        dir: "accounts-finance",
        args: "--from marketing/web --to accounts/srv1-backend --port 3111",
        verdict: "Deny",
        steps: &[("destination ingress", "end of tier default", None, "Deny")],
    },
    // IBM, "Logging denied traffic": only run=access reaches nginx; the rest is logged, then
    // denied.
    Case {
        dir: "access-nginx",
        args: "--from default/access --to default/nginx --port 80",
        verdict: "Allow",
        steps: &[(
            "destination ingress",
            "knp.default.access-nginx",
            Some(0),
            "Allow",
        )],
    },
    Case {
        dir: "access-nginx",
        args: "--from default/intruder --to default/nginx --port 80",
        verdict: "Deny",
        steps: &[("destination ingress", "end of tier default", None, "Deny")],
    },
    // IBM, pre-DNAT: NLB 1.0 whitelist, everyone else blocked, node ports closed.
    Case {
        dir: "ibm-nlb1",
        args: "--from 198.51.100.7 --to 203.0.113.10 --port 80 --via hep/worker1-public",
        verdict: "Allow",
        steps: &[
            ("pre-DNAT ingress", "whitelist-nlb1", Some(0), "Allow"),
            ("DNAT", "-", None, "Info"),
            ("forward", "-", None, "Allow"),
            ("SNAT", "-", None, "Info"),
            (
                "destination ingress",
                "profile kns.default",
                Some(0),
                "Allow",
            ),
        ],
    },
    Case {
        dir: "ibm-nlb1",
        args: "--from 198.51.100.99 --to 203.0.113.10 --port 80 --via hep/worker1-public",
        verdict: "Deny",
        steps: &[("pre-DNAT ingress", "deny-lb-port-80", Some(0), "Deny")],
    },
    Case {
        dir: "ibm-nlb1",
        args: "--from 198.51.100.7 --to 203.0.113.21 --port 30080",
        verdict: "Deny",
        steps: &[("pre-DNAT ingress", "deny-nodeports", Some(0), "Deny")],
    },
    Case {
        dir: "ibm-nlb1",
        args: "--from 198.51.100.7 --to 203.0.113.22 --port 31000 --protocol udp",
        verdict: "Deny",
        steps: &[("pre-DNAT ingress", "deny-nodeports", Some(1), "Deny")],
    },
    // Traffic to the worker itself on a port nothing allows: the IKS-style defaults select the
    // host endpoint, so the default tier's end-of-tier deny drops it.
    Case {
        dir: "ibm-nlb1",
        args: "--from 198.51.100.7 --to 203.0.113.22 --port 8443",
        verdict: "Deny",
        steps: &[("host ingress", "end of tier default", None, "Deny")],
    },
    // IBM, NLB 2.0: untracked whitelist, untracked deny for the rest, replies allowed
    // explicitly because doNotTrack bypasses conntrack.
    Case {
        dir: "ibm-nlb2",
        args: "--from 198.51.100.7 --to 203.0.113.10 --port 80 --via hep/worker1-public",
        verdict: "Allow",
        steps: &[
            ("untracked ingress", "whitelist-nlb2", Some(0), "Allow"),
            ("host ingress", "-", None, "Allow"),
            (
                "untracked reply egress",
                "allow-nlb2-replies",
                Some(0),
                "Allow",
            ),
        ],
    },
    Case {
        dir: "ibm-nlb2",
        args: "--from 198.51.100.9 --to 203.0.113.10 --port 80 --via hep/worker1-public",
        verdict: "Deny",
        steps: &[("untracked ingress", "deny-nlb2-others", Some(0), "Deny")],
    },
    // Calico, "Apply policy to Kubernetes node ports".
    Case {
        dir: "node-ports",
        args: "--from 198.51.100.7 --to 1.2.3.11 --port 31852",
        verdict: "Allow",
        steps: &[
            ("pre-DNAT ingress", "allow-nodeport", Some(0), "Allow"),
            ("DNAT", "-", None, "Info"),
            ("forward", "-", None, "Allow"),
            ("SNAT", "-", None, "Info"),
            (
                "pre-DNAT ingress",
                "allow-cluster-internal-ingress-only",
                Some(0),
                "Allow",
            ),
            (
                "destination ingress",
                "profile kns.default",
                Some(0),
                "Allow",
            ),
        ],
    },
    Case {
        dir: "node-ports",
        args: "--from 198.51.100.7 --to 1.2.3.11 --port 8080",
        verdict: "Deny",
        steps: &[(
            "pre-DNAT ingress",
            "allow-cluster-internal-ingress-only",
            Some(1),
            "Deny",
        )],
    },
    Case {
        dir: "node-ports",
        args: "--from 198.51.100.7 --to 1.2.3.11 --port 22",
        verdict: "Allow",
        steps: &[("untracked ingress (failsafe)", "failsafe", None, "Allow")],
    },
    Case {
        dir: "node-ports",
        args: "--from 1.2.200.1 --to node/node1 --port 10250",
        verdict: "Allow",
        steps: &[
            (
                "pre-DNAT ingress",
                "allow-cluster-internal-ingress-only",
                Some(0),
                "Allow",
            ),
            ("host ingress", "-", None, "Allow"),
        ],
    },
    Case {
        dir: "node-ports",
        args: "--from node/node1 --to 198.51.100.7 --port 443",
        verdict: "Allow",
        steps: &[("host egress", "allow-outbound-external", Some(0), "Allow")],
    },
    Case {
        dir: "node-ports",
        args: "--from default/client --to 1.2.3.12 --port 31852",
        verdict: "Allow",
        steps: &[
            ("forward egress", "-", None, "Allow"),
            ("pre-DNAT ingress", "allow-nodeport", Some(0), "Allow"),
            (
                "destination ingress",
                "profile kns.default",
                Some(0),
                "Allow",
            ),
        ],
    },
    Case {
        dir: "node-ports-labelled",
        args: "--from 198.51.100.7 --to 1.2.3.11 --port 31852",
        verdict: "Deny",
        steps: &[(
            "pre-DNAT ingress",
            "allow-cluster-internal-ingress-only",
            Some(1),
            "Deny",
        )],
    },
    Case {
        dir: "node-ports-labelled",
        args: "--from 198.51.100.7 --to 1.2.3.12 --port 31852",
        verdict: "Allow",
        steps: &[(
            "pre-DNAT ingress",
            "allow-nodeport-labelled-nodes",
            Some(0),
            "Allow",
        )],
    },
];

/// A step of `-o json` output in the form of [`Expect`].
fn summarize(step: &Value) -> (String, String, Option<u64>, String) {
    let s = |k: &str| step[k].as_str().unwrap_or_default().to_string();
    let who = if let Some(name) = step["policy"]["name"].as_str() {
        name.to_string()
    } else if let Some(p) = step["profile"].as_str() {
        format!("profile {p}")
    } else if s("checkpoint").contains("failsafe") {
        "failsafe".into()
    } else if let Some(t) = step["tier"].as_str() {
        format!("end of tier {t}")
    } else {
        "-".into()
    };
    (
        s("checkpoint"),
        who,
        step["ruleIndex"].as_u64(),
        s("verdict"),
    )
}

fn trace(dir: &str, args: &[&str]) -> Value {
    let path = format!("examples/scenarios/{dir}");
    let mut all = vec!["trace", "-f", &path, "-o", "json"];
    all.extend_from_slice(args);
    let run = tortie(&all, "");
    assert_eq!(run.code, 0, "tortie {all:?}: {}", run.stderr);
    serde_json::from_str(&run.stdout).expect("trace -o json prints one JSON object")
}

#[test]
fn every_seed_scenario_traces_as_the_documents_say() {
    let mut failures = Vec::new();
    for case in CASES {
        let args: Vec<&str> = case.args.split(' ').collect();
        let decision = trace(case.dir, &args);
        let steps: Vec<_> = decision["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(summarize)
            .collect();
        let label = format!("{} {}", case.dir, case.args);
        if decision["verdict"] != case.verdict {
            failures.push(format!(
                "{label}: verdict {} (steps {steps:?})",
                decision["verdict"]
            ));
            continue;
        }
        // The expected steps appear in order (other steps may come between them).
        let mut rest = steps.iter();
        for want in case.steps {
            let found = rest.any(|(c, w, r, v)| {
                c.starts_with(want.0) && w == want.1 && *r == want.2 && v == want.3
            });
            if !found {
                failures.push(format!("{label}: no step {want:?} in order in {steps:?}"));
                break;
            }
        }
        // A denied flow stops at the step that denied it.
        if case.verdict == "Deny" {
            let last = steps.last().expect("a denied flow has a step");
            if last.3 != "Deny" {
                failures.push(format!("{label}: the last step does not deny: {steps:?}"));
            }
        }
    }
    println!("{} seed scenario traces checked", CASES.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_logged_denial_names_the_log_policy_and_the_selecting_policies() {
    let d = trace(
        "access-nginx",
        &[
            "--from",
            "default/intruder",
            "--to",
            "default/nginx",
            "--port",
            "80",
        ],
    );
    let step = d["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(
        step["logged"][0]["policy"],
        "NetworkPolicy default/log-denied-packets"
    );
    assert_eq!(step["logged"][0]["rule"], 0);
    let selected: Vec<&str> = step["selectedBy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(selected, ["knp.default.access-nginx", "log-denied-packets"]);
}

#[test]
fn untracked_requests_need_untracked_replies() {
    // The NLB 2.0 scenario without the reply policy: the request is allowed untracked, and its
    // reply, not part of any connection, is dropped.
    let files = ["cluster.yaml", "host-defaults.yaml", "whitelist-nlb2.yaml"];
    let text: String = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(common::root().join("examples/scenarios/ibm-nlb2").join(f))
                .unwrap()
                + "\n---\n"
        })
        .collect();
    let run = tortie(
        &[
            "trace",
            "-f",
            "-",
            "-o",
            "json",
            "--from",
            "198.51.100.7",
            "--to",
            "203.0.113.10",
            "--port",
            "80",
            "--via",
            "hep/worker1-public",
        ],
        &text,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let d: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(d["verdict"], "Deny");
    let last = summarize(d["steps"].as_array().unwrap().last().unwrap());
    assert_eq!(last.0, "untracked reply egress");
    assert_eq!(last.3, "Deny");
    assert!(
        d["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("cannot DNAT")),
        "the trace says that untracked packets are not DNATed: {}",
        d["notes"]
    );
}
