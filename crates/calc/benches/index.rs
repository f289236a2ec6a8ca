//! B2 (`performance.md`): the cost of one incremental change, against the number of selectors
//! and of endpoints.
//!
//! - `workload_update/N`: one endpoint's labels change with N selectors in the index, Calico's
//!   shape (`alpha == "beta" && has(ipset-i)`), and with Kubernetes-shaped selectors. Should be
//!   flat in N. `workload_update_unindexable/N` (`!has(ipset-i)`) is O(N) by nature.
//! - `selector_add/N`: add (and remove) one selector over N endpoints.
//! - `model_pod_update/N`, `model_policy_update/N`, `model_namespace_update/N`: the same
//!   through the whole model (`Model::set`) in a world of N pods.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tortie_calc::label_index::{LabelIndex, Labels};
use tortie_calc::{EntityId, Key, Model};
use tortie_selector::Selector;

#[path = "common/world.rs"]
mod world;

fn id(i: usize) -> EntityId {
    EntityId::Workload {
        namespace: "default".into(),
        name: format!("ep{i}"),
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Arc::new(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn index_with(selectors: impl Iterator<Item = String>) -> LabelIndex {
    let mut index = LabelIndex::new();
    let mut changes = Vec::new();
    for s in selectors {
        index.add_selector(&Selector::parse(&s).expect("valid"), &mut changes);
    }
    index
}

fn workload_update(c: &mut Criterion) {
    let mut g = c.benchmark_group("b2/workload_update");
    for n in [10usize, 100, 1_000, 10_000] {
        let calico_shape = (0..n).map(|i| format!("alpha == \"beta\" && has(ipset-{i})"));
        let k8s_shape = (0..n).map(|i| {
            format!(
                "projectcalico.org/orchestrator == \"k8s\" && app == \"app-{i}\" && projectcalico.org/namespace == \"ns-{}\"",
                i % 100
            )
        });
        for (name, index) in [
            ("calico", index_with(calico_shape)),
            ("k8s", index_with(k8s_shape)),
        ] {
            let mut index = index;
            let a = labels(&[
                ("alpha", "beta"),
                ("ipset-5", ""),
                ("app", "app-5"),
                ("projectcalico.org/orchestrator", "k8s"),
                ("projectcalico.org/namespace", "ns-5"),
            ]);
            let b = labels(&[
                ("alpha", "beta"),
                ("ipset-6", ""),
                ("app", "app-6"),
                ("projectcalico.org/orchestrator", "k8s"),
                ("projectcalico.org/namespace", "ns-6"),
            ]);
            let entity = id(0);
            let mut changes = Vec::new();
            let mut flip = false;
            g.bench_with_input(BenchmarkId::new(name, n), &n, |bench, _| {
                bench.iter(|| {
                    flip = !flip;
                    changes.clear();
                    index.update_entity(
                        &entity,
                        if flip { a.clone() } else { b.clone() },
                        &mut changes,
                    );
                    black_box(changes.len())
                });
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("b2/workload_update_unindexable");
    for n in [10usize, 100, 1_000] {
        let mut index = index_with((0..n).map(|i| format!("!has(ipset-{i})")));
        let a = labels(&[("ipset-5", "")]);
        let b = labels(&[("ipset-6", "")]);
        let entity = id(0);
        let mut changes = Vec::new();
        let mut flip = false;
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |bench, _| {
            bench.iter(|| {
                flip = !flip;
                changes.clear();
                index.update_entity(
                    &entity,
                    if flip { a.clone() } else { b.clone() },
                    &mut changes,
                );
                black_box(changes.len())
            });
        });
    }
    g.finish();
}

fn selector_add(c: &mut Criterion) {
    let mut g = c.benchmark_group("b2/selector_add");
    for n in [100usize, 1_000, 10_000, 100_000] {
        let mut index = LabelIndex::new();
        let mut changes = Vec::new();
        for i in 0..n {
            let app = world::app_of(i);
            index.update_entity(
                &id(i),
                labels(&[("app", &app), ("tier", ["web", "api", "db"][i % 3])]),
                &mut changes,
            );
        }
        // Matches the ten endpoints of one app, wherever they are.
        let selector = Selector::parse("app == \"app-7\" && tier in {\"web\", \"db\"}").unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |bench, _| {
            bench.iter(|| {
                changes.clear();
                let key = index.add_selector(&selector, &mut changes);
                index.remove_selector(&key, &mut changes);
                black_box(changes.len())
            });
        });
    }
    g.finish();
}

fn model_updates(c: &mut Criterion) {
    let mut g = c.benchmark_group("b2/model");
    for pods in [1_000usize, 10_000] {
        let size = world::Size {
            pods,
            namespaces: 100,
            policies: pods / 10,
            nodes: 50,
        };
        let mut model = Model::from_resources(&world::world(size));
        model.record_changes(true);
        // One pod changes its app label back and forth (it leaves one app's policies, joins
        // another's).
        let moved = [
            world::pod(42, size, None),
            world::pod(42, size, Some(("app", "app-999999"))),
        ];
        let key = Key::of(&moved[0]);
        let mut flip = 0;
        g.bench_with_input(BenchmarkId::new("pod_update", pods), &pods, |bench, _| {
            bench.iter(|| {
                flip ^= 1;
                model.set(key.clone(), Some(moved[flip].clone()));
                black_box(model.take_changes().len())
            });
        });
        // One policy is replaced by one selecting another app.
        let policies = [
            world::policy(3, size),
            world::policy(
                3,
                world::Size {
                    pods: pods / 2,
                    ..size
                },
            ),
        ];
        let pkey = Key::of(&policies[0]);
        g.bench_with_input(
            BenchmarkId::new("policy_update", pods),
            &pods,
            |bench, _| {
                bench.iter(|| {
                    flip ^= 1;
                    model.set(
                        pkey.clone(),
                        Some(
                            tortie_calc::offline::as_stored(vec![policies[flip].clone()]).remove(0),
                        ),
                    );
                    black_box(model.take_changes().len())
                });
            },
        );
        // A namespace's labels change: every pod in it inherits new labels (O(pods in it)).
        let namespaces = [
            world::namespace_object(0, "prod"),
            world::namespace_object(0, "dev"),
        ];
        let nkey = Key::of(&namespaces[0]);
        g.bench_with_input(
            BenchmarkId::new("namespace_update", pods),
            &pods,
            |bench, _| {
                bench.iter(|| {
                    flip ^= 1;
                    model.set(nkey.clone(), Some(namespaces[flip].clone()));
                    black_box(model.take_changes().len())
                });
            },
        );
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = workload_update, selector_add, model_updates
}
criterion_main!(benches);
