//! `tortie lab run`: up, apply, probe every expected flow, compare with trace, down.

use std::path::Path;
use std::time::Duration;

use tortie_model::resource::Resource;

use super::check::{FlowCheck, Row, check};
use super::datastore::LabStore;
use super::scenario::Scenario;
use super::session::{AgentRunner, Session, Topology};

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct LabReport {
    /// Rows in scenario order.
    pub rows: Vec<Row>,
    /// Seconds from the agents' start to every node programmed.
    pub programmed_after: f64,
    /// Lines Log rules wrote, by node (only when the scenario counts them).
    pub logged: std::collections::BTreeMap<String, Vec<String>>,
}

impl LabReport {
    /// Whether every row agrees.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| r.ok)
    }
}

/// How long a probe waits before calling a flow dropped: long enough that an allowed
/// handshake on a loaded 2-core machine is never mistaken for a drop; the probes of a run
/// wait in parallel, so a run pays it about once.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Reads a scenario file.
///
/// # Errors
/// Unreadable or not a scenario.
pub fn read_scenario(path: &Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let docs =
        tortie_model::yaml::parse_stream(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc = docs
        .first()
        .ok_or_else(|| format!("{}: empty", path.display()))?;
    tortie_model::yaml::from_node(doc).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads and loads the scenario's manifests (every document must be valid).
///
/// # Errors
/// A file is unreadable or a document invalid (file, line and reason in the message).
pub fn manifests(dir: &Path, sc: &Scenario) -> Result<Vec<Resource>, String> {
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

/// The machines of a scenario.
#[must_use]
pub fn topology(sc: &Scenario) -> Topology {
    Topology {
        networks: sc.networks.clone(),
        nodes: sc.nodes.clone(),
        externals: sc.externals.clone(),
        listen: sc.listen.clone(),
        routes: sc.routes.clone(),
    }
}

/// The scenario's expectations as flows to check.
#[must_use]
pub fn expected_flows(sc: &Scenario) -> Vec<FlowCheck> {
    sc.expect
        .iter()
        .map(|e| FlowCheck {
            from: e.from.clone(),
            to: e.to.clone(),
            traffic: e.traffic.clone(),
            v6: e.family == Some(6),
            expected: e.result.clone(),
            logged: e.logged,
        })
        .collect()
}

/// Runs one scenario end to end on the datastore `--datastore` names (`embedded`, `etcd`),
/// the agents enforcing with `backend`. `tortie` is the binary that runs the agents.
///
/// # Errors
/// The scenario or its manifests are invalid, or the store, lab or agents could not start.
pub fn run_scenario(
    path: &Path,
    tortie: &Path,
    datastore: &str,
    backend: tortie_dataplane::Backend,
) -> Result<LabReport, String> {
    let sc = read_scenario(path)?;
    let resources = manifests(path.parent().unwrap_or(Path::new(".")), &sc)?;
    let runner = AgentRunner::Process(tortie.to_path_buf());
    let store = LabStore::start(datastore)?;
    let mut session = Session::up_with(
        &store.store,
        &topology(&sc),
        resources,
        &runner,
        backend,
        "r",
    )?;
    let model = session.sync()?;
    let programmed_after = session.age();
    let rows = check(&session, &model, &expected_flows(&sc), PROBE_TIMEOUT)?;
    let mut logged = std::collections::BTreeMap::new();
    if sc.expect.iter().any(|e| e.logged.is_some()) {
        for n in &sc.nodes {
            logged.insert(n.name.clone(), session.logged(&n.name));
        }
    }
    session.down()?;
    Ok(LabReport {
        rows,
        programmed_after,
        logged,
    })
}
