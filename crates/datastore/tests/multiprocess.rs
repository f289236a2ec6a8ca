//! The embedded store across processes: concurrent writers lose no update, a writer killed
//! with SIGKILL leaves the last committed state intact, and a watcher in another process sees
//! commits. Child processes are this test binary re-run with `TORTIE_CHILD` set.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tortie_datastore::{Backend, Embedded, Op, Precondition, StoreError};

fn temp_store(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tortie-mp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn spawn_child(role: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "child_entry_point",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("TORTIE_CHILD", role)
        .env("TORTIE_CHILD_DIR", dir)
        .spawn()
        .expect("spawn child")
}

const INCREMENTS: usize = 150;
const TXN_KEYS: usize = 8;

/// Not a test of its own: the body of child processes.
#[test]
fn child_entry_point() {
    let Ok(role) = std::env::var("TORTIE_CHILD") else {
        return;
    };
    let dir = PathBuf::from(std::env::var("TORTIE_CHILD_DIR").expect("dir"));
    let db = Embedded::open(&dir).expect("open");
    match role.as_str() {
        "increment" => {
            for _ in 0..INCREMENTS {
                loop {
                    let cur = db.get("/counter").expect("get").expect("seeded");
                    let n: usize = cur.value.parse().expect("number");
                    let op = Op::Put {
                        key: "/counter".into(),
                        value: (n + 1).to_string(),
                        precondition: Precondition::ModRevision(cur.mod_revision),
                    };
                    match db.txn(&[op]) {
                        Ok(_) => break,
                        Err(StoreError::Conflict { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }
        "churn" => {
            // Write transactions of TXN_KEYS keys forever; the parent kills us mid-way.
            for round in 0u64.. {
                let ops: Vec<Op> = (0..TXN_KEYS)
                    .map(|i| Op::Put {
                        key: format!("/churn/{i}"),
                        value: format!("{round}:{}", "x".repeat(2000)),
                        precondition: Precondition::None,
                    })
                    .collect();
                db.txn(&ops).expect("txn");
            }
        }
        other => panic!("unknown role {other}"),
    }
}

#[test]
fn two_processes_writing_concurrently_lose_no_update() {
    let dir = temp_store("inc");
    let db = Embedded::open(&dir).expect("open");
    db.txn(&[Op::Put {
        key: "/counter".into(),
        value: "0".into(),
        precondition: Precondition::MustNotExist,
    }])
    .expect("seed");
    let children: Vec<Child> = (0..2).map(|_| spawn_child("increment", &dir)).collect();
    for mut c in children {
        assert!(c.wait().expect("wait").success(), "a writer process failed");
    }
    let v = db.get("/counter").expect("get").expect("present").value;
    assert_eq!(
        v,
        (2 * INCREMENTS).to_string(),
        "every increment of both processes is there"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_writer_killed_with_sigkill_leaves_committed_state_intact() {
    for attempt in 0..3u64 {
        let dir = temp_store(&format!("kill{attempt}"));
        Embedded::open(&dir).expect("create");
        let mut child = spawn_child("churn", &dir);
        // Let it commit a varying number of transactions, then kill it at an arbitrary point.
        std::thread::sleep(Duration::from_millis(150 + 70 * attempt));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let db = Embedded::open(&dir).expect("the store opens after a crash");
        let conn = rusqlite::Connection::open(db.path()).expect("raw open");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(check, "ok");
        let (records, revision) = db.list("/churn/").expect("list");
        assert!(revision > 0, "some transactions committed before the kill");
        assert_eq!(
            records.len(),
            TXN_KEYS,
            "all keys of the committed transactions exist"
        );
        let round = records[0]
            .value
            .split(':')
            .next()
            .expect("round")
            .to_string();
        for r in &records {
            assert_eq!(
                r.mod_revision, revision,
                "the last transaction is whole: every key at the same revision"
            );
            assert!(
                r.value.starts_with(&format!("{round}:")),
                "no key from a half-written transaction"
            );
        }
        // The store still takes writes.
        db.txn(&[Op::Put {
            key: "/after".into(),
            value: "ok".into(),
            precondition: Precondition::None,
        }])
        .expect("write after crash");
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_watcher_sees_a_commit_from_another_process() {
    let dir = temp_store("watch");
    let db: Arc<dyn Backend> = Arc::new(Embedded::open(&dir).expect("open"));
    db.txn(&[Op::Put {
        key: "/counter".into(),
        value: "0".into(),
        precondition: Precondition::MustNotExist,
    }])
    .expect("seed");
    let (_, rev) = db.list("/counter").expect("list");
    let mut watch = db.watch("/counter", rev).expect("watch");
    let started = Instant::now();
    let mut child = spawn_child("increment", &dir);
    let first = watch
        .next(Duration::from_secs(10))
        .expect("watch")
        .expect("a change arrives");
    assert_eq!(
        (first.key.as_str(), first.value.as_deref()),
        ("/counter", Some("1"))
    );
    eprintln!(
        "first change from another process seen {} ms after spawning it",
        started.elapsed().as_millis()
    );
    assert!(child.wait().expect("wait").success());
    let mut last = first;
    while let Some(e) = watch.next(Duration::from_millis(200)).expect("watch") {
        assert_eq!(e.revision, last.revision + 1, "no change is skipped");
        last = e;
    }
    assert_eq!(last.value.as_deref(), Some(INCREMENTS.to_string().as_str()));
    let _ = std::fs::remove_dir_all(dir);
}
