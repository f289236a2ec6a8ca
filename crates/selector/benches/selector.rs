//! B1 (performance.md): selector parse and evaluation, on Calico's own benchmark selector so
//! the figures compare with `BenchmarkParse`/`BenchmarkValidate` (4.1 µs / 268 ns measured on
//! this machine kind).

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tortie_selector::Selector;

const CALICO_BENCH_SELECTOR: &str = r#"! (a == "b"&&! c != "d") || !(a == "b" && !c != "d")"#;

fn bench(c: &mut Criterion) {
    c.bench_function("B1 parse calico bench selector", |b| {
        b.iter(|| Selector::parse(black_box(CALICO_BENCH_SELECTOR)).unwrap());
    });
    let typical = "projectcalico.org/orchestrator == 'k8s' && app in {'web', 'api'} && has(tier)";
    c.bench_function("B1 parse typical k8s selector", |b| {
        b.iter(|| Selector::parse(black_box(typical)).unwrap());
    });
    let sel = Selector::parse(CALICO_BENCH_SELECTOR).unwrap();
    let labels: BTreeMap<String, String> = (0..10)
        .map(|i| (format!("label-{i}"), format!("value-{i}")))
        .chain([
            ("a".to_string(), "b".to_string()),
            ("c".to_string(), "e".to_string()),
        ])
        .collect();
    c.bench_function("B1 evaluate calico bench selector (12 labels)", |b| {
        b.iter(|| black_box(&sel).matches(black_box(&labels)));
    });
    let typical_sel = Selector::parse(typical).unwrap();
    let mut pod = labels.clone();
    pod.insert("projectcalico.org/orchestrator".into(), "k8s".into());
    pod.insert("app".into(), "api".into());
    pod.insert("tier".into(), "backend".into());
    c.bench_function("B1 evaluate typical k8s selector (15 labels)", |b| {
        b.iter(|| black_box(&typical_sel).matches(black_box(&pod)));
    });
    c.bench_function("B1 canonical text + unique id", |b| {
        b.iter(|| {
            Selector::parse(black_box(CALICO_BENCH_SELECTOR))
                .unwrap()
                .unique_id()
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
