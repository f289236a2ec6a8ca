//! The client's Calico rules on the embedded backend.

use std::sync::Arc;
use std::time::Duration;

use tortie_datastore::client::Listed;
use tortie_datastore::{Client, ClientError, Embedded, ObjectRef, Outcome, Write};
use tortie_model::{Kind, Resource, load_str};

struct Store {
    client: Client,
    dir: std::path::PathBuf,
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn store(tag: &str) -> Store {
    let dir = std::env::temp_dir().join(format!("tortie-client-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let backend = Arc::new(Embedded::open(&dir).expect("open"));
    Store {
        client: Client::new(backend),
        dir,
    }
}

fn objects(yaml: &str) -> Vec<Resource> {
    load_str(yaml, "test")
        .expect("yaml")
        .into_iter()
        .map(|l| l.result.expect("valid object"))
        .collect()
}

fn apply(c: &Client, yaml: &str) -> Result<Vec<tortie_datastore::Written>, ClientError> {
    c.write(
        objects(yaml)
            .into_iter()
            .map(|resource| Write::Apply { resource })
            .collect(),
    )
}

fn obj(kind: Kind, ns: &str, name: &str) -> ObjectRef {
    ObjectRef {
        kind,
        namespace: ns.into(),
        name: name.into(),
    }
}

const GNP: &str = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  selector: all()\n  egress: [{action: Allow}]\n";

#[test]
fn create_sets_server_fields_and_calico_defaults() {
    let s = store("create");
    let w = s
        .client
        .write(vec![Write::Create {
            resource: objects(GNP).remove(0),
            skip_exists: false,
        }])
        .expect("create");
    assert_eq!(w[0].outcome, Outcome::Created);
    let Resource::GlobalNetworkPolicy(p) = s
        .client
        .get(&obj(Kind::GlobalNetworkPolicy, "", "p"))
        .expect("get")
    else {
        panic!("kind")
    };
    assert_eq!(p.metadata.uid.len(), 36, "a uuid");
    assert!(
        p.metadata
            .creation_timestamp
            .as_deref()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(!p.metadata.resource_version.is_empty());
    assert_eq!(p.spec.tier, "default");
    assert_eq!(p.spec.types, vec![tortie_model::rule::PolicyType::Egress]);
    assert_eq!(p.metadata.labels["projectcalico.org/tier"], "default");
    let again = s.client.write(vec![Write::Create {
        resource: objects(GNP).remove(0),
        skip_exists: false,
    }]);
    assert!(
        matches!(again, Err(ClientError::AlreadyExists(_))),
        "{again:?}"
    );
    let skipped = s
        .client
        .write(vec![Write::Create {
            resource: objects(GNP).remove(0),
            skip_exists: true,
        }])
        .expect("skip");
    assert_eq!(skipped[0].outcome, Outcome::Skipped);
}

#[test]
fn replace_keeps_identity_and_checks_the_version() {
    let s = store("replace");
    apply(&s.client, GNP).expect("apply");
    let first = s
        .client
        .get(&obj(Kind::GlobalNetworkPolicy, "", "p"))
        .expect("get");
    let mut changed = first.clone();
    if let Resource::GlobalNetworkPolicy(p) = &mut changed {
        p.spec.order = Some(5.0);
    }
    s.client
        .write(vec![Write::Replace {
            resource: changed.clone(),
        }])
        .expect("replace at the current version");
    let second = s
        .client
        .get(&obj(Kind::GlobalNetworkPolicy, "", "p"))
        .expect("get");
    assert_eq!(second.metadata().uid, first.metadata().uid);
    assert_eq!(
        second.metadata().creation_timestamp,
        first.metadata().creation_timestamp
    );
    assert_ne!(
        second.metadata().resource_version,
        first.metadata().resource_version
    );
    match s.client.write(vec![Write::Replace { resource: changed }]) {
        Err(ClientError::Conflict {
            expected, actual, ..
        }) => assert!(expected < actual),
        other => panic!("a stale version must conflict: {other:?}"),
    }
}

#[test]
fn built_in_tiers_exist_and_tiers_guard_their_policies() {
    let s = store("tiers");
    apply(&s.client, GNP).expect("apply");
    let tiers: Vec<String> = s
        .client
        .list(Kind::Tier, None, None)
        .expect("list")
        .items
        .iter()
        .map(|t| t.metadata().name.clone())
        .collect();
    assert_eq!(tiers, ["default", "kube-admin", "kube-baseline"]);
    let in_missing_tier = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: sec.p}\nspec: {tier: sec}\n";
    let e = apply(&s.client, in_missing_tier).unwrap_err().to_string();
    assert!(e.contains("tier `sec`, which does not exist"), "{e}");
    let tier =
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: sec}\nspec: {order: 100}\n";
    apply(&s.client, &format!("{tier}---\n{in_missing_tier}"))
        .expect("tier and policy in one batch");
    let del = |name: &str| Write::Delete {
        object: obj(Kind::Tier, "", name),
        resource_version: None,
        skip_missing: false,
    };
    let e = s.client.write(vec![del("sec")]).unwrap_err().to_string();
    assert!(
        e.contains("cannot be deleted: GlobalNetworkPolicy `sec.p` is in it"),
        "{e}"
    );
    let e = s
        .client
        .write(vec![del("default")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("is built in"), "{e}");
    let gone = Write::Delete {
        object: obj(Kind::GlobalNetworkPolicy, "", "sec.p"),
        resource_version: None,
        skip_missing: false,
    };
    s.client
        .write(vec![gone, del("sec")])
        .expect("policy and tier deleted together");
}

#[test]
fn kubernetes_objects_derive_calico_objects_that_are_read_only() {
    let s = store("k8s");
    let k8s = "\
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: prod, labels: {app: web}}
spec:
  nodeName: node1
  containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 80}]}]
status: {podIP: 10.0.0.5}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {}}]}]
";
    apply(&s.client, k8s).expect("apply kubernetes objects");
    let Resource::Profile(p) = s
        .client
        .get(&obj(Kind::Profile, "", "kns.prod"))
        .expect("profile")
    else {
        panic!()
    };
    assert_eq!(p.spec.labels_to_apply["pcns.team"], "a");
    let weps = s
        .client
        .list(Kind::WorkloadEndpoint, Some("prod"), None)
        .expect("weps")
        .items;
    assert_eq!(weps.len(), 1);
    let Resource::WorkloadEndpoint(w) = &weps[0] else {
        panic!()
    };
    assert_eq!(w.metadata.name, "node1-k8s-web--1-eth0");
    assert_eq!(w.spec.ip_networks, ["10.0.0.5/32"]);
    assert_eq!(w.metadata.labels["projectcalico.org/namespace"], "prod");
    let Resource::NetworkPolicy(np) = s
        .client
        .get(&obj(Kind::NetworkPolicy, "prod", "knp.default.allow-web"))
        .expect("knp")
    else {
        panic!()
    };
    assert_eq!(np.spec.order, Some(1000.0));
    assert_eq!(np.spec.tier, "default");
    assert_eq!(
        np.spec.selector,
        "projectcalico.org/orchestrator == 'k8s' && app == 'web'"
    );

    // Converted objects cannot be changed through their Calico kind.
    let mut edited = Resource::NetworkPolicy(np.clone());
    edited.metadata_mut().labels.insert("x".into(), "y".into());
    let e = s
        .client
        .write(vec![Write::Replace { resource: edited }])
        .unwrap_err()
        .to_string();
    assert!(e.contains("is converted from the Kubernetes object NetworkPolicy (networking.k8s.io/v1) `prod/allow-web`"), "{e}");
    let e = s
        .client
        .write(vec![Write::Delete {
            object: obj(Kind::Profile, "", "kns.prod"),
            resource_version: None,
            skip_missing: false,
        }])
        .unwrap_err()
        .to_string();
    assert!(e.contains("change Namespace (v1) `prod` instead"), "{e}");

    // Changing the source changes the derived object; deleting it deletes them.
    apply(
        &s.client,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {team: b}}\n",
    )
    .expect("relabel");
    let Resource::Profile(p) = s
        .client
        .get(&obj(Kind::Profile, "", "kns.prod"))
        .expect("profile")
    else {
        panic!()
    };
    assert_eq!(p.spec.labels_to_apply["pcns.team"], "b");
    let del = Write::Delete {
        object: obj(Kind::KubernetesNetworkPolicy, "prod", "allow-web"),
        resource_version: None,
        skip_missing: false,
    };
    s.client.write(vec![del]).expect("delete k8s policy");
    assert!(matches!(
        s.client
            .get(&obj(Kind::NetworkPolicy, "prod", "knp.default.allow-web")),
        Err(ClientError::NotFound(_))
    ));
}

#[test]
fn a_batch_is_all_or_nothing() {
    let s = store("atomic");
    apply(&s.client, GNP).expect("seed");
    let before = s.client.revision().expect("rev");
    let two = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: q}\n---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n";
    let writes = objects(two)
        .into_iter()
        .map(|resource| Write::Create {
            resource,
            skip_exists: false,
        })
        .collect();
    assert!(matches!(
        s.client.write(writes),
        Err(ClientError::AlreadyExists(_))
    ));
    assert_eq!(
        s.client.revision().expect("rev"),
        before,
        "nothing was written"
    );
    assert!(matches!(
        s.client.get(&obj(Kind::GlobalNetworkPolicy, "", "q")),
        Err(ClientError::NotFound(_))
    ));
}

#[test]
fn concurrent_appliers_lose_no_update() {
    let s = store("concurrent");
    std::thread::scope(|scope| {
        for t in 0..4 {
            let c = s.client.clone();
            scope.spawn(move || {
                for i in 0..10 {
                    let yaml = format!("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {{name: s{t}-{i}}}\nspec: {{nets: [10.{t}.{i}.0/24]}}\n");
                    apply(&c, &yaml).expect("apply");
                }
            });
        }
    });
    let Listed { items, .. } = s
        .client
        .list(Kind::GlobalNetworkSet, None, None)
        .expect("list");
    assert_eq!(items.len(), 40);
}

#[test]
fn typed_watch_sees_creates_updates_and_deletes() {
    let s = store("watch");
    let rev = s.client.revision().expect("rev");
    let mut w = s.client.watch(rev).expect("watch");
    apply(&s.client, GNP).expect("apply");
    let del = Write::Delete {
        object: obj(Kind::GlobalNetworkPolicy, "", "p"),
        resource_version: None,
        skip_missing: false,
    };
    s.client.write(vec![del]).expect("delete");
    let mut seen = Vec::new();
    while let Some(c) = w.next(Duration::from_millis(500)).expect("watch") {
        seen.push((
            c.object.kind,
            c.object.name.clone(),
            c.new.is_some(),
            c.old.is_some(),
        ));
    }
    assert!(
        seen.contains(&(Kind::GlobalNetworkPolicy, "p".into(), true, false)),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(Kind::GlobalNetworkPolicy, "p".into(), false, true)),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|(k, n, ..)| *k == Kind::Tier && n == "default"),
        "built-in tiers are created on first write"
    );
}

#[test]
fn the_default_allow_profile_is_always_there() {
    let s = store("profile");
    let p = s
        .client
        .get(&obj(Kind::Profile, "", "projectcalico-default-allow"))
        .expect("built in");
    assert_eq!(p.metadata().resource_version, "1");
    assert_eq!(
        s.client
            .list(Kind::Profile, None, None)
            .expect("list")
            .items
            .len(),
        1
    );
}
