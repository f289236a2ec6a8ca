use proptest::prelude::*;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Arc::new(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
    )
}

fn wl(name: &str) -> EntityId {
    EntityId::Workload {
        namespace: "ns".into(),
        name: name.into(),
    }
}

#[test]
fn members_follow_label_changes_and_selector_changes() {
    let mut idx = LabelIndex::new();
    let mut ch = Vec::new();
    idx.update_entity(&wl("a"), labels(&[("app", "web")]), &mut ch);
    let web = idx.add_selector(&Selector::parse("app == 'web'").unwrap(), &mut ch);
    let not_db = idx.add_selector(&Selector::parse("app != 'db'").unwrap(), &mut ch);
    assert_eq!(idx.members(&web).unwrap().len(), 1);
    ch.clear();
    idx.update_entity(&wl("a"), labels(&[("app", "db")]), &mut ch);
    assert_eq!(ch.len(), 2, "{ch:?}");
    assert!(ch.contains(&MembershipChange::Removed(web.clone(), Arc::new(wl("a")))));
    assert!(ch.contains(&MembershipChange::Removed(
        not_db.clone(),
        Arc::new(wl("a"))
    )));
    assert!(idx.members(&web).unwrap().is_empty());
    assert!(idx.members(&not_db).unwrap().is_empty());
    ch.clear();
    idx.remove_entity(&wl("a"), &mut ch);
    assert!(ch.is_empty(), "it matched nothing any more");
    idx.update_entity(&wl("b"), labels(&[]), &mut ch);
    assert!(
        idx.members(&not_db).unwrap().contains(&wl("b")),
        "unindexed selectors see every entity"
    );
}

fn arb_labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map("[a-c]", "[x-z]", 0..3)
}

fn arb_selector() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-c]".prop_map(|k| format!("has({k})")),
        ("[a-c]", "[x-z]").prop_map(|(k, v)| format!("{k} == '{v}'")),
        ("[a-c]", "[x-z]").prop_map(|(k, v)| format!("{k} != '{v}'")),
        ("[a-c]", "[x-z]", "[x-z]").prop_map(|(k, v, w)| format!("{k} in {{'{v}', '{w}'}}")),
        ("[a-c]", "[x-z]", "[a-c]").prop_map(|(k, v, j)| format!("{k} == '{v}' && has({j})")),
        ("[a-c]", "[a-c]").prop_map(|(k, j)| format!("has({k}) || !has({j})")),
        Just("all()".to_string()),
    ]
}

proptest! {
    /// Whatever the order of updates, members equal a brute-force evaluation.
    #[test]
    fn index_agrees_with_brute_force(
        ops in proptest::collection::vec((0usize..5, arb_labels(), any::<bool>()), 1..40),
        sels in proptest::collection::vec(arb_selector(), 1..8),
        late in any::<bool>(),
    ) {
        let mut idx = LabelIndex::new();
        let mut ch = Vec::new();
        let parsed: Vec<Selector> = sels.iter().map(|s| Selector::parse(s).unwrap()).collect();
        if !late {
            for s in &parsed { idx.add_selector(s, &mut ch); }
        }
        let mut truth: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
        for (n, l, delete) in ops {
            let id = wl(&n.to_string());
            if delete {
                idx.remove_entity(&id, &mut ch);
                truth.remove(&n);
            } else {
                idx.update_entity(&id, Arc::new(l.clone()), &mut ch);
                truth.insert(n, l);
            }
        }
        if late {
            for s in &parsed { idx.add_selector(s, &mut ch); }
        }
        for s in &parsed {
            let want: BTreeSet<EntityId> = truth.iter().filter(|(_, l)| s.matches(*l)).map(|(n, _)| wl(&n.to_string())).collect();
            let got: BTreeSet<EntityId> = idx.members(&LabelIndex::key_of(s)).into_iter().flatten().map(|id| (**id).clone()).collect();
            prop_assert_eq!(got, want, "selector {}", s);
        }
    }
}
