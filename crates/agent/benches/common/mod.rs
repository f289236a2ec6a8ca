//! What both root-only benches share: run mode, privilege check, scratch directories, the
//! embedded datastore, the dataplane backends and their kernel state, percentiles and the
//! result table. Every item here is used by both binaries (they are compiled separately, so
//! anything one of them skipped would be dead).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tortie_dataplane::{Backend, Variant, XtablesCli, retire_iptables};
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

/// A command inside a named network namespace; `None` if it could not be started.
fn in_ns(ns: &str, program: &str, args: &[&str]) -> Option<Output> {
    Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .output()
        .ok()
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The iptables variants this machine can program (`iptables-<v>-restore` and `ipset` run),
/// nf_tables first. Checked once.
#[must_use]
pub fn iptables_variants() -> &'static [Variant] {
    static FOUND: OnceLock<Vec<Variant>> = OnceLock::new();
    FOUND.get_or_init(|| {
        if !runs("ipset") {
            return Vec::new();
        }
        [Variant::Nft, Variant::Legacy]
            .into_iter()
            .filter(|v| runs(&format!("iptables-{}-restore", v.name())))
            .collect()
    })
}

/// A backend as the result tables name it.
#[must_use]
pub fn backend_label(backend: Backend) -> String {
    match backend {
        Backend::Nftables => "nftables".into(),
        Backend::Iptables(Some(v)) => format!("iptables-{}", v.name()),
        Backend::Iptables(None) => "iptables".into(),
    }
}

/// Leaves no backend's state in a namespace: Tortie's chains in both iptables variants, the
/// whole nftables ruleset (Tortie's table, iptables-nft's tables, anything a bench loaded),
/// then every ipset. A legacy table once used stays registered (empty) until the namespace
/// goes; the kernel offers no way to remove it.
pub fn clear_dataplane(ns: &str) {
    for &v in iptables_variants() {
        retire_iptables(&mut XtablesCli::new(v, Some(ns)), false)
            .unwrap_or_else(|e| panic!("retire iptables-{} in {ns}: {e}", v.name()));
    }
    let flushed = in_ns(ns, "nft", &["flush", "ruleset"]).is_some_and(|o| o.status.success());
    assert!(flushed, "nft flush ruleset in {ns}");
    if iptables_variants().is_empty() {
        return;
    }
    // nf_tables drops a deleted rule's reference to its ipset after the commit, in the
    // background, so a set can be busy for a moment.
    let mut tries = 0;
    loop {
        match retire_iptables(&mut XtablesCli::new(Variant::Legacy, Some(ns)), true) {
            Ok(_) => return,
            Err(e) if tries >= 100 => panic!("destroy the ipsets in {ns}: {e}"),
            Err(_) => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Whose rules a namespace holds: Tortie's nftables table, Tortie's chains in each iptables
/// variant, any ipset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holds {
    /// `table inet tortie`.
    pub nftables: bool,
    /// `cali-` chains in iptables-nft (either family).
    pub iptables_nft: bool,
    /// `cali-` chains in iptables-legacy (either family).
    pub iptables_legacy: bool,
    /// Any ipset.
    pub ipsets: bool,
}

impl Holds {
    /// Reads the namespace.
    #[must_use]
    pub fn read(ns: &str) -> Holds {
        let cali = |v: Variant| {
            iptables_variants().contains(&v)
                && ["iptables", "ip6tables"].into_iter().any(|family| {
                    in_ns(ns, &format!("{family}-{}-save", v.name()), &[]).is_some_and(|o| {
                        String::from_utf8_lossy(&o.stdout)
                            .lines()
                            .any(|l| l.starts_with(":cali-"))
                    })
                })
        };
        Holds {
            nftables: in_ns(ns, "nft", &["list", "table", "inet", "tortie"])
                .is_some_and(|o| o.status.success()),
            iptables_nft: cali(Variant::Nft),
            iptables_legacy: cali(Variant::Legacy),
            ipsets: !iptables_variants().is_empty()
                && in_ns(ns, "ipset", &["list", "-n"])
                    .is_some_and(|o| !String::from_utf8_lossy(&o.stdout).trim().is_empty()),
        }
    }

    /// Asserts that the namespace holds `backend`'s rules and no other backend's (`None`:
    /// no Tortie rules at all). An iptables backend may hold ipsets; nothing else may.
    pub fn assert_only(ns: &str, backend: Option<Backend>, what: &str) {
        let got = Holds::read(ns);
        let want = Holds {
            nftables: backend == Some(Backend::Nftables),
            iptables_nft: backend == Some(Backend::Iptables(Some(Variant::Nft))),
            iptables_legacy: backend == Some(Backend::Iptables(Some(Variant::Legacy))),
            ipsets: got.ipsets && matches!(backend, Some(Backend::Iptables(_))),
        };
        assert_eq!(got, want, "{what}: one backend's rules in {ns}, no other's");
    }
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
