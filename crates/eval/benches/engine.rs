//! The cost of deciding one flow in a large model (10,000 pods, 1,000 policies, 100
//! namespaces): the engine looks endpoints and selector members up by address and label index,
//! so a decision should not grow with the cluster.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tortie_calc::Model;
use tortie_eval::{Flow, ModelTopology, decide, endpoint_arg};

#[path = "../../calc/benches/common/world.rs"]
mod world;

fn decisions(c: &mut Criterion) {
    let mut g = c.benchmark_group("eval/decide");
    for pods in [1_000usize, 10_000] {
        let size = world::Size {
            pods,
            namespaces: 100,
            policies: pods / 10,
            nodes: 50,
        };
        let model = Model::from_resources(&world::world(size));
        let peer = |t: &str| endpoint_arg::parse(&model, t).expect("known endpoint");
        // pod-7 (ns-7) to pod-107 (ns-7): same namespace, several policies on the way.
        let flows = [
            (
                "pod_to_pod",
                Flow::tcp(peer("ns-7/pod-7"), peer("ns-7/pod-107"), 8080),
            ),
            (
                "pod_to_external",
                Flow::tcp(peer("ns-7/pod-7"), peer("198.51.100.7"), 443),
            ),
            (
                "external_to_pod",
                Flow::tcp(peer("198.51.100.7"), peer("ns-7/pod-107"), 8080),
            ),
        ];
        for (name, flow) in &flows {
            g.bench_with_input(BenchmarkId::new(*name, pods), &pods, |b, _| {
                b.iter(|| {
                    black_box(decide(&model, flow, &ModelTopology::default()).expect("decides"))
                });
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = decisions
}
criterion_main!(benches);
