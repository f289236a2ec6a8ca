//! Typed access to a backend with Calico's rules (what `clientv3` and calicoctl's resource
//! manager do): defaulting, server-set metadata, the built-in tiers, tier checks, objects that
//! are read-only because they are converted from Kubernetes objects, and the objects Tortie
//! derives from Kubernetes kinds as kube-controllers does in etcd mode.

mod codec;
mod derived;
mod error;
mod rules;
mod write;

use std::sync::Arc;
use std::time::Duration;

use tortie_model::{Kind, Resource};
use tortie_selector::Selector;

pub use codec::{decode, encode};
pub use error::{ClientError, ObjectRef};
pub use write::{Outcome, Write, Written};

use crate::backend::{Backend, Revision, StoreError, Watch};
use crate::clock::{Clock, Ids, RandomIds, SystemClock};
use crate::keys;

/// The built-in profile that allows everything; never stored, always listed.
pub use tortie_model::defaults::DEFAULT_ALLOW_PROFILE;

/// A typed client over any backend.
#[derive(Clone)]
pub struct Client {
    backend: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Ids>,
    /// Prefix for the host side of workload interfaces (Felix's `interfacePrefix`).
    interface_prefix: String,
}

/// A list of objects and the revision it was read at.
#[derive(Clone, Debug)]
pub struct Listed {
    /// The objects, in key order.
    pub items: Vec<Resource>,
    /// The store revision of the read; watch from here to see later changes.
    pub revision: Revision,
}

/// A change seen by [`Client::watch`].
#[derive(Clone, Debug)]
pub struct Change {
    /// Revision of the change.
    pub revision: Revision,
    /// The object.
    pub object: ObjectRef,
    /// The object after the change; `None` when deleted.
    pub new: Option<Resource>,
    /// The object before the change, if it existed.
    pub old: Option<Resource>,
}

/// Typed changes of every kind.
pub struct ChangeStream {
    inner: Box<dyn Watch>,
}

impl ChangeStream {
    /// The next change, waiting up to `timeout`.
    ///
    /// # Errors
    /// `Compacted` (list again) or a backend failure.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<Change>, ClientError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Some(e) = self.inner.next(left)? else {
                return Ok(None);
            };
            let Some((kind, namespace, name)) = keys::parse(&e.key) else {
                continue;
            };
            let decode_opt =
                |v: &Option<String>| v.as_deref().and_then(|t| decode(kind, t, e.revision).ok());
            return Ok(Some(Change {
                revision: e.revision,
                object: ObjectRef {
                    kind,
                    namespace,
                    name,
                },
                new: decode_opt(&e.value),
                old: decode_opt(&e.prev_value),
            }));
        }
    }
}

impl Client {
    /// A client with the system clock and random uids.
    pub fn new(backend: Arc<dyn Backend>) -> Client {
        Client {
            backend,
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            interface_prefix: "cali".into(),
        }
    }

    /// A client with an injected clock and uid source (tests).
    pub fn with_sources(
        backend: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn Ids>,
    ) -> Client {
        Client {
            backend,
            clock,
            ids,
            interface_prefix: "cali".into(),
        }
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// One object.
    ///
    /// # Errors
    /// `NotFound`, or a backend failure.
    pub fn get(&self, object: &ObjectRef) -> Result<Resource, ClientError> {
        if object.kind == Kind::Profile && object.name == DEFAULT_ALLOW_PROFILE {
            return Ok(rules::default_allow_profile());
        }
        match self.backend.get(&object.key())? {
            Some(rec) => decode(object.kind, &rec.value, rec.mod_revision),
            None => Err(ClientError::NotFound(object.clone())),
        }
    }

    /// Objects of a kind, in one namespace or all, optionally only those whose labels match.
    ///
    /// # Errors
    /// A backend failure or an undecodable stored object.
    pub fn list(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        labels: Option<&Selector>,
    ) -> Result<Listed, ClientError> {
        let (records, revision) = self.backend.list(&keys::kind_prefix(kind, namespace))?;
        let mut items = Vec::with_capacity(records.len() + 1);
        if kind == Kind::Profile {
            items.push(rules::default_allow_profile());
        }
        for rec in records {
            items.push(decode(kind, &rec.value, rec.mod_revision)?);
        }
        if let Some(sel) = labels {
            items.retain(|r| sel.matches(&r.metadata().labels));
        }
        Ok(Listed { items, revision })
    }

    /// Every object of every kind the policy model acts on (what trace, the agent and the lab
    /// build their model from), at the newest revision any of the lists was read at.
    ///
    /// # Errors
    /// A backend failure or an undecodable stored object.
    pub fn list_acted_on(&self) -> Result<Listed, ClientError> {
        let mut out = Listed {
            items: Vec::new(),
            revision: 0,
        };
        for kind in Kind::ALL
            .iter()
            .copied()
            .filter(|k| k.support() == tortie_model::resource::Support::ActedOn)
        {
            let listed = self.list(kind, None, None)?;
            out.revision = out.revision.max(listed.revision);
            out.items.extend(listed.items);
        }
        Ok(out)
    }

    /// Every change of every kind after `after`.
    ///
    /// # Errors
    /// `Compacted` if `after` is older than the retained history.
    pub fn watch(&self, after: Revision) -> Result<ChangeStream, ClientError> {
        Ok(ChangeStream {
            inner: self.backend.watch("/", after)?,
        })
    }

    /// The store's current revision.
    ///
    /// # Errors
    /// A backend failure.
    pub fn revision(&self) -> Result<Revision, ClientError> {
        Ok(self.backend.revision()?)
    }

    /// Creates the built-in tiers that are missing (`default`, `kube-admin`, `kube-baseline`),
    /// as Calico does before its first write.
    ///
    /// # Errors
    /// A backend failure.
    pub fn ensure_initialized(&self) -> Result<(), ClientError> {
        let missing: Vec<Resource> = rules::builtin_tiers()
            .into_iter()
            .filter(|t| {
                self.backend
                    .get(&ObjectRef::of(t).key())
                    .map(|r| r.is_none())
                    .unwrap_or(true)
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let writes = missing
            .into_iter()
            .map(|t| Write::Create {
                resource: t,
                skip_exists: true,
            })
            .collect();
        match self.write_internal(writes, true) {
            Ok(_) | Err(ClientError::Store(StoreError::AlreadyExists { .. })) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Applies every write atomically: either all of them take effect, or none.
    ///
    /// # Errors
    /// The first write that cannot be done, naming the object.
    pub fn write(&self, writes: Vec<Write>) -> Result<Vec<Written>, ClientError> {
        self.ensure_initialized()?;
        self.write_internal(writes, false)
    }
}

impl Client {
    /// A short name of the backend for `version` (`embedded` or `etcdv3`).
    #[must_use]
    pub fn backend_kind(&self) -> &'static str {
        self.backend.kind()
    }
}
