//! The conformance suite every backend must pass. Each check gets a function that opens a new
//! client on one fresh, empty store (so checks can use several independent connections, as
//! several processes would), and panics with a message on the first deviation from etcd v3
//! semantics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backend::{Backend, Op, Precondition, StoreError};

/// Opens another client on the same store.
pub type Connect<'a> = &'a (dyn Fn() -> Arc<dyn Backend> + Sync);

/// A named check.
pub type Check = (&'static str, fn(Connect<'_>));

/// Every check, by name.
pub const CHECKS: &[Check] = &[
    ("create_get_update_delete", create_get_update_delete),
    ("preconditions_and_conflicts", preconditions_and_conflicts),
    ("transactions_are_atomic", transactions_are_atomic),
    ("list_by_prefix_with_revision", list_by_prefix_with_revision),
    (
        "watch_delivers_changes_in_order",
        watch_delivers_changes_in_order,
    ),
    (
        "watch_replays_history_and_filters_prefix",
        watch_replays_history_and_filters_prefix,
    ),
    ("compaction_forces_a_relist", compaction_forces_a_relist),
    (
        "concurrent_writers_lose_no_update",
        concurrent_writers_lose_no_update,
    ),
    (
        "watch_in_another_client_sees_commits",
        watch_in_another_client_sees_commits,
    ),
];

/// Runs every check; `fresh` returns a connector for a new empty store.
///
/// # Panics
/// On the first failing check.
pub fn run_all(fresh: &dyn Fn() -> Box<dyn Fn() -> Arc<dyn Backend> + Sync>) {
    for (name, check) in CHECKS {
        let connect = fresh();
        let started = Instant::now();
        check(&*connect);
        eprintln!(
            "backend suite: {name} ok ({} ms)",
            started.elapsed().as_millis()
        );
    }
}

fn put(key: &str, value: &str, precondition: Precondition) -> Op {
    Op::Put {
        key: key.into(),
        value: value.into(),
        precondition,
    }
}

fn del(key: &str, precondition: Precondition) -> Op {
    Op::Delete {
        key: key.into(),
        precondition,
    }
}

const WAIT: Duration = Duration::from_secs(5);

fn create_get_update_delete(connect: Connect<'_>) {
    let db = connect();
    let base = db.revision().expect("revision");
    let r1 = db
        .txn(&[put("/a/x", "1", Precondition::MustNotExist)])
        .expect("create");
    assert_eq!(
        r1.revision,
        base + 1,
        "each transaction takes the next revision"
    );
    let rec = db.get("/a/x").expect("get").expect("present");
    assert_eq!(
        (rec.value.as_str(), rec.create_revision, rec.mod_revision),
        ("1", base + 1, base + 1)
    );
    let r2 = db
        .txn(&[put("/a/x", "2", Precondition::ModRevision(base + 1))])
        .expect("update");
    let rec = db.get("/a/x").expect("get").expect("present");
    assert_eq!(
        (rec.value.as_str(), rec.create_revision, rec.mod_revision),
        ("2", base + 1, r2.revision)
    );
    let r3 = db
        .txn(&[del("/a/x", Precondition::ModRevision(r2.revision))])
        .expect("delete");
    assert_eq!(r3.records[0].value, "2", "a delete returns what it removed");
    assert_eq!(db.get("/a/x").expect("get"), None);
    assert_eq!(db.revision().expect("revision"), r3.revision);
}

fn preconditions_and_conflicts(connect: Connect<'_>) {
    let db = connect();
    let created = db
        .txn(&[put("/p/k", "v1", Precondition::MustNotExist)])
        .expect("create")
        .revision;
    assert!(matches!(
        db.txn(&[put("/p/k", "again", Precondition::MustNotExist)]),
        Err(StoreError::AlreadyExists { .. })
    ));
    let moved = db
        .txn(&[put("/p/k", "v2", Precondition::None)])
        .expect("blind put")
        .revision;
    match db.txn(&[put("/p/k", "stale", Precondition::ModRevision(created))]) {
        Err(StoreError::Conflict {
            expected, actual, ..
        }) => assert_eq!((expected, actual), (created, moved)),
        other => panic!("a stale update must conflict, got {other:?}"),
    }
    assert!(matches!(
        db.txn(&[del("/p/k", Precondition::ModRevision(created))]),
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        db.txn(&[del("/p/missing", Precondition::None)]),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        db.txn(&[put("/p/missing", "x", Precondition::MustExist)]),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        db.get("/p/k").expect("get").expect("present").value,
        "v2",
        "failed writes change nothing"
    );
}

fn transactions_are_atomic(connect: Connect<'_>) {
    let db = connect();
    db.txn(&[put("/t/existing", "e", Precondition::MustNotExist)])
        .expect("seed");
    let before = db.revision().expect("rev");
    let failed = db.txn(&[
        put("/t/a", "a", Precondition::MustNotExist),
        put("/t/b", "b", Precondition::MustNotExist),
        put("/t/existing", "clobber", Precondition::MustNotExist),
    ]);
    assert!(
        matches!(failed, Err(StoreError::AlreadyExists { .. })),
        "{failed:?}"
    );
    assert_eq!(
        db.revision().expect("rev"),
        before,
        "a failed transaction takes no revision"
    );
    assert_eq!(
        db.get("/t/a").expect("get"),
        None,
        "nothing of a failed transaction is written"
    );
    let ok = db
        .txn(&[
            put("/t/a", "a", Precondition::MustNotExist),
            put("/t/b", "b", Precondition::MustNotExist),
            del("/t/existing", Precondition::None),
        ])
        .expect("txn");
    assert_eq!(ok.revision, before + 1, "one transaction, one revision");
    for k in ["/t/a", "/t/b"] {
        assert_eq!(
            db.get(k).expect("get").expect("present").mod_revision,
            ok.revision
        );
    }
}

fn list_by_prefix_with_revision(connect: Connect<'_>) {
    let db = connect();
    for k in ["/l/b/2", "/l/a/1", "/l/b/1", "/l/bb/1", "/m/x"] {
        db.txn(&[put(k, k, Precondition::None)]).expect("put");
    }
    let (records, rev) = db.list("/l/b/").expect("list");
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        ["/l/b/1", "/l/b/2"],
        "list is by prefix and sorted by key"
    );
    assert_eq!(rev, db.revision().expect("rev"));
    assert_eq!(db.list("/l/").expect("list").0.len(), 4);
    assert_eq!(db.list("/nothing/").expect("list").0.len(), 0);
}

fn watch_delivers_changes_in_order(connect: Connect<'_>) {
    let db = connect();
    let (_, rev) = db.list("/w/").expect("list");
    let mut watch = db.watch("/w/", rev).expect("watch");
    db.txn(&[put("/w/a", "1", Precondition::None)])
        .expect("put");
    db.txn(&[
        put("/w/a", "2", Precondition::None),
        put("/w/b", "x", Precondition::None),
    ])
    .expect("txn");
    db.txn(&[del("/w/a", Precondition::None)]).expect("del");
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let e = watch
            .next(WAIT)
            .expect("watch")
            .expect("an event within the wait");
        seen.push((e.revision - rev, e.key, e.value, e.prev_value));
    }
    assert_eq!(
        seen,
        [
            (1, "/w/a".into(), Some("1".into()), None),
            (2, "/w/a".into(), Some("2".into()), Some("1".into())),
            (2, "/w/b".into(), Some("x".into()), None),
            (3, "/w/a".into(), None, Some("2".into())),
        ]
    );
    assert_eq!(
        watch.next(Duration::from_millis(50)).expect("watch"),
        None,
        "no spurious events"
    );
}

fn watch_replays_history_and_filters_prefix(connect: Connect<'_>) {
    let db = connect();
    let start = db.revision().expect("rev");
    db.txn(&[put("/h/1", "a", Precondition::None)])
        .expect("put");
    db.txn(&[put("/other/1", "z", Precondition::None)])
        .expect("put");
    db.txn(&[put("/h/2", "b", Precondition::None)])
        .expect("put");
    let mut w = db.watch("/h/", start).expect("watch from the past");
    let a = w.next(WAIT).expect("w").expect("event");
    let b = w.next(WAIT).expect("w").expect("event");
    assert_eq!(
        (a.key.as_str(), b.key.as_str()),
        ("/h/1", "/h/2"),
        "history replays, other prefixes excluded"
    );
    let mut later = db.watch("/h/", start + 1).expect("watch");
    assert_eq!(
        later.next(WAIT).expect("w").expect("event").key,
        "/h/2",
        "events at or before `after` are skipped"
    );
}

fn compaction_forces_a_relist(connect: Connect<'_>) {
    let db = connect();
    let old = db.revision().expect("rev");
    let mut lagging = db.watch("/c/", old).expect("watch");
    for i in 0..5 {
        db.txn(&[put(&format!("/c/{i}"), "v", Precondition::None)])
            .expect("put");
    }
    let now = db.revision().expect("rev");
    db.compact(now - 1).expect("compact");
    match db.watch("/c/", old) {
        Err(StoreError::Compacted {
            requested,
            compacted,
        }) => assert_eq!((requested, compacted), (old, now - 1)),
        Err(e) => panic!("expected Compacted, got {e}"),
        Ok(_) => panic!("expected Compacted, got a watch"),
    }
    let mut lagged = false;
    for _ in 0..10 {
        match lagging.next(Duration::from_millis(100)) {
            Err(StoreError::Compacted { .. }) => {
                lagged = true;
                break;
            }
            Ok(_) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert!(lagged, "a watch that fell behind compaction must say so");
    // The recovery protocol: list, then watch from the list's revision.
    let (records, rev) = db.list("/c/").expect("relist");
    assert_eq!(records.len(), 5);
    let mut w = db.watch("/c/", rev).expect("watch after relist");
    db.txn(&[put("/c/new", "v", Precondition::None)])
        .expect("put");
    assert_eq!(w.next(WAIT).expect("w").expect("event").key, "/c/new");
}

fn concurrent_writers_lose_no_update(connect: Connect<'_>) {
    const WRITERS: usize = 4;
    const EACH: usize = 25;
    connect()
        .txn(&[put("/counter", "0", Precondition::MustNotExist)])
        .expect("seed");
    std::thread::scope(|s| {
        for _ in 0..WRITERS {
            s.spawn(|| {
                let db = connect();
                for _ in 0..EACH {
                    loop {
                        let cur = db.get("/counter").expect("get").expect("present");
                        let n: usize = cur.value.parse().expect("number");
                        match db.txn(&[put(
                            "/counter",
                            &(n + 1).to_string(),
                            Precondition::ModRevision(cur.mod_revision),
                        )]) {
                            Ok(_) => break,
                            Err(StoreError::Conflict { .. }) => {}
                            Err(e) => panic!("writer failed: {e}"),
                        }
                    }
                }
            });
        }
    });
    let v = connect()
        .get("/counter")
        .expect("get")
        .expect("present")
        .value;
    assert_eq!(
        v,
        (WRITERS * EACH).to_string(),
        "compare-and-swap increments from {WRITERS} clients"
    );
}

fn watch_in_another_client_sees_commits(connect: Connect<'_>) {
    let writer = connect();
    let watcher = connect();
    let (_, rev) = watcher.list("/x/").expect("list");
    let mut w = watcher.watch("/x/", rev).expect("watch");
    let sent = Instant::now();
    writer
        .txn(&[put("/x/1", "v", Precondition::None)])
        .expect("put");
    let e = w.next(WAIT).expect("watch").expect("the commit arrives");
    assert_eq!(e.key, "/x/1");
    eprintln!(
        "backend suite: cross-client watch latency {} ms",
        sent.elapsed().as_millis()
    );
}
