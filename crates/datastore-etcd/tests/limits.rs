//! Limits and credentials: etcd's `--max-txn-ops` (128 by default) bounds a transaction and
//! exceeding it is a clear error, never a silent split; duplicate keys are refused; with
//! authentication enabled, user name and password are used and wrong ones are named.

use tortie_datastore::{Backend, Op, Precondition, StoreError};
use tortie_datastore_etcd::{EtcdBackend, EtcdSettings};
use tortie_testkit::etcd::{EtcdCluster, EtcdOptions};

fn puts(n: usize, tag: &str) -> Vec<Op> {
    (0..n)
        .map(|i| Op::Put {
            key: format!("/{tag}/{i:04}"),
            value: "v".into(),
            precondition: Precondition::MustNotExist,
        })
        .collect()
}

#[test]
fn transactions_are_bounded_by_the_servers_limit() {
    let cluster = EtcdCluster::single("limits").expect("etcd starts");
    let db = EtcdBackend::connect(&EtcdSettings::new(cluster.endpoints())).expect("connect");
    let done = db.txn(&puts(128, "ok")).expect("128 operations fit");
    assert_eq!(done.records.len(), 128);
    match db.txn(&puts(129, "big")) {
        Err(StoreError::Backend(m)) => assert!(m.contains("--max-txn-ops"), "{m}"),
        other => panic!("expected a clear refusal, got {other:?}"),
    }
    assert!(
        db.list("/big/").expect("list").0.is_empty(),
        "nothing written"
    );
    let mut twice = puts(2, "dup");
    twice.push(twice[0].clone());
    match db.txn(&twice) {
        Err(StoreError::Backend(m)) => assert!(m.contains("twice"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    let roomy = EtcdCluster::start(EtcdOptions {
        tag: "limits-roomy".into(),
        max_txn_ops: Some(1000),
        ..EtcdOptions::default()
    })
    .expect("etcd starts");
    let db = EtcdBackend::connect(&EtcdSettings::new(roomy.endpoints())).expect("connect");
    assert_eq!(
        db.txn(&puts(500, "many"))
            .expect("a raised limit")
            .records
            .len(),
        500
    );
}

#[test]
fn user_name_and_password_are_used() {
    let cluster = EtcdCluster::single("auth").expect("etcd starts");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut c = etcd_client::Client::connect(cluster.endpoints(), None)
            .await
            .expect("raw client");
        c.user_add("root", "rootpw", None).await.expect("root user");
        c.user_grant_role("root", "root").await.expect("root role");
        c.auth_enable().await.expect("enable auth");
    });
    let mut settings = EtcdSettings::new(cluster.endpoints());
    settings.username = Some("root".into());
    settings.password = Some("rootpw".into());
    let db = EtcdBackend::connect(&settings).expect("connect with credentials");
    db.txn(&puts(1, "auth")).expect("an authenticated write");

    settings.password = Some("wrong".into());
    match EtcdBackend::connect(&settings) {
        Err(StoreError::Backend(m)) => assert!(m.contains("credentials"), "{m}"),
        Err(e) => panic!("expected refused credentials, got {e}"),
        Ok(_) => panic!("a wrong password must be refused"),
    }
    settings.password = None;
    let anonymous = EtcdBackend::connect(&settings).expect("no credentials: nothing checked yet");
    match anonymous.get("/auth/0000") {
        Err(StoreError::Backend(m)) => assert!(m.contains("etcdUsername"), "{m}"),
        other => panic!("expected a refusal naming the settings, got {other:?}"),
    }
}
