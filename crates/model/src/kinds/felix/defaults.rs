//! Felix's built-in defaults for the fields Tortie acts on, in one place. The values are
//! Felix's own (`felix/config/config_params.go`), which win over the API doc comments.

use super::types::{EndpointToHostAction, NftablesMode};

/// Inbound failsafe ports (`protocol`, `port`): SSH 22, DHCP 68, BGP 179, etcd 2379, 2380, 6666
/// and 6667, Typha 5473 and the Kubernetes API 6443.
pub const FAILSAFE_INBOUND_HOST_PORTS: [(&str, u16); 9] = [
    ("TCP", 22),
    ("UDP", 68),
    ("TCP", 179),
    ("TCP", 2379),
    ("TCP", 2380),
    ("TCP", 5473),
    ("TCP", 6443),
    ("TCP", 6666),
    ("TCP", 6667),
];

/// Outbound failsafe ports (`protocol`, `port`): DNS 53, DHCP 67, BGP 179, etcd 2379, 2380, 6666
/// and 6667, Typha 5473 and the Kubernetes API 6443.
pub const FAILSAFE_OUTBOUND_HOST_PORTS: [(&str, u16); 9] = [
    ("UDP", 53),
    ("UDP", 67),
    ("TCP", 179),
    ("TCP", 2379),
    ("TCP", 2380),
    ("TCP", 5473),
    ("TCP", 6443),
    ("TCP", 6666),
    ("TCP", 6667),
];

/// What happens to workload-to-host traffic after the workload's egress policy allows it.
pub const DEFAULT_ENDPOINT_TO_HOST_ACTION: EndpointToHostAction = EndpointToHostAction::Drop;

/// Prefix of the kernel log lines written by `Log` rules.
pub const LOG_PREFIX: &str = "calico-packet";

/// Burst allowed by the `Log` action rate limit (used only when a rate limit is set).
pub const LOG_ACTION_RATE_LIMIT_BURST: i64 = 5;

/// Whether Felix programs nftables (Calico 3.32's default; 3.29 and 3.30 default to `Disabled`).
pub const NFTABLES_MODE: NftablesMode = NftablesMode::Auto;
