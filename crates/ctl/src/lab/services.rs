//! What kube-proxy would install on a node for the Services in the model, in the lab's
//! stand-in form: one backend per service port, the one `tortie trace` picks (the first
//! backend by name), so the packet and the explanation follow the same path.

use tortie_calc::Model;
use tortie_lab::{Proto, ServiceNat};

/// NAT entries for `node`: cluster and external addresses, and node ports, of every Service
/// port over TCP or UDP that has a backend with an address of the address's family.
#[must_use]
pub fn nat_for(model: &Model, node: &str) -> Vec<ServiceNat> {
    let mut out = Vec::new();
    for svc in model.services() {
        let backends = model.service_backends(svc);
        let Some(backend) = backends.first() else {
            continue;
        };
        let remote = backend.entity.node.as_deref() != Some(node);
        for sp in &svc.ports {
            let proto = match sp.protocol {
                6 => Proto::Tcp,
                17 => Proto::Udp,
                _ => continue,
            };
            let Some(port) = Model::backend_port(backend, &sp.target, sp.protocol) else {
                continue;
            };
            let name = format!("{}/{}:{}", svc.namespace, svc.name, sp.port);
            let addr_of = |v6: bool| {
                backend
                    .entity
                    .addresses
                    .iter()
                    .map(ipnet::IpNet::addr)
                    .find(|a| a.is_ipv6() == v6)
            };
            for vip in svc.cluster_ips.iter().chain(&svc.external_ips) {
                if let Some(b) = addr_of(vip.is_ipv6()) {
                    out.push(ServiceNat {
                        name: name.clone(),
                        vip: Some(*vip),
                        port: sp.port,
                        proto,
                        node_port: None,
                        backend: (b, port),
                        masquerade: remote,
                    });
                }
            }
            if let Some(np) = sp.node_port {
                for b in [addr_of(false), addr_of(true)].into_iter().flatten() {
                    out.push(ServiceNat {
                        name: name.clone(),
                        vip: None,
                        port: sp.port,
                        proto,
                        node_port: Some(np),
                        backend: (b, port),
                        masquerade: remote,
                    });
                }
            }
        }
    }
    out
}
