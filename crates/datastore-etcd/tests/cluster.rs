//! Failover: a three-member etcd cluster on loopback loses a member (writes and watches carry
//! on), then all members (calls fail with `Unavailable` quickly), then comes back (the same
//! backend and watch work again, with no event lost or repeated). A watch that finds etcd
//! wiped says to list again. An endpoint that accepts connections but never answers ends calls
//! at the request timeout.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use tortie_datastore::{Backend, Event, Op, Precondition, StoreError, Watch};
use tortie_datastore_etcd::{EtcdBackend, EtcdSettings};
use tortie_testkit::etcd::{EtcdCluster, EtcdOptions};

fn put(key: &str) -> Op {
    Op::Put {
        key: key.into(),
        value: "v".into(),
        precondition: Precondition::None,
    }
}

/// Creates `key`, trying again while etcd is failing over. A write caught in a failover can
/// fail with `Unavailable` (outcome unknown, as with etcd's own client); creating makes a
/// repeat safe: `AlreadyExists` after such a failure means the first attempt landed.
fn create_eventually(db: &EtcdBackend, key: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut failures = 0;
    loop {
        let op = Op::Put {
            key: key.into(),
            value: "v".into(),
            precondition: Precondition::MustNotExist,
        };
        match db.txn(&[op]) {
            Ok(_) => return failures,
            Err(StoreError::AlreadyExists { .. }) if failures > 0 => return failures,
            Err(StoreError::Unavailable(m)) if Instant::now() < deadline => {
                eprintln!("cluster: write of {key} failed during failover: {m}");
                failures += 1;
            }
            Err(e) => panic!("write of {key} failed: {e}"),
        }
    }
}

/// The index of the member that leads the cluster.
fn leader(cluster: &EtcdCluster) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut ids = Vec::new();
        let mut leader = 0;
        for endpoint in cluster.endpoints() {
            let mut c = etcd_client::Client::connect([endpoint], None)
                .await
                .expect("raw client");
            let status = c.status().await.expect("status");
            ids.push(status.header().expect("header").member_id());
            leader = status.leader();
        }
        ids.iter().position(|&id| id == leader).expect("a leader")
    })
}

/// The next event, skipping `Unavailable` reports while the cluster is down.
fn next_event(w: &mut Box<dyn Watch>, within: Duration) -> Event {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no event within {within:?}");
        match w.next(left) {
            Ok(Some(e)) => return e,
            Ok(None) => {}
            Err(StoreError::Unavailable(_)) => {}
            Err(e) => panic!("watch failed: {e}"),
        }
    }
}

#[test]
fn three_members_lose_one_then_all_then_recover() {
    let mut cluster = EtcdCluster::start(EtcdOptions {
        members: 3,
        tag: "cluster".into(),
        ..EtcdOptions::default()
    })
    .expect("a three-member cluster starts");
    let mut settings = EtcdSettings::new(cluster.endpoints());
    settings.dial_timeout = Duration::from_secs(1);
    settings.request_timeout = Duration::from_secs(8);
    let db = EtcdBackend::connect(&settings).expect("connect");
    let (_, rev) = db.list("/w/").expect("list");
    let mut w = db.watch("/w/", rev).expect("watch");
    db.txn(&[put("/w/0")]).expect("write");
    assert_eq!(next_event(&mut w, Duration::from_secs(5)).key, "/w/0");

    // Lose a follower: the first endpoint (the one the client and its watch use) unless it
    // leads. No write fails.
    let leader = leader(&cluster);
    let follower = usize::from(leader == 0);
    cluster.stop_member(follower);
    for i in 1..=2 {
        assert_eq!(
            create_eventually(&db, &format!("/w/{i}")),
            0,
            "losing a follower costs no write"
        );
    }
    // Lose the leader (with the follower back): writes carry on after an election; one caught
    // in it may fail with Unavailable.
    cluster
        .start_member(follower)
        .expect("the follower rejoins");
    cluster.stop_member(leader);
    let started = Instant::now();
    let failed: usize = (3..=5)
        .map(|i| create_eventually(&db, &format!("/w/{i}")))
        .sum();
    eprintln!(
        "cluster: 3 writes after losing the leader (member {leader}) took {} ms, {failed} failed attempts",
        started.elapsed().as_millis()
    );
    for i in 1..=5 {
        let e = next_event(&mut w, Duration::from_secs(10));
        assert_eq!(e.key, format!("/w/{i}"), "the watch resumed in order");
    }
    let other = db
        .watch("/w/", rev)
        .expect("a new watch with one member down");
    drop(other);

    // All members down: every call fails quickly and says so.
    cluster.stop_all();
    let started = Instant::now();
    for result in [
        db.get("/w/1").map(|_| ()),
        db.txn(&[put("/w/x")]).map(|_| ()),
        db.list("/w/").map(|_| ()),
        db.revision().map(|_| ()),
    ] {
        match result {
            Err(StoreError::Unavailable(m)) => assert!(m.contains("127.0.0.1"), "{m}"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "unreachable etcd is reported quickly (took {:?})",
        started.elapsed()
    );
    match w.next(Duration::from_secs(3)) {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("the watch reports the outage, got {other:?}"),
    }

    // Back again: the same backend and watch carry on.
    cluster.start_all().expect("the cluster restarts");
    db.txn(&[put("/w/6")])
        .expect("writes work after the restart");
    let e = next_event(&mut w, Duration::from_secs(10));
    assert_eq!(e.key, "/w/6", "nothing lost or repeated across the outage");
    assert_eq!(db.list("/w/").expect("list").0.len(), 7);
}

#[test]
fn a_wiped_etcd_forces_a_relist() {
    let mut cluster = EtcdCluster::single("wiped").expect("etcd starts");
    let db = EtcdBackend::connect(&EtcdSettings::new(cluster.endpoints())).expect("connect");
    let (_, rev) = db.list("/r/").expect("list");
    let mut w = db.watch("/r/", rev).expect("watch");
    for i in 0..3 {
        db.txn(&[put(&format!("/r/{i}"))]).expect("write");
        next_event(&mut w, Duration::from_secs(5));
    }
    cluster.wipe_member(0);
    cluster.start_member(0).expect("an empty etcd starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(
            Instant::now() < deadline,
            "the watch never noticed the reset"
        );
        match w.next(Duration::from_secs(1)) {
            Err(StoreError::Compacted { .. }) => break,
            Err(StoreError::Unavailable(_)) | Ok(None) => {}
            other => panic!("expected Compacted, got {other:?}"),
        }
    }
}

#[test]
fn a_silent_endpoint_ends_calls_at_the_request_timeout() {
    // Accepts TCP connections (the kernel does) but never speaks HTTP/2.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", silent.local_addr().expect("addr"));
    let mut settings = EtcdSettings::new(vec![endpoint]);
    settings.dial_timeout = Duration::from_millis(500);
    settings.request_timeout = Duration::from_millis(1500);
    let db = EtcdBackend::connect(&settings).expect("connect makes no request");
    let started = Instant::now();
    match db.get("/k") {
        Err(StoreError::Unavailable(m)) => eprintln!("silent endpoint: {m}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(4),
        "bounded by the time limits, took {took:?}"
    );
}
