//! `tortie query endpoint EP` and `tortie query policy NAME`: what applies to an endpoint, in
//! order; and what a policy selects.

use std::io::Write;

use serde_json::json;
use tortie_calc::resolve::entity::EntityKind;
use tortie_calc::resolve::policy::{EntityMatch, Policy, Stage};
use tortie_calc::{Direction, EntityId, Model, PolicyKind};
use tortie_eval::Peer;

use super::common::Failure;
use super::snapshot;
use crate::cli::{QueryArgs, QueryWhat};

fn policy_json(p: &Policy) -> serde_json::Value {
    json!({"kind": p.id.kind.name(), "namespace": p.id.namespace, "name": p.id.name, "order": p.order, "staged": p.staged})
}

fn float(f: Option<f64>) -> String {
    f.map_or_else(
        || "none".into(),
        |v| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                v.to_string()
            }
        },
    )
}

fn chains_of(
    model: &Model,
    id: &EntityId,
    host: bool,
) -> Vec<(String, Direction, Vec<tortie_calc::TierRun>, bool)> {
    let stages: Vec<(&str, Stage, bool, Vec<Direction>)> = if host {
        vec![
            (
                "untracked",
                Stage::Untracked,
                false,
                vec![Direction::Ingress, Direction::Egress],
            ),
            ("pre-DNAT", Stage::PreDnat, false, vec![Direction::Ingress]),
            (
                "normal (to and from the host)",
                Stage::Normal,
                false,
                vec![Direction::Ingress, Direction::Egress],
            ),
            (
                "forward (applyOnForward)",
                Stage::Normal,
                true,
                vec![Direction::Ingress, Direction::Egress],
            ),
        ]
    } else {
        vec![(
            "workload",
            Stage::Normal,
            false,
            vec![Direction::Ingress, Direction::Egress],
        )]
    };
    let mut out = Vec::new();
    for (name, stage, forward, dirs) in stages {
        for dir in dirs {
            let runs = model.tiers_for(id, dir, &|p| {
                p.stage == stage && (!forward || p.apply_on_forward)
            });
            let profiles = name.starts_with("workload") || name.starts_with("normal");
            out.push((name.to_string(), dir, runs, profiles));
        }
    }
    out
}

fn endpoint(model: &Model, text: &str, json_out: bool, out: &mut dyn Write) -> Result<(), Failure> {
    let id = match snapshot::peer(model, text)? {
        Peer::Entity(id) => id,
        Peer::Ip(ip) => model
            .entities_containing(ip)
            .into_iter()
            .find(|e| e.entity.kind != EntityKind::NetworkSet)
            .map(|e| e.entity.id.clone())
            .ok_or_else(|| Failure::resource(format!("no endpoint has address {ip}")))?,
        Peer::Node(_) => {
            return Err(Failure::usage(
                "query an endpoint: a pod, workload endpoint, controller, hep/NAME or address",
            ));
        }
    };
    let state = model
        .entity(&id)
        .ok_or_else(|| Failure::resource(format!("{id} is not known")))?;
    let host = state.entity.kind == EntityKind::Host;
    let chains = chains_of(model, &id, host);
    if json_out {
        let v = json!({
            "endpoint": state.entity.source,
            "node": state.entity.node,
            "addresses": state.entity.addresses.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "labels": &*state.labels,
            "profiles": state.entity.profiles,
            "chains": chains.iter().map(|(stage, dir, runs, profiles)| json!({
                "stage": stage,
                "direction": dir.to_string(),
                "tiers": runs.iter().map(|r| json!({
                    "tier": r.tier.name,
                    "order": r.tier.order,
                    "defaultAction": r.tier.default_action.as_str(),
                    "policies": r.policies.iter().map(|p| policy_json(p)).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "profiles": if *profiles { state.entity.profiles.clone() } else { Vec::new() },
            })).collect::<Vec<_>>(),
        });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        );
        return Ok(());
    }
    let addrs: Vec<String> = state
        .entity
        .addresses
        .iter()
        .map(ToString::to_string)
        .collect();
    let _ = writeln!(
        out,
        "{} on node {} ({})",
        state.entity.source,
        state.entity.node.as_deref().unwrap_or("?"),
        if addrs.is_empty() {
            "no address".into()
        } else {
            addrs.join(", ")
        }
    );
    let labels: Vec<String> = state
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let _ = writeln!(out, "labels: {}", labels.join(", "));
    for (stage, dir, runs, profiles) in &chains {
        let _ = writeln!(out, "\n{stage} {dir}:");
        if runs.is_empty() {
            let _ = writeln!(out, "  no policy applies");
        }
        for r in runs {
            let _ = writeln!(
                out,
                "  tier {} (order {}, end of tier: {})",
                r.tier.name,
                float(r.tier.order),
                r.tier.default_action.as_str()
            );
            for (i, p) in r.policies.iter().enumerate() {
                let staged = if p.staged {
                    "  [staged: evaluated, not enforced]"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "    {}. {} (order {}){staged}",
                    i + 1,
                    p.id,
                    float(p.order)
                );
            }
        }
        if *profiles {
            let list = if state.entity.profiles.is_empty() {
                "none (deny)".into()
            } else {
                state.entity.profiles.join(", ")
            };
            let _ = writeln!(out, "  then profiles: {list}");
        }
    }
    Ok(())
}

fn members(model: &Model, em: &EntityMatch) -> Option<Vec<String>> {
    em.selector.as_ref().map(|s| {
        model
            .members(s)
            .iter()
            .map(|e| e.entity.source.clone())
            .collect()
    })
}

fn policy(
    model: &Model,
    name: &str,
    namespace: Option<&str>,
    json_out: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let found: Vec<_> = model
        .policies()
        .filter(|p| p.id.name == name || p.id.name == format!("knp.default.{name}"))
        .filter(|p| namespace.is_none_or(|ns| p.id.namespace == ns || p.id.namespace.is_empty()))
        .collect();
    let Some(p) = found
        .iter()
        .find(|p| p.id.kind == PolicyKind::GlobalNetworkPolicy || namespace.is_some())
        .or(found.first())
    else {
        let why = model
            .unusable_policies()
            .iter()
            .find(|(id, _)| id.name == name)
            .map(|(_, r)| format!(" (it is not usable: {r})"))
            .unwrap_or_default();
        return Err(Failure::resource(format!("no policy named `{name}`{why}")));
    };
    let selected: Vec<String> = model
        .members(&p.selector)
        .iter()
        .filter(|e| e.entity.id.is_endpoint())
        .map(|e| e.entity.source.clone())
        .collect();
    let mut rules = Vec::new();
    for (dir, list) in [("ingress", &p.ingress), ("egress", &p.egress)] {
        for r in list.iter().flatten() {
            rules.push(json!({
                "direction": dir,
                "index": r.index,
                "action": r.wire.action.as_str(),
                "source": members(model, &r.source),
                "destination": members(model, &r.destination),
            }));
        }
    }
    if json_out {
        let v = json!({"policy": policy_json(p), "tier": p.tier, "selector": p.selector.to_string(), "selects": selected, "rules": rules});
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        );
        return Ok(());
    }
    let _ = writeln!(
        out,
        "{} (tier {}, order {}){}",
        p.id,
        p.tier,
        float(p.order),
        if p.staged { " [staged]" } else { "" }
    );
    let _ = writeln!(out, "selector: {}", p.selector);
    let _ = writeln!(
        out,
        "selects {} endpoint(s): {}",
        selected.len(),
        selected.join(", ")
    );
    for r in &rules {
        let _ = writeln!(
            out,
            "{} rule {} ({}):",
            r["direction"].as_str().unwrap_or(""),
            r["index"],
            r["action"].as_str().unwrap_or("")
        );
        for end in ["source", "destination"] {
            if let Some(list) = r[end].as_array() {
                let names: Vec<&str> = list.iter().filter_map(|v| v.as_str()).collect();
                let _ = writeln!(
                    out,
                    "  {end} selector matches {}: {}",
                    names.len(),
                    names.join(", ")
                );
            }
        }
    }
    Ok(())
}

pub fn run(args: &QueryArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let model = snapshot::load(&args.source, &args.target, err)?;
    let json_out = match args.output.as_str() {
        "text" => false,
        "json" => true,
        other => {
            return Err(Failure::usage(format!(
                "unknown output `{other}`: use text or json"
            )));
        }
    };
    match &args.what {
        QueryWhat::Endpoint { endpoint: ep } => endpoint(&model, ep, json_out, out),
        QueryWhat::Policy { name } => policy(
            &model,
            name,
            args.target.namespace.as_deref(),
            json_out,
            out,
        ),
    }
}
