//! Random input never panics the YAML parser, the loader, validation or the lints.

use proptest::prelude::*;
use tortie_model::lint::lint;
use tortie_model::load_str;

/// Calico-flavoured YAML: real keys and values in random shapes and indentation.
fn yamlish() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("apiVersion"),
        Just("kind"),
        Just("metadata"),
        Just("name"),
        Just("namespace"),
        Just("spec"),
        Just("selector"),
        Just("ingress"),
        Just("egress"),
        Just("action"),
        Just("ports"),
        Just("nets"),
        Just("protocol"),
        Just("order"),
        Just("types"),
        Just("source"),
        Just("destination"),
        Just("items"),
        Just("icmp"),
        Just("type"),
        Just("code"),
        Just("labels"),
        Just("podSelector"),
        Just("matchLabels"),
    ];
    let value = prop_oneof![
        Just("projectcalico.org/v3"),
        Just("networking.k8s.io/v1"),
        Just("v1"),
        Just("NetworkPolicy"),
        Just("GlobalNetworkPolicy"),
        Just("List"),
        Just("Allow"),
        Just("TCP"),
        Just("80"),
        Just("\"80\""),
        Just("1:2"),
        Just("10.0.0.1/8"),
        Just("has(a) && b == 'c'"),
        Just("[]"),
        Just("{}"),
        Just("~"),
        Just("- x"),
        Just("yes"),
        Just("1e9"),
        Just("-1"),
        Just("*anchor"),
        Just("&anchor v"),
        Just("'"),
    ];
    proptest::collection::vec((0usize..4, key, value, any::<bool>()), 0..24).prop_map(|lines| {
        let mut out = String::new();
        for (indent, k, v, dash) in lines {
            out.push_str(&"  ".repeat(indent));
            if dash {
                out.push_str("- ");
            }
            out.push_str(&format!("{k}: {v}\n"));
        }
        out
    })
}

fn exercise(text: &str) {
    if let Ok(objects) = load_str(text, "fuzz") {
        for o in &objects {
            for v in o.check() {
                let _ = o.line_of(&v.path);
            }
            let _ = o.label();
        }
        let _ = lint(&objects);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn loader_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        exercise(&text);
    }

    #[test]
    fn loader_never_panics_on_yamlish_text(text in yamlish()) {
        exercise(&text);
    }

    #[test]
    fn loader_never_panics_on_mutated_real_policy(cut in 0usize..400, insert in "[ :\\-{}\\[\\]'\"#&*!|>\n]{0,3}") {
        let base = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: x\nspec:\n  selector: has(a)\n  ingress:\n  - action: Allow\n    protocol: TCP\n    source:\n      nets: [10.0.0.0/8]\n    destination:\n      ports: [80, '1000:2000', http]\n";
        let at = cut.min(base.len());
        let text = format!("{}{}{}", &base[..at], insert, &base[at..]);
        exercise(&text);
    }
}
