//! What lands in etcd is what Calico stores: keys in Calico's layout, JSON values without
//! `resourceVersion`, the policy-name annotation on policies, `resourceVersion` = mod revision,
//! and policies written by older Calico under `default.`-prefixed names read back correctly.
//! Raw keys and values are read and written with etcd-client directly.

use std::sync::Arc;
use std::time::Duration;

use etcd_client::{Client as Raw, GetOptions};
use serde_json::Value;
use tortie_datastore::{Client, ObjectRef, Write};
use tortie_datastore_etcd::codec::METADATA_ANNOTATION;
use tortie_datastore_etcd::{EtcdBackend, EtcdSettings};
use tortie_model::{Kind, load_str};
use tortie_testkit::etcd::EtcdCluster;

const ROOT: &str = "/calico/resources/v3/projectcalico.org/";

const OBJECTS: &str = "\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-all}
spec: {selector: all(), types: [Ingress]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-db, namespace: prod, annotations: {team: db}}
spec: {selector: app == 'db', ingress: [{action: Allow}]}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.block}
spec: {tier: security, selector: all(), types: [Egress]}
";

/// Raw access to etcd, for looking under the backend.
struct RawEtcd {
    rt: tokio::runtime::Runtime,
    client: Raw,
}

impl RawEtcd {
    fn new(endpoint: &str) -> RawEtcd {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = rt
            .block_on(Raw::connect([endpoint], None))
            .expect("raw client");
        RawEtcd { rt, client }
    }

    /// (key, value, mod revision) of every key under `prefix`.
    fn list(&mut self, prefix: &str) -> Vec<(String, String, i64)> {
        let resp = self
            .rt
            .block_on(
                self.client
                    .get(prefix, Some(GetOptions::new().with_prefix())),
            )
            .expect("raw get");
        resp.kvs()
            .iter()
            .map(|kv| {
                (
                    kv.key_str().expect("utf8").to_string(),
                    kv.value_str().expect("utf8").to_string(),
                    kv.mod_revision(),
                )
            })
            .collect()
    }

    fn value(&mut self, key: &str) -> Value {
        let all = self.list(key);
        let (_, v, _) = all.iter().find(|(k, _, _)| k == key).expect("key stored");
        serde_json::from_str(v).expect("stored JSON")
    }

    fn put(&mut self, key: &str, value: &str) {
        self.rt
            .block_on(self.client.put(key, value, None))
            .expect("raw put");
    }
}

fn client(cluster: &EtcdCluster) -> Client {
    let backend = EtcdBackend::connect(&EtcdSettings::new(cluster.endpoints())).expect("connect");
    Client::new(Arc::new(backend))
}

fn apply(c: &Client, yaml: &str) {
    let writes = load_str(yaml, "test.yaml")
        .expect("yaml")
        .into_iter()
        .map(|l| Write::Apply {
            resource: l.result.expect("valid"),
        })
        .collect();
    c.write(writes).expect("apply");
}

fn obj(kind: Kind, namespace: &str, name: &str) -> ObjectRef {
    ObjectRef {
        kind,
        namespace: namespace.into(),
        name: name.into(),
    }
}

#[test]
fn keys_and_values_are_calicos() {
    let cluster = EtcdCluster::single("layout").expect("etcd starts");
    let c = client(&cluster);
    apply(&c, OBJECTS);
    let mut raw = RawEtcd::new(&cluster.endpoint(0));
    let keys: Vec<String> = raw.list(ROOT).into_iter().map(|(k, _, _)| k).collect();
    for expected in [
        "globalnetworkpolicies/deny-all",
        "globalnetworkpolicies/security.block",
        "networkpolicies/prod/allow-db",
        "tiers/default",
        "tiers/kube-admin",
        "tiers/kube-baseline",
        "tiers/security",
    ] {
        let key = format!("{ROOT}{expected}");
        assert!(keys.contains(&key), "{key} missing from {keys:#?}");
    }

    let gnp = raw.value(&format!("{ROOT}globalnetworkpolicies/deny-all"));
    assert_eq!(gnp["kind"], "GlobalNetworkPolicy");
    assert_eq!(gnp["apiVersion"], "projectcalico.org/v3");
    assert_eq!(gnp["metadata"]["name"], "deny-all");
    assert_eq!(
        gnp["metadata"]["annotations"][METADATA_ANNOTATION],
        r#"{"name":"deny-all"}"#
    );
    assert!(gnp["metadata"].get("resourceVersion").is_none());
    assert!(gnp["metadata"]["uid"].is_string());
    let np = raw.value(&format!("{ROOT}networkpolicies/prod/allow-db"));
    assert_eq!(np["metadata"]["annotations"]["team"], "db");
    assert_eq!(
        np["metadata"]["annotations"][METADATA_ANNOTATION],
        r#"{"name":"allow-db"}"#
    );
    let tier = raw.value(&format!("{ROOT}tiers/security"));
    assert!(
        tier["metadata"].get("annotations").is_none(),
        "only policies carry the annotation: {tier}"
    );

    // Reading back: the annotation is gone, resourceVersion is the key's mod revision.
    let read = c
        .get(&obj(Kind::NetworkPolicy, "prod", "allow-db"))
        .expect("get");
    let meta = read.metadata();
    assert_eq!(meta.annotations.get("team").map(String::as_str), Some("db"));
    assert!(!meta.annotations.contains_key(METADATA_ANNOTATION));
    let (_, _, mod_rev) = raw
        .list(&format!("{ROOT}networkpolicies/prod/allow-db"))
        .remove(0);
    assert_eq!(meta.resource_version, mod_rev.to_string());
    let listed = c.list(Kind::GlobalNetworkPolicy, None, None).expect("list");
    let names: Vec<&str> = listed
        .items
        .iter()
        .map(|r| r.metadata().name.as_str())
        .collect();
    assert_eq!(names, ["deny-all", "security.block"]);
    assert!(
        listed
            .items
            .iter()
            .all(|r| !r.metadata().annotations.contains_key(METADATA_ANNOTATION))
    );
}

#[test]
fn old_default_prefixed_policies_read_back_without_the_prefix() {
    let cluster = EtcdCluster::single("oldkeys").expect("etcd starts");
    let c = client(&cluster);
    let mut raw = RawEtcd::new(&cluster.endpoint(0));
    // As Calico before v3.32 wrote a default-tier policy: no annotation, `default.` prefix.
    raw.put(
        &format!("{ROOT}globalnetworkpolicies/default.legacy"),
        r#"{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"default.legacy","uid":"0b4f3b4e-1111-4c4c-8a8a-123456789abc","creationTimestamp":"2024-01-02T03:04:05Z"},"spec":{"tier":"default","order":10,"selector":"all()","types":["Ingress"]}}"#,
    );
    raw.put(
        &format!("{ROOT}networkpolicies/prod/default.web"),
        r#"{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"default.web","namespace":"prod"},"spec":{"selector":"app == 'web'","types":["Ingress"]}}"#,
    );
    let (_, rev) = {
        let gnps = c.list(Kind::GlobalNetworkPolicy, None, None).expect("list");
        let names: Vec<String> = gnps
            .items
            .iter()
            .map(|r| r.metadata().name.clone())
            .collect();
        assert_eq!(names, ["legacy"]);
        (names, gnps.revision)
    };
    let nps = c
        .list(Kind::NetworkPolicy, Some("prod"), None)
        .expect("list");
    assert_eq!(nps.items[0].metadata().name, "web");

    // Watches decode the same way.
    let mut changes = c.watch(rev).expect("watch");
    raw.put(
        &format!("{ROOT}globalnetworkpolicies/default.later"),
        r#"{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"default.later"},"spec":{"selector":"all()"}}"#,
    );
    let change = changes
        .next(Duration::from_secs(5))
        .expect("watch")
        .expect("the change arrives");
    assert_eq!(change.new.expect("new object").metadata().name, "later");
}
