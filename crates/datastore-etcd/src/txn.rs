//! A [`Backend::txn`](tortie_datastore::Backend::txn) as one etcd transaction: one compare per
//! precondition, the writes in the success branch (with the previous values, to return deleted
//! records and creation revisions), and a read of every key in the failure branch, from which
//! the first failed precondition is named exactly as the embedded backend names it.

use etcd_client::{
    Compare, CompareOp, DeleteOptions, KeyValue, PutOptions, Txn, TxnOp, TxnOpResponse, TxnResponse,
};
use tortie_datastore::{Op, Precondition, Record, Revision, StoreError, TxnResult};

use crate::codec;

/// An etcd revision as Tortie's.
pub(crate) fn rev(r: i64) -> Revision {
    Revision::try_from(r).unwrap_or(0)
}

/// Tortie's revision as etcd's.
pub(crate) fn etcd_rev(r: Revision) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// A stored key-value as a record, its value decoded.
pub(crate) fn record(kv: &KeyValue) -> Result<Record, StoreError> {
    let key = kv
        .key_str()
        .map_err(|_| StoreError::Backend("an etcd key is not UTF-8".into()))?;
    let value = kv
        .value_str()
        .map_err(|_| StoreError::Backend(format!("the value of `{key}` is not UTF-8")))?;
    Ok(Record {
        key: key.to_string(),
        value: codec::decode(key, value),
        create_revision: rev(kv.create_revision()),
        mod_revision: rev(kv.mod_revision()),
    })
}

/// The etcd transaction for `ops`.
///
/// # Errors
/// A key appears twice.
pub(crate) fn build(ops: &[Op]) -> Result<Txn, StoreError> {
    for (i, op) in ops.iter().enumerate() {
        if ops[..i].iter().any(|o| o.key() == op.key()) {
            return Err(StoreError::Backend(format!(
                "`{}` appears twice in one transaction",
                op.key()
            )));
        }
    }
    let mut compares = Vec::new();
    let mut writes = Vec::with_capacity(ops.len());
    let mut reads = Vec::with_capacity(ops.len());
    for op in ops {
        let key = op.key();
        let (Op::Put { precondition, .. } | Op::Delete { precondition, .. }) = op;
        let compare = match (precondition, op) {
            (Precondition::None, Op::Put { .. }) => None,
            // Deleting a missing key is NotFound, as in the embedded backend.
            (Precondition::None | Precondition::MustExist, _) => {
                Some(Compare::version(key, CompareOp::Greater, 0))
            }
            (Precondition::MustNotExist, _) => Some(Compare::version(key, CompareOp::Equal, 0)),
            // No key has mod revision 0, but a missing key compares as 0: never true.
            (Precondition::ModRevision(0), _) => Some(Compare::version(key, CompareOp::Less, 0)),
            (Precondition::ModRevision(r), _) => {
                Some(Compare::mod_revision(key, CompareOp::Equal, etcd_rev(*r)))
            }
        };
        compares.extend(compare);
        writes.push(match op {
            Op::Put { key, value, .. } => TxnOp::put(
                key.as_str(),
                codec::encode(key, value),
                Some(PutOptions::new().with_prev_key()),
            ),
            Op::Delete { key, .. } => {
                TxnOp::delete(key.as_str(), Some(DeleteOptions::new().with_prev_key()))
            }
        });
        reads.push(TxnOp::get(key, None));
    }
    Ok(Txn::new().when(compares).and_then(writes).or_else(reads))
}

/// What the transaction did, or which precondition failed.
pub(crate) fn outcome(ops: &[Op], resp: &TxnResponse) -> Result<TxnResult, StoreError> {
    let revision = resp.header().map_or(0, |h| rev(h.revision()));
    let responses = resp.op_responses();
    if responses.len() != ops.len() {
        return Err(StoreError::Backend(format!(
            "etcd answered {} operations for {}",
            responses.len(),
            ops.len()
        )));
    }
    if !resp.succeeded() {
        return Err(failed_precondition(ops, &responses));
    }
    let mut records = Vec::with_capacity(ops.len());
    for (op, answer) in ops.iter().zip(&responses) {
        match (op, answer) {
            (Op::Put { key, value, .. }, TxnOpResponse::Put(put)) => records.push(Record {
                key: key.clone(),
                value: value.clone(),
                create_revision: put
                    .prev_key()
                    .map_or(revision, |p| rev(p.create_revision())),
                mod_revision: revision,
            }),
            (Op::Delete { key, .. }, TxnOpResponse::Delete(del)) => match del.prev_kvs().first() {
                Some(kv) => records.push(record(kv)?),
                None => return Err(StoreError::NotFound { key: key.clone() }),
            },
            _ => {
                return Err(StoreError::Backend(
                    "etcd answered the wrong operation".into(),
                ));
            }
        }
    }
    Ok(TxnResult { revision, records })
}

fn failed_precondition(ops: &[Op], responses: &[TxnOpResponse]) -> StoreError {
    for (op, answer) in ops.iter().zip(responses) {
        let TxnOpResponse::Get(get) = answer else {
            continue;
        };
        let current = get.kvs().first();
        let key = op.key().to_string();
        let (Op::Put { precondition, .. } | Op::Delete { precondition, .. }) = op;
        match (precondition, current) {
            (Precondition::MustNotExist, Some(_)) => return StoreError::AlreadyExists { key },
            (Precondition::MustExist | Precondition::ModRevision(_), None) => {
                return StoreError::NotFound { key };
            }
            (Precondition::None, None) if matches!(op, Op::Delete { .. }) => {
                return StoreError::NotFound { key };
            }
            (Precondition::ModRevision(expected), Some(kv))
                if rev(kv.mod_revision()) != *expected =>
            {
                return StoreError::Conflict {
                    key,
                    expected: *expected,
                    actual: rev(kv.mod_revision()),
                };
            }
            _ => {}
        }
    }
    StoreError::Backend("etcd refused the transaction but every precondition holds".into())
}
