//! [`EtcdBackend`]: the synchronous [`Backend`] over the async etcd client. Every call runs as
//! a task on the backend's own runtime and the caller waits for its result, so the backend
//! works from plain threads and from inside other async runtimes alike.

use etcd_client::GetOptions;
use tortie_datastore::{Backend, Op, Record, Revision, StoreError, TxnResult, Watch};

use crate::conn::{self, Conn};
use crate::settings::EtcdSettings;
use crate::txn::{self, etcd_rev, rev};
use crate::watch::{self, EtcdWatch};

/// A datastore in etcd v3.
pub struct EtcdBackend {
    conn: Conn,
    settings: EtcdSettings,
}

impl EtcdBackend {
    /// Prepares clients for the endpoints in `settings`. No request is made unless a user name
    /// and password are set (they are checked now); unreachable endpoints show up on the first
    /// call as `Unavailable`.
    ///
    /// # Errors
    /// Bad settings (no endpoints, an unreadable certificate file, a malformed URL), or
    /// credentials that etcd refuses.
    pub fn connect(settings: &EtcdSettings) -> Result<EtcdBackend, StoreError> {
        let backend = EtcdBackend {
            conn: Conn::new(settings)?,
            settings: settings.clone(),
        };
        backend
            .conn
            .run(|shared| async move { shared.prepare().await })?;
        Ok(backend)
    }

    /// The settings this backend was made from.
    #[must_use]
    pub fn settings(&self) -> &EtcdSettings {
        &self.settings
    }
}

impl Backend for EtcdBackend {
    fn txn(&self, ops: &[Op]) -> Result<TxnResult, StoreError> {
        let request = txn::build(ops)?;
        let resp = self.conn.run(|shared| async move {
            shared
                .call(false, |client| {
                    let request = request.clone();
                    async move { conn::kv(&client).txn(request).await }
                })
                .await
        })?;
        txn::outcome(ops, &resp)
    }

    fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        let key = key.to_string();
        let resp = self.conn.run(|shared| async move {
            shared
                .call(true, |client| {
                    let key = key.clone();
                    async move { conn::kv(&client).get(key, None).await }
                })
                .await
        })?;
        resp.kvs().first().map(txn::record).transpose()
    }

    fn list(&self, prefix: &str) -> Result<(Vec<Record>, Revision), StoreError> {
        let prefix = prefix.to_string();
        let resp = self.conn.run(|shared| async move {
            shared
                .call(true, |client| {
                    let prefix = prefix.clone();
                    let options = GetOptions::new().with_prefix();
                    async move { conn::kv(&client).get(prefix, Some(options)).await }
                })
                .await
        })?;
        let mut records = resp
            .kvs()
            .iter()
            .map(txn::record)
            .collect::<Result<Vec<_>, _>>()?;
        records.sort_by(|a, b| a.key.cmp(&b.key));
        Ok((records, resp.header().map_or(0, |h| rev(h.revision()))))
    }

    fn watch(&self, prefix: &str, after: Revision) -> Result<Box<dyn Watch>, StoreError> {
        let owned = prefix.to_string();
        self.conn
            .run(|shared| async move { watch::check_history(&shared, &owned, after).await })?;
        Ok(Box::new(EtcdWatch::new(
            self.conn.runtime.clone(),
            self.conn.shared.clone(),
            prefix,
            after,
        )))
    }

    fn revision(&self) -> Result<Revision, StoreError> {
        let resp = self.conn.run(|shared| async move {
            shared
                .call(true, |client| {
                    let options = GetOptions::new().with_count_only();
                    async move { conn::kv(&client).get("/", Some(options)).await }
                })
                .await
        })?;
        Ok(resp.header().map_or(0, |h| rev(h.revision())))
    }

    fn kind(&self) -> &'static str {
        "etcdv3"
    }

    fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        let target = etcd_rev(revision);
        self.conn.run(move |shared| async move {
            shared
                .call(true, move |client| async move {
                    match conn::kv(&client).compact(target, None).await {
                        // Already compacted at or after `revision`: nothing to do.
                        Err(etcd_client::Error::GRpcStatus(s))
                            if s.code() == tonic::Code::OutOfRange
                                && s.message().contains("compacted") =>
                        {
                            Ok(())
                        }
                        other => other.map(|_| ()),
                    }
                })
                .await
        })
    }
}
