use super::*;
use std::collections::BTreeMap;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// `err!(input => "message fragment" @ start..end)`: the parse fails, the message contains the
/// fragment and the span points at exactly those bytes.
macro_rules! err {
    ($input:expr => $msg:expr, @ $span:expr) => {{
        let e = Selector::parse($input).expect_err($input);
        assert!(
            e.to_string().contains($msg),
            "{:?}: message {:?} lacks {:?}",
            $input,
            e.to_string(),
            $msg
        );
        assert_eq!(e.span, $span, "{:?}: span of {}", $input, e);
    }};
}

#[test]
fn errors_point_at_the_offending_bytes() {
    err!(r#"role = "db""# => "expected `==`, found `=`", @ 5..6);
    err!(r#"a == "b" & c == "d""# => "expected `&&`", @ 9..10);
    err!(r#"a == "b" | c == "d""# => "expected `||`", @ 9..10);
    err!(r#"a == "b"#  => "unterminated string", @ 5..7);
    err!(r#"a == b"# => "expected a quoted string after `==`, found label `b`", @ 5..6);
    err!("a squiggles \"v\"" => "expected an operator", @ 2..11);
    err!("has(a" => "no closing `)` after `has(`", @ 0..5);
    err!("has()" => "expected a label name, found ')'", @ 4..5);
    err!("a in \"x\"" => "a set literal", @ 5..8);
    err!("a in {\"x\" \"y\"}" => "expected a quoted string, `,` or `}`", @ 10..13);
    err!("(a == \"x\"" => "expected `&&`, `||` or `)`", @ 9..9);
    err!("a == \"x\")" => "unexpected `)`", @ 8..9);
    err!("a == \"x\" b == \"y\"" => "unexpected label `b`", @ 9..10);
    err!("!" => "unexpected end of selector", @ 1..1);
    err!("a ==\n\"b\"" => "expected a label name, found '\\n'", @ 4..5);
}

#[test]
fn render_draws_a_caret_under_the_span() {
    let e = Selector::parse(r#"role = "db""#).unwrap_err();
    let text = e.render(r#"role = "db""#);
    assert!(
        text.ends_with("  role = \"db\"\n       ^ did you mean `==`?"),
        "{text}"
    );
}

#[test]
fn absent_labels_follow_calico() {
    let none = labels(&[]);
    for (sel, expect) in [
        ("a == 'x'", false),
        ("a != 'x'", true),
        ("a in {'x'}", false),
        ("a not in {'x'}", true),
        ("a in {}", false),
        ("a not in {}", true),
        ("has(a)", false),
        ("!has(a)", true),
        ("a contains ''", false),
        ("a starts with ''", false),
        ("a ends with ''", false),
        ("all()", true),
        ("global()", true),
    ] {
        assert_eq!(
            Selector::parse(sel).unwrap().matches(&none),
            expect,
            "{sel}"
        );
    }
    assert!(
        Selector::parse("has(a)")
            .unwrap()
            .matches(&labels(&[("a", "")]))
    );
}

#[test]
fn canonical_form_and_unique_id() {
    let s = Selector::parse("! (a == \"b\"&&! c != \"d\")").unwrap();
    assert_eq!(s.canonical(), "!(a == \"b\" && !c != \"d\")");
    assert_eq!(s.unique_id(), "s:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w");
    assert_eq!(Selector::parse("").unwrap().canonical(), "all()");
    assert_eq!(Selector::parse("!(!has(a))").unwrap().canonical(), "has(a)");
    assert_eq!(
        Selector::parse("(a == 'x' && b == 'y') && c == 'z'")
            .unwrap()
            .canonical(),
        "((a == \"x\" && b == \"y\") && c == \"z\")"
    );
}

#[test]
fn prefixing_labels() {
    let s = Selector::parse("team == 'a' || !has(x)").unwrap();
    assert_eq!(
        s.with_label_prefix("pcns.").canonical(),
        "(pcns.team == \"a\" || !has(pcns.x))"
    );
}

#[test]
fn label_validity() {
    assert!(is_valid_label("calico/k8s_NS-.1/role"));
    assert!(!is_valid_label(""));
    assert!(!is_valid_label("a b"));
    assert!(is_valid_label(&"a".repeat(512)));
    assert!(!is_valid_label(&"a".repeat(513)));
}

mod properties {
    use super::super::*;
    use proptest::prelude::*;

    fn label() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9_./-]{1,12}"
    }
    fn value() -> impl Strategy<Value = String> {
        "[a-z0-9 '_-]{0,6}"
    }

    fn expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            Just(Expr::All),
            label().prop_map(Expr::Has),
            (label(), value()).prop_map(|(k, v)| Expr::Eq(k, v)),
            (label(), value()).prop_map(|(k, v)| Expr::Ne(k, v)),
            (label(), value()).prop_map(|(k, v)| Expr::Contains(k, v)),
            (label(), value()).prop_map(|(k, v)| Expr::StartsWith(k, v)),
            (label(), value()).prop_map(|(k, v)| Expr::EndsWith(k, v)),
            (label(), proptest::collection::btree_set(value(), 0..3))
                .prop_map(|(k, s)| Expr::In(k, s)),
            (label(), proptest::collection::btree_set(value(), 0..3))
                .prop_map(|(k, s)| Expr::NotIn(k, s)),
        ];
        leaf.prop_recursive(4, 24, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(Expr::negate),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                proptest::collection::vec(inner, 2..4).prop_map(Expr::Or),
            ]
        })
    }

    fn label_set() -> impl Strategy<Value = std::collections::BTreeMap<String, String>> {
        proptest::collection::btree_map("[a-c]", "[a-c ']{0,2}", 0..4)
    }

    proptest! {
        #[test]
        fn print_then_parse_is_identity(e in expr()) {
            let printed = e.to_string();
            let reparsed = Selector::parse(&printed).map_err(|err| TestCaseError::fail(err.render(&printed)))?;
            prop_assert_eq!(reparsed.expr(), &e);
            prop_assert_eq!(reparsed.canonical(), printed.as_str());
        }

        #[test]
        fn canonical_form_matches_like_the_original(e in expr(), labels in label_set()) {
            let reparsed = Selector::parse(&e.to_string()).unwrap();
            prop_assert_eq!(reparsed.matches(&labels), e.matches(&labels));
        }

        #[test]
        fn parser_never_panics(input in "[ \\t!&|=(){},'\"a-z.in]{0,40}") {
            let _ = Selector::parse(&input);
        }

        #[test]
        fn parser_never_panics_on_any_text(input in "\\PC{0,60}") {
            if let Ok(sel) = Selector::parse(&input) {
                // Whatever parses prints to something that parses to the same selector.
                prop_assert_eq!(Selector::parse(sel.canonical()).unwrap(), sel);
            }
        }

        #[test]
        fn restrictions_are_necessary_conditions(e in expr(), labels in label_set()) {
            let sel = Selector::from_expr(e);
            if sel.matches(&labels) {
                for (k, r) in sel.label_restrictions() {
                    let v = labels.get(&k);
                    if r.must_be_present { prop_assert!(v.is_some()); }
                    if r.must_be_absent { prop_assert!(v.is_none()); }
                    if let (Some(vals), Some(v)) = (&r.must_have_one_of_values, v) {
                        prop_assert!(vals.contains(v));
                    }
                }
            }
        }
    }
}
