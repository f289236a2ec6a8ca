//! What both root-only benches share: run mode, privilege check, scratch directories, the
//! embedded datastore, percentiles and the result table. Every item here is used by both
//! binaries (they are compiled separately, so anything one of them skipped would be dead).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tortie_datastore::{Client, Embedded, Write};
use tortie_model::Resource;
use tortie_model::load::load_str;

/// `cargo bench` passes `--bench`; `cargo test --benches` (CI) does not and gets the smoke run.
#[must_use]
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Whether we run as root (the benches create network namespaces and program nftables).
#[must_use]
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().next())
            == Some("0")
    })
}

/// A scratch directory under the system temp dir, removed on drop (also on panic).
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `<tmp>/tortie-bench-<tag>-<pid>`, emptied first.
    #[must_use]
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tortie-bench-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh embedded datastore in `dir`.
#[must_use]
pub fn open_store(dir: &TempDir) -> Client {
    let backend = Embedded::open(&dir.0.join("store")).expect("open the embedded datastore");
    Client::new(Arc::new(backend))
}

/// Parses YAML manifests; every document must load.
#[must_use]
pub fn resources(yaml: &str) -> Vec<Resource> {
    load_str(yaml, "bench.yaml")
        .expect("generated YAML parses")
        .into_iter()
        .map(|l| l.result.expect("generated document loads"))
        .collect()
}

/// Applies resources in batches (one datastore transaction each), so a big world does not
/// become one huge transaction.
pub fn apply_all(client: &Client, items: Vec<Resource>) {
    let mut writes: Vec<Write> = items
        .into_iter()
        .map(|resource| Write::Apply { resource })
        .collect();
    while !writes.is_empty() {
        let rest = writes.split_off(writes.len().min(500));
        client.write(writes).expect("datastore accepts the batch");
        writes = rest;
    }
}

/// Nearest-rank percentile of sorted samples.
#[must_use]
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with two decimals, for tables.
#[must_use]
pub fn millis(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// Prints an aligned table: a header row, then rows.
pub fn print_table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        println!("  {}", parts.join("  "));
    };
    println!("\n{title}");
    line(header.to_vec());
    line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}
