//! The running pipeline: a reader thread in the dataplane's network namespace turns NFLOG
//! packets into lines; a writer thread, left in the caller's namespace so network sinks
//! connect from there, hands them to the sinks. A bounded queue sits between them, so a
//! slow sink costs lines (counted) rather than stalling the reader until the kernel drops.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use crate::error::LogError;
use crate::line::format_line;
use crate::nflog::{self, Event};
use crate::ratelimit::{Limiter, RateLimit};
use crate::sink::{LogLine, Sink, SinkSpec};
use crate::socket::{NflogSocket, RECV_BUF, Received};
use crate::syslog::Identity;

/// Lines waiting for the writer at most.
const QUEUE: usize = 4096;
/// How often the reader looks at the stop flag.
const TICK: Duration = Duration::from_millis(100);

/// What to read and where to write.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// The network namespace whose NFLOG group is read (a name under `/run/netns` or a
    /// path); `None` for the caller's.
    pub netns: Option<String>,
    /// The NFLOG group (`tortie_rules::ir::LOG_GROUP`).
    pub group: u16,
    /// Destinations; at least one.
    pub sinks: Vec<SinkSpec>,
    /// FelixConfiguration's Log rate limit; `None` logs every packet.
    pub rate_limit: Option<RateLimit>,
    /// Host name and process id for syslog headers.
    pub identity: Identity,
}

impl PipelineConfig {
    /// Group `group` of the caller's namespace to `sinks`, unlimited.
    #[must_use]
    pub fn new(group: u16, sinks: Vec<SinkSpec>) -> PipelineConfig {
        PipelineConfig {
            netns: None,
            group,
            sinks,
            rate_limit: None,
            identity: Identity::local(),
        }
    }
}

/// Counts since the pipeline started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets received from the kernel.
    pub received: u64,
    /// Lines every sink accepted.
    pub written: u64,
    /// Packets the rate limit left unlogged.
    pub rate_limited: u64,
    /// Lines lost because the writer was behind.
    pub queue_dropped: u64,
    /// Times the kernel dropped messages for a full socket buffer (how many is unknown).
    pub overruns: u64,
    /// Datagrams that could not be decoded.
    pub decode_errors: u64,
    /// Failed writes, per sink.
    pub sink_errors: u64,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    written: AtomicU64,
    rate_limited: AtomicU64,
    queue_dropped: AtomicU64,
    overruns: AtomicU64,
    decode_errors: AtomicU64,
    sink_errors: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// A running pipeline; dropping it stops it.
#[derive(Debug)]
pub struct LogPipeline {
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    limiter: Arc<Mutex<Option<Limiter>>>,
    threads: Vec<JoinHandle<()>>,
    group: u16,
}

impl LogPipeline {
    /// Opens the sinks, binds the group in `config.netns` and starts both threads. Returns
    /// once the kernel has confirmed the binding, so packets logged afterwards are read.
    ///
    /// # Errors
    /// When a sink cannot be opened, there is none, the namespace cannot be entered or the
    /// group cannot be bound (already held by another process in that namespace, no
    /// `CAP_NET_ADMIN`).
    pub fn start(config: PipelineConfig) -> Result<LogPipeline, LogError> {
        if config.sinks.is_empty() {
            return Err(LogError::Config("no log destination".into()));
        }
        let sinks = config
            .sinks
            .iter()
            .map(|s| s.open(&config.identity))
            .collect::<Result<Vec<_>, _>>()?;
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let limiter = Arc::new(Mutex::new(config.rate_limit.map(Limiter::new)));
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let spawn_err = |e| LogError::io("start a log pipeline thread", e);
        let writer = {
            let counters = Arc::clone(&counters);
            thread::Builder::new()
                .name("tortie-logs-writer".into())
                .spawn(move || write_loop(&rx, sinks, &counters))
                .map_err(spawn_err)?
        };
        let (ready_tx, ready_rx) = mpsc::channel();
        let reader = {
            let (stop, counters) = (Arc::clone(&stop), Arc::clone(&counters));
            let (netns, group) = (config.netns.clone(), config.group);
            let limiter = Arc::clone(&limiter);
            thread::Builder::new()
                .name("tortie-logs-reader".into())
                .spawn(move || {
                    let socket = netns
                        .as_deref()
                        .map_or(Ok(()), crate::netns::enter)
                        .and_then(|()| NflogSocket::bind(group));
                    match socket {
                        Ok(socket) => {
                            let _ = ready_tx.send(Ok(()));
                            let mut reader = Reader {
                                socket,
                                tx,
                                stop,
                                counters,
                                limiter,
                            };
                            reader.run();
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                })
                .map_err(spawn_err)?
        };
        let pipeline = LogPipeline {
            stop,
            counters,
            limiter,
            threads: vec![reader, writer],
            group: config.group,
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(pipeline),
            // The reader is gone and took the queue's sender with it; dropping the pipeline
            // joins both threads.
            Ok(Err(e)) => Err(e),
            Err(_) => Err(LogError::Config(
                "the log reader thread ended before binding".into(),
            )),
        }
    }

    /// The NFLOG group being read.
    #[must_use]
    pub fn group(&self) -> u16 {
        self.group
    }

    /// Applies a changed FelixConfiguration rate limit to the running pipeline; the same
    /// limit again keeps the buckets as they are.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut current = self.limiter.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().map(Limiter::limit) != limit {
            *current = limit.map(Limiter::new);
        }
    }

    /// The counts so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            received: get(&c.received),
            written: get(&c.written),
            rate_limited: get(&c.rate_limited),
            queue_dropped: get(&c.queue_dropped),
            overruns: get(&c.overruns),
            decode_errors: get(&c.decode_errors),
            sink_errors: get(&c.sink_errors),
        }
    }

    /// Stops reading, writes what is queued and waits for both threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for LogPipeline {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Interface names of the reader's namespace (the thread is in it).
fn if_name(index: u32) -> Option<String> {
    nix::net::if_::if_indextoname(index)
        .ok()
        .map(|n| n.to_string_lossy().into_owned())
}

struct Reader {
    socket: NflogSocket,
    tx: SyncSender<LogLine>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    limiter: Arc<Mutex<Option<Limiter>>>,
}

impl Reader {
    fn run(&mut self) {
        let mut buf = vec![0u8; RECV_BUF];
        while !self.stop.load(Ordering::Relaxed) {
            match self.socket.recv(&mut buf, TICK) {
                Ok(Received::Datagram(n)) => {
                    if !self.handle(&buf[..n]) {
                        return;
                    }
                }
                Ok(Received::Idle) => {}
                Ok(Received::Overrun) => bump(&self.counters.overruns),
                Err(e) => {
                    tracing::warn!(error = %e, "reading logged packets failed");
                    thread::sleep(TICK);
                }
            }
        }
    }

    /// Queues the lines of one datagram; `false` once the writer is gone.
    fn handle(&mut self, datagram: &[u8]) -> bool {
        let events = match nflog::decode(datagram) {
            Ok(events) => events,
            Err(e) => {
                bump(&self.counters.decode_errors);
                tracing::warn!(error = %e, "undecodable NFLOG message");
                return true;
            }
        };
        for event in events {
            let packet = match event {
                Event::Packet(p) => p,
                Event::Ack { error, .. } if error != 0 => {
                    tracing::warn!(errno = -error, "the kernel refused an NFLOG request");
                    continue;
                }
                _ => continue,
            };
            bump(&self.counters.received);
            let allowed = self
                .limiter
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_mut()
                .is_none_or(|l| l.allow(packet.prefix, Instant::now()));
            if !allowed {
                bump(&self.counters.rate_limited);
                continue;
            }
            let line = LogLine {
                time: SystemTime::now(),
                text: format_line(&packet, &if_name),
            };
            match self.tx.try_send(line) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => bump(&self.counters.queue_dropped),
                Err(TrySendError::Disconnected(_)) => return false,
            }
        }
        true
    }
}

fn write_loop(rx: &Receiver<LogLine>, mut sinks: Vec<Box<dyn Sink>>, counters: &Counters) {
    let mut failing = vec![false; sinks.len()];
    // Blocks for the next line; ends when the reader has gone and the queue is empty.
    while let Ok(first) = rx.recv() {
        for line in std::iter::once(first).chain(rx.try_iter()) {
            let mut all = true;
            for (i, sink) in sinks.iter_mut().enumerate() {
                let result = sink.write(&line);
                all &= result.is_ok();
                note(result, &mut failing[i], counters);
            }
            if all {
                bump(&counters.written);
            }
        }
        for (i, sink) in sinks.iter_mut().enumerate() {
            note(sink.flush(), &mut failing[i], counters);
        }
    }
}

/// Counts a failed write and warns once per run of failures of a sink.
fn note(result: std::io::Result<()>, failing: &mut bool, counters: &Counters) {
    match result {
        Ok(()) => *failing = false,
        Err(e) => {
            bump(&counters.sink_errors);
            if !*failing {
                tracing::warn!(error = %e, "a log destination failed; lines are being lost");
            }
            *failing = true;
        }
    }
}
