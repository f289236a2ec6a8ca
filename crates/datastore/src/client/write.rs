//! Atomic batches of writes: plan against the current state, then commit in one transaction
//! whose preconditions guarantee the plan still holds; if another writer got in between, plan
//! again (unless the caller supplied the version, which then is a conflict).

use std::collections::{BTreeMap, BTreeSet};

use tortie_model::validate::Report;
use tortie_model::{Kind, Resource, Severity, defaults};

use super::derived::{derived, source_of};
use super::rules::{TIERED_KINDS, builtin_refusal, policy_tier};
use super::{Client, ClientError, ObjectRef, decode, encode};
use crate::backend::{Backend, Op, Precondition, Record, StoreError};
use crate::keys;

/// How often a batch is re-planned when other writers keep changing what it read.
const MAX_ATTEMPTS: usize = 16;

/// One requested write.
#[derive(Clone, Debug)]
pub enum Write {
    /// Create; fails if it exists (or is skipped with `skip_exists`).
    Create {
        /// The object.
        resource: Resource,
        /// Skip silently if it exists.
        skip_exists: bool,
    },
    /// Replace an existing object; its `resourceVersion`, if set, must be current.
    Replace {
        /// The object.
        resource: Resource,
    },
    /// Create or replace.
    Apply {
        /// The object.
        resource: Resource,
    },
    /// Delete.
    Delete {
        /// Which object.
        object: ObjectRef,
        /// The version that must be current, if any.
        resource_version: Option<u64>,
        /// Skip silently if it does not exist.
        skip_missing: bool,
    },
}

/// What happened to one requested write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Created.
    Created,
    /// Replaced.
    Replaced,
    /// Deleted.
    Deleted,
    /// Nothing done (`--skip-exists`, `--skip-not-exists`).
    Skipped,
}

/// The result of one requested write.
#[derive(Clone, Debug)]
pub struct Written {
    /// The object.
    pub object: ObjectRef,
    /// What happened.
    pub outcome: Outcome,
    /// The object as stored now (or as it was, when deleted or skipped).
    pub resource: Option<Resource>,
}

/// Reads of the current state, cached for one plan.
struct State<'a> {
    backend: &'a dyn Backend,
    records: BTreeMap<String, Option<Record>>,
}

impl State<'_> {
    fn record(&mut self, key: &str) -> Result<Option<Record>, ClientError> {
        if let Some(r) = self.records.get(key) {
            return Ok(r.clone());
        }
        let r = self.backend.get(key)?;
        self.records.insert(key.to_string(), r.clone());
        Ok(r)
    }

    fn resource(&mut self, obj: &ObjectRef) -> Result<Option<(Resource, Record)>, ClientError> {
        match self.record(&obj.key())? {
            Some(rec) => Ok(Some((decode(obj.kind, &rec.value, rec.mod_revision)?, rec))),
            None => Ok(None),
        }
    }
}

#[derive(Default)]
struct Plan {
    ops: Vec<Op>,
    written: Vec<Written>,
    /// Index into `written` whose resource is the put at this op index (to fill its version).
    op_written: BTreeMap<usize, usize>,
    /// Keys whose precondition is a version the caller gave.
    user_versioned: BTreeSet<String>,
    /// The state after the plan, for every key it writes (`None`: deleted).
    finals: BTreeMap<String, (ObjectRef, Option<Resource>)>,
}

impl Plan {
    fn put(
        &mut self,
        obj: &ObjectRef,
        r: Resource,
        precondition: Precondition,
        written: Option<usize>,
    ) {
        if let Some(w) = written {
            self.op_written.insert(self.ops.len(), w);
        }
        self.ops.push(Op::Put {
            key: obj.key(),
            value: encode(&r),
            precondition,
        });
        self.finals.insert(obj.key(), (obj.clone(), Some(r)));
    }

    fn delete(&mut self, obj: &ObjectRef, precondition: Precondition) {
        self.ops.push(Op::Delete {
            key: obj.key(),
            precondition,
        });
        self.finals.insert(obj.key(), (obj.clone(), None));
    }

    fn final_of(&self, obj: &ObjectRef) -> Option<&Option<Resource>> {
        self.finals.get(&obj.key()).map(|(_, r)| r)
    }
}

fn validated(obj: &ObjectRef, r: &Resource) -> Result<(), ClientError> {
    let mut report = Report::default();
    tortie_model::validate::validate(r, &mut report);
    let violations: Vec<_> = report
        .violations
        .into_iter()
        .filter(|v| v.severity == Severity::Error)
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ClientError::Invalid {
            object: obj.clone(),
            violations,
        })
    }
}

fn parse_version(obj: &ObjectRef, text: &str) -> Result<Option<u64>, ClientError> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        ClientError::Refused(format!(
            "{obj}: resourceVersion `{text}` is not a revision this datastore wrote"
        ))
    })
}

impl Client {
    pub(super) fn write_internal(
        &self,
        writes: Vec<Write>,
        internal: bool,
    ) -> Result<Vec<Written>, ClientError> {
        for _ in 0..MAX_ATTEMPTS {
            let plan = self.plan(&writes, internal)?;
            if plan.ops.is_empty() {
                return Ok(plan.written);
            }
            match self.backend.txn(&plan.ops) {
                Ok(done) => {
                    let mut written = plan.written;
                    for w in plan.op_written.values() {
                        if let Some(r) = written[*w].resource.as_mut() {
                            r.metadata_mut().resource_version = done.revision.to_string();
                        }
                    }
                    return Ok(written);
                }
                Err(StoreError::Conflict {
                    key,
                    expected,
                    actual,
                }) if plan.user_versioned.contains(&key) => {
                    let (kind, namespace, name) =
                        keys::parse(&key).unwrap_or((Kind::Tier, String::new(), key.clone()));
                    return Err(ClientError::Conflict {
                        object: ObjectRef {
                            kind,
                            namespace,
                            name,
                        },
                        expected,
                        actual,
                    });
                }
                // Someone changed what the plan read: plan again from the new state.
                Err(
                    StoreError::Conflict { .. }
                    | StoreError::AlreadyExists { .. }
                    | StoreError::NotFound { .. },
                ) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(ClientError::Store(StoreError::Unavailable(
            "other writers kept changing the same objects; try again".into(),
        )))
    }

    fn plan(&self, writes: &[Write], internal: bool) -> Result<Plan, ClientError> {
        let mut st = State {
            backend: &*self.backend,
            records: BTreeMap::new(),
        };
        let mut plan = Plan::default();
        for w in writes {
            match w {
                Write::Create {
                    resource,
                    skip_exists,
                } => self.plan_create(resource, *skip_exists, internal, &mut st, &mut plan)?,
                Write::Replace { resource } => {
                    self.plan_replace(resource, internal, &mut st, &mut plan)?
                }
                Write::Apply { resource } => {
                    if st.resource(&ObjectRef::of(resource))?.is_some() {
                        self.plan_replace(resource, internal, &mut st, &mut plan)?;
                    } else {
                        let mut r = resource.clone();
                        r.metadata_mut().resource_version.clear();
                        self.plan_create(&r, false, internal, &mut st, &mut plan)?;
                    }
                }
                Write::Delete {
                    object,
                    resource_version,
                    skip_missing,
                } => {
                    self.plan_delete(
                        object,
                        *resource_version,
                        *skip_missing,
                        internal,
                        &mut st,
                        &mut plan,
                    )?;
                }
            }
        }
        let mut seen = BTreeSet::new();
        for op in &plan.ops {
            if !seen.insert(op.key()) {
                let (kind, namespace, name) = keys::parse(op.key()).unwrap_or((
                    Kind::Tier,
                    String::new(),
                    op.key().to_string(),
                ));
                return Err(ClientError::Refused(format!(
                    "{} is written twice in one request; give each object once",
                    ObjectRef {
                        kind,
                        namespace,
                        name
                    }
                )));
            }
        }
        self.check_tiers(&mut st, &plan)?;
        Ok(plan)
    }

    fn check_writable(
        &self,
        obj: &ObjectRef,
        r: Option<&Resource>,
        deleting: bool,
        st: &mut State<'_>,
        plan: &Plan,
    ) -> Result<(), ClientError> {
        if let Some(reason) = builtin_refusal(obj, deleting) {
            return Err(ClientError::Refused(reason));
        }
        let Some(src) = source_of(obj, r) else {
            return Ok(());
        };
        let source_present = match plan.final_of(&src) {
            Some(state) => state.is_some(),
            None => st.record(&src.key())?.is_some(),
        };
        if obj.kind == Kind::NetworkPolicy || source_present {
            return Err(ClientError::Refused(format!(
                "{obj} is converted from the Kubernetes object {src} and is read-only here; change {src} instead"
            )));
        }
        Ok(())
    }

    /// Fills server-set metadata and Calico's defaults, and validates.
    fn prepare(
        &self,
        obj: &ObjectRef,
        r: &mut Resource,
        previous: Option<&Resource>,
    ) -> Result<(), ClientError> {
        let now = self.clock.now_rfc3339();
        let m = r.metadata_mut();
        m.resource_version.clear();
        match previous {
            Some(p) => {
                m.uid.clone_from(&p.metadata().uid);
                m.creation_timestamp
                    .clone_from(&p.metadata().creation_timestamp);
                m.generation = p.metadata().generation;
            }
            None => {
                m.uid = self.ids.uid();
                m.creation_timestamp = Some(now);
            }
        }
        if r.kind().is_namespaced() && r.metadata().namespace.is_empty() {
            r.metadata_mut().namespace = "default".into();
        }
        defaults::apply(r);
        validated(obj, r)
    }

    fn plan_derived(
        &self,
        old: Option<&Resource>,
        new: Option<&Resource>,
        st: &mut State<'_>,
        plan: &mut Plan,
    ) -> Result<(), ClientError> {
        let old_d = old
            .map(|r| derived(r, &self.interface_prefix))
            .unwrap_or_default();
        let new_d = new
            .map(|r| derived(r, &self.interface_prefix))
            .unwrap_or_default();
        let new_keys: BTreeSet<String> = new_d.iter().map(|r| ObjectRef::of(r).key()).collect();
        for mut d in new_d {
            let obj = ObjectRef::of(&d);
            let existing = st.resource(&obj)?.map(|(r, _)| r);
            self.prepare(&obj, &mut d, existing.as_ref())?;
            plan.put(&obj, d, Precondition::None, None);
        }
        for d in old_d {
            let obj = ObjectRef::of(&d);
            if !new_keys.contains(&obj.key()) && st.record(&obj.key())?.is_some() {
                plan.delete(&obj, Precondition::None);
            }
        }
        Ok(())
    }

    fn plan_create(
        &self,
        resource: &Resource,
        skip_exists: bool,
        internal: bool,
        st: &mut State<'_>,
        plan: &mut Plan,
    ) -> Result<(), ClientError> {
        let mut r = resource.clone();
        if r.kind().is_namespaced() && r.metadata().namespace.is_empty() {
            r.metadata_mut().namespace = "default".into();
        }
        let obj = ObjectRef::of(&r);
        if !internal {
            self.check_writable(&obj, Some(&r), false, st, plan)?;
        }
        if let Some((current, _)) = st.resource(&obj)? {
            if skip_exists {
                plan.written.push(Written {
                    object: obj,
                    outcome: Outcome::Skipped,
                    resource: Some(current),
                });
                return Ok(());
            }
            return Err(ClientError::AlreadyExists(obj));
        }
        self.prepare(&obj, &mut r, None)?;
        let index = plan.written.len();
        plan.written.push(Written {
            object: obj.clone(),
            outcome: Outcome::Created,
            resource: Some(r.clone()),
        });
        plan.put(&obj, r.clone(), Precondition::MustNotExist, Some(index));
        self.plan_derived(None, Some(&r), st, plan)
    }

    fn plan_replace(
        &self,
        resource: &Resource,
        internal: bool,
        st: &mut State<'_>,
        plan: &mut Plan,
    ) -> Result<(), ClientError> {
        let mut r = resource.clone();
        if r.kind().is_namespaced() && r.metadata().namespace.is_empty() {
            r.metadata_mut().namespace = "default".into();
        }
        let obj = ObjectRef::of(&r);
        if !internal {
            self.check_writable(&obj, Some(&r), false, st, plan)?;
        }
        let Some((current, record)) = st.resource(&obj)? else {
            return Err(ClientError::NotFound(obj));
        };
        let precondition = match parse_version(&obj, &r.metadata().resource_version)? {
            Some(v) => {
                plan.user_versioned.insert(obj.key());
                Precondition::ModRevision(v)
            }
            None => Precondition::ModRevision(record.mod_revision),
        };
        self.prepare(&obj, &mut r, Some(&current))?;
        let index = plan.written.len();
        plan.written.push(Written {
            object: obj.clone(),
            outcome: Outcome::Replaced,
            resource: Some(r.clone()),
        });
        plan.put(&obj, r.clone(), precondition, Some(index));
        self.plan_derived(Some(&current), Some(&r), st, plan)
    }

    fn plan_delete(
        &self,
        object: &ObjectRef,
        version: Option<u64>,
        skip_missing: bool,
        internal: bool,
        st: &mut State<'_>,
        plan: &mut Plan,
    ) -> Result<(), ClientError> {
        let current = st.resource(object)?;
        if !internal {
            self.check_writable(object, current.as_ref().map(|(r, _)| r), true, st, plan)?;
        }
        let Some((current, record)) = current else {
            if skip_missing {
                plan.written.push(Written {
                    object: object.clone(),
                    outcome: Outcome::Skipped,
                    resource: None,
                });
                return Ok(());
            }
            return Err(ClientError::NotFound(object.clone()));
        };
        let precondition = match version {
            Some(v) => {
                plan.user_versioned.insert(object.key());
                Precondition::ModRevision(v)
            }
            None => Precondition::ModRevision(record.mod_revision),
        };
        plan.written.push(Written {
            object: object.clone(),
            outcome: Outcome::Deleted,
            resource: Some(current.clone()),
        });
        plan.delete(object, precondition);
        self.plan_derived(Some(&current), None, st, plan)
    }

    /// A policy's tier must exist after the batch; a tier still used by a policy cannot go.
    fn check_tiers(&self, st: &mut State<'_>, plan: &Plan) -> Result<(), ClientError> {
        let written_policies: Vec<(&ObjectRef, &str)> = plan
            .finals
            .values()
            .filter_map(|(obj, r)| r.as_ref().and_then(policy_tier).map(|t| (obj, t)))
            .collect();
        for (obj, tier) in written_policies {
            let tier_ref = ObjectRef {
                kind: Kind::Tier,
                namespace: String::new(),
                name: tier.to_string(),
            };
            let exists = match plan.final_of(&tier_ref) {
                Some(state) => state.is_some(),
                None => st.record(&tier_ref.key())?.is_some(),
            };
            if !exists {
                return Err(ClientError::Refused(format!(
                    "{obj} is in tier `{tier}`, which does not exist; create the Tier first"
                )));
            }
        }
        let deleted_tiers: Vec<&ObjectRef> = plan
            .finals
            .values()
            .filter(|(o, r)| o.kind == Kind::Tier && r.is_none())
            .map(|(o, _)| o)
            .collect();
        for tier in deleted_tiers {
            for kind in TIERED_KINDS {
                let (records, _) = self.backend.list(&keys::kind_prefix(kind, None))?;
                for rec in records {
                    if plan.finals.get(&rec.key).is_some_and(|(_, r)| r.is_none()) {
                        continue;
                    }
                    let r = decode(kind, &rec.value, rec.mod_revision)?;
                    if policy_tier(&r) == Some(tier.name.as_str()) {
                        return Err(ClientError::Refused(format!(
                            "{tier} cannot be deleted: {} is in it; delete or move its policies first",
                            ObjectRef::of(&r)
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}
