//! The renderer's set cache changes nothing: after every change in a sequence that moves
//! members in and out of selectors, changes their addresses, named ports, inherited labels and
//! network sets, and replaces the model, a render that reuses the previous render's sets is
//! the same ruleset as a render from nothing.

use tortie_calc::offline::as_stored;
use tortie_calc::{Key, Model};
use tortie_model::Resource;
use tortie_model::load::load_str;
use tortie_rules::{HostInterfaces, SetCache, render_cached, render_with};

const WORLD: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: lab, labels: {env: dev}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web, role: server}}
spec:
  nodeName: node1
  containers: [{name: c, image: i, ports: [{containerPort: 8080, name: http}]}]
status: {phase: Running, podIP: 10.1.0.1, podIPs: [{ip: 10.1.0.1}, {ip: 'fd00::1'}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client-1, namespace: shop, labels: {app: client, role: client}}
spec: {nodeName: node2, containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.1.0.2, podIPs: [{ip: 10.1.0.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client-2, namespace: lab, labels: {app: client, role: client}}
spec: {nodeName: node1, containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.1.0.3, podIPs: [{ip: 10.1.0.3}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-clients, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {matchLabels: {role: client}}
    - namespaceSelector: {matchLabels: {env: dev}}
    ports: [{protocol: TCP, port: http}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: egress-to-named-port}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination: {ports: [http]}
  - action: Deny
    destination: {selector: role == 'blocked'}
  - action: Allow
    destination: {selector: has(feed)}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: feeds, labels: {feed: threat}}
spec: {nets: [198.51.100.0/24]}
";

fn resources(yaml: &str) -> Vec<Resource> {
    as_stored(
        load_str(yaml, "case.yaml")
            .expect("YAML parses")
            .into_iter()
            .map(|l| l.result.expect("document loads"))
            .collect(),
    )
    .into_iter()
    // `as_stored` adds the allow-all profile to every batch; the world has it already.
    .filter(|r| !matches!(r, Resource::Profile(_)) || yaml.contains("kind: Profile"))
    .collect()
}

fn set(model: &mut Model, yaml: &str) {
    for r in resources(yaml) {
        model.set(Key::of(&r), Some(r));
    }
}

fn delete(model: &mut Model, kind: tortie_model::Kind, namespace: &str, name: &str) {
    let key = Key {
        kind,
        namespace: namespace.into(),
        name: name.into(),
    };
    model.set(key, None);
}

/// Renders both nodes with the carried caches and from nothing; they must agree.
fn agree(model: &Model, caches: &mut [SetCache; 2], step: &str) {
    let ifaces = HostInterfaces::new();
    for (node, cache) in ["node1", "node2"].into_iter().zip(caches.iter_mut()) {
        let cached = render_cached(model, node, &ifaces, cache);
        let fresh = render_with(model, node, &ifaces);
        assert_eq!(
            cached.sets, fresh.sets,
            "{node}, after {step}: the cached render's sets differ"
        );
        assert_eq!(cached, fresh, "{node}, after {step}");
    }
}

#[test]
fn a_cached_render_equals_a_fresh_one_after_every_change() {
    let mut model = Model::new();
    set(&mut model, WORLD);
    model.set(
        Key::of(&tortie_model::defaults::default_allow_profile()),
        Some(tortie_model::defaults::default_allow_profile()),
    );
    let mut caches = [SetCache::default(), SetCache::default()];
    agree(&model, &mut caches, "the first render");
    assert!(
        !caches[0].is_empty(),
        "the first render leaves sets to reuse"
    );
    agree(&model, &mut caches, "nothing");

    type Step = (&'static str, fn(&mut Model));
    let steps: [Step; 11] = [
        ("a client's address changes (labels unchanged)", |m| {
            set(
                m,
                "apiVersion: v1\nkind: Pod\nmetadata: {name: client-1, namespace: shop, labels: {app: client, role: client}}\nspec: {nodeName: node2, containers: [{name: c, image: i}]}\nstatus: {phase: Running, podIP: 10.1.0.20, podIPs: [{ip: 10.1.0.20}]}\n",
            );
        }),
        ("a client becomes blocked (leaves role == client)", |m| {
            set(
                m,
                "apiVersion: v1\nkind: Pod\nmetadata: {name: client-1, namespace: shop, labels: {app: client, role: blocked}}\nspec: {nodeName: node2, containers: [{name: c, image: i}]}\nstatus: {phase: Running, podIP: 10.1.0.2, podIPs: [{ip: 10.1.0.2}]}\n",
            );
        }),
        ("the server's named port moves", |m| {
            set(
                m,
                "apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: shop, labels: {app: web, role: server}}\nspec:\n  nodeName: node1\n  containers: [{name: c, image: i, ports: [{containerPort: 9090, name: http}]}]\nstatus: {phase: Running, podIP: 10.1.0.1, podIPs: [{ip: 10.1.0.1}, {ip: 'fd00::1'}]}\n",
            );
        }),
        ("the server gains an IPv6-only sibling", |m| {
            set(
                m,
                "apiVersion: v1\nkind: Pod\nmetadata: {name: web-2, namespace: shop, labels: {app: web, role: server}}\nspec:\n  nodeName: node2\n  containers: [{name: c, image: i, ports: [{containerPort: 8443, name: http}]}]\nstatus: {phase: Running, podIP: 'fd00::2', podIPs: [{ip: 'fd00::2'}]}\n",
            );
        }),
        ("a namespace's labels change (inherited by its pods)", |m| {
            set(
                m,
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {env: dev}}\n",
            );
        }),
        ("the network set's nets change", |m| {
            set(
                m,
                "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: feeds, labels: {feed: threat}}\nspec: {nets: [203.0.113.0/24, '2001:db8::/32']}\n",
            );
        }),
        ("the network set loses its label", |m| {
            set(
                m,
                "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: feeds}\nspec: {nets: [203.0.113.0/24]}\n",
            );
        }),
        ("a pod is deleted", |m| {
            delete(m, tortie_model::Kind::Pod, "lab", "client-2");
        }),
        ("a policy is deleted", |m| {
            delete(
                m,
                tortie_model::Kind::NetworkPolicy,
                "shop",
                "web-from-clients",
            );
        }),
        ("the policy comes back", |m| set(m, WORLD)),
        ("a namespace is deleted", |m| {
            delete(m, tortie_model::Kind::Namespace, "lab", "lab");
        }),
    ];
    for (what, change) in steps {
        change(&mut model);
        agree(&model, &mut caches, what);
    }

    // A model rebuilt from scratch (an agent's relist) hands out new stamps: nothing of the
    // old cache is taken for it, even where the sets' names are the same.
    let mut rebuilt = Model::new();
    set(&mut rebuilt, &WORLD.replace("10.1.0.3", "10.1.0.30"));
    agree(&rebuilt, &mut caches, "a rebuilt model");
}
