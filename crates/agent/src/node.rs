//! Node registration: the agent writes its Node (name and addresses) so that `tortie get
//! nodes` lists it and policies can refer to it.

use std::net::IpAddr;
use std::process::Command;

use tortie_datastore::{Client, ClientError, Write};
use tortie_model::load::load_str;
use tortie_rules::HostInterfaces;

/// The host's own addresses with their prefix lengths (`10.0.0.11/24`), leaving out loopback,
/// link-local addresses and workload interfaces. Read with `ip -j addr`.
#[must_use]
pub fn host_addresses(workload_prefix: &str) -> Vec<String> {
    host_addresses_in(None, workload_prefix)
}

/// As [`host_addresses`], for the named network namespace `netns` (`ip -n NETNS -j addr`)
/// when given: an agent that stays in the root namespace and enforces for another.
#[must_use]
pub fn host_addresses_in(netns: Option<&str>, workload_prefix: &str) -> Vec<String> {
    host_links(netns, workload_prefix)
        .into_iter()
        .flat_map(|(_, addrs)| addrs)
        .map(|(ip, len)| format!("{ip}/{len}"))
        .collect()
}

/// The host's interfaces (not loopback, not workloads) and their global addresses: where a
/// host endpoint given only by `expectedIPs` applies.
#[must_use]
pub fn host_interfaces_in(netns: Option<&str>, workload_prefix: &str) -> HostInterfaces {
    host_links(netns, workload_prefix)
        .into_iter()
        .map(|(name, addrs)| (name, addrs.into_iter().map(|(ip, _)| ip).collect()))
        .collect()
}

/// `ip -j addr`: interface name, then global addresses with prefix lengths, in link order.
fn host_links(netns: Option<&str>, workload_prefix: &str) -> Vec<(String, Vec<(IpAddr, u64)>)> {
    let mut ip = Command::new("ip");
    if let Some(ns) = netns {
        ip.args(["-n", ns]);
    }
    let Ok(out) = ip.args(["-j", "addr", "show"]).output() else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for link in json.as_array().into_iter().flatten() {
        let name = link["ifname"].as_str().unwrap_or_default();
        if name == "lo" || name.starts_with(workload_prefix) {
            continue;
        }
        let mut addrs = Vec::new();
        for a in link["addr_info"].as_array().into_iter().flatten() {
            let (Some(local), Some(len)) = (a["local"].as_str(), a["prefixlen"].as_u64()) else {
                continue;
            };
            if a["scope"].as_str() != Some("global") {
                continue;
            }
            if let Ok(ip) = local.parse::<IpAddr>() {
                addrs.push((ip, len));
            }
        }
        found.push((name.to_string(), addrs));
    }
    found
}

/// Creates or updates the Node resource of `name` with these addresses.
///
/// # Errors
/// The datastore refused the write.
pub fn register_node(client: &Client, name: &str, addresses: &[String]) -> Result<(), ClientError> {
    let v4 = addresses.iter().find(|a| !a.contains(':'));
    let v6 = addresses.iter().find(|a| a.contains(':'));
    let mut yaml =
        format!("apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: {name}\nspec:\n");
    if v4.is_some() || v6.is_some() {
        yaml.push_str("  bgp:\n");
        if let Some(a) = v4 {
            yaml.push_str(&format!("    ipv4Address: {a}\n"));
        }
        if let Some(a) = v6 {
            yaml.push_str(&format!("    ipv6Address: {a}\n"));
        }
    }
    if !addresses.is_empty() {
        yaml.push_str("  addresses:\n");
        for a in addresses {
            let ip = a.split('/').next().unwrap_or(a);
            yaml.push_str(&format!("  - address: {ip}\n    type: InternalIP\n"));
        }
    }
    let resource = load_str(&yaml, "node registration")
        .ok()
        .and_then(|mut l| l.pop())
        .and_then(|l| l.result.ok())
        .ok_or_else(|| {
            ClientError::Refused(format!("cannot build the Node resource for {name}"))
        })?;
    client.write(vec![Write::Apply { resource }]).map(|_| ())
}
