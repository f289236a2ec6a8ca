//! A decision as a short story a person reads at a glance.

use std::fmt::Write as _;

use crate::decision::{Decision, Step, StepVerdict, Verdict};

fn verdict_word(v: StepVerdict) -> &'static str {
    match v {
        StepVerdict::Allow => "ALLOW",
        StepVerdict::Deny => "DENY",
        StepVerdict::Continue => "no match, goes on",
        StepVerdict::Info => "",
    }
}

fn heading(step: &Step) -> String {
    match &step.endpoint {
        Some(e) => format!("{} of {e}", step.checkpoint),
        None => step.checkpoint.clone(),
    }
}

/// Renders a decision as text.
#[must_use]
pub fn explain(d: &Decision) -> String {
    let mut out = String::new();
    let peer = |p: &crate::decision::PeerSummary| {
        let mut s = p.description.clone();
        let extra: Vec<String> = p
            .address
            .iter()
            .cloned()
            .chain(p.node.iter().map(|n| format!("node {n}")))
            .collect();
        if !extra.is_empty() && !s.contains(extra[0].as_str()) {
            s.push_str(&format!(" ({})", extra.join(", ")));
        }
        s
    };
    let _ = writeln!(
        out,
        "{} from {} to {}",
        d.traffic,
        peer(&d.source),
        peer(&d.destination)
    );
    let _ = writeln!(
        out,
        "verdict: {}\n",
        match d.verdict {
            Verdict::Allow => "ALLOW",
            Verdict::Deny => "DENY",
        }
    );
    for (i, step) in d.steps.iter().enumerate() {
        let h = heading(step);
        let _ = writeln!(out, "{:>2}. {h:<58} {}", i + 1, verdict_word(step.verdict));
        let _ = writeln!(out, "    {}", step.packet);
        let _ = writeln!(out, "    {}", step.reason);
        if let Some(rule) = &step.rule {
            let _ = writeln!(out, "    rule: {rule}");
        }
        for log in &step.logged {
            let where_ = if log.tier.is_empty() {
                log.policy.clone()
            } else {
                format!("{} (tier `{}`)", log.policy, log.tier)
            };
            let _ = writeln!(
                out,
                "    logged by rule {} of {where_} (Log goes on to the next rule)",
                log.rule
            );
        }
    }
    if !d.staged.is_empty() {
        let _ = writeln!(out, "\nstaged policies (not enforced) would change this:");
        for s in &d.staged {
            let who = s
                .endpoint
                .as_deref()
                .map(|e| format!(" of {e}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  - {}{who}: {} ({})",
                s.checkpoint,
                verdict_word(s.verdict),
                s.reason
            );
        }
    }
    if !d.notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for n in &d.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}
