//! TLS with client certificates: etcd started with `--client-cert-auth` and a throwaway CA; the
//! backend connects with a client certificate from that CA, and is refused, with an error that
//! names TLS or the certificate, with one from another CA, with none, or when it does not trust
//! the server.

use std::path::Path;

use tortie_datastore::{Backend, Op, Precondition, StoreError};
use tortie_datastore_etcd::{EtcdBackend, EtcdSettings};
use tortie_testkit::certs::{Ca, CertPair};
use tortie_testkit::etcd::EtcdCluster;

fn settings(endpoints: Vec<String>, ca: &Path, client: Option<&CertPair>) -> EtcdSettings {
    let mut s = EtcdSettings::new(endpoints);
    s.ca_cert_file = Some(ca.to_path_buf());
    s.cert_file = client.map(|c| c.cert.clone());
    s.key_file = client.map(|c| c.key.clone());
    s
}

fn refused(s: &EtcdSettings) -> String {
    let result = EtcdBackend::connect(s).and_then(|db| db.get("/k"));
    match result {
        Err(StoreError::Unavailable(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn names_tls(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("tls") || m.contains("certificate")
}

#[test]
fn client_certificates_are_required_and_checked() {
    let (cluster, ca) = EtcdCluster::single_tls("tls").expect("a TLS etcd starts");
    let dir = cluster.dir().join("client-certs");
    std::fs::create_dir_all(&dir).expect("dir");
    let good = ca.client(&dir, "tortie").expect("client certificate");

    let db = EtcdBackend::connect(&settings(cluster.endpoints(), &ca.cert, Some(&good)))
        .expect("connect");
    db.txn(&[Op::Put {
        key: "/tls/k".into(),
        value: "v".into(),
        precondition: Precondition::MustNotExist,
    }])
    .expect("a write over TLS");
    assert_eq!(db.get("/tls/k").expect("get").expect("present").value, "v");

    let rogue_ca = Ca::new(&dir, "rogue").expect("another CA");
    let rogue = rogue_ca
        .client(&dir, "intruder")
        .expect("rogue certificate");
    let m = refused(&settings(cluster.endpoints(), &ca.cert, Some(&rogue)));
    eprintln!("tls: wrong client certificate: {m}");
    assert!(names_tls(&m), "the error names TLS or the certificate: {m}");

    let m = refused(&settings(cluster.endpoints(), &ca.cert, None));
    eprintln!("tls: no client certificate: {m}");
    assert!(names_tls(&m), "the error names TLS or the certificate: {m}");

    let m = refused(&settings(cluster.endpoints(), &rogue_ca.cert, Some(&good)));
    eprintln!("tls: untrusted server: {m}");
    assert!(names_tls(&m), "the error names TLS or the certificate: {m}");
}

#[test]
fn tls_settings_are_checked_before_connecting() {
    let mut s = EtcdSettings::new(vec!["http://127.0.0.1:2379".into()]);
    s.ca_cert_file = Some("/nonexistent/ca.pem".into());
    let e = EtcdBackend::connect(&s).err().expect("refused");
    assert!(e.to_string().contains("not https"), "{e}");
    s.endpoints = vec!["https://127.0.0.1:2379".into()];
    let e = EtcdBackend::connect(&s).err().expect("refused");
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    s.ca_cert_file = None;
    s.cert_file = Some("/nonexistent/cert.pem".into());
    let e = EtcdBackend::connect(&s).err().expect("refused");
    assert!(e.to_string().contains("together"), "{e}");
}
