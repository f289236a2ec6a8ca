//! Every vector of `../shared/conformance/calico-selectors/selectors.yaml`.

use std::collections::BTreeMap;

use serde::Deserialize;
use tortie_selector::{Selector, tokenize};

#[derive(Deserialize)]
struct Corpus {
    match_tests: Vec<MatchTest>,
    parse_errors: Vec<ParseErrorTest>,
    canonical_tests: Vec<CanonicalTest>,
    prefix_visitor_tests: Vec<VisitorTest>,
    tokenizer: Tokenizer,
    label_restrictions: Vec<RestrictionTest>,
    #[serde(rename = "source")]
    _source: serde_json::Value,
}

#[derive(Deserialize)]
struct MatchTest {
    id: String,
    selector: String,
    matches: Vec<BTreeMap<String, String>>,
    non_matches: Vec<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct ParseErrorTest {
    id: String,
    selector: String,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation field of the corpus")]
    why: Option<String>,
}

#[derive(Deserialize)]
struct CanonicalTest {
    id: String,
    input: String,
    canonical: String,
    #[serde(default)]
    unique_id: Option<String>,
}

#[derive(Deserialize)]
struct VisitorTest {
    id: String,
    #[expect(dead_code, reason = "documentation field of the corpus")]
    description: String,
    input: String,
    output: String,
}

#[derive(Deserialize)]
struct Tokenizer {
    ok: Vec<TokenTest>,
    errors: Vec<TokenErrorTest>,
}

#[derive(Deserialize)]
struct TokenTest {
    id: String,
    input: String,
    tokens: Vec<TokenExpect>,
}

#[derive(Deserialize)]
struct TokenExpect {
    kind: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct TokenErrorTest {
    id: String,
    input: String,
}

#[derive(Deserialize)]
struct RestrictionTest {
    id: String,
    selector: String,
    restrictions: Option<BTreeMap<String, RestrictionExpect>>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct RestrictionExpect {
    #[serde(default)]
    must_be_present: bool,
    #[serde(default)]
    must_be_absent: bool,
    #[serde(default)]
    must_have_one_of_values: Option<Vec<String>>,
}

fn corpus() -> Corpus {
    tortie_conformance::read_yaml("conformance/calico-selectors/selectors.yaml")
}

#[test]
fn calico_selector_corpus() {
    let c = corpus();
    let mut failures = Vec::new();
    let mut count = 0;

    for t in &c.match_tests {
        count += 1;
        let sel = match Selector::parse(&t.selector) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: {:?} failed to parse: {e}", t.id, t.selector));
                continue;
            }
        };
        let reparsed = Selector::parse(sel.canonical()).expect("canonical form parses");
        for (which, sets, want) in [
            ("matches", &t.matches, true),
            ("non_matches", &t.non_matches, false),
        ] {
            for labels in sets {
                for (form, s) in [("parsed", &sel), ("canonical", &reparsed)] {
                    if s.matches(labels) != want {
                        failures.push(format!(
                            "{}: {form} {:?} on {labels:?} ({which})",
                            t.id,
                            s.canonical()
                        ));
                    }
                }
            }
        }
        if sel.unique_id() != sel.unique_id() || sel.unique_id() != reparsed.unique_id() {
            failures.push(format!("{}: unique id unstable", t.id));
        }
    }

    for t in &c.parse_errors {
        count += 1;
        if Selector::parse(&t.selector).is_ok() {
            failures.push(format!("{}: {:?} parsed but must fail", t.id, t.selector));
        }
    }

    for t in &c.canonical_tests {
        count += 1;
        match Selector::parse(&t.input) {
            Err(e) => failures.push(format!("{}: {e}", t.id)),
            Ok(sel) => {
                if sel.canonical() != t.canonical {
                    failures.push(format!(
                        "{}: canonical {:?}, want {:?}",
                        t.id,
                        sel.canonical(),
                        t.canonical
                    ));
                }
                let again = Selector::parse(&t.canonical).expect("canonical parses");
                if again.canonical() != t.canonical || again.unique_id() != sel.unique_id() {
                    failures.push(format!("{}: canonical form is not a fixed point", t.id));
                }
                if let Some(id) = &t.unique_id
                    && &sel.unique_id() != id
                {
                    failures.push(format!("{}: unique id {} want {id}", t.id, sel.unique_id()));
                }
            }
        }
    }

    for t in &c.prefix_visitor_tests {
        count += 1;
        let out = Selector::parse(&t.input)
            .map(|s| s.with_label_prefix("visited/").canonical().to_string());
        if out.as_deref() != Ok(t.output.as_str()) {
            failures.push(format!("{}: {out:?} want {:?}", t.id, t.output));
        }
    }

    for t in &c.tokenizer.ok {
        count += 1;
        match tokenize(&t.input) {
            Err(e) => failures.push(format!("{}: tokenizer failed: {e}", t.id)),
            Ok(tokens) => {
                let got: Vec<(String, String)> = tokens
                    .iter()
                    .map(|t| (t.kind.calico_name().to_string(), t.kind.value().to_string()))
                    .collect();
                let want: Vec<(String, String)> = t
                    .tokens
                    .iter()
                    .map(|t| (t.kind.clone(), t.value.clone()))
                    .collect();
                if got != want {
                    failures.push(format!("{}: tokens {got:?} want {want:?}", t.id));
                }
            }
        }
    }
    for t in &c.tokenizer.errors {
        count += 1;
        if tokenize(&t.input).is_ok() {
            failures.push(format!("{}: {:?} tokenized but must fail", t.id, t.input));
        }
    }

    for t in &c.label_restrictions {
        count += 1;
        let sel = Selector::parse(&t.selector).expect("restriction selectors parse");
        let got: BTreeMap<String, RestrictionExpect> = sel
            .label_restrictions()
            .into_iter()
            .map(|(k, r)| {
                let expect = RestrictionExpect {
                    must_be_present: r.must_be_present,
                    must_be_absent: r.must_be_absent,
                    must_have_one_of_values: r
                        .must_have_one_of_values
                        .map(|v| v.into_iter().collect()),
                };
                (k, expect)
            })
            .collect();
        let want = t.restrictions.as_ref().map(|m| {
            m.iter()
                .map(|(k, r)| {
                    let mut values = r.must_have_one_of_values.clone();
                    if let Some(v) = values.as_mut() {
                        v.sort();
                    }
                    let expect = RestrictionExpect {
                        must_have_one_of_values: values,
                        ..*r
                    };
                    (k.clone(), expect)
                })
                .collect::<BTreeMap<_, _>>()
        });
        if want.unwrap_or_default() != got {
            failures.push(format!("{}: restrictions {got:?}", t.id));
        }
    }

    println!(
        "calico selector corpus: {count} vectors, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} selector vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        count,
        58 + 26 + 17 + 11 + 33 + 16 + 32,
        "the corpus changed size"
    );
}
