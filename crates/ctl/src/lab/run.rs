//! Running a scenario: datastore, lab, agents, probes, trace, matrix.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use tortie_calc::Model;
use tortie_datastore::{Client, Embedded, Write};
use tortie_eval::{Flow, ModelTopology, Verdict, decide, endpoint_arg};
use tortie_lab::{
    HostSpec, IfaceSpec, Lab, LabSpec, Listen, NetworkSpec, NodeSpec, Outcome, PodSpec, Probe,
    Proto,
};
use tortie_model::resource::Resource;

use super::scenario::Scenario;

/// One row of the matrix.
#[derive(Debug, Clone)]
pub struct Row {
    /// Source.
    pub from: String,
    /// Destination and the address probed.
    pub to: String,
    /// Traffic.
    pub traffic: String,
    /// Expected `allow`/`deny`.
    pub expected: String,
    /// What the probe saw.
    pub probe: String,
    /// What trace said (`allow`/`deny`).
    pub trace: String,
    /// All three agree.
    pub ok: bool,
}

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct LabReport {
    /// Rows in scenario order.
    pub rows: Vec<Row>,
    /// Seconds from the agents' start to every node programmed.
    pub programmed_after: f64,
}

impl LabReport {
    /// Whether every row agrees.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| r.ok)
    }
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Agents started for a run; killed on drop.
struct Agents(Vec<Child>);

impl Drop for Agents {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn parse_listen(text: &str) -> Result<Listen, String> {
    let (proto, port) = text.split_once('/').unwrap_or((text, "0"));
    let port: u16 = port.parse().map_err(|_| format!("bad port in {text:?}"))?;
    let proto = match proto {
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        "sctp" => Proto::Raw(132),
        "icmp" | "icmpv6" => Proto::Icmp,
        "proto" => Proto::Raw(u8::try_from(port).map_err(|_| format!("bad protocol {text:?}"))?),
        other => return Err(format!("unknown protocol {other:?} in {text:?}")),
    };
    Ok(Listen { proto, port })
}

fn nets(addrs: &[String]) -> Result<Vec<IpNet>, String> {
    addrs
        .iter()
        .map(|a| a.parse::<IpNet>().map_err(|e| format!("address {a}: {e}")))
        .collect()
}

/// Reads and loads the scenario's manifests (every document must be valid).
fn manifests(dir: &Path, sc: &Scenario) -> Result<Vec<Resource>, String> {
    let mut out = Vec::new();
    for file in &sc.manifests {
        let path = dir.join(file);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let loaded = tortie_model::load::load_str(&text, &path.display().to_string())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for l in loaded {
            let r = l
                .result
                .map_err(|e| format!("{}:{}: {e}", path.display(), l.origin.line))?;
            out.push(r);
        }
    }
    Ok(out)
}

fn model_of(client: &Client) -> Result<Model, String> {
    let listed = client.list_acted_on().map_err(|e| e.to_string())?;
    Ok(Model::from_resources(&listed.items))
}

/// Waits until every agent's status says it programmed `revision`.
fn wait_programmed(
    dir: &Path,
    nodes: &[String],
    revision: u64,
    agents: &mut Agents,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut pending = Vec::new();
        for n in nodes {
            let status = tortie_agent::Status::read(&dir.join(format!("{n}.status.json")));
            let ok = status.as_ref().is_ok_and(|s| {
                s["ready"].as_bool() == Some(true)
                    && s["programmedRevision"].as_u64().unwrap_or(0) >= revision
            });
            if !ok {
                pending.push(n.clone());
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        for c in &mut agents.0 {
            if let Ok(Some(status)) = c.try_wait() {
                return Err(format!(
                    "an agent exited ({status}); see its log in {}",
                    dir.display()
                ));
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "agents on {pending:?} did not program revision {revision} within 30 s"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A probe's protocol and port, and the trace flow's protocol number and ICMP type/code.
type Traffic = (Proto, u16, u8, Option<(u8, Option<u8>)>);

fn traffic(text: &str) -> Result<Traffic, String> {
    let (proto, port) = text.split_once('/').unwrap_or((text, "0"));
    let port: u16 = port.parse().map_err(|_| format!("bad traffic {text:?}"))?;
    Ok(match proto {
        "tcp" => (Proto::Tcp, port, 6, None),
        "udp" => (Proto::Udp, port, 17, None),
        "sctp" => (Proto::Raw(132), port, 132, None),
        "icmp" => (Proto::Icmp, 0, 1, Some((8, Some(0)))),
        "icmpv6" => (Proto::Icmp, 0, 58, Some((128, Some(0)))),
        "proto" => {
            let n = u8::try_from(port).map_err(|_| format!("bad protocol in {text:?}"))?;
            (Proto::Raw(n), 0, n, None)
        }
        other => return Err(format!("unknown traffic {other:?}")),
    })
}

/// Runs one scenario end to end. `tortie` is the binary that runs the agents.
///
/// # Errors
/// The scenario or its manifests are invalid, or the lab or agents could not start.
pub fn run_scenario(path: &Path, tortie: &Path) -> Result<LabReport, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let docs =
        tortie_model::yaml::parse_stream(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc = docs
        .first()
        .ok_or_else(|| format!("{}: empty", path.display()))?;
    let sc: Scenario =
        tortie_model::yaml::from_node(doc).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let resources = manifests(base, &sc)?;

    let run = RUNS.fetch_add(1, Ordering::SeqCst);
    let prefix = format!("tl{}x{run}", std::process::id() % 1_000_000);
    let tmp = TempDir(std::env::temp_dir().join(format!("tortie-lab-{prefix}")));
    std::fs::create_dir_all(&tmp.0).map_err(|e| e.to_string())?;
    let store_dir = tmp.0.join("store");
    let backend = Embedded::open(&store_dir).map_err(|e| e.to_string())?;
    let client = Client::new(Arc::new(backend));
    client
        .write(
            resources
                .into_iter()
                .map(|resource| Write::Apply { resource })
                .collect(),
        )
        .map_err(|e| format!("applying the manifests: {e}"))?;

    // Pods from the workload endpoints the datastore derived.
    let model = model_of(&client)?;
    let mut listen: BTreeMap<String, Vec<Listen>> = BTreeMap::new();
    for (who, items) in &sc.listen {
        listen.insert(
            who.clone(),
            items
                .iter()
                .map(|t| parse_listen(t))
                .collect::<Result<_, _>>()?,
        );
    }
    let mut pods_by_node: BTreeMap<String, Vec<PodSpec>> = BTreeMap::new();
    let mut pod_addrs: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    for e in model.entities() {
        let ent = &e.entity;
        if ent.kind != tortie_calc::resolve::entity::EntityKind::Workload {
            continue;
        }
        let (Some(node), Some(iface)) = (&ent.node, &ent.interface) else {
            continue;
        };
        let name = format!(
            "{}/{}",
            ent.namespace.clone().unwrap_or_default(),
            ent.source
                .rsplit(' ')
                .next()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default()
        );
        let addrs: Vec<IpAddr> = ent.addresses.iter().map(IpNet::addr).collect();
        pod_addrs.insert(name.clone(), addrs.clone());
        pods_by_node.entry(node.clone()).or_default().push(PodSpec {
            name: name.clone(),
            host_iface: iface.clone(),
            addrs,
            listen: listen.get(&name).cloned().unwrap_or_default(),
        });
    }
    let networks = if sc.networks.is_empty() {
        vec!["fabric".to_string()]
    } else {
        sc.networks.clone()
    };
    let mut node_addrs: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    let mut spec = LabSpec {
        prefix: prefix.clone(),
        networks: networks
            .iter()
            .map(|n| NetworkSpec { name: n.clone() })
            .collect(),
        nodes: Vec::new(),
        externals: Vec::new(),
    };
    for m in &sc.nodes {
        let mut interfaces = Vec::new();
        for i in &m.interfaces {
            let addrs = nets(&i.addresses)?;
            node_addrs
                .entry(m.name.clone())
                .or_default()
                .extend(addrs.iter().map(IpNet::addr));
            interfaces.push(IfaceSpec {
                name: i.name.clone(),
                network: i.network.clone(),
                addrs,
            });
        }
        spec.nodes.push(NodeSpec {
            name: m.name.clone(),
            interfaces,
            pods: pods_by_node.remove(&m.name).unwrap_or_default(),
        });
    }
    if let Some(node) = pods_by_node.keys().next() {
        return Err(format!(
            "pods are on node {node}, which the scenario does not define"
        ));
    }
    let mut external_addrs: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    for x in &sc.externals {
        let addrs = nets(&x.interface.addresses)?;
        external_addrs.insert(x.name.clone(), addrs.iter().map(IpNet::addr).collect());
        spec.externals.push(HostSpec {
            name: x.name.clone(),
            iface: IfaceSpec {
                name: x.interface.name.clone(),
                network: x.interface.network.clone(),
                addrs,
            },
            listen: listen.get(&x.name).cloned().unwrap_or_default(),
        });
    }
    let lab = Lab::up(&spec).map_err(|e| format!("building the lab: {e}"))?;

    // One agent per node, inside the node's namespace.
    let started = Instant::now();
    let mut agents = Agents(Vec::new());
    let node_names: Vec<String> = sc.nodes.iter().map(|n| n.name.clone()).collect();
    for n in &node_names {
        let log =
            std::fs::File::create(tmp.0.join(format!("{n}.log"))).map_err(|e| e.to_string())?;
        let child = Command::new("ip")
            .args(["netns", "exec", lab.node_netns(n)])
            .arg(tortie)
            .args([
                "agent",
                "--node",
                n,
                "--drift-interval",
                "5",
                "--status-file",
            ])
            .arg(tmp.0.join(format!("{n}.status.json")))
            .env("TORTIE_DATASTORE", &store_dir)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting the agent of {n}: {e}"))?;
        agents.0.push(child);
    }
    let revision = client.revision().map_err(|e| e.to_string())?;
    wait_programmed(&tmp.0, &node_names, revision, &mut agents)?;
    let programmed_after = started.elapsed().as_secs_f64();
    // The agents registered their Nodes: trace reads the same store.
    let model = model_of(&client)?;

    let addr_of = |who: &str, v6: bool| -> Option<IpAddr> {
        let list = pod_addrs
            .get(who)
            .or_else(|| external_addrs.get(who))
            .or_else(|| who.strip_prefix("node/").and_then(|n| node_addrs.get(n)))?;
        list.iter().copied().find(|a| a.is_ipv6() == v6)
    };
    let mut probes = Vec::new();
    let mut flows = Vec::new();
    for e in &sc.expect {
        let v6 = e.family == Some(6);
        let to = addr_of(&e.to, v6)
            .ok_or_else(|| format!("{} has no IPv{} address", e.to, if v6 { 6 } else { 4 }))?;
        let (proto, port, number, icmp) = traffic(&e.traffic)?;
        let from = e.from.strip_prefix("node/").unwrap_or(&e.from).to_string();
        probes.push(Probe::new(from, to, proto, port).timeout(Duration::from_millis(800)));
        let src = if external_addrs.contains_key(&e.from) {
            addr_of(&e.from, v6)
                .map(|a| a.to_string())
                .unwrap_or_default()
        } else {
            e.from.clone()
        };
        let icmp = if v6 {
            icmp.map(|_| (128, Some(0)))
        } else {
            icmp
        };
        let number = if v6 && number == 1 { 58 } else { number };
        flows.push((src, to, number, (port != 0).then_some(port), icmp));
    }
    let outcomes = lab.probe_many(&probes);
    let mut report = LabReport {
        rows: Vec::new(),
        programmed_after,
    };
    for ((e, outcome), (src, to, number, port, icmp)) in sc.expect.iter().zip(outcomes).zip(flows) {
        let seen = match &outcome {
            Outcome::Delivered | Outcome::Refused => "allow",
            Outcome::Dropped | Outcome::Unreachable(_) => "deny",
            Outcome::Error(_) => "error",
        };
        let trace = match (
            endpoint_arg::parse(&model, &src),
            endpoint_arg::parse(&model, &to.to_string()),
        ) {
            (Ok(s), Ok(d)) => {
                let flow = Flow {
                    src: s,
                    dst: d,
                    protocol: number,
                    src_port: None,
                    dst_port: port,
                    icmp,
                    backend: None,
                };
                match decide(&model, &flow, &ModelTopology { via: None }) {
                    Ok(dec) if dec.verdict == Verdict::Allow => "allow".to_string(),
                    Ok(_) => "deny".to_string(),
                    Err(err) => format!("error: {err}"),
                }
            }
            (Err(err), _) | (_, Err(err)) => format!("error: {err:?}"),
        };
        report.rows.push(Row {
            from: e.from.clone(),
            to: format!("{} ({to})", e.to),
            traffic: e.traffic.clone(),
            expected: e.result.clone(),
            probe: outcome.to_string(),
            ok: seen == e.result && trace == e.result,
            trace,
        });
    }
    drop(agents);
    lab.down()
        .map_err(|e| format!("tearing the lab down: {e}"))?;
    Ok(report)
}
