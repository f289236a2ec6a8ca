//! Every vector of `../shared/conformance/k8s-conversion/`: Kubernetes -> Calico conversion
//! (policies, selectors, peers, ports, profiles) and the Felix view of converted policies.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tortie_model::k8s::convert::{self, K8sRule, SelectorTarget};
use tortie_model::k8s::core::{Namespace, ServiceAccount};
use tortie_model::k8s::network_policy::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
};
use tortie_model::meta::LabelSelector;
use tortie_model::numorstring::{Port, Protocol};
use tortie_model::rule::{PolicyType, Rule};
use tortie_model::translate::{FelixRule, network_policy_to_felix};
use tortie_model::yaml::{from_node, parse_stream};

const DIR: &str = "conformance/k8s-conversion";

/// Every file's cases, with the documentation fields ignored.
#[derive(Deserialize)]
struct Cases<C> {
    cases: Vec<C>,
    #[serde(flatten)]
    _rest: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    expected: Option<Value>,
    #[serde(default)]
    expected_error: Option<Value>,
    #[serde(default)]
    selector_type: Option<String>,
    #[serde(default)]
    peer: Option<Value>,
    #[serde(default)]
    expected_model_policy: Option<Value>,
    #[serde(flatten)]
    _rest: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct Profiles {
    conversions: Vec<Case>,
    name_parsing: Vec<NameCase>,
    #[serde(flatten)]
    _rest: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct NameCase {
    id: String,
    function: String,
    input: String,
    expected: BTreeMap<String, Value>,
    #[serde(flatten)]
    _rest: BTreeMap<String, Value>,
}

/// Deserializes a vector value through the same YAML path as real files.
fn typed<T: DeserializeOwned>(v: &Value) -> T {
    let docs = parse_stream(&v.to_string()).expect("vector value is valid JSON");
    from_node(&docs[0]).unwrap_or_else(|e| panic!("{}: {e}: {v}", e.path))
}

/// Absent, null, `""`, `[]` and `{}` all mean "not set".
fn unset(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

fn same(actual: Option<&Value>, expected: &Value) -> bool {
    (unset(actual) && unset(Some(expected))) || actual == Some(expected)
}

fn dotted<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// Checks one direction's rules against `{count, match, rules}`.
fn check_rules(actual: &[Rule], want: &Value, errs: &mut Vec<String>, dir: &str) {
    let count = want["count"].as_u64().expect("count") as usize;
    if actual.len() != count {
        errs.push(format!("{dir}: {} rules, want {count}", actual.len()));
        return;
    }
    let rules = want.get("rules").and_then(Value::as_array);
    match want.get("match").and_then(Value::as_str) {
        None => {}
        Some("exact-unordered") => {
            let mut left: Vec<&Rule> = actual.iter().collect();
            for w in rules.expect("rules") {
                let w: Rule = typed(w);
                match left.iter().position(|r| **r == w) {
                    Some(i) => {
                        left.remove(i);
                    }
                    None => errs.push(format!("{dir}: no rule equals {w:?} in {actual:?}")),
                }
            }
        }
        Some("fields-by-index") => {
            for item in rules.expect("rules") {
                let i = item["index"].as_u64().expect("index") as usize;
                let json = serde_json::to_value(&actual[i]).expect("rule serializes");
                for (path, value) in item.as_object().expect("item").iter() {
                    let got = dotted(&json, path);
                    if path != "index" && !same(got, value) {
                        errs.push(format!("{dir}[{i}].{path}: got {got:?}, want {value}"));
                    }
                }
            }
        }
        Some(other) => panic!("unknown match mode {other}"),
    }
}

fn check_dropped(conv: &convert::Conversion, want: Option<&Value>, errs: &mut Vec<String>) {
    let bad: &[Value] = match want.filter(|v| !v.is_null()) {
        None => &[],
        Some(w) => {
            if w["policy_name"] != conv.policy.metadata.name.as_str() {
                errs.push(format!("error names {}", conv.policy.metadata.name));
            }
            w["bad_rules"].as_array().expect("bad_rules")
        }
    };
    if conv.dropped.len() != bad.len() {
        errs.push(format!(
            "{} dropped rules, want {}",
            conv.dropped.len(),
            bad.len()
        ));
        return;
    }
    for (d, w) in conv.dropped.iter().zip(bad) {
        let rule_ok = match (&d.rule, w["direction"].as_str()) {
            (K8sRule::Ingress(r), Some("ingress")) => {
                d.direction == PolicyType::Ingress
                    && *r == typed::<NetworkPolicyIngressRule>(&w["rule"])
            }
            (K8sRule::Egress(r), Some("egress")) => {
                d.direction == PolicyType::Egress
                    && *r == typed::<NetworkPolicyEgressRule>(&w["rule"])
            }
            _ => false,
        };
        if !rule_ok {
            errs.push(format!("dropped rule {d:?} is not {w}"));
        }
        if w["reason"] != d.reason.as_str() {
            errs.push(format!("reason {:?}, want {}", d.reason, w["reason"]));
        }
    }
}

fn network_policy_case(c: &Case) -> Vec<String> {
    let np: NetworkPolicy = typed(c.input.as_ref().expect("input"));
    let conv = convert::network_policy_to_calico(&np);
    let mut errs = Vec::new();
    check_dropped(&conv, c.expected_error.as_ref(), &mut errs);
    let p = &conv.policy;
    let want = c.expected.as_ref().expect("expected");
    let types: Vec<String> = p.spec.types.iter().map(|t| format!("{t:?}")).collect();
    let meta = [
        ("key.name", Value::from(p.metadata.name.as_str())),
        ("key.namespace", Value::from(p.metadata.namespace.as_str())),
        ("name", Value::from(p.metadata.name.as_str())),
        ("namespace", Value::from(p.metadata.namespace.as_str())),
        ("kind", Value::from(p.kind.as_str())),
        ("apiVersion", Value::from(p.api_version.as_str())),
        ("order", Value::from(p.spec.order.unwrap_or(f64::NAN))),
        ("selector", Value::from(p.spec.selector.as_str())),
        ("types", Value::from(types)),
    ];
    for (path, got) in meta {
        if let Some(w) = dotted(want, path) {
            let equal = match (got.as_f64(), w.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => got == *w,
            };
            if !equal {
                errs.push(format!("{path}: got {got}, want {w}"));
            }
        }
    }
    const KNOWN: [&str; 10] = [
        "key",
        "name",
        "namespace",
        "kind",
        "apiVersion",
        "order",
        "selector",
        "types",
        "ingress",
        "egress",
    ];
    for key in want.as_object().expect("expected").keys() {
        assert!(
            KNOWN.contains(&key.as_str()),
            "{}: unknown expectation {key}",
            c.id
        );
    }
    if let Some(w) = want.get("ingress") {
        check_rules(&p.spec.ingress, w, &mut errs, "ingress");
    }
    if let Some(w) = want.get("egress") {
        check_rules(&p.spec.egress, w, &mut errs, "egress");
    }
    errs
}

fn selector_case(c: &Case) -> Vec<String> {
    let target = match c.selector_type.as_deref() {
        Some("pod") => SelectorTarget::Pod,
        Some("namespace") => SelectorTarget::Namespace,
        other => panic!("{}: selector_type {other:?}", c.id),
    };
    let sel: Option<LabelSelector> = c.input.as_ref().filter(|v| !v.is_null()).map(typed);
    let got = convert::label_selector_to_calico(sel.as_ref(), target);
    let want = c
        .expected
        .as_ref()
        .and_then(Value::as_str)
        .expect("expected");
    if got == want {
        Vec::new()
    } else {
        vec![format!("got {got:?}, want {want:?}")]
    }
}

fn peer_case(c: &Case) -> Vec<String> {
    let peer: NetworkPolicyPeer = typed(c.peer.as_ref().expect("peer"));
    let f = convert::peer_to_calico_fields(Some(&peer));
    let want = c.expected.as_ref().expect("expected");
    let got = [
        ("selector", Value::from(f.selector)),
        ("namespaceSelector", Value::from(f.namespace_selector)),
        ("nets", Value::from(f.nets)),
        ("notNets", Value::from(f.not_nets)),
    ];
    let mut errs = Vec::new();
    for (k, v) in got {
        if !same(Some(&v), &want[k]) {
            errs.push(format!("{k}: got {v}, want {}", want[k]));
        }
    }
    errs
}

fn port_case(c: &Case) -> Vec<String> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).expect("string").to_string();
    let input = text(c.input.as_ref());
    let ports: Vec<Port> = input
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| convert::port_from_string(s).expect("valid port"))
        .collect();
    let got: Vec<String> = convert::simplify_ports(ports)
        .iter()
        .map(ToString::to_string)
        .collect();
    let (got, want) = (got.join(","), text(c.expected.as_ref()));
    if got == want {
        Vec::new()
    } else {
        vec![format!("got {got:?}, want {want:?}")]
    }
}

fn profile_case(c: &Case) -> Vec<String> {
    let input = c.input.as_ref().expect("input");
    let p = match input["kind"].as_str() {
        Some("Namespace") => convert::namespace_to_profile(&typed::<Namespace>(input)),
        Some("ServiceAccount") => {
            convert::service_account_to_profile(&typed::<ServiceAccount>(input))
        }
        other => panic!("{}: kind {other:?}", c.id),
    };
    let mut errs = Vec::new();
    let mut check = |what: &str, ok: bool| {
        if !ok {
            errs.push(format!("{what} differs: {p:?}"));
        }
    };
    for (key, w) in c
        .expected
        .as_ref()
        .and_then(Value::as_object)
        .expect("expected")
    {
        match key.as_str() {
            "key" => {
                check("name", w["name"] == p.metadata.name.as_str());
                check("kind", w["kind"] == p.kind.as_str());
            }
            "kind" => check("kind", *w == p.kind.as_str()),
            "apiVersion" => check("apiVersion", *w == p.api_version.as_str()),
            "ingress" => check("ingress", typed::<Vec<Rule>>(w) == p.spec.ingress),
            "egress" => check("egress", typed::<Vec<Rule>>(w) == p.spec.egress),
            "labelsToApply" => check(
                "labelsToApply",
                typed::<BTreeMap<String, String>>(w) == p.spec.labels_to_apply,
            ),
            "labelsToApply_contains" => {
                let want: BTreeMap<String, String> = typed(w);
                let ok = want
                    .iter()
                    .all(|(k, v)| p.spec.labels_to_apply.get(k) == Some(v));
                check("labelsToApply_contains", ok);
            }
            // The conversion is infallible in Tortie: it always succeeds.
            "error" => check("error", *w == Value::Bool(false)),
            other => panic!("{}: unknown expectation {other}", c.id),
        }
    }
    errs
}

fn name_case(c: &NameCase) -> Vec<String> {
    let field = |k: &str| c.expected.get(k).and_then(Value::as_str);
    let want_err = c.expected.get("error") == Some(&Value::Bool(true));
    let (ns, sa, err) = match c.function.as_str() {
        "profile-name-to-namespace" => match convert::parse_namespace_profile_name(&c.input) {
            Some(ns) => (ns, "", false),
            None => ("", "", true),
        },
        "profile-name-to-serviceaccount" => {
            match convert::parse_service_account_profile_name(&c.input) {
                Some((ns, sa)) => (ns, sa, false),
                None => ("", "", true),
            }
        }
        other => panic!("{}: function {other}", c.id),
    };
    let ok = err == want_err
        && field("namespace").is_none_or(|w| w == ns)
        && field("serviceaccount").is_none_or(|w| w == sa);
    if ok {
        Vec::new()
    } else {
        vec![format!(
            "got ({ns:?}, {sa:?}, error {err}), want {:?}",
            c.expected
        )]
    }
}

/// Builds the expected Felix rule from the listed fields; unlisted fields are empty.
fn felix_rule(w: &Value) -> FelixRule {
    let mut r = FelixRule::default();
    for (k, v) in w.as_object().expect("rule") {
        let s = || v.as_str().expect("string").to_string();
        match k.as_str() {
            "action" => r.action = s(),
            "protocol" => r.protocol = Some(Protocol::Name(s())),
            "src_selector" => r.src_selector = s(),
            "dst_selector" => r.dst_selector = s(),
            "dst_ports" => r.dst_ports = typed(v),
            "src_ports" => r.src_ports = typed(v),
            "original_src_selector" => r.original_src_selector = s(),
            "original_src_namespace_selector" => r.original_src_namespace_selector = s(),
            "original_dst_selector" => r.original_dst_selector = s(),
            "original_dst_namespace_selector" => r.original_dst_namespace_selector = s(),
            other => panic!("unknown felix rule field {other}"),
        }
    }
    r
}

fn felix_case(c: &Case) -> Vec<String> {
    let np: NetworkPolicy = typed(c.input.as_ref().expect("input"));
    let conv = convert::network_policy_to_calico(&np);
    let f = network_policy_to_felix(&conv.policy);
    let w = c
        .expected_model_policy
        .as_ref()
        .expect("expected_model_policy");
    let mut errs = Vec::new();
    let mut check = |what: &str, ok: bool| {
        if !ok {
            errs.push(format!("{what} differs: {f:?}"));
        }
    };
    check("dropped", conv.dropped.is_empty());
    check(
        "key.name",
        w["key"]["name"] == conv.policy.metadata.name.as_str(),
    );
    check(
        "key.namespace",
        w["key"]["namespace"] == f.namespace.as_str(),
    );
    check("namespace", w["namespace"] == f.namespace.as_str());
    check("tier", w["tier"] == f.tier.as_str());
    check("order", w["order"].as_f64() == f.order);
    check("selector", w["selector"] == f.selector.as_str());
    check("types", w["types"] == Value::from(f.types.clone()));
    check(
        "applyOnForward",
        w["applyOnForward"] == Value::Bool(f.apply_on_forward),
    );
    let rules = |key: &str| -> Vec<FelixRule> {
        w.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(felix_rule).collect())
            .unwrap_or_default()
    };
    check("inbound_rules", rules("inbound_rules") == f.inbound_rules);
    check(
        "outbound_rules",
        rules("outbound_rules") == f.outbound_rules,
    );
    errs
}

#[test]
fn k8s_conversion_corpus() {
    type Runner = fn(&Case) -> Vec<String>;
    let files: [(&str, Runner, usize); 5] = [
        ("networkpolicy.yaml", network_policy_case, 32),
        ("selectors.yaml", selector_case, 9),
        ("peers.yaml", peer_case, 3),
        ("port-simplification.yaml", port_case, 12),
        ("felix-model.yaml", felix_case, 2),
    ];
    let (mut count, mut failures) = (0, Vec::new());
    let mut record = |file: &str, id: &str, errs: Vec<String>| {
        count += 1;
        if !errs.is_empty() {
            failures.push(format!("{file} {id}: {}", errs.join("; ")));
        }
    };
    for (file, run, size) in files {
        let cases: Cases<Case> = tortie_conformance::read_yaml(&format!("{DIR}/{file}"));
        assert_eq!(cases.cases.len(), size, "{file} changed size");
        for c in &cases.cases {
            record(file, &c.id, run(c));
        }
    }
    let profiles: Profiles = tortie_conformance::read_yaml(&format!("{DIR}/profiles.yaml"));
    assert_eq!(
        (profiles.conversions.len(), profiles.name_parsing.len()),
        (8, 5),
        "profiles.yaml changed size"
    );
    for c in &profiles.conversions {
        record("profiles.yaml", &c.id, profile_case(c));
    }
    for c in &profiles.name_parsing {
        record("profiles.yaml", &c.id, name_case(c));
    }
    println!(
        "k8s conversion corpus: {count} vectors, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} conversion vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(count, 71, "the corpus changed size");
}
