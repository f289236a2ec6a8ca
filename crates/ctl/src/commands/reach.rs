//! `tortie reach`: the reachability matrix between workloads (rows from, columns to; `.`
//! allowed, `X` denied, `-` the same workload), in the format of the Kubernetes e2e corpus.

use std::io::Write;

use serde_json::json;
use tortie_calc::resolve::entity::EntityKind;
use tortie_calc::{EntityId, Model};
use tortie_eval::{Flow, ModelTopology, Peer, Verdict, decide};

use super::common::Failure;
use super::{snapshot, trace};
use crate::cli::ReachArgs;

fn short_name(model: &Model, id: &EntityId) -> String {
    let source = model
        .entity(id)
        .map(|e| e.entity.source.clone())
        .unwrap_or_default();
    source
        .split_once(' ')
        .map_or(source.clone(), |(_, n)| n.to_string())
}

pub fn run(args: &ReachArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let model = snapshot::load(&args.source, &args.target, err)?;
    let proto = trace::protocol(&args.protocol)?;
    if tortie_eval::flow::has_ports(proto) && args.port.is_none() {
        return Err(Failure::usage("give the destination --port"));
    }
    let ns = if args.all_namespaces {
        None
    } else {
        args.target.namespace.clone()
    };
    let mut endpoints: Vec<(String, EntityId)> = model
        .entities()
        .filter(|e| e.entity.kind == EntityKind::Workload)
        .filter(|e| {
            ns.as_deref()
                .is_none_or(|n| e.entity.namespace.as_deref() == Some(n))
        })
        .map(|e| (short_name(&model, &e.entity.id), e.entity.id.clone()))
        .collect();
    endpoints.sort();
    let (names, ids): (Vec<String>, Vec<EntityId>) = endpoints.into_iter().unzip();
    let mut rows = Vec::new();
    let mut denied = Vec::new();
    for (i, from) in ids.iter().enumerate() {
        let mut row = String::new();
        for (j, to) in ids.iter().enumerate() {
            if i == j {
                row.push('-');
                continue;
            }
            let flow = Flow {
                src: Peer::Entity(from.clone()),
                dst: Peer::Entity(to.clone()),
                protocol: proto,
                src_port: None,
                dst_port: args.port,
                icmp: matches!(proto, 1 | 58).then_some((if proto == 1 { 8 } else { 128 }, None)),
                backend: None,
            };
            let d = decide(&model, &flow, &ModelTopology::default()).map_err(Failure::resource)?;
            if d.verdict == Verdict::Deny {
                row.push('X');
                denied.push((names[i].clone(), names[j].clone()));
            } else {
                row.push('.');
            }
        }
        rows.push(row);
    }
    match args.output.as_str() {
        "json" => {
            let v = json!({
                "columns": names,
                "rows": names.iter().zip(&rows).map(|(n, r)| (n.clone(), json!(r))).collect::<serde_json::Map<_, _>>(),
                "denied": denied,
            });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            );
        }
        "text" => {
            let width = names.iter().map(String::len).max().unwrap_or(4).max(4);
            let _ = writeln!(
                out,
                "{:width$}  {}",
                "from \\ to",
                names
                    .iter()
                    .enumerate()
                    .map(|(i, _)| format!("{i:>3}"))
                    .collect::<String>()
            );
            for (i, (n, r)) in names.iter().zip(&rows).enumerate() {
                let cells: String = r.chars().map(|c| format!("{c:>3}")).collect();
                let _ = writeln!(out, "{n:width$}  {cells}   ({i})");
            }
            let _ = writeln!(
                out,
                "\n. allowed   X denied   - same workload; columns are numbered as the rows"
            );
        }
        other => {
            return Err(Failure::usage(format!(
                "unknown output `{other}`: use text or json"
            )));
        }
    }
    Ok(())
}
