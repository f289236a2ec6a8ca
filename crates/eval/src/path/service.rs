//! kube-proxy's part: a packet to a Service address or a node port is DNATed to a backend.

use std::net::IpAddr;
use std::sync::Arc;

use tortie_calc::Model;
use tortie_calc::resolve::service::Service;
use tortie_calc::{EntityId, EntityState};

/// A DNAT kube-proxy would do.
pub struct Dnat {
    /// The Service.
    pub service: Arc<Service>,
    /// The backend chosen.
    pub backend: Arc<EntityState>,
    /// The backend's address.
    pub ip: Option<IpAddr>,
    /// The backend's port.
    pub port: Option<u16>,
    /// How many backends there are.
    pub backends: usize,
    /// Whether the packet came in through a node port.
    pub via_node_port: bool,
}

/// Finds the Service a packet is addressed to: a cluster or external address and a service
/// port, or (when `node_address` says the destination is a node) a node port.
#[must_use]
pub fn find(
    model: &Model,
    dst: Option<IpAddr>,
    port: Option<u16>,
    protocol: u8,
    node_address: bool,
    choice: Option<&EntityId>,
) -> Option<Dnat> {
    let (dst, port) = (dst?, port?);
    for svc in model.services() {
        for sp in svc.ports.iter().filter(|sp| sp.protocol == protocol) {
            let by_address = sp.port == port
                && (svc.cluster_ips.contains(&dst) || svc.external_ips.contains(&dst));
            let by_node_port = node_address && sp.node_port == Some(port);
            if !by_address && !by_node_port {
                continue;
            }
            let backends = model.service_backends(svc);
            let chosen = choice
                .and_then(|c| backends.iter().find(|b| &b.entity.id == c))
                .or_else(|| backends.first())
                .map(|b| Arc::clone(b));
            let backend = chosen?;
            let v6 = dst.is_ipv6();
            let ip = backend
                .entity
                .addresses
                .iter()
                .map(ipnet::IpNet::addr)
                .find(|a| a.is_ipv6() == v6);
            return Some(Dnat {
                service: Arc::clone(svc),
                port: Model::backend_port(&backend, &sp.target, protocol),
                backend,
                ip,
                backends: backends.len(),
                via_node_port: by_node_port && !by_address,
            });
        }
    }
    None
}
