//! The datastore verbs against a real etcd through the real binary: configured by calicoctl's
//! environment variables (`ETCD_ENDPOINTS`) and by a `-c` calicoctl.cfg (`datastoreType:
//! etcdv3`, with TLS files too), leaving Calico's keys and values in etcd, and failing quickly
//! with a clear message when etcd is unreachable.

#![cfg(feature = "etcd")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use etcd_client::GetOptions;
use serde_json::Value;
use tortie_testkit::etcd::EtcdCluster;

const ROOT: &str = "/calico/resources/v3/projectcalico.org/";

const POLICIES: &str = "\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-all}
spec: {selector: all(), types: [Ingress]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-db, namespace: prod}
spec: {selector: app == 'db', ingress: [{action: Allow}]}
";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `tortie` with only the given datastore variables set.
fn tortie(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tortie"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TORTIE_")
            || k.starts_with("CALICO_")
            || k.starts_with("ETCD_")
            || k == "DATASTORE_TYPE"
        {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tortie runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin");
    let out = child.wait_with_output().expect("tortie finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> String {
    let r = tortie(args, stdin, env);
    assert_eq!(r.code, 0, "tortie {args:?} failed: {}", r.stderr);
    r.stdout
}

/// Every key under `prefix` with its value, read from etcd directly.
fn raw(cluster: &EtcdCluster, prefix: &str) -> Vec<(String, Value)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut c = etcd_client::Client::connect(cluster.endpoints(), None)
            .await
            .expect("raw client");
        let resp = c
            .get(prefix, Some(GetOptions::new().with_prefix()))
            .await
            .expect("raw get");
        resp.kvs()
            .iter()
            .map(|kv| {
                (
                    kv.key_str().expect("utf8").to_string(),
                    serde_json::from_slice(kv.value()).expect("JSON value"),
                )
            })
            .collect()
    })
}

fn write_cfg(dir: &Path, name: &str, spec: &str) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {{}}\nspec:\n{spec}"
    );
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn verbs_work_on_etcd_with_calicos_keys() {
    let cluster = EtcdCluster::single("cli").expect("etcd starts");
    let endpoint = cluster.endpoint(0);
    let env = [("ETCD_ENDPOINTS", endpoint.as_str())];
    assert_eq!(
        ok(&["apply", "-f", "-"], POLICIES, &env),
        "Successfully applied 2 resource(s)\n"
    );
    let gnp = ok(&["get", "gnp", "deny-all", "-o", "yaml"], "", &env);
    assert!(gnp.contains("name: deny-all"), "{gnp}");
    assert!(!gnp.contains("projectcalico.org/metadata"), "{gnp}");

    let stored = raw(&cluster, ROOT);
    let keys: Vec<&str> = stored.iter().map(|(k, _)| k.as_str()).collect();
    for expected in [
        "globalnetworkpolicies/deny-all",
        "networkpolicies/prod/allow-db",
        "tiers/default",
    ] {
        assert!(
            keys.contains(&format!("{ROOT}{expected}").as_str()),
            "{expected} missing from {keys:#?}"
        );
    }
    let (_, np) = stored
        .iter()
        .find(|(k, _)| k.ends_with("networkpolicies/prod/allow-db"))
        .expect("stored");
    assert_eq!(np["kind"], "NetworkPolicy");
    assert_eq!(
        np["metadata"]["annotations"]["projectcalico.org/metadata"],
        r#"{"name":"allow-db"}"#
    );

    // The same store through a calicoctl.cfg file, with no variables set.
    let cfg = write_cfg(
        cluster.dir(),
        "calicoctl.cfg",
        &format!("  datastoreType: etcdv3\n  etcdEndpoints: {endpoint}\n"),
    );
    let cfg = cfg.to_str().expect("utf8 path");
    let list = ok(&["get", "networkpolicy", "-n", "prod", "-c", cfg], "", &[]);
    assert!(list.contains("allow-db"), "{list}");
    let version = ok(&["version", "-c", cfg], "", &[]);
    assert!(version.contains("etcdv3"), "{version}");
    assert_eq!(
        ok(&["delete", "gnp", "deny-all", "-c", cfg], "", &[]),
        "Successfully deleted 1 'GlobalNetworkPolicy' resource(s)\n"
    );
    assert!(
        raw(&cluster, &format!("{ROOT}globalnetworkpolicies/")).is_empty(),
        "the key is gone from etcd"
    );
}

#[test]
fn unreachable_etcd_fails_quickly_and_clearly() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let started = Instant::now();
    let r = tortie(
        &["get", "gnp"],
        "",
        &[("ETCD_ENDPOINTS", endpoint.as_str())],
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("unavailable") && r.stderr.contains(&endpoint),
        "{}",
        r.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn tls_files_from_the_config_file_are_used() {
    let (cluster, ca) = EtcdCluster::single_tls("cli-tls").expect("a TLS etcd starts");
    let dir = cluster.dir().join("cli-certs");
    std::fs::create_dir_all(&dir).expect("dir");
    let client = ca.client(&dir, "ctl").expect("client certificate");
    let spec = format!(
        "  datastoreType: etcdv3\n  etcdEndpoints: {}\n  etcdCACertFile: {}\n  etcdCertFile: {}\n  etcdKeyFile: {}\n",
        cluster.endpoint(0),
        ca.cert.display(),
        client.cert.display(),
        client.key.display()
    );
    let cfg = write_cfg(&dir, "tls.cfg", &spec);
    let cfg = cfg.to_str().expect("utf8 path");
    assert_eq!(
        ok(&["apply", "-f", "-", "-c", cfg], POLICIES, &[]),
        "Successfully applied 2 resource(s)\n"
    );
    let without_cert = write_cfg(
        &dir,
        "no-cert.cfg",
        &format!(
            "  datastoreType: etcdv3\n  etcdEndpoints: {}\n  etcdCACertFile: {}\n",
            cluster.endpoint(0),
            ca.cert.display()
        ),
    );
    let r = tortie(
        &["get", "gnp", "-c", without_cert.to_str().expect("utf8")],
        "",
        &[],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("TLS"), "{}", r.stderr);
}
