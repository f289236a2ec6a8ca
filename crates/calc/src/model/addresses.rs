//! Which entities own or contain an address, without scanning every entity: host addresses
//! (workload IPs, host endpoint expected IPs) in a map, wider networks (network sets, workloads
//! with a routed prefix) in a short list.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;

use crate::ids::EntityId;

#[derive(Default)]
pub(super) struct AddressIndex {
    hosts: HashMap<IpAddr, BTreeSet<EntityId>>,
    networks: HashMap<EntityId, Vec<IpNet>>,
    of: HashMap<EntityId, Vec<IpNet>>,
}

impl AddressIndex {
    pub(super) fn insert(&mut self, id: &EntityId, addresses: &[IpNet]) {
        self.remove(id);
        let mut nets = Vec::new();
        for a in addresses {
            if a.prefix_len() == a.max_prefix_len() {
                self.hosts.entry(a.addr()).or_default().insert(id.clone());
            } else {
                nets.push(*a);
            }
        }
        if !nets.is_empty() {
            self.networks.insert(id.clone(), nets);
        }
        if !addresses.is_empty() {
            self.of.insert(id.clone(), addresses.to_vec());
        }
    }

    pub(super) fn remove(&mut self, id: &EntityId) {
        let Some(addresses) = self.of.remove(id) else {
            return;
        };
        for a in addresses {
            if let Some(set) = self.hosts.get_mut(&a.addr()) {
                set.remove(id);
                if set.is_empty() {
                    self.hosts.remove(&a.addr());
                }
            }
        }
        self.networks.remove(id);
    }

    /// The entities owning or containing `ip`, unordered.
    pub(super) fn containing(&self, ip: IpAddr) -> impl Iterator<Item = &EntityId> {
        self.hosts.get(&ip).into_iter().flatten().chain(
            self.networks
                .iter()
                .filter(move |(_, nets)| nets.iter().any(|n| n.contains(&ip)))
                .map(|(id, _)| id),
        )
    }
}
