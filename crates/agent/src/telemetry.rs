//! Metrics (Prometheus text format), `/healthz` and `/readyz`, on a small blocking HTTP
//! listener: the agent is synchronous, and three read-only routes do not justify an async
//! runtime in it.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The agent's metrics and health.
pub struct Telemetry {
    registry: Registry,
    /// Seconds from a datastore change being seen to its transaction committing.
    pub programming_seconds: Histogram,
    /// Transactions applied.
    pub transactions: Counter,
    /// Transactions the kernel refused (the previous rules stayed).
    pub program_errors: Counter,
    /// Datastore failures (list or watch).
    pub datastore_errors: Counter,
    /// Drift found and repaired.
    pub drift_repairs: Counter,
    /// Chains in the table.
    pub chains: Gauge,
    /// Rules in the table.
    pub rules: Gauge,
    /// Set and map elements in the table.
    pub set_elements: Gauge,
    /// Unix time of the last successful sync.
    pub last_sync_seconds: Gauge,
    /// The datastore revision whose rules are in the kernel.
    pub programmed_revision: Gauge,
    /// Packets Log rules sent to the agent.
    pub log_packets: Counter,
    /// Log lines every destination accepted.
    pub log_lines: Counter,
    /// Log packets left unlogged by FelixConfiguration's rate limit.
    pub log_rate_limited: Counter,
    /// Log lines lost (queue full, kernel buffer overrun, undecodable, destination failed).
    pub log_lost: Counter,
    /// In sync with the datastore.
    pub ready: AtomicBool,
    /// Bumped by the main loop; `/healthz` fails if it stops moving.
    pub heartbeat: AtomicU64,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry::new()
    }
}

impl Telemetry {
    /// Fresh metrics, registered under `tortie_agent_*`.
    #[must_use]
    pub fn new() -> Telemetry {
        let mut registry = Registry::with_prefix("tortie_agent");
        let t = Telemetry {
            registry: Registry::default(),
            programming_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            transactions: Counter::default(),
            program_errors: Counter::default(),
            datastore_errors: Counter::default(),
            drift_repairs: Counter::default(),
            chains: Gauge::default(),
            rules: Gauge::default(),
            set_elements: Gauge::default(),
            last_sync_seconds: Gauge::default(),
            programmed_revision: Gauge::default(),
            log_packets: Counter::default(),
            log_lines: Counter::default(),
            log_rate_limited: Counter::default(),
            log_lost: Counter::default(),
            ready: AtomicBool::new(false),
            heartbeat: AtomicU64::new(0),
        };
        registry.register(
            "programming_seconds",
            "From a datastore change seen to its nftables transaction committed",
            t.programming_seconds.clone(),
        );
        registry.register(
            "transactions",
            "nftables transactions applied",
            t.transactions.clone(),
        );
        registry.register(
            "program_errors",
            "nftables transactions refused (previous rules kept)",
            t.program_errors.clone(),
        );
        registry.register(
            "datastore_errors",
            "Datastore list or watch failures",
            t.datastore_errors.clone(),
        );
        registry.register(
            "drift_repairs",
            "Drift found in the table and repaired",
            t.drift_repairs.clone(),
        );
        registry.register("chains", "Chains in the table", t.chains.clone());
        registry.register("rules", "Rules in the table", t.rules.clone());
        registry.register(
            "set_elements",
            "Set and verdict-map elements in the table",
            t.set_elements.clone(),
        );
        registry.register(
            "last_sync_timestamp_seconds",
            "Unix time of the last successful sync",
            t.last_sync_seconds.clone(),
        );
        registry.register(
            "programmed_revision",
            "Datastore revision whose rules are programmed",
            t.programmed_revision.clone(),
        );
        registry.register(
            "log_packets",
            "Packets Log rules sent to the agent",
            t.log_packets.clone(),
        );
        registry.register(
            "log_lines",
            "Log lines every destination accepted",
            t.log_lines.clone(),
        );
        registry.register(
            "log_rate_limited",
            "Log packets left unlogged by the rate limit",
            t.log_rate_limited.clone(),
        );
        registry.register(
            "log_lost",
            "Log lines lost: queue full, kernel overrun, undecodable, or a destination failed",
            t.log_lost.clone(),
        );
        Telemetry { registry, ..t }
    }

    /// The metrics in Prometheus text format.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// Serves `/metrics`, `/healthz` and `/readyz` on `addr` from a background thread.
    ///
    /// # Errors
    /// The address cannot be bound.
    pub fn serve(self: &Arc<Self>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr)?;
        let bound = listener.local_addr()?;
        let me = Arc::clone(self);
        std::thread::Builder::new()
            .name("tortie-metrics".into())
            .spawn(move || {
                let mut last = (u64::MAX, std::time::Instant::now());
                for stream in listener.incoming().flatten() {
                    let beat = me.heartbeat.load(Ordering::Relaxed);
                    if beat != last.0 {
                        last = (beat, std::time::Instant::now());
                    }
                    // The main loop beats at least every few seconds.
                    let alive = last.1.elapsed() < Duration::from_secs(60);
                    let _ = me.answer(stream, alive);
                }
            })?;
        Ok(bound)
    }

    fn answer(&self, stream: TcpStream, alive: bool) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line)?;
        let path = line.split_whitespace().nth(1).unwrap_or("/");
        let (code, kind, body) = match path {
            "/metrics" => (
                "200 OK",
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                self.encode(),
            ),
            "/healthz" if alive => ("200 OK", "text/plain", "ok\n".to_string()),
            "/healthz" => (
                "503 Service Unavailable",
                "text/plain",
                "stalled\n".to_string(),
            ),
            "/readyz" if self.ready.load(Ordering::Relaxed) => {
                ("200 OK", "text/plain", "ready\n".to_string())
            }
            "/readyz" => (
                "503 Service Unavailable",
                "text/plain",
                "not in sync with the datastore\n".to_string(),
            ),
            _ => ("404 Not Found", "text/plain", "not found\n".to_string()),
        };
        let mut s = stream;
        write!(
            s,
            "HTTP/1.1 {code}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }
}
