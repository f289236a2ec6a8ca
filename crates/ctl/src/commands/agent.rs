//! `tortie agent`: registers the node, serves metrics and health, and runs the agent loop
//! until the process is killed (the rules stay in force when it exits; a restarted agent takes
//! them over without a gap).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tortie_agent::{Agent, AgentConfig, Telemetry, host_addresses_in, register_node};
use tortie_dataplane::{Backend, Variant};
use tortie_logs::{LogPipeline, PipelineConfig, SinkSpec};

use super::common::{Failure, open};
use super::logs::{PACKETS_LOG, PACKETS_LOG_BYTES};
use crate::cli::AgentArgs;

fn init_logging(format: &str) -> Result<(), Failure> {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO);
    let result = match format {
        "json" => builder.json().try_init(),
        "text" => builder.try_init(),
        other => {
            return Err(Failure::usage(format!(
                "unknown --log-format {other}: use text or json"
            )));
        }
    };
    // A second initialisation (tests calling in-process) keeps the first subscriber.
    let _ = result;
    Ok(())
}

/// Runs the agent.
pub fn run(args: &AgentArgs, err: &mut dyn Write) -> Result<(), Failure> {
    let backend = backend_of(&args.dataplane, &args.iptables_backend)?;
    if args.drift_interval.is_nan() || args.drift_interval <= 0.0 {
        return Err(Failure::usage(
            "--drift-interval must be a positive number of seconds",
        ));
    }
    if let Some(ns) = &args.netns {
        // Without this check a typo would register a Node without addresses and fail
        // only at the first transaction.
        let path = Path::new(tortie_lab::NETNS_DIR).join(ns);
        if ns.contains('/') || !path.exists() {
            return Err(Failure::usage(format!(
                "--netns {ns}: no such network namespace (expected {})",
                path.display()
            )));
        }
    }
    init_logging(&args.log_format)?;
    let client = open(&args.target)?;
    if !args.no_register {
        let addresses = host_addresses_in(args.netns.as_deref(), "cali");
        register_node(&client, &args.node, &addresses)
            .map_err(|e| Failure::resource(format!("cannot register Node {}: {e}", args.node)))?;
    }
    let telemetry = Arc::new(Telemetry::new());
    if let Some(addr) = args.metrics_addr {
        let bound = telemetry
            .serve(addr)
            .map_err(|e| Failure::usage(format!("cannot serve metrics on {addr}: {e}")))?;
        let _ = writeln!(err, "metrics, /healthz and /readyz on http://{bound}");
    }
    let mut cfg = AgentConfig::new(&args.node);
    cfg.drift_interval = Duration::from_secs_f64(args.drift_interval);
    cfg.status_file.clone_from(&args.status_file);
    cfg.netns.clone_from(&args.netns);
    let (dataplane, variant) = tortie_dataplane::open(backend, args.netns.as_deref());
    if let Some(v) = variant {
        let _ = writeln!(err, "dataplane: iptables ({} variant)", v.name());
    }
    let mut agent = Agent::new(client, cfg, dataplane, telemetry);
    // Started before the first transaction, so no logged packet is missed. Enforcement does
    // not depend on it: if it cannot start, the agent says so and enforces anyway.
    match log_pipeline(args) {
        Ok(logs) => agent = agent.with_log_pipeline(logs),
        Err(e) => {
            let _ = writeln!(err, "warning: Log rules will not be written anywhere: {e}");
        }
    }
    agent.run(&AtomicBool::new(false));
    Ok(())
}

/// The backend `--dataplane` and `--iptables-backend` name.
pub(crate) fn backend_of(dataplane: &str, iptables_backend: &str) -> Result<Backend, Failure> {
    match dataplane {
        "nftables" => Ok(Backend::Nftables),
        "iptables" => match iptables_backend.to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Iptables(None)),
            other => Variant::parse(other)
                .map(|v| Backend::Iptables(Some(v)))
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "unknown --iptables-backend {other}: use auto, nft or legacy"
                    ))
                }),
        },
        other => Err(Failure::usage(format!(
            "unknown --dataplane {other}: use nftables or iptables"
        ))),
    }
}

/// The Log action's pipeline: the node's NFLOG group to the `--log-to` destinations and to
/// `packets.log` in the state directory (what `tortie logs` reads).
fn log_pipeline(args: &AgentArgs) -> Result<LogPipeline, String> {
    let mut sinks = if args.log_to.is_empty() {
        SinkSpec::defaults()
    } else {
        args.log_to
            .iter()
            .map(|d| d.parse::<SinkSpec>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?
    };
    std::fs::create_dir_all(&args.state_dir)
        .map_err(|e| format!("{}: {e}", args.state_dir.display()))?;
    sinks.push(SinkSpec::File {
        path: args.state_dir.join(PACKETS_LOG),
        rotate_bytes: Some(PACKETS_LOG_BYTES),
    });
    let mut config = PipelineConfig::new(tortie_rules::ir::LOG_GROUP, sinks);
    config.netns.clone_from(&args.netns);
    config.identity.hostname.clone_from(&args.node);
    LogPipeline::start(config).map_err(|e| e.to_string())
}
