//! [`Lab`]: a running topology. Owns its namespaces and servers and removes them on
//! [`Lab::down`] or drop, including during a panic unwind.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ipnet::IpNet;

use crate::cmd;
use crate::error::LabError;
use crate::netns::{self, in_netns};
use crate::plan::{self, Endpoint, EndpointKind};
use crate::probe::{self, Outcome, Probe};
use crate::receipts::{Receipt, ReceiptStore};
use crate::server::Servers;
use crate::topology::{LabSpec, Listen};
use crate::validate::validate;
use crate::wire;

/// Upper bound on probes in flight in [`Lab::probe_many`]; each holds a thread and a
/// socket, and expected drops hold them for the full timeout.
const MAX_PARALLEL_PROBES: usize = 32;

/// A running lab. See the crate documentation for the topology.
pub struct Lab {
    spec: LabSpec,
    /// Namespaces this lab created, in creation order. Only these are ever deleted.
    namespaces: Vec<String>,
    endpoints: Vec<Endpoint>,
    receipts: Arc<ReceiptStore>,
    /// The servers of the spec, then any started later with [`Lab::serve`].
    servers: Vec<Servers>,
}

impl Lab {
    /// Validates `spec`, creates every namespace, wires links, addresses and routes, and
    /// starts the servers. On failure everything created so far is removed again.
    ///
    /// # Errors
    /// [`LabError::Spec`] for an inconsistent spec (nothing is created), otherwise the
    /// command or system call that failed. A netns name that already exists is an error
    /// (it is never adopted); [`sweep`](crate::sweep) removes leftovers.
    pub fn up(spec: &LabSpec) -> Result<Self, LabError> {
        validate(spec)?;
        let plan = plan::plan(spec);
        let mut lab = Self {
            spec: spec.clone(),
            namespaces: Vec::new(),
            endpoints: plan.endpoints.clone(),
            receipts: Arc::new(ReceiptStore::default()),
            servers: Vec::new(),
        };
        // From here on an early return drops `lab`, which deletes what was created.
        for ns in &plan.namespaces {
            netns::create(ns)?;
            lab.namespaces.push(ns.clone());
        }
        wire::apply(&plan)?;
        let servers = Servers::start(&lab.endpoints, Arc::clone(&lab.receipts))?;
        lab.servers.push(servers);
        Ok(lab)
    }

    /// Starts more servers inside an endpoint's netns, e.g. on a node (SSH for a failsafe
    /// check, a listener on a load balancer's address), which the spec has no servers for.
    /// They bind every address of the netns and stop with the lab.
    ///
    /// # Errors
    /// Unknown endpoint, or a socket could not be opened (e.g. the port is taken).
    pub fn serve(&mut self, endpoint: &str, listen: &[Listen]) -> Result<(), LabError> {
        let mut ep = self
            .endpoint(endpoint)
            .cloned()
            .ok_or_else(|| LabError::Spec(format!("unknown endpoint {endpoint:?}")))?;
        ep.listen = listen.to_vec();
        let servers = Servers::start(&[ep], Arc::clone(&self.receipts))?;
        self.servers.push(servers);
        Ok(())
    }

    /// The spec this lab was built from.
    #[must_use]
    pub fn spec(&self) -> &LabSpec {
        &self.spec
    }

    /// Every netns this lab created, fabric first.
    #[must_use]
    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }

    /// The netns of a node, where the agent and `nft` are meant to run.
    ///
    /// # Panics
    /// When `node` is not a node of this lab; use [`Lab::netns_of`] to ask instead.
    #[must_use]
    pub fn node_netns(&self, node: &str) -> &str {
        self.endpoint(node)
            .filter(|e| e.kind == EndpointKind::Node)
            .map_or_else(
                || panic!("{node:?} is not a node of lab {}", self.spec.prefix),
                |e| e.ns.as_str(),
            )
    }

    /// The netns of a pod, external or node, by name.
    #[must_use]
    pub fn netns_of(&self, endpoint: &str) -> Option<&str> {
        self.endpoint(endpoint).map(|e| e.ns.as_str())
    }

    /// What kind of endpoint a name refers to.
    #[must_use]
    pub fn kind_of(&self, endpoint: &str) -> Option<EndpointKind> {
        self.endpoint(endpoint).map(|e| e.kind)
    }

    /// The addresses of a pod, external or node (all uplinks), as in the spec.
    #[must_use]
    pub fn addrs_of(&self, endpoint: &str) -> Option<&[IpAddr]> {
        self.endpoint(endpoint).map(|e| e.addrs.as_slice())
    }

    fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    /// Raw-protocol packets the lab's servers have received so far.
    #[must_use]
    pub fn receipts(&self) -> Vec<Receipt> {
        self.receipts.all()
    }

    /// Sends one probe and classifies the result. Never panics on network behaviour;
    /// lab problems (unknown source, socket failure) come back as [`Outcome::Error`].
    #[must_use]
    pub fn probe(&self, p: &Probe) -> Outcome {
        let Some(ns) = self.netns_of(&p.from) else {
            return Outcome::Error(format!("unknown probe source {:?}", p.from));
        };
        in_netns(ns, || probe::run(p, &self.receipts))
            .unwrap_or_else(|e| Outcome::Error(e.to_string()))
    }

    /// Runs probes concurrently (at most 32 at a time) and returns outcomes in the same
    /// order, so a batch of expected drops costs about one timeout, not one each.
    #[must_use]
    pub fn probe_many(&self, ps: &[Probe]) -> Vec<Outcome> {
        let results = Mutex::new(vec![None; ps.len()]);
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..ps.len().min(MAX_PARALLEL_PROBES) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = ps.get(i) else { break };
                        let o = self.probe(p);
                        results.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(o);
                    }
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::Error("probe did not run".into())))
            .collect()
    }

    /// Adds a route in `from`'s netns for `dst` via `node`'s address on the first network
    /// they share, e.g. to make a LoadBalancer IP reachable from an external client.
    ///
    /// # Errors
    /// Unknown names, no shared network with an address of `dst`'s family, or `ip` failing.
    pub fn route_via(&self, from: &str, dst: IpNet, node: &str) -> Result<(), LabError> {
        let ns = self
            .netns_of(from)
            .ok_or_else(|| LabError::Spec(format!("unknown endpoint {from:?}")))?;
        let node_spec = self
            .spec
            .nodes
            .iter()
            .find(|n| n.name == node)
            .ok_or_else(|| LabError::Spec(format!("unknown node {node:?}")))?;
        let uplinks = self.uplinks_of(from);
        let (gw, dev) = plan::gateway(&self.spec, node_spec, &uplinks, dst.addr().is_ipv4())
            .ok_or_else(|| {
                LabError::Spec(format!(
                    "{from} shares no network with {node} that has an address for {dst}"
                ))
            })?;
        cmd::ip_batch(ns, &[format!("route replace {dst} via {gw} dev {dev}")])
    }

    fn uplinks_of(&self, name: &str) -> Vec<crate::topology::IfaceSpec> {
        if let Some(n) = self.spec.nodes.iter().find(|n| n.name == name) {
            return n.interfaces.clone();
        }
        self.spec
            .externals
            .iter()
            .filter(|x| x.name == name)
            .map(|x| x.iface.clone())
            .collect()
    }

    /// Runs `program args...` inside an endpoint's netns via `ip netns exec` and returns
    /// its stdout, e.g. `lab.exec("node-1", "nft", &["list", "ruleset"])`.
    ///
    /// # Errors
    /// Unknown endpoint, or the command failing (its stderr is in the error).
    pub fn exec(&self, endpoint: &str, program: &str, args: &[&str]) -> Result<String, LabError> {
        let ns = self
            .netns_of(endpoint)
            .ok_or_else(|| LabError::Spec(format!("unknown endpoint {endpoint:?}")))?;
        let mut full = vec!["netns", "exec", ns, program];
        full.extend_from_slice(args);
        cmd::run("ip", &full, None)
    }

    /// Tears down and reports every step that failed.
    ///
    /// Processes the caller started inside the namespaces (an agent under `ip netns
    /// exec`) keep a netns and its interfaces alive after its name is deleted; stop them
    /// first.
    ///
    /// # Errors
    /// [`LabError::Teardown`] listing the namespaces that could not be deleted.
    pub fn down(mut self) -> Result<(), LabError> {
        let failures = self.teardown();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(LabError::Teardown(failures))
        }
    }

    /// Stops servers first (their sockets pin the namespaces), then deletes namespaces
    /// newest first. Safe to call twice: the second call finds nothing left.
    fn teardown(&mut self) -> Vec<String> {
        for mut s in self.servers.drain(..) {
            s.stop();
        }
        let mut failures = Vec::new();
        while let Some(ns) = self.namespaces.pop() {
            if let Err(e) = netns::delete(&ns) {
                failures.push(e.to_string());
            }
        }
        failures
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Errors cannot be returned from drop; `down` is the way to see them.
        let _ = self.teardown();
    }
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("prefix", &self.spec.prefix)
            .field("namespaces", &self.namespaces)
            .finish_non_exhaustive()
    }
}
