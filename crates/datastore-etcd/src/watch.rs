//! Watching etcd: a task on the backend's runtime keeps an etcd watch open (prefix, start
//! revision, previous values) and passes events in order through a channel to the synchronous
//! [`Watch::next`].
//!
//! The stream opens on the first `next`; etcd replays history from the start revision, so
//! nothing between `watch` and `next` is missed, and a start revision compacted meanwhile is
//! reported then. When the stream breaks (member crashed, lost its leader) the task resumes on
//! another endpoint from the revision after the last event it passed on; while no endpoint
//! answers, `next` returns `Unavailable` about every half second and the task keeps trying.
//! A compaction past the resume point, or a resumed stream that finds another cluster or a
//! store gone back behind events already passed on (etcd restored or wiped), ends the watch
//! with `Compacted`: list again. Events wait in an unbounded channel until `next` takes them.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use etcd_client::{EventType, GetOptions, WatchOptions, WatchStream};
use tokio::sync::oneshot;
use tortie_datastore::{Event, Revision, StoreError, Watch};

use crate::codec;
use crate::conn::{RuntimeOwner, Shared};
use crate::txn::{etcd_rev, rev};

/// Pause between attempts to resume while etcd cannot be reached.
const RESUME_PAUSE: Duration = Duration::from_millis(500);
/// Pause after a stream broke before passing anything on (doubled the second time).
const BREAK_PAUSE: Duration = Duration::from_millis(50);

type Item = Result<Event, StoreError>;

pub(crate) struct EtcdWatch {
    runtime: Arc<RuntimeOwner>,
    shared: Arc<Shared>,
    prefix: String,
    after: Revision,
    stream: Option<(Receiver<Item>, oneshot::Sender<()>)>,
    ended: Option<StoreError>,
}

impl EtcdWatch {
    pub(crate) fn new(
        runtime: Arc<RuntimeOwner>,
        shared: Arc<Shared>,
        prefix: &str,
        after: Revision,
    ) -> EtcdWatch {
        EtcdWatch {
            runtime,
            shared,
            prefix: prefix.to_string(),
            after,
            stream: None,
            ended: None,
        }
    }
}

impl Watch for EtcdWatch {
    fn next(&mut self, timeout: Duration) -> Result<Option<Event>, StoreError> {
        if let Some(e) = &self.ended {
            return Err(e.clone());
        }
        let (rx, _) = self.stream.get_or_insert_with(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            let (stop, stopped) = oneshot::channel();
            let task = follow(
                self.shared.clone(),
                self.prefix.clone(),
                self.after,
                tx,
                stopped,
            );
            self.runtime.handle().spawn(task);
            (rx, stop)
        });
        match rx.recv_timeout(timeout) {
            Ok(Ok(e)) => Ok(Some(e)),
            Ok(Err(e)) => {
                if matches!(e, StoreError::Compacted { .. } | StoreError::Backend(_)) {
                    self.ended = Some(e.clone());
                }
                Err(e)
            }
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => {
                let e = StoreError::Backend("the etcd watch stopped".into());
                self.ended = Some(e.clone());
                Err(e)
            }
        }
    }
}

impl Drop for EtcdWatch {
    fn drop(&mut self) {
        if let Some((_, stop)) = self.stream.take() {
            let _ = stop.send(());
        }
    }
}

/// Opens a watch from `start` on whichever endpoint answers.
async fn open(shared: &Shared, prefix: &str, start: Revision) -> Result<WatchStream, StoreError> {
    shared
        .call(true, |mut client| {
            let options = WatchOptions::new()
                .with_prefix()
                .with_prev_key()
                .with_start_revision(etcd_rev(start));
            async move { client.watch(prefix, Some(options)).await }
        })
        .await
}

fn event(e: &etcd_client::Event) -> Result<Event, StoreError> {
    let kv = e
        .kv()
        .ok_or_else(|| StoreError::Backend("an etcd watch event has no key".into()))?;
    let key = kv
        .key_str()
        .map_err(|_| StoreError::Backend("an etcd key is not UTF-8".into()))?;
    let text = |bytes: &[u8]| {
        std::str::from_utf8(bytes)
            .map(|v| codec::decode(key, v))
            .map_err(|_| StoreError::Backend(format!("the value of `{key}` is not UTF-8")))
    };
    Ok(Event {
        revision: rev(kv.mod_revision()),
        key: key.to_string(),
        value: match e.event_type() {
            EventType::Put => Some(text(kv.value())?),
            EventType::Delete => None,
        },
        prev_value: e.prev_kv().map(|p| text(p.value())).transpose()?,
    })
}

/// Why a stream stopped.
enum Stop {
    /// The consumer is gone.
    Done,
    /// Resume from the next revision.
    Broken(String),
}

/// Whether the stream still talks to the same history: the same cluster, and a store that has
/// not gone back behind what was already passed on (etcd restored or wiped).
fn same_history(
    resp: &etcd_client::WatchResponse,
    cluster: &mut Option<u64>,
    next: Revision,
) -> bool {
    let Some(h) = resp.header() else {
        return true;
    };
    let known = *cluster.get_or_insert(h.cluster_id());
    known == h.cluster_id() && !(resp.created() && rev(h.revision()) + 1 < next)
}

/// Passes the events of one stream on; `next` is the revision to resume from.
async fn pump(
    stream: &mut WatchStream,
    tx: &Sender<Item>,
    next: &mut Revision,
    cluster: &mut Option<u64>,
    stopped: &mut oneshot::Receiver<()>,
) -> Stop {
    loop {
        let message = tokio::select! {
            _ = &mut *stopped => return Stop::Done,
            m = stream.message() => m,
        };
        let resp = match message {
            Ok(Some(resp)) => resp,
            Ok(None) => return Stop::Broken("the stream ended".into()),
            Err(e) => return Stop::Broken(e.to_string()),
        };
        if resp.compact_revision() > 0 {
            let _ = tx.send(Err(StoreError::Compacted {
                requested: next.saturating_sub(1),
                compacted: rev(resp.compact_revision()),
            }));
            return Stop::Done;
        }
        if !same_history(&resp, cluster, *next) {
            // Not the history this watch followed: the caller must list again.
            let _ = tx.send(Err(StoreError::Compacted {
                requested: next.saturating_sub(1),
                compacted: resp.header().map_or(0, |h| rev(h.revision())),
            }));
            return Stop::Done;
        }
        for e in resp.events() {
            let item = event(e);
            if let Ok(ev) = &item {
                *next = ev.revision + 1;
            }
            let failed = item.is_err();
            if tx.send(item).is_err() || failed {
                return Stop::Done;
            }
        }
        if resp.canceled() {
            return Stop::Broken(format!(
                "etcd cancelled the watch: {}",
                resp.cancel_reason()
            ));
        }
    }
}

async fn follow(
    shared: Arc<Shared>,
    prefix: String,
    after: Revision,
    tx: Sender<Item>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut next = after + 1;
    let mut cluster = None;
    // Streams in a row that broke without passing anything on.
    let mut fruitless: u32 = 0;
    loop {
        let why = match open(&shared, &prefix, next).await {
            Ok(mut stream) => {
                let from = next;
                match pump(&mut stream, &tx, &mut next, &mut cluster, &mut stopped).await {
                    Stop::Done => return,
                    // Resume at once (on whichever endpoint answers) unless streams keep
                    // breaking, as on a member without a leader.
                    Stop::Broken(_) if next > from => {
                        fruitless = 0;
                        continue;
                    }
                    Stop::Broken(why) => {
                        fruitless += 1;
                        if fruitless < 3 {
                            tokio::time::sleep(BREAK_PAUSE * fruitless).await;
                            continue;
                        }
                        why
                    }
                }
            }
            Err(StoreError::Unavailable(why)) => why,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let e = StoreError::Unavailable(format!("the etcd watch on `{prefix}` is down: {why}"));
        if tx.send(Err(e)).is_err() {
            return;
        }
        tokio::select! {
            _ = &mut stopped => return,
            () = tokio::time::sleep(RESUME_PAUSE) => {}
        }
    }
}

/// Whether history after `after` is still there; if not, the compaction revision (etcd only
/// names it on a watch, so one is opened to ask).
pub(crate) async fn check_history(
    shared: &Shared,
    prefix: &str,
    after: Revision,
) -> Result<(), StoreError> {
    // A read of any key at a revision fails if that revision was compacted.
    let probe = shared
        .call(true, |client| {
            let options = GetOptions::new()
                .with_revision(etcd_rev(after + 1))
                .with_keys_only()
                .with_limit(1);
            async move {
                match crate::conn::kv(&client).get("/", Some(options)).await {
                    Ok(_) => Ok(false),
                    Err(etcd_client::Error::GRpcStatus(s))
                        if s.code() == tonic::Code::OutOfRange =>
                    {
                        Ok(s.message().contains("compacted"))
                    }
                    Err(e) => Err(e),
                }
            }
        })
        .await?;
    if !probe {
        return Ok(());
    }
    let mut stream = open(shared, prefix, after + 1).await?;
    let limit = tokio::time::Instant::now() + shared.request_timeout;
    loop {
        match tokio::time::timeout_at(limit, stream.message()).await {
            Ok(Ok(Some(resp))) if resp.compact_revision() > 0 => {
                return Err(StoreError::Compacted {
                    requested: after,
                    compacted: rev(resp.compact_revision()),
                });
            }
            Ok(Ok(Some(_))) => {}
            Ok(Ok(None)) | Ok(Err(_)) | Err(_) => {
                return Err(StoreError::Compacted {
                    requested: after,
                    compacted: after + 1,
                });
            }
        }
    }
}
