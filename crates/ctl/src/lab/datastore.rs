//! `--datastore`: which store a lab runs on. `etcd` starts a three-member etcd cluster on
//! loopback for the lab's lifetime, so agents on every node watch a real etcd as in a
//! cluster, and the CLI can be pointed at it.

use tortie_testkit::etcd::{EtcdCluster, EtcdOptions};

use super::session::Store;
use crate::config::EtcdConfig;

/// A lab's store, and the etcd cluster behind it (stopped on drop).
pub struct LabStore {
    /// What the session opens.
    pub store: Store,
    /// Kept alive while the lab runs.
    pub etcd: Option<EtcdCluster>,
}

impl LabStore {
    /// The store `--datastore WHICH` names.
    ///
    /// # Errors
    /// An unknown name, or etcd could not start.
    pub fn start(which: &str) -> Result<LabStore, String> {
        match which {
            "embedded" => Ok(LabStore {
                store: Store::Embedded,
                etcd: None,
            }),
            "etcd" => {
                let cluster = EtcdCluster::start(EtcdOptions {
                    members: 3,
                    tag: "lab".into(),
                    ..EtcdOptions::default()
                })
                .map_err(|e| format!("starting etcd for the lab: {}", e.0))?;
                let cfg = EtcdConfig {
                    endpoints: cluster.endpoints(),
                    ..EtcdConfig::default()
                };
                Ok(LabStore {
                    store: Store::Etcd(cfg),
                    etcd: Some(cluster),
                })
            }
            other => Err(format!(
                "unknown --datastore {other:?}: use embedded or etcd"
            )),
        }
    }

    /// For people: where the state is.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.store {
            Store::Embedded => "a fresh embedded store".into(),
            Store::Etcd(cfg) => format!("etcd at {}", cfg.endpoints.join(",")),
        }
    }
}
