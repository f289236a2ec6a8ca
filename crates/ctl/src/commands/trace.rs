//! `tortie trace`: decide one flow and explain the decision.

use std::io::Write;

use tortie_calc::EntityId;
use tortie_eval::explain::explain;
use tortie_eval::{Flow, ModelTopology, Peer, decide};

use super::common::Failure;
use super::snapshot;
use crate::cli::TraceArgs;

/// The protocol number of `--protocol`.
pub fn protocol(text: &str) -> Result<u8, Failure> {
    match text.to_ascii_lowercase().as_str() {
        "tcp" => Ok(6),
        "udp" => Ok(17),
        "sctp" => Ok(132),
        "icmp" => Ok(1),
        "icmpv6" => Ok(58),
        "udplite" => Ok(136),
        n => n.parse().map_err(|_| {
            Failure::usage(format!(
                "unknown protocol `{text}`: use tcp, udp, sctp, icmp, icmpv6 or a number"
            ))
        }),
    }
}

pub fn run(args: &TraceArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let model = snapshot::load(&args.source, &args.target, err)?;
    let proto = protocol(&args.protocol)?;
    let is_icmp = matches!(proto, 1 | 58);
    if is_icmp && args.port.is_some() {
        return Err(Failure::usage(
            "ICMP has no ports: use --icmp-type and --icmp-code",
        ));
    }
    if !is_icmp && (args.icmp_type.is_some() || args.icmp_code.is_some()) {
        return Err(Failure::usage(
            "--icmp-type and --icmp-code need --protocol icmp or icmpv6",
        ));
    }
    let ports = tortie_eval::flow::has_ports(proto);
    if ports && args.port.is_none() {
        return Err(Failure::usage("give the destination --port"));
    }
    let via = match &args.via {
        Some(v) => match snapshot::peer(&model, v)? {
            Peer::Entity(id @ EntityId::Host { .. }) => Some(id),
            _ => return Err(Failure::usage("--via takes hep/NAME")),
        },
        None => None,
    };
    let backend = match &args.backend {
        Some(b) => match snapshot::peer(&model, b)? {
            Peer::Entity(id) => Some(id),
            _ => return Err(Failure::usage("--backend takes NAMESPACE/NAME of a pod")),
        },
        None => None,
    };
    let flow = Flow {
        src: snapshot::peer(&model, &args.from)?,
        dst: snapshot::peer(&model, &args.to)?,
        protocol: proto,
        src_port: args.src_port,
        dst_port: args.port,
        icmp: if is_icmp {
            Some((
                args.icmp_type.unwrap_or(if proto == 1 { 8 } else { 128 }),
                args.icmp_code,
            ))
        } else {
            None
        },
        backend,
    };
    let decision = decide(&model, &flow, &ModelTopology { via }).map_err(Failure::resource)?;
    let text = match args.output.as_str() {
        "text" => explain(&decision),
        "json" => {
            serde_json::to_string_pretty(&decision).map_err(|e| Failure::usage(e.to_string()))?
                + "\n"
        }
        "yaml" => tortie_model::yaml::to_yaml_string(
            &serde_json::to_value(&decision).map_err(|e| Failure::usage(e.to_string()))?,
        ),
        other => {
            return Err(Failure::usage(format!(
                "unknown output `{other}`: use text, json or yaml"
            )));
        }
    };
    let _ = out.write_all(text.as_bytes());
    Ok(())
}
