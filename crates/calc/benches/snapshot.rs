//! B3 (`performance.md`): a full snapshot into the model, from nothing to every endpoint,
//! policy and selector membership resolved. Prints the median wall time of several builds and,
//! from a child process that builds once, the memory the model takes (RSS growth) and the
//! process's peak RSS.
//!
//! `cargo bench -p tortie-calc --bench snapshot`

use std::process::Command;
use std::time::{Duration, Instant};

use tortie_calc::Model;

#[path = "common/world.rs"]
mod world;

const RUNS: usize = 5;

fn sizes() -> Vec<(&'static str, world::Size)> {
    vec![
        (
            "10k pods / 1k policies / 100 ns",
            world::Size {
                pods: 10_000,
                namespaces: 100,
                policies: 1_000,
                nodes: 100,
            },
        ),
        (
            "1k pods / 100 policies / 10 ns",
            world::Size {
                pods: 1_000,
                namespaces: 10,
                policies: 100,
                nodes: 10,
            },
        ),
        (
            "10k pods / no policies",
            world::Size {
                pods: 10_000,
                namespaces: 100,
                policies: 0,
                nodes: 100,
            },
        ),
    ]
}

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn child(index: usize) {
    let (_, size) = sizes()[index];
    let resources = world::world(size);
    let (before, _) = memory();
    let model = Model::from_resources(&resources);
    let (after, peak) = memory();
    println!("{before} {after} {peak} {}", model.entities().count());
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "child") {
        child(args[i + 1].parse().expect("size index"));
        return;
    }
    // `cargo test --all-targets` runs this without `--bench`: build one small model as a smoke
    // test and stop.
    if !args.iter().any(|a| a == "--bench") {
        let size = world::Size {
            pods: 200,
            namespaces: 5,
            policies: 20,
            nodes: 2,
        };
        let model = Model::from_resources(&world::world(size));
        assert_eq!(model.entities().count(), 200);
        return;
    }
    println!(
        "B3 snapshot: Model::from_resources, median of {RUNS} builds; memory from one build in a child process"
    );
    println!(
        "{:<34} {:>9} {:>9} {:>10} {:>12} {:>12} {:>14}",
        "world", "objects", "entities", "median", "model RSS", "peak RSS", "RSS / entity"
    );
    for (i, (name, size)) in sizes().into_iter().enumerate() {
        let resources = world::world(size);
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let model = Model::from_resources(&resources);
            times.push(start.elapsed());
            drop(model);
        }
        let out = Command::new(std::env::current_exe().expect("own path"))
            .args(["child", &i.to_string()])
            .output()
            .expect("child runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let f: Vec<u64> = text
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let [before, after, peak, entities] = f[..] else {
            panic!(
                "child printed {text:?}, stderr {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let growth = after.saturating_sub(before);
        println!(
            "{name:<34} {:>9} {entities:>9} {:>8.0}ms {:>9} MiB {:>9} MiB {:>10} B",
            resources.len(),
            median(times).as_secs_f64() * 1000.0,
            growth / 1024,
            peak / 1024,
            growth * 1024 / entities.max(1),
        );
    }
}
