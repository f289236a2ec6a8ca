//! The `FelixConfigurationSpec` struct: every field Calico 3.29, 3.30, 3.31 and 3.32 define (their
//! union), in Go declaration order, with wire names exactly as Calico's json tags.
//!
//! Fields Calico declares as pointers, slices or plain `omitempty` values are `Option`s here, so
//! that an absent field and an explicit value (notably an empty failsafe-port list, which
//! disables the failsafe ports) stay distinct. Durations are kept as written (`"1m30s"`) and
//! checked by validation. The one exception is `bpfLogLevel`, which Calico's json tag always
//! writes (without `omitempty`), so it is a plain string that is always serialized.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::types::{
    BpfConntrackTimeouts, Dscp, HealthTimeoutOverride, ProtoPort, RouteTableIdRange,
    RouteTableRange,
};
use crate::numorstring::Port;

/// `FelixConfigurationSpec`: Felix's settings, for all nodes (`default`), one node
/// (`node.<name>`) or the nodes a `nodeSelector` selects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FelixConfigurationSpec {
    /// Use Felix's built-in dataplane driver rather than an external one. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "useInternalDataplaneDriver"
    )]
    pub use_internal_dataplane_driver: Option<bool>,
    /// External driver, used if not `useInternalDataplaneDriver`. [Default: calico-iptables-plugin]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "dataplaneDriver"
    )]
    pub dataplane_driver: Option<String>,
    /// Deprecated (see `healthTimeoutOverrides`): dataplane liveness timeout. [Default: 90s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "dataplaneWatchdogTimeout"
    )]
    pub dataplane_watchdog_timeout: Option<String>,
    /// Whether Felix enables IPv6 support (if the dataplane supports it). [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ipv6Support"
    )]
    pub ipv6_support: Option<bool>,
    /// Period of the full route re-check; 0 disables it. [Default: 90s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "routeRefreshInterval"
    )]
    pub route_refresh_interval: Option<String>,
    /// Period of the local interface rescan; 0 disables it. [Default: 90s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "interfaceRefreshInterval"
    )]
    pub interface_refresh_interval: Option<String>,
    /// Period of the full iptables re-check; 0 disables it. [Default: 180s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesRefreshInterval"
    )]
    pub iptables_refresh_interval: Option<String>,
    /// Delay after a write before Felix reads the rules back to check them. [Default: 5s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesPostWriteCheckInterval"
    )]
    pub iptables_post_write_check_interval: Option<String>,
    /// Calico 3.29 to 3.31 only: path of the xtables lock file. [Default: /run/xtables.lock]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesLockFilePath"
    )]
    pub iptables_lock_file_path: Option<String>,
    /// Calico 3.29 to 3.31 only: Felix's own wait for the xtables lock; 0 disables. [Default: 0s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesLockTimeout"
    )]
    pub iptables_lock_timeout: Option<String>,
    /// Interval between attempts to take the xtables lock. [Default: 50ms]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesLockProbeInterval"
    )]
    pub iptables_lock_probe_interval: Option<String>,
    /// Overrides detected dataplane features, as `Feature=true|false|,...`. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "featureDetectOverride"
    )]
    pub feature_detect_override: Option<String>,
    /// Enables tech-preview features, as `Feature=value,...`. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "featureGates"
    )]
    pub feature_gates: Option<String>,
    /// Period of the full IP set re-check; 0 disables it. [Default: 90s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ipsetsRefreshInterval"
    )]
    pub ipsets_refresh_interval: Option<String>,
    /// Maximum number of members of one IP set (iptables mode). [Default: 1048576]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "maxIpsetSize"
    )]
    pub max_ipset_size: Option<i64>,
    /// iptables binary backend: `Legacy`, `NFT` or `Auto`. [Default: Auto]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesBackend"
    )]
    pub iptables_backend: Option<String>,
    /// Period of the full XDP state re-check; 0 disables it. [Default: 90s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "xdpRefreshInterval"
    )]
    pub xdp_refresh_interval: Option<String>,
    /// Timeout of netlink calls to the kernel. [Default: 10s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "netlinkTimeout"
    )]
    pub netlink_timeout: Option<String>,
    /// OpenStack metadata server address, or `none`. [Default: 127.0.0.1]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "metadataAddr"
    )]
    pub metadata_addr: Option<String>,
    /// OpenStack metadata server port. [Default: 8775]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "metadataPort"
    )]
    pub metadata_port: Option<i64>,
    /// OpenStack region of this Felix (a DNS label of at most 46 characters). [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "openstackRegion"
    )]
    pub openstack_region: Option<String>,
    /// Comma-separated name prefixes of workload interfaces. [Default: cali]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "interfacePrefix"
    )]
    pub interface_prefix: Option<String>,
    /// Comma-separated names (or `/regex/`) never treated as host endpoints. [Default: kube-ipvs0]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "interfaceExclude"
    )]
    pub interface_exclude: Option<String>,
    /// Hook Calico's chains at the top (`Insert`) or bottom (`Append`). [Default: Insert]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "chainInsertMode"
    )]
    pub chain_insert_mode: Option<String>,
    /// Workload-to-host verdict after egress policy: `Drop`, `Accept`, `Return`. [Default: Drop]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "defaultEndpointToHostAction"
    )]
    pub default_endpoint_to_host_action: Option<String>,
    /// iptables filter-table verdict for allowed traffic: `Accept` or `Return`. [Default: Accept]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesFilterAllowAction"
    )]
    pub iptables_filter_allow_action: Option<String>,
    /// iptables mangle-table (pre-DNAT) allow verdict: `Accept` or `Return`. [Default: Accept]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesMangleAllowAction"
    )]
    pub iptables_mangle_allow_action: Option<String>,
    /// iptables verdict for denied traffic: `Drop` or `Reject`. [Default: Drop]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesFilterDenyAction"
    )]
    pub iptables_filter_deny_action: Option<String>,
    /// Prefix of `Log` rule lines (`%t`, `%k`, `%n`, `%p` expand). [Default: calico-packet]
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "logPrefix")]
    pub log_prefix: Option<String>,
    /// Rate limit of `Log` rules, as `N/second|minute|hour|day`. [Default: unlimited]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "logActionRateLimit"
    )]
    pub log_action_rate_limit: Option<String>,
    /// Burst allowed by `logActionRateLimit` (0 to 9999). [Default: 5]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "logActionRateLimitBurst"
    )]
    pub log_action_rate_limit_burst: Option<i64>,
    /// Felix's log file, or `none`. [Default: /var/log/calico/felix.log]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "logFilePath"
    )]
    pub log_file_path: Option<String>,
    /// Minimum severity logged to the file. [Default: Info]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "logSeverityFile"
    )]
    pub log_severity_file: Option<String>,
    /// Minimum severity logged to stdout. [Default: Info]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "logSeverityScreen"
    )]
    pub log_severity_screen: Option<String>,
    /// Minimum severity logged to syslog. [Default: Info]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "logSeveritySys"
    )]
    pub log_severity_sys: Option<String>,
    /// Only source files matching this regex log at Debug level. [Default: all]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "logDebugFilenameRegex"
    )]
    pub log_debug_filename_regex: Option<String>,
    /// Forces the IPIP tunnel device on or off. [Default: from the IP pools]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ipipEnabled"
    )]
    pub ipip_enabled: Option<bool>,
    /// MTU of the IPIP tunnel device; 0 detects it. [Default: 0]
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ipipMTU")]
    pub ipip_mtu: Option<i64>,
    /// Forces the IPv4 VXLAN tunnel device on or off. [Default: from the IP pools]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "vxlanEnabled"
    )]
    pub vxlan_enabled: Option<bool>,
    /// MTU of the IPv4 VXLAN device; 0 detects it. [Default: 0]
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "vxlanMTU")]
    pub vxlan_mtu: Option<i64>,
    /// MTU of the IPv6 VXLAN device; 0 detects it. [Default: 0]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "vxlanMTUV6"
    )]
    pub vxlan_mtu_v6: Option<i64>,
    /// UDP port of VXLAN traffic. [Default: 4789]
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "vxlanPort")]
    pub vxlan_port: Option<i64>,
    /// VXLAN network identifier. [Default: 4096]
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "vxlanVNI")]
    pub vxlan_vni: Option<i64>,
    /// Allow VXLAN-encapsulated traffic from workloads. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "allowVXLANPacketsFromWorkloads"
    )]
    pub allow_vxlan_packets_from_workloads: Option<bool>,
    /// Allow IPIP-encapsulated traffic from workloads. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "allowIPIPPacketsFromWorkloads"
    )]
    pub allow_ipip_packets_from_workloads: Option<bool>,
    /// Period of Felix's status reports to the datastore; 0 disables them. [Default: 30s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "reportingInterval"
    )]
    pub reporting_interval: Option<String>,
    /// Time-to-live of Felix's status reports. [Default: 90s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "reportingTTL"
    )]
    pub reporting_ttl: Option<String>,
    /// Report endpoint status to the datastore (OpenStack). [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "endpointReportingEnabled"
    )]
    pub endpoint_reporting_enabled: Option<bool>,
    /// Delay before endpoint status is reported (OpenStack). [Default: 1s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "endpointReportingDelay"
    )]
    pub endpoint_reporting_delay: Option<String>,
    /// Directory for endpoint status files; empty disables them. [Default: /var/run/calico]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "endpointStatusPathPrefix"
    )]
    pub endpoint_status_path_prefix: Option<String>,
    /// Packet-mark bits Felix may use with iptables. [Default: 0xffff0000]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesMarkMask"
    )]
    pub iptables_mark_mask: Option<u32>,
    /// Stop dropping conntrack-INVALID packets before policy. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "disableConntrackInvalidCheck"
    )]
    pub disable_conntrack_invalid_check: Option<bool>,
    /// Serve the health (liveness/readiness) port. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "healthEnabled"
    )]
    pub health_enabled: Option<bool>,
    /// Bind address of the health server. [Default: localhost]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "healthHost"
    )]
    pub health_host: Option<String>,
    /// TCP port of the health server. [Default: 9099]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "healthPort"
    )]
    pub health_port: Option<i64>,
    /// Replacement timeouts of individual Felix subcomponents. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "healthTimeoutOverrides"
    )]
    pub health_timeout_overrides: Option<Vec<HealthTimeoutOverride>>,
    /// Serve Prometheus metrics. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusMetricsEnabled"
    )]
    pub prometheus_metrics_enabled: Option<bool>,
    /// Bind address of the metrics server. [Default: all addresses]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusMetricsHost"
    )]
    pub prometheus_metrics_host: Option<String>,
    /// TCP port of the metrics server. [Default: 9091]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusMetricsPort"
    )]
    pub prometheus_metrics_port: Option<i64>,
    /// Export Go runtime metrics. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusGoMetricsEnabled"
    )]
    pub prometheus_go_metrics_enabled: Option<bool>,
    /// Export process metrics. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusProcessMetricsEnabled"
    )]
    pub prometheus_process_metrics_enabled: Option<bool>,
    /// Export WireGuard metrics. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusWireGuardMetricsEnabled"
    )]
    pub prometheus_wire_guard_metrics_enabled: Option<bool>,
    /// Calico 3.32: CA certificate securing the metrics endpoint. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusMetricsCAFile"
    )]
    pub prometheus_metrics_ca_file: Option<String>,
    /// Calico 3.32: TLS certificate of the metrics endpoint. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusMetricsCertFile"
    )]
    pub prometheus_metrics_cert_file: Option<String>,
    /// Calico 3.32: TLS key of the metrics endpoint. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusMetricsKeyFile"
    )]
    pub prometheus_metrics_key_file: Option<String>,
    /// Calico 3.32: client-certificate policy of `/metrics`. [Default: RequireAndVerifyClientCert]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "prometheusMetricsClientAuth"
    )]
    pub prometheus_metrics_client_auth: Option<String>,
    /// Inbound ports always allowed to host endpoints; `[]` disables. [Default: see `defaults`]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "failsafeInboundHostPorts"
    )]
    pub failsafe_inbound_host_ports: Option<Vec<ProtoPort>>,
    /// Outbound ports always allowed from host endpoints; `[]` disables. [Default: see `defaults`]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "failsafeOutboundHostPorts"
    )]
    pub failsafe_outbound_host_ports: Option<Vec<ProtoPort>>,
    /// Service node-port ranges (kube-proxy IPVS mode), at most 7. [Default: 30000:32767]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "kubeNodePortRanges"
    )]
    pub kube_node_port_ranges: Option<Vec<Port>>,
    /// Directory of the per-workload policy-sync sockets; empty disables them. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "policySyncPathPrefix"
    )]
    pub policy_sync_path_prefix: Option<String>,
    /// Report the Calico version and cluster size to projectcalico.org. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "usageReportingEnabled"
    )]
    pub usage_reporting_enabled: Option<bool>,
    /// Minimum delay before the first usage report. [Default: 300s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "usageReportingInitialDelay"
    )]
    pub usage_reporting_initial_delay: Option<String>,
    /// Interval between usage reports. [Default: 86400s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "usageReportingInterval"
    )]
    pub usage_reporting_interval: Option<String>,
    /// Source-port range used by outgoing NAT. [Default: kernel's choice]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "natPortRange"
    )]
    pub nat_port_range: Option<Port>,
    /// IPv4 source address for outgoing NAT instead of masquerading. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "natOutgoingAddress"
    )]
    pub nat_outgoing_address: Option<String>,
    /// Destinations not NATed: `IPPoolsOnly` or `IPPoolsAndHostIPs`. [Default: IPPoolsOnly]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "natOutgoingExclusions"
    )]
    pub nat_outgoing_exclusions: Option<String>,
    /// IPv4 source hint of routes Felix programs. [Default: kernel's choice]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "deviceRouteSourceAddress"
    )]
    pub device_route_source_address: Option<String>,
    /// IPv6 source hint of routes Felix programs. [Default: kernel's choice]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "deviceRouteSourceAddressIPv6"
    )]
    pub device_route_source_address_ipv6: Option<String>,
    /// Routing protocol number set on routes Felix programs. [Default: 3]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "deviceRouteProtocol"
    )]
    pub device_route_protocol: Option<i64>,
    /// Remove unexpected routes to workload interfaces. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "removeExternalRoutes"
    )]
    pub remove_external_routes: Option<bool>,
    /// Felix (`Enabled`) or BIRD (`Disabled`) routes to remote workloads. [Default: Disabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "programClusterRoutes"
    )]
    pub program_cluster_routes: Option<String>,
    /// Whether Felix enables IP forwarding sysctls: `Enabled` or `Disabled`. [Default: Enabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ipForwarding"
    )]
    pub ip_forwarding: Option<String>,
    /// IPv4 CIDRs of non-Calico nodes allowed to send overlay traffic. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "externalNodesList"
    )]
    pub external_nodes_cidr_list: Option<Vec<String>>,
    /// Where a signal-triggered memory profile is written. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "debugMemoryProfilePath"
    )]
    pub debug_memory_profile_path: Option<String>,
    /// Block instead of dropping logs when the log buffer is full. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "debugDisableLogDropping"
    )]
    pub debug_disable_log_dropping: Option<bool>,
    /// Test only: hang the calculation graph after this time. [Default: 0]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "debugSimulateCalcGraphHangAfter"
    )]
    pub debug_simulate_calc_graph_hang_after: Option<String>,
    /// Test only: hang the dataplane after this time. [Default: 0]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "debugSimulateDataplaneHangAfter"
    )]
    pub debug_simulate_dataplane_hang_after: Option<String>,
    /// Test only: delay every dataplane operation. [Default: 0]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "debugSimulateDataplaneApplyDelay"
    )]
    pub debug_simulate_dataplane_apply_delay: Option<String>,
    /// Bind address of the debug port. [Default: localhost]
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "debugHost")]
    pub debug_host: Option<String>,
    /// Debug (profiling) HTTP port; unset disables it. [Default: disabled]
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "debugPort")]
    pub debug_port: Option<i64>,
    /// Only SNAT traffic leaving interfaces matching this name (`+` wildcard). [Default: all]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "iptablesNATOutgoingInterfaceFilter"
    )]
    pub iptables_nat_outgoing_interface_filter: Option<String>,
    /// Experimental sidecar acceleration. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "sidecarAccelerationEnabled"
    )]
    pub sidecar_acceleration_enabled: Option<bool>,
    /// Accelerate untracked deny rules with XDP. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "xdpEnabled"
    )]
    pub xdp_enabled: Option<bool>,
    /// Allow generic (non-offloaded) XDP mode. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "genericXDPEnabled"
    )]
    pub generic_xdp_enabled: Option<bool>,
    /// nftables dataplane: `Enabled`, `Disabled` or `Auto`. [Default: Auto]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "nftablesMode"
    )]
    pub nftables_mode: Option<String>,
    /// Period of the full nftables re-check. [Default: 180s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "nftablesRefreshInterval"
    )]
    pub nftables_refresh_interval: Option<String>,
    /// nftables filter-table verdict for allowed traffic: `Accept` or `Return`. [Default: Accept]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "nftablesFilterAllowAction"
    )]
    pub nftables_filter_allow_action: Option<String>,
    /// nftables mangle-table verdict for allowed traffic: `Accept` or `Return`. [Default: Accept]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "nftablesMangleAllowAction"
    )]
    pub nftables_mangle_allow_action: Option<String>,
    /// nftables verdict for denied traffic: `Drop` or `Reject`. [Default: Drop]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "nftablesFilterDenyAction"
    )]
    pub nftables_filter_deny_action: Option<String>,
    /// Packet-mark bits Felix may use with nftables. [Default: 0xffff0000]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "nftablesMarkMask"
    )]
    pub nftables_mark_mask: Option<u32>,
    /// Use the eBPF dataplane. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfEnabled"
    )]
    pub bpf_enabled: Option<bool>,
    /// Set `kernel.unprivileged_bpf_disabled`. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfDisableUnprivileged"
    )]
    pub bpf_disable_unprivileged: Option<bool>,
    /// Calico 3.32: BPF JIT hardening, `Auto` or `Strict`. [Default: Auto]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfJITHardening"
    )]
    pub bpf_jit_hardening: Option<String>,
    /// BPF program log level: `Off`, `Info`, `Debug` (always written, as by Calico). [Default: Off]
    #[serde(default, rename = "bpfLogLevel")]
    pub bpf_log_level: String,
    /// Log level of the BPF conntrack cleaner: `Off` or `Debug`. [Default: Off]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfConntrackLogLevel"
    )]
    pub bpf_conntrack_log_level: Option<String>,
    /// How BPF conntrack entries are cleaned: `Auto`, `Userspace` or `BPFProgram`. [Default: Auto]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfConntrackMode"
    )]
    pub bpf_conntrack_cleanup_mode: Option<String>,
    /// BPF conntrack timer overrides. [Default: Felix's timers]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfConntrackTimeouts"
    )]
    pub bpf_conntrack_timeouts: Option<BpfConntrackTimeouts>,
    /// pcap filters of BPF debug logs by interface (`all`, `weps`, `heps`, name). [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfLogFilters"
    )]
    pub bpf_log_filters: Option<BTreeMap<String, String>>,
    /// What the connect-time load balancer logs at debug level (`all`). [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfCTLBLogFilter"
    )]
    pub bpf_ctlb_log_filter: Option<String>,
    /// Regex of the host interfaces BPF programs attach to. [Default: Felix's data interfaces]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfDataIfacePattern"
    )]
    pub bpf_data_iface_pattern: Option<String>,
    /// Regex of extra L3 (tunnel) interfaces BPF programs attach to. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfL3IfacePattern"
    )]
    pub bpf_l3_iface_pattern: Option<String>,
    /// Deprecated (see `bpfConnectTimeLoadBalancing`): connect-time LB on. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfConnectTimeLoadBalancingEnabled"
    )]
    pub bpf_connect_time_load_balancing_enabled: Option<bool>,
    /// Connect-time load balancing: `TCP`, `Enabled` or `Disabled`. [Default: TCP]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfConnectTimeLoadBalancing"
    )]
    pub bpf_connect_time_load_balancing: Option<String>,
    /// NAT host-networked traffic without connect-time LB: `Enabled`/`Disabled`. [Default: Enabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfHostNetworkedNATWithoutCTLB"
    )]
    pub bpf_host_networked_nat_without_ctlb: Option<String>,
    /// How external service traffic reaches remote workloads: `Tunnel` or `DSR`. [Default: Tunnel]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfExternalServiceMode"
    )]
    pub bpf_external_service_mode: Option<String>,
    /// Client CIDRs excluded from DSR. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfDSROptoutCIDRs"
    )]
    pub bpf_dsr_optout_cidrs: Option<Vec<String>>,
    /// Connection mark set on external-to-local-service connections (32 bits). [Default: 0]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfExtToServiceConnmark"
    )]
    pub bpf_ext_to_service_connmark: Option<i64>,
    /// Remove kube-proxy's iptables chains in BPF mode. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfKubeProxyIptablesCleanupEnabled"
    )]
    pub bpf_kube_proxy_iptables_cleanup_enabled: Option<bool>,
    /// Minimum interval between BPF kube-proxy dataplane updates. [Default: 1s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfKubeProxyMinSyncPeriod"
    )]
    pub bpf_kube_proxy_min_sync_period: Option<String>,
    /// Calico 3.29 to 3.31 only: deprecated, has no effect. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfKubeProxyEndpointSlicesEnabled"
    )]
    pub bpf_kube_proxy_endpoint_slices_enabled: Option<bool>,
    /// Calico 3.32: port of the BPF kube-proxy health server; 0 disables it. [Default: 10256]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfKubeProxyHealthzPort"
    )]
    pub bpf_kube_proxy_healthz_port: Option<i64>,
    /// Source ports used to resolve source-port collisions. [Default: 20000:29999]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfPSNATPorts"
    )]
    pub bpf_psnat_ports: Option<Port>,
    /// Size of the BPF NAT frontend map. [Default: 65536]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizeNATFrontend"
    )]
    pub bpf_map_size_nat_frontend: Option<i64>,
    /// Size of the BPF NAT backend map. [Default: 262144]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizeNATBackend"
    )]
    pub bpf_map_size_nat_backend: Option<i64>,
    /// Size of the BPF NAT affinity map. [Default: 65536]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizeNATAffinity"
    )]
    pub bpf_map_size_nat_affinity: Option<i64>,
    /// Size of the BPF routes map. [Default: 262144]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizeRoute"
    )]
    pub bpf_map_size_route: Option<i64>,
    /// Size of the BPF conntrack map. [Default: 512000]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizeConntrack"
    )]
    pub bpf_map_size_conntrack: Option<i64>,
    /// Conntrack map size per CPU; overrides `bpfMapSizeConntrack` when non-zero. [Default: 0]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizePerCpuConntrack"
    )]
    pub bpf_map_size_per_cpu_conntrack: Option<i64>,
    /// Conntrack map growth: `Disabled` or `DoubleIfFull`. [Default: DoubleIfFull]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizeConntrackScaling"
    )]
    pub bpf_map_size_conntrack_scaling: Option<String>,
    /// Size of the BPF conntrack cleanup queue (at least 1). [Default: 100000]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizeConntrackCleanupQueue"
    )]
    pub bpf_map_size_conntrack_cleanup_queue: Option<i64>,
    /// Size of the BPF IP sets map. [Default: 1048576]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizeIPSets"
    )]
    pub bpf_map_size_ip_sets: Option<i64>,
    /// Size of the BPF interface state map. [Default: 1000]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMapSizeIfState"
    )]
    pub bpf_map_size_if_state: Option<i64>,
    /// Bypass Linux conntrack for workloads and services in BPF mode. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfHostConntrackBypass"
    )]
    pub bpf_host_conntrack_bypass: Option<bool>,
    /// RPF check on BPF host interfaces: `Disabled`, `Strict` or `Loose`. [Default: Loose]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfEnforceRPF"
    )]
    pub bpf_enforce_rpf: Option<String>,
    /// Record BPF policy program details for `calico-bpf`. [Default: true]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfPolicyDebugEnabled"
    )]
    pub bpf_policy_debug_enabled: Option<bool>,
    /// Interfaces (`+` wildcard) whose traffic Linux conntrack still tracks. [Default: docker+]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfForceTrackPacketsFromIfaces"
    )]
    pub bpf_force_track_packets_from_ifaces: Option<Vec<String>>,
    /// Regex of interfaces whose GRO Felix disables. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfDisableGROForIfaces"
    )]
    pub bpf_disable_gro_for_ifaces: Option<String>,
    /// CIDRs the BPF NAT leaves to the host. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfExcludeCIDRsFromNAT"
    )]
    pub bpf_exclude_cidrs_from_nat: Option<Vec<String>>,
    /// Size in MB of the BPF event buffer. [Default: 1]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfExportBufferSizeMB"
    )]
    pub bpf_export_buffer_size_mb: Option<i64>,
    /// Calico 3.32: Tigera Istio ambient mode, `Enabled` or `Disabled`. [Default: Disabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "istioAmbientMode"
    )]
    pub istio_ambient_mode: Option<String>,
    /// Calico 3.32: DSCP mark directing traffic to the Istio ztunnel. [Default: 23]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "istioDSCPMark"
    )]
    pub istio_dscp_mark: Option<Dscp>,
    /// Calico 3.32: location of the cgroup v2 hierarchy. [Default: detected]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "cgroupV2Path"
    )]
    pub cgroup_v2_path: Option<String>,
    /// Flow-log evaluation of pending policies: `Continuous` or `None`. [Default: Continuous]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "flowLogsPolicyEvaluationMode"
    )]
    pub flow_logs_policy_evaluation_mode: Option<String>,
    /// Redirect to workload peers: `Enabled`, `Disabled` (deprecated `L2Only`). [Default: Enabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfRedirectToPeer"
    )]
    pub bpf_redirect_to_peer: Option<String>,
    /// Calico 3.32: how BPF programs attach, `TCX` or `TC`. [Default: TCX]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfAttachType"
    )]
    pub bpf_attach_type: Option<String>,
    /// Interval between flow-log exports. [Default: 300s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "flowLogsFlushInterval"
    )]
    pub flow_logs_flush_interval: Option<String>,
    /// Log flow-collector records in full. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "flowLogsCollectorDebugTrace"
    )]
    pub flow_logs_collector_debug_trace: Option<bool>,
    /// Flow server (Goldmane) endpoint receiving flow data. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "flowLogsGoldmaneServer"
    )]
    pub flow_logs_goldmane_server: Option<String>,
    /// Report flows on a local unix socket: `Enabled` or `Disabled`. [Default: Disabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "flowLogsLocalReporter"
    )]
    pub flow_logs_local_reporter: Option<String>,
    /// Profiling of BPF programs: `Enabled` or `Disabled`. [Default: Disabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfProfiling"
    )]
    pub bpf_profiling: Option<String>,
    /// Source of routing information: `CalicoIPAM` or `WorkloadIPs`. [Default: CalicoIPAM]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "routeSource"
    )]
    pub route_source: Option<String>,
    /// Linux route-table index ranges Calico may use; overrides `routeTableRange`. [Default: 1-250]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "routeTableRanges"
    )]
    pub route_table_ranges: Option<Vec<RouteTableIdRange>>,
    /// Deprecated (see `routeTableRanges`): route-table range within 1 to 250. [Default: 1-250]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "routeTableRange"
    )]
    pub route_table_range: Option<RouteTableRange>,
    /// Do not program routes at all (policy-only mode). [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "routeSyncDisabled"
    )]
    pub route_sync_disabled: Option<bool>,
    /// Calico 3.32: metric of normal IPv4 routes (higher is lower priority). [Default: 1024]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ipv4NormalRoutePriority"
    )]
    pub ipv4_normal_route_priority: Option<i64>,
    /// Calico 3.32: metric of IPv4 routes during VM live migration. [Default: 512]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ipv4ElevatedRoutePriority"
    )]
    pub ipv4_elevated_route_priority: Option<i64>,
    /// Calico 3.32: metric of normal IPv6 routes. [Default: 1024]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ipv6NormalRoutePriority"
    )]
    pub ipv6_normal_route_priority: Option<i64>,
    /// Calico 3.32: metric of IPv6 routes during VM live migration. [Default: 512]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "ipv6ElevatedRoutePriority"
    )]
    pub ipv6_elevated_route_priority: Option<i64>,
    /// Calico 3.32: how long routes keep elevated priority after a live migration. [Default: 30s]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "liveMigrationRouteConvergenceTime"
    )]
    pub live_migration_route_convergence_time: Option<String>,
    /// Encrypt IPv4 traffic with WireGuard. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardEnabled"
    )]
    pub wireguard_enabled: Option<bool>,
    /// Encrypt IPv6 traffic with WireGuard. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardEnabledV6"
    )]
    pub wireguard_enabled_v6: Option<bool>,
    /// Enable threaded NAPI on WireGuard devices. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardThreadingEnabled"
    )]
    pub wireguard_threading_enabled: Option<bool>,
    /// UDP port of IPv4 WireGuard (1 to 65535). [Default: 51820]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardListeningPort"
    )]
    pub wireguard_listening_port: Option<i64>,
    /// UDP port of IPv6 WireGuard (1 to 65535). [Default: 51821]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardListeningPortV6"
    )]
    pub wireguard_listening_port_v6: Option<i64>,
    /// Priority of the WireGuard routing rule (1 to 32765). [Default: 99]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardRoutingRulePriority"
    )]
    pub wireguard_routing_rule_priority: Option<i64>,
    /// Name of the IPv4 WireGuard device. [Default: wireguard.cali]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardInterfaceName"
    )]
    pub wireguard_interface_name: Option<String>,
    /// Name of the IPv6 WireGuard device. [Default: wg-v6.cali]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardInterfaceNameV6"
    )]
    pub wireguard_interface_name_v6: Option<String>,
    /// MTU of the IPv4 WireGuard device; 0 detects it. [Default: detected]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardMTU"
    )]
    pub wireguard_mtu: Option<i64>,
    /// MTU of the IPv6 WireGuard device; 0 detects it. [Default: detected]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardMTUV6"
    )]
    pub wireguard_mtu_v6: Option<i64>,
    /// Also encrypt host-to-host traffic. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardHostEncryptionEnabled"
    )]
    pub wireguard_host_encryption_enabled: Option<bool>,
    /// WireGuard persistent keepalive; 0 disables it. [Default: 0]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "wireguardKeepAlive"
    )]
    pub wireguard_persistent_keep_alive: Option<String>,
    /// EC2 source/destination check: `DoNothing`, `Enable` or `Disable`. [Default: DoNothing]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "awsSrcDstCheck"
    )]
    pub aws_src_dst_check: Option<String>,
    /// Traffic to unused advertised service IPs: `Drop`, `Reject` or `Disabled`. [Default: Drop]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "serviceLoopPrevention"
    )]
    pub service_loop_prevention: Option<String>,
    /// Honour pods' `allowedSourcePrefixes`: `Disabled` or `Any`. [Default: Disabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "workloadSourceSpoofing"
    )]
    pub workload_source_spoofing: Option<String>,
    /// Regex of the host interfaces scanned for the MTU. [Default: Felix's data interfaces]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "mtuIfacePattern"
    )]
    pub mtu_iface_pattern: Option<String>,
    /// Program non-OpenStack floating IPs: `Enabled` or `Disabled`. [Default: Disabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "floatingIPs"
    )]
    pub floating_ips: Option<String>,
    /// Program Windows Firewall rules for Felix's ports: `Enabled`/`Disabled`. [Default: Disabled]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "windowsManageFirewallRules"
    )]
    pub windows_manage_firewall_rules: Option<String>,
    /// Go GC threshold (GOGC) in percent; -1 disables GC. [Default: 40]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "goGCThreshold"
    )]
    pub go_gc_threshold: Option<i64>,
    /// Soft Go memory limit in MB; -1 disables it. [Default: -1]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "goMemoryLimitMB"
    )]
    pub go_memory_limit_mb: Option<i64>,
    /// Maximum CPUs used by the Go runtime; -1 means all. [Default: -1]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "goMaxProcs"
    )]
    pub go_max_procs: Option<i64>,
    /// Wait for the MTU file before starting. [Default: false]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "requireMTUFile"
    )]
    pub require_mtu_file: Option<bool>,
    /// Calico 3.32: maximum endpoints of one Maglev service (1 to 3000). [Default: 100]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMaglevMaxEndpointsPerService"
    )]
    pub bpf_maglev_max_endpoints_per_service: Option<i64>,
    /// Calico 3.32: maximum number of Maglev services (1 to 3000). [Default: 100]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "bpfMaglevMaxServices"
    )]
    pub bpf_maglev_max_services: Option<i64>,
    /// Newest releases: nodes this resource (not `default`, `node.*`) applies to. [Default: none]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "nodeSelector"
    )]
    pub node_selector: Option<String>,
}
