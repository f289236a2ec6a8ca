//! The embedded backend: one SQLite database in WAL mode in a directory.
//!
//! Several processes may use the directory at once (the CLI writes while agents watch, in other
//! network namespaces too): writers serialise on SQLite's write lock (`BEGIN IMMEDIATE`, with a
//! generous busy timeout), readers never block, and every transaction is durable on commit
//! (`synchronous=FULL`), so a `kill -9` at any moment leaves the last committed state intact.
//! Watches in any process poll the change log and see a commit within a few milliseconds.

mod watch;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::backend::{
    Backend, Event, Op, Precondition, Record, Revision, StoreError, TxnResult, Watch,
};

/// The database file inside the store directory.
pub const DB_FILE: &str = "tortie.db";

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many revisions of history are kept for watches before older ones are compacted.
pub const DEFAULT_RETENTION: Revision = 100_000;

/// A store in a directory.
pub struct Embedded {
    conn: Mutex<Connection>,
    path: PathBuf,
    retention: Revision,
}

fn backend_err(e: &rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseBusy => {
            StoreError::Unavailable(format!("the store is locked by another writer: {e}"))
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Runs `op` until it does not fail with BUSY/LOCKED, for at most the busy timeout.
fn retry_busy<T>(mut op: impl FnMut() -> rusqlite::Result<T>) -> Result<T, StoreError> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match op() {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other.map_err(|e| backend_err(&e)),
        }
    }
}

/// Opens a connection with the settings every user of the file needs.
pub(crate) fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| backend_err(&e))?;
    // Switching a fresh file to WAL takes an exclusive lock, and SQLite reports BUSY for it
    // without consulting the busy handler when another process is doing the same; retry.
    retry_busy(|| conn.pragma_update(None, "journal_mode", "WAL"))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| backend_err(&e))?;
    Ok(conn)
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    create_rev INTEGER NOT NULL,
    mod_rev INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    rev INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    prev TEXT,
    PRIMARY KEY (rev, seq)
);
";

/// The exclusive upper bound of keys starting with `prefix` (keys are ASCII paths).
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0x7f {
            bytes.push(last + 1);
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

pub(crate) fn meta(conn: &Connection, name: &str) -> Result<Revision, StoreError> {
    let v: i64 = conn
        .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .map_err(|e| backend_err(&e))?;
    Ok(Revision::try_from(v).unwrap_or(0))
}

fn rev_param(r: Revision) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

fn record_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    let (c, m): (i64, i64) = (row.get(2)?, row.get(3)?);
    Ok(Record {
        key: row.get(0)?,
        value: row.get(1)?,
        create_revision: Revision::try_from(c).unwrap_or(0),
        mod_revision: Revision::try_from(m).unwrap_or(0),
    })
}

fn get_record(conn: &Connection, key: &str) -> Result<Option<Record>, StoreError> {
    conn.query_row(
        "SELECT key, value, create_rev, mod_rev FROM kv WHERE key = ?1",
        [key],
        record_row,
    )
    .optional()
    .map_err(|e| backend_err(&e))
}

fn check(
    precondition: Precondition,
    key: &str,
    current: Option<&Record>,
) -> Result<(), StoreError> {
    match (precondition, current) {
        (Precondition::MustNotExist, Some(_)) => Err(StoreError::AlreadyExists {
            key: key.to_string(),
        }),
        (Precondition::MustExist | Precondition::ModRevision(_), None) => {
            Err(StoreError::NotFound {
                key: key.to_string(),
            })
        }
        (Precondition::ModRevision(expected), Some(r)) if r.mod_revision != expected => {
            Err(StoreError::Conflict {
                key: key.to_string(),
                expected,
                actual: r.mod_revision,
            })
        }
        _ => Ok(()),
    }
}

impl Embedded {
    /// Opens (creating if needed) the store in `dir`.
    ///
    /// # Errors
    /// The directory or database cannot be created or opened.
    pub fn open(dir: &Path) -> Result<Embedded, StoreError> {
        Embedded::open_with_retention(dir, DEFAULT_RETENTION)
    }

    /// Opens the store keeping `retention` revisions of watch history.
    ///
    /// # Errors
    /// The directory or database cannot be created or opened.
    pub fn open_with_retention(dir: &Path, retention: Revision) -> Result<Embedded, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot create store directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(DB_FILE);
        let conn = connect(&path)?;
        // One immediate transaction: two processes creating the schema at once would otherwise
        // deadlock upgrading their read locks, which SQLite reports as BUSY at once.
        retry_busy(|| {
            conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} COMMIT;"))
                .inspect_err(|_| {
                    let _ = conn.execute_batch("ROLLBACK");
                })
        })?;
        Ok(Embedded {
            conn: Mutex::new(conn),
            path,
            retention: retention.max(1),
        })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-call; the connection and the
        // database (transactional) are still consistent.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Backend for Embedded {
    fn txn(&self, ops: &[Op]) -> Result<TxnResult, StoreError> {
        for (i, op) in ops.iter().enumerate() {
            if ops[..i].iter().any(|o| o.key() == op.key()) {
                return Err(StoreError::Backend(format!(
                    "`{}` appears twice in one transaction",
                    op.key()
                )));
            }
        }
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| backend_err(&e))?;
        let revision = meta(&tx, "revision")? + 1;
        let mut records = Vec::with_capacity(ops.len());
        for (seq, op) in ops.iter().enumerate() {
            let current = get_record(&tx, op.key())?;
            let (Op::Put { precondition, .. } | Op::Delete { precondition, .. }) = op;
            check(*precondition, op.key(), current.as_ref())?;
            let prev = current.as_ref().map(|r| r.value.as_str());
            let seq = i64::try_from(seq).unwrap_or(i64::MAX);
            match op {
                Op::Put { key, value, .. } => {
                    let create = current.as_ref().map_or(revision, |r| r.create_revision);
                    tx.execute(
                        "INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev",
                        params![key, value, rev_param(create), rev_param(revision)],
                    )
                    .map_err(|e| backend_err(&e))?;
                    tx.execute(
                        "INSERT INTO events (rev, seq, key, value, prev) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![rev_param(revision), seq, key, value, prev],
                    )
                    .map_err(|e| backend_err(&e))?;
                    records.push(Record {
                        key: key.clone(),
                        value: value.clone(),
                        create_revision: create,
                        mod_revision: revision,
                    });
                }
                Op::Delete { key, .. } => {
                    let Some(old) = current else {
                        return Err(StoreError::NotFound { key: key.clone() });
                    };
                    tx.execute("DELETE FROM kv WHERE key = ?1", [key])
                        .map_err(|e| backend_err(&e))?;
                    tx.execute(
                        "INSERT INTO events (rev, seq, key, value, prev) VALUES (?1, ?2, ?3, NULL, ?4)",
                        params![rev_param(revision), seq, key, old.value],
                    )
                    .map_err(|e| backend_err(&e))?;
                    records.push(old);
                }
            }
        }
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE name = 'revision'",
            [rev_param(revision)],
        )
        .map_err(|e| backend_err(&e))?;
        if revision > self.retention {
            compact_in(&tx, revision - self.retention)?;
        }
        tx.commit().map_err(|e| backend_err(&e))?;
        Ok(TxnResult { revision, records })
    }

    fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        get_record(&self.lock(), key)
    }

    fn list(&self, prefix: &str) -> Result<(Vec<Record>, Revision), StoreError> {
        let mut conn = self.lock();
        // One read transaction: the records and the revision come from the same snapshot.
        let tx = conn.transaction().map_err(|e| backend_err(&e))?;
        let revision = meta(&tx, "revision")?;
        let end = prefix_end(prefix).unwrap_or_else(|| "\u{7f}".repeat(8));
        let records = {
            let mut stmt = tx
                .prepare_cached("SELECT key, value, create_rev, mod_rev FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key")
                .map_err(|e| backend_err(&e))?;
            let rows = stmt
                .query_map([prefix, end.as_str()], record_row)
                .map_err(|e| backend_err(&e))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(|e| backend_err(&e))?
        };
        tx.finish().map_err(|e| backend_err(&e))?;
        Ok((records, revision))
    }

    fn watch(&self, prefix: &str, after: Revision) -> Result<Box<dyn Watch>, StoreError> {
        let w = watch::EmbeddedWatch::new(&self.path, prefix, after)?;
        Ok(Box::new(w))
    }

    fn revision(&self) -> Result<Revision, StoreError> {
        meta(&self.lock(), "revision")
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }

    fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| backend_err(&e))?;
        compact_in(&tx, revision)?;
        tx.commit().map_err(|e| backend_err(&e))
    }
}

fn compact_in(conn: &Connection, revision: Revision) -> Result<(), StoreError> {
    let current = meta(conn, "compacted")?;
    if revision <= current {
        return Ok(());
    }
    conn.execute("DELETE FROM events WHERE rev <= ?1", [rev_param(revision)])
        .map_err(|e| backend_err(&e))?;
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE name = 'compacted'",
        [rev_param(revision)],
    )
    .map_err(|e| backend_err(&e))?;
    Ok(())
}

/// Turns an event row into an [`Event`].
pub(crate) fn event_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Event, i64)> {
    let rev: i64 = row.get(0)?;
    Ok((
        Event {
            revision: Revision::try_from(rev).unwrap_or(0),
            key: row.get(2)?,
            value: row.get(3)?,
            prev_value: row.get(4)?,
        },
        row.get(1)?,
    ))
}
