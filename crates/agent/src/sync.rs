//! The agent's loop: list everything, program, then watch; each batch of changes becomes one
//! render and one transaction. A datastore failure keeps the programmed rules and lists again
//! later; a refused transaction keeps the previous rules and is retried with the next change
//! or drift check.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tortie_calc::{Key, Model};
use tortie_dataplane::{Dataplane, Programmed};
use tortie_datastore::backend::StoreError;
use tortie_datastore::client::{Change, ChangeStream};
use tortie_datastore::{Client, ClientError};
use tortie_logs::{LogPipeline, RateLimit, Stats as LogStats};
use tortie_rules::{HostInterfaces, SetCache};
use tracing::{info, warn};

use crate::AgentConfig;
use crate::node::host_interfaces_in;
use crate::status::Status;
use crate::telemetry::Telemetry;

/// Interfaces of workloads, never host endpoints' (Calico's prefix).
const WORKLOAD_PREFIX: &str = "cali";

/// How long to wait before listing again after a datastore failure.
const RETRY: Duration = Duration::from_secs(1);

/// One node's agent.
pub struct Agent<D: Dataplane> {
    client: Client,
    cfg: AgentConfig,
    model: Model,
    /// The newest datastore revision the model reflects.
    revision: u64,
    programmer: D,
    telemetry: Arc<Telemetry>,
    status: Status,
    /// When the oldest change not yet programmed was seen.
    pending_since: Option<Instant>,
    /// The node's interfaces, read at each list and drift check.
    interfaces: HostInterfaces,
    /// Set elements of the last render, reused where the model says they did not change.
    set_cache: SetCache,
    /// The Log action's pipeline, if the agent runs one; its rate limit follows
    /// FelixConfiguration, its counters go to the metrics.
    logs: Option<LogPipeline>,
    /// The pipeline's counters as last copied to the metrics.
    log_stats: LogStats,
    /// When the last transaction was attempted (refused ones are retried at most once a
    /// second, so the error counter counts attempts an operator can reason about).
    last_attempt: Instant,
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl<D: Dataplane> Agent<D> {
    /// An agent that will program through `dataplane` (nftables or iptables).
    pub fn new(
        client: Client,
        cfg: AgentConfig,
        dataplane: D,
        telemetry: Arc<Telemetry>,
    ) -> Agent<D> {
        let status = Status {
            node: cfg.node.clone(),
            ..Status::default()
        };
        Agent {
            client,
            cfg,
            model: Model::new(),
            revision: 0,
            programmer: dataplane,
            telemetry,
            status,
            pending_since: None,
            last_attempt: Instant::now(),
            logs: None,
            log_stats: LogStats::default(),
            interfaces: HostInterfaces::new(),
            set_cache: SetCache::default(),
        }
    }

    /// Reads the node's interfaces; a change (an address moved) is programmed like any other.
    fn read_interfaces(&mut self) {
        let now = host_interfaces_in(self.cfg.netns.as_deref(), WORKLOAD_PREFIX);
        if now != self.interfaces {
            self.interfaces = now;
            self.pending_since.get_or_insert_with(Instant::now);
        }
    }

    /// Hands the agent the pipeline reading its node's Log packets.
    #[must_use]
    pub fn with_log_pipeline(mut self, logs: LogPipeline) -> Agent<D> {
        self.logs = Some(logs);
        self
    }

    /// The Log rate limit of the node's FelixConfiguration, applied on every program (an
    /// unchanged limit keeps its buckets).
    fn apply_log_rate_limit(&self) {
        let Some(logs) = &self.logs else { return };
        let felix = self.model.felix_for(&self.cfg.node);
        match RateLimit::from_felix(
            felix.log_action_rate_limit(),
            felix.log_action_rate_limit_burst(),
        ) {
            Ok(limit) => logs.set_rate_limit(limit),
            Err(e) => {
                warn!(node = %self.cfg.node, error = %e, "logActionRateLimit is not understood; Log lines are not limited");
                logs.set_rate_limit(None);
            }
        }
    }

    /// Copies the pipeline's counters into the metrics (as increments).
    fn export_log_stats(&mut self) {
        let Some(logs) = &self.logs else { return };
        let now = logs.stats();
        let was = self.log_stats;
        let t = &self.telemetry;
        t.log_packets
            .inc_by(now.received.saturating_sub(was.received));
        t.log_lines.inc_by(now.written.saturating_sub(was.written));
        t.log_rate_limited
            .inc_by(now.rate_limited.saturating_sub(was.rate_limited));
        let lost = |s: &LogStats| s.queue_dropped + s.overruns + s.decode_errors + s.sink_errors;
        t.log_lost.inc_by(lost(&now).saturating_sub(lost(&was)));
        self.log_stats = now;
    }

    /// Lists every kind the model acts on, rebuilds the model, and watches from the revision
    /// read before the lists (a change made during them is seen twice, which is harmless:
    /// the model keeps the last value of each object).
    fn relist(&mut self) -> Result<ChangeStream, ClientError> {
        let start = self.client.revision()?;
        let listed = self.client.list_acted_on()?;
        self.model = Model::from_resources(&listed.items);
        // Not the lists' revision: kinds are listed one by one, so a change made meanwhile
        // can be missing from an earlier list while a later one reports its revision. The
        // model holds everything up to `start`; the watch brings the rest.
        self.revision = start;
        self.read_interfaces();
        self.pending_since = Some(Instant::now());
        self.client.watch(start)
    }

    fn apply(&mut self, change: Change) {
        self.revision = self.revision.max(change.revision);
        let key = match &change.new {
            Some(r) => Key::of(r),
            None => Key {
                kind: change.object.kind,
                namespace: change.object.namespace.clone(),
                name: change.object.name.clone(),
            },
        };
        self.model.set(key, change.new);
        self.pending_since.get_or_insert_with(Instant::now);
    }

    /// Renders and programs the model; failures are reported and leave the old rules.
    fn program(&mut self) {
        let Some(since) = self.pending_since else {
            return;
        };
        self.last_attempt = Instant::now();
        self.apply_log_rate_limit();
        let desired = tortie_rules::render_cached(
            &self.model,
            &self.cfg.node,
            &self.interfaces,
            &mut self.set_cache,
        );
        let (chains, rules, elements) = (
            desired.chains.len(),
            desired
                .chains
                .values()
                .map(|c| c.rules.len())
                .sum::<usize>(),
            desired
                .sets
                .values()
                .map(|s| s.elements.len())
                .sum::<usize>()
                + desired
                    .maps
                    .values()
                    .map(|m| m.elements.len())
                    .sum::<usize>(),
        );
        match self.programmer.program(desired) {
            Ok(done) => {
                if !matches!(done, Programmed::Unchanged) {
                    self.telemetry.transactions.inc();
                    self.telemetry
                        .programming_seconds
                        .observe(since.elapsed().as_secs_f64());
                }
                match &done {
                    Programmed::Full { chains, took } => {
                        info!(node = %self.cfg.node, revision = self.revision, chains, took_ms = took.as_secs_f64() * 1e3, "programmed the whole table");
                    }
                    Programmed::Delta { stats, took } => {
                        info!(node = %self.cfg.node, revision = self.revision, chains_added = stats.chains_added, chains_rewritten = stats.chains_rewritten, chains_deleted = stats.chains_deleted, elements_added = stats.elements_added, elements_removed = stats.elements_removed, took_ms = took.as_secs_f64() * 1e3, "programmed changes");
                    }
                    Programmed::Unchanged => {}
                }
                self.pending_since = None;
                self.telemetry.chains.set(gauge(chains));
                self.telemetry.rules.set(gauge(rules));
                self.telemetry.set_elements.set(gauge(elements));
                self.telemetry.last_sync_seconds.set(now_seconds());
                self.telemetry
                    .programmed_revision
                    .set(i64::try_from(self.revision).unwrap_or(i64::MAX));
                self.status.programmed_revision = self.revision;
                self.status.chains = chains;
                self.status.rules = rules;
                self.status.elements = elements;
                self.status.error = None;
            }
            Err(e) => {
                self.telemetry.program_errors.inc();
                warn!(node = %self.cfg.node, revision = self.revision, error = %e, "transaction refused; the previous rules stay in force");
                self.status.error = Some(e.to_string());
            }
        }
        self.status.revision = self.revision;
        // Called only while the datastore stream is healthy: ready iff the kernel took it.
        // One write, so a reader never sees an error together with `ready: true`.
        let ready = self.status.error.is_none();
        self.telemetry.ready.store(ready, Ordering::Relaxed);
        self.status.ready = ready;
        self.write_status();
    }

    fn write_status(&self) {
        if let Some(path) = &self.cfg.status_file
            && let Err(e) = self.status.write(path)
        {
            warn!(path = %path.display(), error = %e, "cannot write the status file");
        }
    }

    fn set_ready(&mut self, ready: bool) {
        self.telemetry.ready.store(ready, Ordering::Relaxed);
        if self.status.ready != ready {
            self.status.ready = ready;
            self.write_status();
        }
    }

    fn check_drift(&mut self) {
        match self.programmer.check_and_repair() {
            Ok(drift) if drift.is_empty() => {}
            Ok(drift) => {
                self.telemetry.drift_repairs.inc();
                let what: Vec<String> = drift.iter().map(|d| d.0.clone()).collect();
                warn!(node = %self.cfg.node, drift = ?what, "the table drifted from what was programmed; rewrote it");
            }
            Err(e) => {
                // The table may be gone or half what we think: rewrite it whole, retrying
                // like any refused transaction, and say so.
                self.telemetry.program_errors.inc();
                warn!(node = %self.cfg.node, error = %e, "drift check or repair failed; retrying a full rewrite");
                self.programmer.forget();
                self.pending_since.get_or_insert_with(Instant::now);
                self.status.error = Some(e.to_string());
                self.status.ready = false;
                self.telemetry.ready.store(false, Ordering::Relaxed);
                self.write_status();
            }
        }
    }

    /// Runs until `stop` is set.
    pub fn run(&mut self, stop: &AtomicBool) {
        let mut stream: Option<ChangeStream> = None;
        let mut next_drift_check = Instant::now() + self.cfg.drift_interval;
        while !stop.load(Ordering::Relaxed) {
            self.telemetry.heartbeat.fetch_add(1, Ordering::Relaxed);
            self.export_log_stats();
            let Some(watch) = stream.as_mut() else {
                match self.relist() {
                    Ok(s) => {
                        stream = Some(s);
                        self.program();
                    }
                    Err(e) => {
                        self.telemetry.datastore_errors.inc();
                        self.set_ready(false);
                        warn!(node = %self.cfg.node, error = %e, "cannot list the datastore; keeping the programmed rules");
                        std::thread::sleep(RETRY);
                    }
                }
                continue;
            };
            match watch.next(Duration::from_millis(200)) {
                Ok(Some(change)) => {
                    self.apply(change);
                    // Gather what else arrives within the batch window into one transaction.
                    let window_end = Instant::now() + self.cfg.batch_window;
                    let mut failed = None;
                    loop {
                        let left = window_end.saturating_duration_since(Instant::now());
                        match watch.next(left) {
                            Ok(Some(c)) => self.apply(c),
                            Ok(None) => break,
                            Err(e) => {
                                failed = Some(e);
                                break;
                            }
                        }
                    }
                    // What arrived is programmed either way; a broken watch then means not
                    // ready until the relist.
                    self.program();
                    if let Some(e) = failed {
                        self.telemetry.datastore_errors.inc();
                        self.set_ready(false);
                        warn!(node = %self.cfg.node, error = %e, "the datastore watch failed; keeping the programmed rules");
                        stream = None;
                    }
                }
                Ok(None) => {
                    // Retry a refused transaction (or a failed repair) once a second.
                    if self.pending_since.is_some() && self.last_attempt.elapsed() >= RETRY {
                        self.program();
                    }
                }
                Err(ClientError::Store(StoreError::Compacted { .. })) => {
                    info!(node = %self.cfg.node, "the watch fell behind compaction; listing again");
                    stream = None;
                }
                Err(e) => {
                    self.telemetry.datastore_errors.inc();
                    self.set_ready(false);
                    warn!(node = %self.cfg.node, error = %e, "the datastore watch failed; keeping the programmed rules");
                    stream = None;
                    std::thread::sleep(RETRY);
                }
            }
            if Instant::now() >= next_drift_check {
                self.read_interfaces();
                self.check_drift();
                next_drift_check = Instant::now() + self.cfg.drift_interval;
            }
        }
    }
}
