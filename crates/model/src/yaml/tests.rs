use serde_json::json;

use super::*;

/// Keys follow the same rule as values (go-yaml v2 quotes `n` and `y`: YAML 1.1 booleans).
#[test]
fn emitter_quotes_only_what_would_be_misread() {
    let v = json!({
        "b": "80", "c": "yes", "d": "!has(a)", "e": "30000:32767", "f": "1:20", "g": "a == 'x' && b",
        "h": "", "i": "with: colon", "j": "it's", "k": "null", "l": 80, "m": true, "n": [], "o": {},
        "a": "plain"
    });
    let want = "\
a: plain
b: \"80\"
c: \"yes\"
d: '!has(a)'
e: 30000:32767
f: \"1:20\"
g: a == 'x' && b
h: \"\"
i: 'with: colon'
j: it's
k: \"null\"
l: 80
m: true
\"n\": []
o: {}
";
    assert_eq!(to_yaml_string(&v), want);
}

#[test]
fn emitter_quotes_timestamps_as_go_yaml_does() {
    let v = json!({"a": "2026-11-23T10:36:05Z", "b": "2001-12-14", "c": "2026-11-x", "d": "v2026-11-23"});
    assert_eq!(
        to_yaml_string(&v),
        "a: \"2026-11-23T10:36:05Z\"\nb: \"2001-12-14\"\nc: 2026-11-x\nd: v2026-11-23\n"
    );
}

#[test]
fn emitter_lays_out_lists_like_calicoctl() {
    let v = json!({"spec": {"ingress": [{"action": "Allow", "source": {"nets": ["10.0.0.0/8"]}}], "types": ["Ingress"]}});
    let want = "\
spec:
  ingress:
  - action: Allow
    source:
      nets:
      - 10.0.0.0/8
  types:
  - Ingress
";
    assert_eq!(to_yaml_string(&v), want);
}

#[test]
fn emitted_text_reads_back_to_the_same_value() {
    let v = json!({"s": ["80", "yes", "!x", "a: b", "#c", "x\ny", "tab\there", "'q'", "\"dq\""], "n": {"k": 1.5}});
    let text = to_yaml_string(&v);
    let node = parse_stream(&text).unwrap().remove(0);
    let back: serde_json::Value = from_node(&node).unwrap();
    // Scalars come back as written types: quoted ones as strings.
    assert_eq!(back["s"], v["s"], "{text}");
    assert_eq!(back["n"]["k"], json!(1.5));
}

#[test]
fn plain_scalars_take_the_type_asked_for() {
    let node = parse_stream("a: yes\nb: 080\nc: '7'\nd: 7\n")
        .unwrap()
        .remove(0);
    let as_strings: std::collections::BTreeMap<String, String> = from_node(&node).unwrap();
    assert_eq!(as_strings["a"], "yes");
    assert_eq!(as_strings["b"], "080");
    #[derive(serde::Deserialize)]
    struct Typed {
        a: bool,
        d: u16,
    }
    #[derive(serde::Deserialize, Debug)]
    struct Quoted {
        #[expect(dead_code, reason = "only the error matters")]
        c: u16,
    }
    let t: Typed = from_node(&parse_stream("a: yes\nd: 7\n").unwrap().remove(0)).unwrap();
    assert!(t.a);
    assert_eq!(t.d, 7);
    let err = from_node::<Quoted>(&parse_stream("c: '7'\n").unwrap().remove(0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected an integer, found the string \"7\""
    );
    assert_eq!(err.path.to_string(), "c");
}

#[test]
fn errors_carry_path_and_line() {
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[expect(dead_code, reason = "only the error matters")]
        port: u16,
    }
    #[derive(serde::Deserialize, Debug)]
    struct Outer {
        #[expect(dead_code, reason = "only the error matters")]
        items: Vec<Inner>,
    }
    let text = "items:\n- port: 1\n- port: 2\n  prot: x\n";
    let err = from_node::<Outer>(&parse_stream(text).unwrap().remove(0)).unwrap_err();
    assert_eq!(err.path.to_string(), "items[1].prot");
    assert_eq!(err.pos.line, 4);
    assert!(
        err.message.contains("did you mean `port`?"),
        "{}",
        err.message
    );
}

#[test]
fn duplicate_keys_and_alias_bombs_are_rejected() {
    assert!(
        parse_stream("a: 1\na: 2\n")
            .unwrap_err()
            .message
            .contains("duplicate key `a`")
    );
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    assert!(
        parse_stream(&bomb)
            .unwrap_err()
            .message
            .contains("alias bomb")
    );
}

#[test]
fn field_paths_parse_and_print() {
    let p = FieldPath::parse("spec.ingress[0].destination.ports[12]");
    assert_eq!(p.to_string(), "spec.ingress[0].destination.ports[12]");
    assert_eq!(
        FieldPath::root().key("a").index(3).key("b").to_string(),
        "a[3].b"
    );
}
