//! How spec names become netns and interface names. Kept in one place so validation,
//! wiring and teardown can never disagree about what a lab created.

/// Linux `IFNAMSIZ - 1`: the longest interface name the kernel accepts.
pub(crate) const IFNAME_MAX: usize = 15;

/// Longest piece of a spec name carried into a netns name; enough to recognise it in
/// `ip netns list` without producing unwieldy file names under `/run/netns`.
const NS_PART_MAX: usize = 40;

/// MAC of every host-side pod veth. Calico uses the same constant, and because the pod's
/// gateway neighbour entries are static this never needs to be learned.
pub(crate) const HOST_VETH_MAC: &str = "ee:ee:ee:ee:ee:ee";

/// The pod's IPv4 gateway: never assigned anywhere, only resolved to [`HOST_VETH_MAC`].
pub(crate) const POD_GW_V4: &str = "169.254.1.1";

/// The pod's IPv6 gateway, handled the same way.
pub(crate) const POD_GW_V6: &str = "fe80::1";

/// The pod-side interface name, as CNI plugins conventionally name it.
pub(crate) const POD_IFACE: &str = "eth0";

pub(crate) fn fabric_ns(prefix: &str) -> String {
    format!("{prefix}-fab")
}

pub(crate) fn host_ns(prefix: &str, name: &str) -> String {
    format!("{prefix}-{}", sanitize(name))
}

/// Pods get an index so that names differing only in characters that sanitising folds
/// (`a/b` and `a_b`) still get distinct namespaces.
pub(crate) fn pod_ns(prefix: &str, index: usize, name: &str) -> String {
    format!("{prefix}-p{index}-{}", sanitize(name))
}

pub(crate) fn bridge(network: &str) -> String {
    truncate(&format!("br-{network}"), IFNAME_MAX)
}

/// Fabric-side veth of a node uplink.
pub(crate) fn node_uplink(node: usize, iface: usize) -> String {
    format!("n{node}e{iface}")
}

/// Fabric-side veth of an external host.
pub(crate) fn external_uplink(index: usize) -> String {
    format!("x{index}")
}

/// A locally administered, unicast MAC for a pod's `eth0`, distinct per pod so captures
/// are readable and static neighbour entries can be checked by eye.
pub(crate) fn pod_mac(index: usize) -> String {
    let b = index.to_be_bytes();
    let n = b.len();
    format!(
        "02:74:6c:{:02x}:{:02x}:{:02x}",
        b[n - 3],
        b[n - 2],
        b[n - 1]
    )
}

/// Keeps characters that are safe in file names and shell output; folds the rest to `_`.
pub(crate) fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    truncate(&s, NS_PART_MAX)
}

/// Cuts at a byte length; callers only pass ASCII.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Whether the kernel would accept `name` as an interface name (see `dev_valid_name`).
pub(crate) fn valid_ifname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= IFNAME_MAX
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_ns_is_sanitised_and_indexed() {
        assert_eq!(
            pod_ns("tl1", 3, "default/nginx 1"),
            "tl1-p3-default_nginx_1"
        );
    }

    #[test]
    fn bridge_is_cut_to_ifnamsiz() {
        assert_eq!(bridge("a-very-long-network"), "br-a-very-long-");
        assert_eq!(bridge("pub"), "br-pub");
    }

    #[test]
    fn pod_macs_differ() {
        assert_eq!(pod_mac(0), "02:74:6c:00:00:00");
        assert_eq!(pod_mac(0x1_02_03), "02:74:6c:01:02:03");
    }

    #[test]
    fn ifname_rules() {
        assert!(valid_ifname("cali1a2b3c4d5e6"));
        assert!(!valid_ifname("cali1a2b3c4d5e6f"));
        assert!(!valid_ifname("a/b"));
        assert!(!valid_ifname(""));
        assert!(!valid_ifname(".."));
    }
}
