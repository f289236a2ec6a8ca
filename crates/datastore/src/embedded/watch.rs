//! Watching the embedded store: poll the change log from a private connection. Polling works
//! across processes (and network namespaces), which in-process notification would not.

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::{connect, event_row, meta, prefix_end};
use crate::backend::{Event, Revision, StoreError, Watch};

/// How often an idle watch looks for new commits.
const POLL: Duration = Duration::from_millis(5);
/// Events fetched per query.
const BATCH: i64 = 512;

pub(crate) struct EmbeddedWatch {
    conn: Connection,
    prefix: String,
    end: String,
    /// Position in the log: the last (revision, seq) delivered.
    cursor: (Revision, i64),
    /// Store revision at the last poll, to skip queries while nothing changes.
    seen_revision: Revision,
    buffer: VecDeque<Event>,
}

fn err(e: &rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl EmbeddedWatch {
    pub(crate) fn new(
        path: &Path,
        prefix: &str,
        after: Revision,
    ) -> Result<EmbeddedWatch, StoreError> {
        let conn = connect(path)?;
        let w = EmbeddedWatch {
            conn,
            prefix: prefix.to_string(),
            end: prefix_end(prefix).unwrap_or_else(|| "\u{7f}".repeat(8)),
            cursor: (after, i64::MAX),
            seen_revision: after,
            buffer: VecDeque::new(),
        };
        w.check_compaction()?;
        Ok(w)
    }

    fn check_compaction(&self) -> Result<(), StoreError> {
        let compacted = meta(&self.conn, "compacted")?;
        if self.cursor.0 < compacted {
            return Err(StoreError::Compacted {
                requested: self.cursor.0,
                compacted,
            });
        }
        Ok(())
    }

    fn fill(&mut self) -> Result<(), StoreError> {
        let revision = meta(&self.conn, "revision")?;
        if revision == self.seen_revision {
            return Ok(());
        }
        self.check_compaction()?;
        let (rev, seq) = self.cursor;
        let rev = i64::try_from(rev).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rev, seq, key, value, prev FROM events
                 WHERE (rev > ?1 OR (rev = ?1 AND seq > ?2)) AND key >= ?3 AND key < ?4
                 ORDER BY rev, seq LIMIT ?5",
            )
            .map_err(|e| err(&e))?;
        let rows = stmt
            .query_map(
                rusqlite::params![rev, seq, self.prefix, self.end, BATCH],
                event_row,
            )
            .map_err(|e| err(&e))?;
        let mut got = 0;
        for row in rows {
            let (event, seq) = row.map_err(|e| err(&e))?;
            self.cursor = (event.revision, seq);
            self.buffer.push_back(event);
            got += 1;
        }
        if got < BATCH {
            // Everything up to `revision` under the prefix has been read.
            self.seen_revision = revision;
            if self.cursor.0 < revision {
                self.cursor = (revision, i64::MAX);
            }
        }
        Ok(())
    }
}

impl Watch for EmbeddedWatch {
    fn next(&mut self, timeout: Duration) -> Result<Option<Event>, StoreError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.buffer.pop_front() {
                return Ok(Some(e));
            }
            self.fill()?;
            if !self.buffer.is_empty() {
                continue;
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep(POLL.min(deadline - now));
        }
    }
}
