//! FelixConfiguration: the full `projectcalico.org/v3` spec (the union of the fields Calico 3.29
//! to 3.32 define), Felix's defaults for the fields Tortie acts on, and Calico's validation.
//!
//! ```text
//!  spec.rs      FelixConfigurationSpec, every field, Go declaration order
//!  types.rs     ProtoPort, HealthTimeoutOverride, route-table ranges, BPF timers, DSCP,
//!               and the enums the effective-value methods return
//!  defaults.rs  Felix's defaults (failsafe ports, endpoint-to-host action, log prefix, ...)
//!  validate/    validate_spec: the API's and Felix's checks, with field paths (durations,
//!               enums, numbers, strings, lists, each in its own file)
//! ```
//!
//! Felix reads a FelixConfiguration named `default` for all nodes, `node.<name>` for one node,
//! and (in the newest releases) any other name with a `nodeSelector` for the nodes it selects.

pub mod defaults;
mod spec;
mod types;
mod validate;

#[cfg(test)]
mod tests;

pub use spec::FelixConfigurationSpec;
pub use types::{
    BpfConntrackTimeouts, DSCP_NAMES, Dscp, EndpointToHostAction, HealthTimeoutOverride,
    NftablesMode, ProtoPort, RouteTableIdRange, RouteTableRange,
};
pub use validate::{validate_object, validate_proto_port, validate_spec};

/// Effective values of the policy-related fields, with Felix's defaults applied to absent
/// fields. Values that validation rejects also fall back to the defaults.
impl FelixConfigurationSpec {
    /// Inbound failsafe ports: the configured list (an explicit `[]` gives none), else Felix's
    /// default list.
    #[must_use]
    pub fn failsafe_inbound_host_ports(&self) -> Vec<ProtoPort> {
        failsafe_or_default(
            self.failsafe_inbound_host_ports.as_ref(),
            &defaults::FAILSAFE_INBOUND_HOST_PORTS,
        )
    }

    /// Outbound failsafe ports: the configured list (an explicit `[]` gives none), else Felix's
    /// default list.
    #[must_use]
    pub fn failsafe_outbound_host_ports(&self) -> Vec<ProtoPort> {
        failsafe_or_default(
            self.failsafe_outbound_host_ports.as_ref(),
            &defaults::FAILSAFE_OUTBOUND_HOST_PORTS,
        )
    }

    /// What happens to workload-to-host traffic after workload egress policy allowed it (the
    /// value is read case-insensitively, as Felix does). [Default: Drop]
    #[must_use]
    pub fn default_endpoint_to_host_action(&self) -> EndpointToHostAction {
        set(self.default_endpoint_to_host_action.as_deref())
            .and_then(EndpointToHostAction::parse)
            .unwrap_or(defaults::DEFAULT_ENDPOINT_TO_HOST_ACTION)
    }

    /// Prefix of the log lines of `Log` rules. [Default: calico-packet]
    #[must_use]
    pub fn log_prefix(&self) -> &str {
        set(self.log_prefix.as_deref()).unwrap_or(defaults::LOG_PREFIX)
    }

    /// Rate limit of `Log` rules (`N/unit`), or `None` when unlimited.
    #[must_use]
    pub fn log_action_rate_limit(&self) -> Option<&str> {
        set(self.log_action_rate_limit.as_deref())
    }

    /// Burst of the `Log` rate limit. [Default: 5]
    #[must_use]
    pub fn log_action_rate_limit_burst(&self) -> i64 {
        self.log_action_rate_limit_burst
            .filter(|b| (0..=9999).contains(b))
            .unwrap_or(defaults::LOG_ACTION_RATE_LIMIT_BURST)
    }

    /// Whether Felix programs nftables. [Default: Auto]
    #[must_use]
    pub fn nftables_mode(&self) -> NftablesMode {
        set(self.nftables_mode.as_deref())
            .and_then(NftablesMode::parse)
            .unwrap_or(defaults::NFTABLES_MODE)
    }
}

/// A Go string field counts as unset when empty (Calico's `omitempty` semantics).
fn set(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn failsafe_or_default(
    configured: Option<&Vec<ProtoPort>>,
    default: &[(&str, u16)],
) -> Vec<ProtoPort> {
    match configured {
        Some(ports) => ports.clone(),
        None => default
            .iter()
            .map(|(protocol, port)| ProtoPort::new(protocol, *port))
            .collect(),
    }
}
