//! Probing flows and asking trace the same question: one row per flow, with what was
//! expected, what the packet did, and what trace says.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use std::time::Duration;

use tortie_calc::Model;
use tortie_eval::{Flow, ModelTopology, Verdict, decide, endpoint_arg};
use tortie_lab::{Outcome, Probe, Proto};

use super::session::Session;

/// One flow to check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FlowCheck {
    /// `NAMESPACE/POD`, an external's name, or `node/NAME`.
    pub from: String,
    /// The same forms, or an address (a Service's cluster or load-balancer IP).
    pub to: String,
    /// `tcp/80`, `udp/53`, `sctp/9`, `icmp`, `icmpv6`, `proto/112`.
    pub traffic: String,
    /// Which address family.
    pub v6: bool,
    /// `allow` or `deny`; empty when nothing is expected (`tortie lab probe`).
    pub expected: String,
    /// How many lines Log rules must write for this probe on the destination's node (its
    /// agent's `packets.log`, matched by source, destination, protocol and port).
    #[serde(default)]
    pub logged: Option<usize>,
}

/// One row of the matrix.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Source.
    pub from: String,
    /// Destination and the address probed.
    pub to: String,
    /// Traffic.
    pub traffic: String,
    /// Expected `allow`/`deny` (empty: no expectation).
    pub expected: String,
    /// What the probe saw.
    pub probe: String,
    /// The probe as `allow`/`deny`/`error`.
    pub seen: String,
    /// What trace said (`allow`/`deny`/`error: ...`).
    pub trace: String,
    /// Log lines seen for the probe, and how many were expected, when that is checked.
    #[serde(default)]
    pub logged: Option<(usize, usize)>,
    /// Probe and trace agree, and with the expectation when there is one (and the number
    /// of log lines, when that is checked).
    pub ok: bool,
}

/// A probe's protocol and port, and the trace flow's protocol number and ICMP type/code.
type Traffic = (Proto, u16, u8, Option<(u8, Option<u8>)>);

/// Parses `tcp/80`-style traffic for a family.
///
/// # Errors
/// Unknown protocol or bad number.
pub fn traffic(text: &str, v6: bool) -> Result<Traffic, String> {
    let (proto, port) = text.split_once('/').unwrap_or((text, "0"));
    let port: u16 = port.parse().map_err(|_| format!("bad traffic {text:?}"))?;
    let echo = if v6 { (58, 128) } else { (1, 8) };
    Ok(match proto {
        "tcp" => (Proto::Tcp, port, 6, None),
        "udp" => (Proto::Udp, port, 17, None),
        "sctp" => (Proto::Raw(132), port, 132, None),
        "icmp" | "icmpv6" => (Proto::Icmp, 0, echo.0, Some((echo.1, Some(0)))),
        "proto" => {
            let n = u8::try_from(port).map_err(|_| format!("bad protocol in {text:?}"))?;
            (Proto::Raw(n), 0, n, None)
        }
        other => return Err(format!("unknown traffic {other:?}")),
    })
}

/// What `tortie trace` says about one flow.
fn trace(model: &Model, src: &str, dst: IpAddr, t: &Traffic) -> String {
    let (_, port, number, icmp) = *t;
    match (
        endpoint_arg::parse(model, src),
        endpoint_arg::parse(model, &dst.to_string()),
    ) {
        (Ok(s), Ok(d)) => {
            let flow = Flow {
                src: s,
                dst: d,
                protocol: number,
                src_port: None,
                dst_port: (port != 0).then_some(port),
                icmp,
                backend: None,
            };
            match decide(model, &flow, &ModelTopology { via: None }) {
                Ok(dec) if dec.verdict == Verdict::Allow => "allow".to_string(),
                Ok(_) => "deny".to_string(),
                Err(err) => format!("error: {err}"),
            }
        }
        (Err(err), _) | (_, Err(err)) => format!("error: {err:?}"),
    }
}

/// Sends every flow's packets at once, then traces each; rows in the same order.
///
/// # Errors
/// A flow names something the lab does not have, or has bad traffic.
pub fn check(
    session: &Session,
    model: &Model,
    flows: &[FlowCheck],
    timeout: Duration,
) -> Result<Vec<Row>, String> {
    let addrs = session.addresses();
    let mut probes = Vec::new();
    let mut planned = Vec::new();
    for f in flows {
        let fam = if f.v6 { 6 } else { 4 };
        let to = match f.to.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => addrs
                .toward(&f.from, &f.to, f.v6)
                .ok_or_else(|| format!("{} has no IPv{fam} address", f.to))?,
        };
        let t = traffic(&f.traffic, f.v6)?;
        let from = f.from.strip_prefix("node/").unwrap_or(&f.from).to_string();
        probes.push(Probe::new(from, to, t.0, t.1).timeout(timeout));
        // Trace knows pods and nodes by name, externals by address.
        let src = if addrs.externals.contains_key(&f.from) {
            addrs
                .of(&f.from, f.v6)
                .map(|a| a.to_string())
                .ok_or_else(|| format!("{} has no IPv{fam} address", f.from))?
        } else {
            f.from.clone()
        };
        planned.push((src, to, t));
    }
    let outcomes = session.lab().probe_many(&probes);
    let mut rows = Vec::new();
    for ((f, outcome), (src, to, t)) in flows.iter().zip(outcomes).zip(planned) {
        let seen = match &outcome {
            Outcome::Delivered | Outcome::Refused => "allow",
            Outcome::Dropped | Outcome::Unreachable(_) => "deny",
            Outcome::Error(_) => "error",
        };
        let trace = trace(model, &src, to, &t);
        let agree = seen == trace && (f.expected.is_empty() || f.expected == seen);
        rows.push(Row {
            from: f.from.clone(),
            to: if f.to.parse::<IpAddr>().is_ok() {
                f.to.clone()
            } else {
                format!("{} ({to})", f.to)
            },
            traffic: f.traffic.clone(),
            expected: f.expected.clone(),
            probe: outcome.to_string(),
            seen: seen.to_string(),
            ok: agree,
            logged: None,
            trace,
        });
    }
    count_logged(session, flows, &mut rows)?;
    Ok(rows)
}

/// What identifies a probe's packets in a LOG-style line.
struct LogMatch {
    node: String,
    src: String,
    dst: String,
    proto: &'static str,
    dport: Option<u16>,
}

impl LogMatch {
    fn of(session: &Session, f: &FlowCheck, row: &Row) -> Result<LogMatch, String> {
        let addrs = session.addresses();
        let src = addrs
            .of(&f.from, f.v6)
            .ok_or_else(|| format!("{} has no address to find in log lines", f.from))?;
        let dst = row
            .to
            .rsplit_once(" (")
            .map_or(row.to.as_str(), |(_, a)| a.trim_end_matches(')'));
        let node = session.node_of(&f.to).ok_or_else(|| {
            format!(
                "log lines are counted on a pod's or node's node, not for {}",
                f.to
            )
        })?;
        let (proto, port, ..) = traffic(&f.traffic, f.v6)?;
        let proto = match (proto, f.v6) {
            (Proto::Tcp, _) => "TCP",
            (Proto::Udp, _) => "UDP",
            (Proto::Icmp, false) => "ICMP",
            (Proto::Icmp, true) => "ICMPv6",
            (Proto::Raw(_), _) => "",
        };
        Ok(LogMatch {
            node,
            // The kernel's format writes IPv6 addresses in full; compare parsed addresses.
            src: src.to_string(),
            dst: dst.to_string(),
            proto,
            dport: (port != 0).then_some(port),
        })
    }

    fn matches(&self, line: &str) -> bool {
        let Some(f) = tortie_logs::LineFields::parse(line) else {
            return false;
        };
        let same = |key: &str, want: &str| {
            f.get(key).and_then(|v| v.parse::<IpAddr>().ok()) == want.parse::<IpAddr>().ok()
        };
        same("SRC", &self.src)
            && same("DST", &self.dst)
            && (self.proto.is_empty() || f.get("PROTO") == Some(self.proto))
            && self
                .dport
                .is_none_or(|p| f.get("DPT") == Some(p.to_string().as_str()))
    }
}

/// Counts the Log lines of the flows that expect some (or none), waiting for lines still
/// on their way from the kernel through the agent.
fn count_logged(session: &Session, flows: &[FlowCheck], rows: &mut [Row]) -> Result<(), String> {
    let mut wanted = Vec::new();
    for (i, f) in flows.iter().enumerate() {
        if let Some(n) = f.logged {
            wanted.push((i, LogMatch::of(session, f, &rows[i])?, n));
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let start = std::time::Instant::now();
    loop {
        let mut lines: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        for (_, m, _) in &wanted {
            lines
                .entry(m.node.as_str())
                .or_insert_with(|| session.logged(&m.node));
        }
        let counts: Vec<usize> = wanted
            .iter()
            .map(|(_, m, _)| {
                lines[m.node.as_str()]
                    .iter()
                    .filter(|l| m.matches(l))
                    .count()
            })
            .collect();
        let reached = wanted.iter().zip(&counts).all(|((_, _, n), c)| c >= n);
        // A short grace lets a line that should not exist show up; then stop once every
        // expected line has arrived, or after a deadline.
        let waited = start.elapsed();
        if (reached && waited >= Duration::from_millis(500)) || waited >= Duration::from_secs(3) {
            for ((i, _, n), c) in wanted.iter().zip(counts) {
                rows[*i].logged = Some((c, *n));
                rows[*i].ok &= c == *n;
            }
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
