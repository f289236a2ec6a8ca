//! B19 (performance.md): apply 1,000 policies, list 10,000 objects, validate a 1,000-policy
//! file, against the embedded store on local disk.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tortie_datastore::{Client, Embedded, Write};
use tortie_model::{Kind, Resource, load_str};

fn policies_yaml(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: policy-{i}
  namespace: ns-{}
spec:
  order: {}
  selector: app == 'app-{}' && tier in {{'web', 'api'}}
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: role == 'client-{}'
    destination:
      ports: [80, 443, '8000:8080']
  - action: Deny
    source:
      nets: [10.{}.0.0/16]
  egress:
  - action: Allow
    destination:
      namespaceSelector: team == 'platform'
---
",
                i % 100,
                i % 50,
                i % 200,
                i % 30,
                i % 250
            )
        })
        .collect()
}

fn resources(yaml: &str) -> Vec<Resource> {
    load_str(yaml, "bench")
        .expect("yaml")
        .into_iter()
        .map(|l| l.result.expect("valid"))
        .collect()
}

fn fresh_client(tag: &str) -> (Client, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("tortie-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    (
        Client::new(Arc::new(Embedded::open(&dir).expect("store"))),
        dir,
    )
}

fn bench(c: &mut Criterion) {
    let yaml = policies_yaml(1000);
    let mut group = c.benchmark_group("B19");
    group.sample_size(10);

    group.bench_function("validate a 1000-policy file", |b| {
        b.iter(|| {
            let loaded = load_str(black_box(&yaml), "bench").expect("yaml");
            let errors = loaded.iter().flat_map(tortie_model::Loaded::check).count();
            assert_eq!(errors, 0);
        });
    });

    let policies = resources(&yaml);
    group.bench_function("apply 1000 policies in one write", |b| {
        b.iter_batched(
            || fresh_client("apply"),
            |(client, dir)| {
                client
                    .write(
                        policies
                            .iter()
                            .cloned()
                            .map(|resource| Write::Apply { resource })
                            .collect(),
                    )
                    .expect("apply");
                let _ = std::fs::remove_dir_all(dir);
            },
            BatchSize::PerIteration,
        );
    });

    group.bench_function("apply 100 policies one write each", |b| {
        b.iter_batched(
            || fresh_client("apply-each"),
            |(client, dir)| {
                for p in policies.iter().take(100) {
                    client
                        .write(vec![Write::Apply {
                            resource: p.clone(),
                        }])
                        .expect("apply");
                }
                let _ = std::fs::remove_dir_all(dir);
            },
            BatchSize::PerIteration,
        );
    });

    let (client, dir) = fresh_client("list");
    let big = policies_yaml(10_000);
    client
        .write(
            resources(&big)
                .into_iter()
                .map(|resource| Write::Apply { resource })
                .collect(),
        )
        .expect("preload");
    group.bench_function("list 10000 objects", |b| {
        b.iter(|| {
            let listed = client.list(Kind::NetworkPolicy, None, None).expect("list");
            assert_eq!(listed.items.len(), 10_000);
        });
    });
    group.finish();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
