//! Every valid manifest under `../shared/samples/` applies to a fresh embedded store and reads
//! back equal to what was applied after Calico's own defaulting (types, tier, the tier label)
//! and the server-set fields (uid, creationTimestamp, resourceVersion).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tortie_datastore::{Client, Embedded, ObjectRef, Write};
use tortie_model::kinds::Object;
use tortie_model::kinds::endpoints::TierSpec;
use tortie_model::{Resource, Severity, defaults, load_str};

fn manifests(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            manifests(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

fn tier_of(r: &Resource) -> Option<String> {
    let mut d = r.clone();
    defaults::apply(&mut d);
    match d {
        Resource::NetworkPolicy(p) => Some(p.spec.tier),
        Resource::GlobalNetworkPolicy(p) => Some(p.spec.tier),
        Resource::StagedNetworkPolicy(p) => Some(p.spec.tier),
        Resource::StagedGlobalNetworkPolicy(p) => Some(p.spec.tier),
        _ => None,
    }
}

#[test]
fn every_valid_sample_applies_and_reads_back_equal() {
    let root = tortie_conformance::shared_dir().join("samples");
    let mut files = Vec::new();
    manifests(&root, &mut files);
    let dir = std::env::temp_dir().join(format!("tortie-samples-apply-{}", std::process::id()));
    let (mut applied_files, mut objects) = (0, 0);
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        let Ok(loaded) = load_str(&text, "sample") else {
            continue;
        };
        let valid = loaded
            .iter()
            .all(|l| l.check().iter().all(|v| v.severity != Severity::Error))
            && tortie_model::lint::duplicates(&loaded).is_empty();
        if !valid {
            continue;
        }
        let resources: Vec<Resource> = loaded.into_iter().filter_map(|l| l.result.ok()).collect();
        let _ = std::fs::remove_dir_all(&dir);
        let client = Client::new(Arc::new(Embedded::open(&dir).expect("store")));
        // A policy's tier must exist, as in Calico: create the tiers the file uses but lacks.
        let declared: BTreeSet<String> = resources
            .iter()
            .filter(|r| matches!(r, Resource::Tier(_)))
            .map(|r| r.metadata().name.clone())
            .collect();
        let needed: BTreeSet<String> = resources
            .iter()
            .filter_map(tier_of)
            .filter(|t| !declared.contains(t))
            .collect();
        let mut writes: Vec<Write> = needed
            .into_iter()
            .filter(|t| !["default", "kube-admin", "kube-baseline"].contains(&t.as_str()))
            .map(|t| Write::Apply {
                resource: Resource::Tier(Box::new(Object::<TierSpec>::new("Tier", &t))),
            })
            .collect();
        writes.extend(
            resources
                .iter()
                .cloned()
                .map(|resource| Write::Apply { resource }),
        );
        let rel = path
            .strip_prefix(&root)
            .expect("under root")
            .display()
            .to_string();
        client
            .write(writes)
            .unwrap_or_else(|e| panic!("{rel}: apply failed: {e}"));
        applied_files += 1;
        for r in &resources {
            objects += 1;
            let mut expected = r.clone();
            if expected.kind().is_namespaced() && expected.metadata().namespace.is_empty() {
                expected.metadata_mut().namespace = "default".into();
            }
            defaults::apply(&mut expected);
            let mut got = client
                .get(&ObjectRef::of(&expected))
                .unwrap_or_else(|e| panic!("{rel}: {e}"));
            let m = got.metadata_mut();
            assert!(
                !m.uid.is_empty()
                    && m.creation_timestamp.is_some()
                    && !m.resource_version.is_empty(),
                "{rel}: server fields set"
            );
            let e = expected.metadata_mut();
            e.uid.clone_from(&m.uid);
            e.creation_timestamp.clone_from(&m.creation_timestamp);
            e.resource_version.clone_from(&m.resource_version);
            assert_eq!(
                got,
                expected,
                "{rel}: {} read back differently",
                got.display_name()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("samples applied: {applied_files} files, {objects} objects read back equal");
    assert!(applied_files > 330, "only {applied_files} files applied");
}
