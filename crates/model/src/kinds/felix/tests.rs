//! Tests of the FelixConfiguration model: real manifests, strictness, defaults, validation and
//! the wire format.

use super::validate::{is_key_value_list, matches_unit_sequence, parse_go_duration, regex_problem};
use super::*;
use crate::kinds::Object;
use crate::validate::{Report, Severity};
use crate::yaml::{FieldPath, from_node, parse_stream};

const SAMPLES: &str = "../../../shared/samples/tigera-docs/calico-docs-examples";

/// Every json tag of Calico 3.29 to 3.32's `FelixConfigurationSpec` (plus the newer
/// `nodeSelector`), in Go declaration order.
const GO_JSON_TAGS: [&str; 184] = [
    "useInternalDataplaneDriver",
    "dataplaneDriver",
    "dataplaneWatchdogTimeout",
    "ipv6Support",
    "routeRefreshInterval",
    "interfaceRefreshInterval",
    "iptablesRefreshInterval",
    "iptablesPostWriteCheckInterval",
    "iptablesLockFilePath",
    "iptablesLockTimeout",
    "iptablesLockProbeInterval",
    "featureDetectOverride",
    "featureGates",
    "ipsetsRefreshInterval",
    "maxIpsetSize",
    "iptablesBackend",
    "xdpRefreshInterval",
    "netlinkTimeout",
    "metadataAddr",
    "metadataPort",
    "openstackRegion",
    "interfacePrefix",
    "interfaceExclude",
    "chainInsertMode",
    "defaultEndpointToHostAction",
    "iptablesFilterAllowAction",
    "iptablesMangleAllowAction",
    "iptablesFilterDenyAction",
    "logPrefix",
    "logActionRateLimit",
    "logActionRateLimitBurst",
    "logFilePath",
    "logSeverityFile",
    "logSeverityScreen",
    "logSeveritySys",
    "logDebugFilenameRegex",
    "ipipEnabled",
    "ipipMTU",
    "vxlanEnabled",
    "vxlanMTU",
    "vxlanMTUV6",
    "vxlanPort",
    "vxlanVNI",
    "allowVXLANPacketsFromWorkloads",
    "allowIPIPPacketsFromWorkloads",
    "reportingInterval",
    "reportingTTL",
    "endpointReportingEnabled",
    "endpointReportingDelay",
    "endpointStatusPathPrefix",
    "iptablesMarkMask",
    "disableConntrackInvalidCheck",
    "healthEnabled",
    "healthHost",
    "healthPort",
    "healthTimeoutOverrides",
    "prometheusMetricsEnabled",
    "prometheusMetricsHost",
    "prometheusMetricsPort",
    "prometheusGoMetricsEnabled",
    "prometheusProcessMetricsEnabled",
    "prometheusWireGuardMetricsEnabled",
    "prometheusMetricsCAFile",
    "prometheusMetricsCertFile",
    "prometheusMetricsKeyFile",
    "prometheusMetricsClientAuth",
    "failsafeInboundHostPorts",
    "failsafeOutboundHostPorts",
    "kubeNodePortRanges",
    "policySyncPathPrefix",
    "usageReportingEnabled",
    "usageReportingInitialDelay",
    "usageReportingInterval",
    "natPortRange",
    "natOutgoingAddress",
    "natOutgoingExclusions",
    "deviceRouteSourceAddress",
    "deviceRouteSourceAddressIPv6",
    "deviceRouteProtocol",
    "removeExternalRoutes",
    "programClusterRoutes",
    "ipForwarding",
    "externalNodesList",
    "debugMemoryProfilePath",
    "debugDisableLogDropping",
    "debugSimulateCalcGraphHangAfter",
    "debugSimulateDataplaneHangAfter",
    "debugSimulateDataplaneApplyDelay",
    "debugHost",
    "debugPort",
    "iptablesNATOutgoingInterfaceFilter",
    "sidecarAccelerationEnabled",
    "xdpEnabled",
    "genericXDPEnabled",
    "nftablesMode",
    "nftablesRefreshInterval",
    "nftablesFilterAllowAction",
    "nftablesMangleAllowAction",
    "nftablesFilterDenyAction",
    "nftablesMarkMask",
    "bpfEnabled",
    "bpfDisableUnprivileged",
    "bpfJITHardening",
    "bpfLogLevel",
    "bpfConntrackLogLevel",
    "bpfConntrackMode",
    "bpfConntrackTimeouts",
    "bpfLogFilters",
    "bpfCTLBLogFilter",
    "bpfDataIfacePattern",
    "bpfL3IfacePattern",
    "bpfConnectTimeLoadBalancingEnabled",
    "bpfConnectTimeLoadBalancing",
    "bpfHostNetworkedNATWithoutCTLB",
    "bpfExternalServiceMode",
    "bpfDSROptoutCIDRs",
    "bpfExtToServiceConnmark",
    "bpfKubeProxyIptablesCleanupEnabled",
    "bpfKubeProxyMinSyncPeriod",
    "bpfKubeProxyEndpointSlicesEnabled",
    "bpfKubeProxyHealthzPort",
    "bpfPSNATPorts",
    "bpfMapSizeNATFrontend",
    "bpfMapSizeNATBackend",
    "bpfMapSizeNATAffinity",
    "bpfMapSizeRoute",
    "bpfMapSizeConntrack",
    "bpfMapSizePerCpuConntrack",
    "bpfMapSizeConntrackScaling",
    "bpfMapSizeConntrackCleanupQueue",
    "bpfMapSizeIPSets",
    "bpfMapSizeIfState",
    "bpfHostConntrackBypass",
    "bpfEnforceRPF",
    "bpfPolicyDebugEnabled",
    "bpfForceTrackPacketsFromIfaces",
    "bpfDisableGROForIfaces",
    "bpfExcludeCIDRsFromNAT",
    "bpfExportBufferSizeMB",
    "istioAmbientMode",
    "istioDSCPMark",
    "cgroupV2Path",
    "flowLogsPolicyEvaluationMode",
    "bpfRedirectToPeer",
    "bpfAttachType",
    "flowLogsFlushInterval",
    "flowLogsCollectorDebugTrace",
    "flowLogsGoldmaneServer",
    "flowLogsLocalReporter",
    "bpfProfiling",
    "routeSource",
    "routeTableRanges",
    "routeTableRange",
    "routeSyncDisabled",
    "ipv4NormalRoutePriority",
    "ipv4ElevatedRoutePriority",
    "ipv6NormalRoutePriority",
    "ipv6ElevatedRoutePriority",
    "liveMigrationRouteConvergenceTime",
    "wireguardEnabled",
    "wireguardEnabledV6",
    "wireguardThreadingEnabled",
    "wireguardListeningPort",
    "wireguardListeningPortV6",
    "wireguardRoutingRulePriority",
    "wireguardInterfaceName",
    "wireguardInterfaceNameV6",
    "wireguardMTU",
    "wireguardMTUV6",
    "wireguardHostEncryptionEnabled",
    "wireguardKeepAlive",
    "awsSrcDstCheck",
    "serviceLoopPrevention",
    "workloadSourceSpoofing",
    "mtuIfacePattern",
    "floatingIPs",
    "windowsManageFirewallRules",
    "goGCThreshold",
    "goMemoryLimitMB",
    "goMaxProcs",
    "requireMTUFile",
    "bpfMaglevMaxEndpointsPerService",
    "bpfMaglevMaxServices",
    "nodeSelector",
];

/// The keys of the top-level JSON object, in the order they are written (`serde_json::Value`
/// sorts its keys).
fn keys_in_order(json: &str) -> Vec<String> {
    let (mut keys, mut depth, mut in_string, mut escaped) = (Vec::new(), 0usize, false, false);
    let (mut current, mut expecting_key) = (String::new(), false);
    for ch in json.chars() {
        if in_string {
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    in_string = false;
                    if depth == 1 && expecting_key {
                        keys.push(std::mem::take(&mut current));
                        expecting_key = false;
                    }
                    continue;
                }
                _ => {}
            }
            if depth == 1 && expecting_key {
                current.push(ch);
            }
            continue;
        }
        match ch {
            '"' => in_string = true,
            '{' | '[' => {
                depth += 1;
                expecting_key = depth == 1 && ch == '{';
            }
            '}' | ']' => depth -= 1,
            ',' if depth == 1 => expecting_key = true,
            _ => {}
        }
    }
    keys
}

fn load(text: &str) -> Object<FelixConfigurationSpec> {
    let docs = parse_stream(text).expect("the YAML parses");
    from_node::<Object<FelixConfigurationSpec>>(&docs[0]).expect("the document loads")
}

fn load_err(text: &str) -> crate::yaml::DeError {
    let docs = parse_stream(text).expect("the YAML parses");
    from_node::<Object<FelixConfigurationSpec>>(&docs[0]).expect_err("the document is rejected")
}

fn manifest(spec: &str) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n  \
         name: default\nspec:\n{spec}"
    )
}

fn sample(relative: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(SAMPLES)
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn validate(obj: &Object<FelixConfigurationSpec>) -> Report {
    let mut report = Report::default();
    validate_object(obj, &FieldPath::root(), &mut report);
    report
}

/// The findings as (`path`, is-error) pairs, sorted.
fn findings(report: &Report) -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = report
        .violations
        .iter()
        .map(|v| (v.path.to_string(), v.severity == Severity::Error))
        .collect();
    v.sort();
    v
}

#[test]
fn docs_sample_global_config_loads() {
    let obj = load(&sample("reference/resources/felixconfig--01.yaml"));
    assert_eq!(obj.metadata.name, "default");
    assert_eq!(obj.spec.ipv6_support, Some(false));
    assert_eq!(obj.spec.ipip_mtu, Some(1400));
    assert_eq!(obj.spec.chain_insert_mode.as_deref(), Some("Append"));
    assert!(
        validate(&obj).violations.is_empty(),
        "{:?}",
        validate(&obj).violations
    );
}

#[test]
fn docs_sample_selector_scoped_config_loads() {
    let obj = load(&sample("reference/resources/felixconfig--02.yaml"));
    assert_eq!(obj.metadata.name, "gpu-nodes");
    assert_eq!(obj.spec.node_selector.as_deref(), Some("role == 'gpu'"));
    assert_eq!(obj.spec.log_severity_screen.as_deref(), Some("Debug"));
    assert_eq!(obj.spec.bpf_enabled, Some(true));
    assert!(
        validate(&obj).violations.is_empty(),
        "{:?}",
        validate(&obj).violations
    );
}

#[test]
fn docs_sample_protect_hosts_loads() {
    let obj = load(&sample("network-policy/hosts/protect-hosts--03.yaml"));
    assert_eq!(obj.spec.ipip_enabled, Some(true));
    assert_eq!(obj.spec.reporting_interval.as_deref(), Some("0s"));
    assert_eq!(
        obj.spec.default_endpoint_to_host_action(),
        EndpointToHostAction::Accept
    );
    assert!(
        validate(&obj).violations.is_empty(),
        "{:?}",
        validate(&obj).violations
    );
}

#[test]
fn every_field_loads_validates_and_keeps_go_order() {
    let obj = load(include_str!("full-spec.yaml"));
    let report = validate(&obj);
    assert!(report.violations.is_empty(), "{:?}", report.violations);

    let json = serde_json::to_string(&obj.spec).expect("the spec serializes");
    let expected: Vec<&str> = GO_JSON_TAGS
        .iter()
        .copied()
        .filter(|k| *k != "routeTableRange")
        .collect();
    assert_eq!(keys_in_order(&json), expected);

    let back: FelixConfigurationSpec = serde_json::from_str(&json).expect("the JSON loads back");
    assert_eq!(back, obj.spec);
}

#[test]
fn route_table_range_has_its_go_name_and_place() {
    let spec = FelixConfigurationSpec {
        route_source: Some("CalicoIPAM".into()),
        route_table_range: Some(RouteTableRange { min: 1, max: 250 }),
        route_sync_disabled: Some(false),
        ..FelixConfigurationSpec::default()
    };
    let json = serde_json::to_string(&spec).expect("serializes");
    assert_eq!(
        keys_in_order(&json),
        [
            "bpfLogLevel",
            "routeSource",
            "routeTableRange",
            "routeSyncDisabled"
        ]
    );
    assert!(
        json.contains(r#""routeTableRange":{"min":1,"max":250}"#),
        "{json}"
    );
}

#[test]
fn wire_names_are_the_go_json_tags() {
    let obj = load(include_str!("full-spec.yaml"));
    let json = serde_json::to_value(&obj.spec).expect("serializes");
    let object = json.as_object().expect("an object");
    for tag in GO_JSON_TAGS.iter().filter(|k| **k != "routeTableRange") {
        assert!(object.contains_key(*tag), "missing `{tag}`");
    }
    // Spot checks of the names whose spelling is easy to get wrong.
    for tag in [
        "ipv6Support",
        "ipipMTU",
        "vxlanMTUV6",
        "vxlanVNI",
        "allowVXLANPacketsFromWorkloads",
        "reportingTTL",
        "prometheusMetricsCAFile",
        "externalNodesList",
        "deviceRouteSourceAddressIPv6",
        "iptablesNATOutgoingInterfaceFilter",
        "xdpEnabled",
        "genericXDPEnabled",
        "bpfEnabled",
        "bpfJITHardening",
        "bpfConntrackMode",
        "bpfCTLBLogFilter",
        "bpfL3IfacePattern",
        "bpfHostNetworkedNATWithoutCTLB",
        "bpfDSROptoutCIDRs",
        "bpfPSNATPorts",
        "bpfMapSizeNATFrontend",
        "bpfMapSizePerCpuConntrack",
        "bpfMapSizeIPSets",
        "bpfEnforceRPF",
        "bpfDisableGROForIfaces",
        "bpfExcludeCIDRsFromNAT",
        "bpfExportBufferSizeMB",
        "istioDSCPMark",
        "cgroupV2Path",
        "wireguardEnabledV6",
        "wireguardMTU",
        "wireguardMTUV6",
        "wireguardKeepAlive",
        "floatingIPs",
        "goGCThreshold",
        "goMemoryLimitMB",
        "requireMTUFile",
    ] {
        assert!(object.contains_key(tag), "missing `{tag}`");
    }
    assert_eq!(json["iptablesMarkMask"], serde_json::json!(0xffff_0000_u32));
    assert_eq!(json["istioDSCPMark"], serde_json::json!("AF21"));
    assert_eq!(
        json["kubeNodePortRanges"],
        serde_json::json!(["30000:32767", 8080])
    );
}

#[test]
fn yaml_round_trip_keeps_the_spec() {
    let obj = load(&sample("reference/resources/felixconfig--02.yaml"));
    let json = serde_json::to_string(&obj).expect("serializes");
    let back: Object<FelixConfigurationSpec> = serde_json::from_str(&json).expect("loads back");
    assert_eq!(back, obj);
    // Calico always writes `bpfLogLevel` (its json tag has no omitempty); the rest stays absent.
    let spec = serde_json::to_string(&obj.spec).expect("serializes");
    assert_eq!(
        keys_in_order(&spec),
        [
            "logSeverityScreen",
            "bpfEnabled",
            "bpfLogLevel",
            "nodeSelector"
        ]
    );
    assert!(spec.contains(r#""bpfLogLevel":"""#), "{spec}");
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    let err = load_err(&manifest("  ipv6Support: true\n  iptablesBakend: NFT\n"));
    assert_eq!(err.path.to_string(), "spec.iptablesBakend");
    assert!(err.message.contains("`iptablesBackend`"), "{}", err.message);

    let err = load_err(&manifest(
        "  failsafeInboundHostPorts:\n    - port: 22\n      proto: TCP\n",
    ));
    assert_eq!(
        err.path.to_string(),
        "spec.failsafeInboundHostPorts[0].proto"
    );

    let err = load_err(&manifest("  bpfConntrackTimeouts:\n    tcpSynSend: 20s\n"));
    assert_eq!(err.path.to_string(), "spec.bpfConntrackTimeouts.tcpSynSend");

    // Fields from later Calico releases than those covered are unknown too.
    let err = load_err(&manifest("  bpfIPFragTimeout: 30s\n"));
    assert_eq!(err.path.to_string(), "spec.bpfIPFragTimeout");
}

#[test]
fn wrong_types_and_missing_required_fields_are_rejected() {
    let err = load_err(&manifest(
        "  failsafeInboundHostPorts:\n    - protocol: TCP\n",
    ));
    assert!(err.message.contains("`port`"), "{}", err.message);
    let err = load_err(&manifest(
        "  failsafeOutboundHostPorts:\n    - port: 70000\n",
    ));
    assert_eq!(
        err.path.to_string(),
        "spec.failsafeOutboundHostPorts[0].port"
    );
    let err = load_err(&manifest(
        "  healthTimeoutOverrides:\n    - name: CalcGraph\n",
    ));
    assert!(err.message.contains("`timeout`"), "{}", err.message);
    let err = load_err(&manifest("  bpfEnabled: sometimes\n"));
    assert_eq!(err.path.to_string(), "spec.bpfEnabled");
}

#[test]
fn defaults_apply_to_an_empty_spec() {
    let spec = FelixConfigurationSpec::default();
    let inbound: Vec<(Option<&str>, u16)> = spec
        .failsafe_inbound_host_ports()
        .iter()
        .map(|p| (p.effective_protocol(), p.port))
        .collect();
    let tcp = |p| (Some("TCP"), p);
    let udp = |p| (Some("UDP"), p);
    assert_eq!(
        inbound,
        [
            tcp(22),
            udp(68),
            tcp(179),
            tcp(2379),
            tcp(2380),
            tcp(5473),
            tcp(6443),
            tcp(6666),
            tcp(6667)
        ]
    );
    let outbound: Vec<(Option<&str>, u16)> = spec
        .failsafe_outbound_host_ports()
        .iter()
        .map(|p| (p.effective_protocol(), p.port))
        .collect();
    assert_eq!(
        outbound,
        [
            udp(53),
            udp(67),
            tcp(179),
            tcp(2379),
            tcp(2380),
            tcp(5473),
            tcp(6443),
            tcp(6666),
            tcp(6667)
        ]
    );
    assert!(
        spec.failsafe_inbound_host_ports()
            .iter()
            .all(|p| p.net.is_none())
    );
    assert_eq!(
        spec.default_endpoint_to_host_action(),
        EndpointToHostAction::Drop
    );
    assert_eq!(spec.log_prefix(), "calico-packet");
    assert_eq!(spec.log_action_rate_limit(), None);
    assert_eq!(spec.log_action_rate_limit_burst(), 5);
    assert_eq!(spec.nftables_mode(), NftablesMode::Auto);
}

#[test]
fn configured_values_override_the_defaults() {
    let obj = load(&manifest(concat!(
        "  failsafeInboundHostPorts:\n",
        "    - port: 2222\n",
        "      net: 10.0.0.0/8\n",
        "  defaultEndpointToHostAction: RETURN\n",
        "  logPrefix: \"%k-%n\"\n",
        "  logActionRateLimit: 5/minute\n",
        "  logActionRateLimitBurst: 50\n",
        "  nftablesMode: Enabled\n",
    )));
    let spec = &obj.spec;
    let inbound = spec.failsafe_inbound_host_ports();
    assert_eq!(inbound.len(), 1);
    assert_eq!(
        (inbound[0].effective_protocol(), inbound[0].port),
        (Some("TCP"), 2222)
    );
    assert_eq!(inbound[0].net.as_deref(), Some("10.0.0.0/8"));
    assert_eq!(spec.failsafe_outbound_host_ports().len(), 9);
    assert_eq!(
        spec.default_endpoint_to_host_action(),
        EndpointToHostAction::Return
    );
    assert_eq!(spec.log_prefix(), "%k-%n");
    assert_eq!(spec.log_action_rate_limit(), Some("5/minute"));
    assert_eq!(spec.log_action_rate_limit_burst(), 50);
    assert_eq!(spec.nftables_mode(), NftablesMode::Enabled);
}

#[test]
fn explicit_empty_failsafe_lists_disable_the_failsafe_ports() {
    let obj = load(&manifest(
        "  failsafeInboundHostPorts: []\n  failsafeOutboundHostPorts: []\n",
    ));
    assert_eq!(obj.spec.failsafe_inbound_host_ports, Some(vec![]));
    assert!(obj.spec.failsafe_inbound_host_ports().is_empty());
    assert!(obj.spec.failsafe_outbound_host_ports().is_empty());
    // The empty list survives serialization, unlike an absent one.
    let json = serde_json::to_value(&obj.spec).expect("serializes");
    assert_eq!(json["failsafeInboundHostPorts"], serde_json::json!([]));

    let absent = load(&manifest("  failsafeInboundHostPorts: null\n"));
    assert_eq!(absent.spec.failsafe_inbound_host_ports, None);
    assert_eq!(absent.spec.failsafe_inbound_host_ports().len(), 9);
}

#[test]
fn validation_reports_bad_values_at_their_paths() {
    let obj = load(&manifest(concat!(
        "  defaultEndpointToHostAction: Allow\n",
        "  chainInsertMode: APPEND\n",
        "  nftablesMode: auto\n",
        "  iptablesBackend: nft\n",
        "  logPrefix: \"bad!prefix\"\n",
        "  logActionRateLimit: 0/second\n",
        "  logActionRateLimitBurst: 10000\n",
        "  interfacePrefix: \"cali,,tap\"\n",
        "  reportingInterval: 10x\n",
        "  routeRefreshInterval: -5s\n",
        "  iptablesRefreshInterval: \"0\"\n",
        "  healthPort: 70000\n",
        "  wireguardListeningPort: 0\n",
        "  natOutgoingAddress: 2001:db8::1\n",
        "  featureDetectOverride: \"A=maybe\"\n",
        "  failsafeInboundHostPorts:\n",
        "    - protocol: ICMP\n",
        "      port: 0\n",
        "    - protocol: sctp\n",
        "      port: 9000\n",
        "      net: 10.0.0.300/8\n",
        "  kubeNodePortRanges: [\"30000:32767\", http]\n",
        "  routeTableRanges:\n",
        "    - min: 0\n",
        "      max: 10\n",
        "  routeTableRange: {min: 1, max: 250}\n",
        "  healthTimeoutOverrides:\n",
        "    - name: \"bad/name\"\n",
        "      timeout: -1s\n",
        "  bpfConntrackTimeouts:\n",
        "    tcpEstablished: forever\n",
        "  bpfLogFilters:\n",
        "    \"all interfaces\": \"tcp\"\n",
        "  istioDSCPMark: 64\n",
        "  iptablesMarkMask: 1\n",
        "  mtuIfacePattern: \"(eth\"\n",
        "  nodeSelector: \"role ==\"\n",
    )));
    let report = validate(&obj);
    let got = findings(&report);
    let error = |p: &str| (p.to_string(), true);
    let warning = |p: &str| (p.to_string(), false);
    let mut want = vec![
        error("spec.defaultEndpointToHostAction"),
        error("spec.nftablesMode"),
        warning("spec.iptablesBackend"),
        error("spec.logPrefix"),
        error("spec.logActionRateLimit"),
        error("spec.logActionRateLimitBurst"),
        error("spec.interfacePrefix"),
        error("spec.reportingInterval"),
        error("spec.routeRefreshInterval"),
        warning("spec.iptablesRefreshInterval"),
        warning("spec.healthPort"),
        error("spec.wireguardListeningPort"),
        error("spec.natOutgoingAddress"),
        error("spec.featureDetectOverride"),
        error("spec.failsafeInboundHostPorts[0].protocol"),
        warning("spec.failsafeInboundHostPorts[0].port"),
        error("spec.failsafeInboundHostPorts[1].net"),
        error("spec.kubeNodePortRanges[1]"),
        error("spec.routeTableRanges[0].min"),
        error("spec.routeTableRange"),
        error("spec.healthTimeoutOverrides[0].name"),
        error("spec.healthTimeoutOverrides[0].timeout"),
        error("spec.bpfConntrackTimeouts.tcpEstablished"),
        error("spec.bpfLogFilters.all interfaces"),
        error("spec.istioDSCPMark"),
        error("spec.iptablesMarkMask"),
        error("spec.mtuIfacePattern"),
        // Both a bad selector and a selector on `default`.
        error("spec.nodeSelector"),
        error("spec.nodeSelector"),
    ];
    want.sort();
    assert_eq!(got, want, "{:#?}", report.violations);
    // `chainInsertMode` is matched case-insensitively; `sctp` is a valid failsafe protocol.
    for v in &report.violations {
        let first = v.message.chars().next().expect("a message");
        assert!(
            !first.is_ascii_uppercase(),
            "message starts in upper case: {}",
            v.message
        );
        assert!(
            !v.message.ends_with('.'),
            "message ends with a full stop: {}",
            v.message
        );
    }
    let action = report
        .violations
        .iter()
        .find(|v| v.path.to_string() == "spec.defaultEndpointToHostAction");
    assert_eq!(
        action.map(|v| v.message.as_str()),
        Some("`Allow` is not one of `Drop`, `Accept`, `Return`")
    );
}

#[test]
fn older_exact_spellings_are_accepted_with_a_warning() {
    let obj = load(&manifest(
        "  defaultEndpointToHostAction: ACCEPT\n  logSeverityScreen: info\n",
    ));
    let report = validate(&obj);
    assert_eq!(
        findings(&report),
        [
            ("spec.defaultEndpointToHostAction".to_string(), false),
            ("spec.logSeverityScreen".to_string(), false)
        ]
    );
    assert_eq!(
        obj.spec.default_endpoint_to_host_action(),
        EndpointToHostAction::Accept
    );
}

#[test]
fn node_selector_is_only_allowed_on_selector_scoped_resources() {
    let obj = load(&manifest("  nodeSelector: \"role == 'gpu'\"\n"));
    assert_eq!(
        findings(&validate(&obj)),
        [("spec.nodeSelector".to_string(), true)]
    );

    let mut unscoped = load(&manifest("  bpfEnabled: true\n"));
    unscoped.metadata.name = "gpu-nodes".to_string();
    assert_eq!(
        findings(&validate(&unscoped)),
        [("metadata.name".to_string(), false)]
    );
}

#[test]
fn go_durations_parse_like_time_parse_duration() {
    let ns = |s: &str| parse_go_duration(s);
    assert_eq!(ns("0"), Ok(0));
    assert_eq!(ns("-0"), Ok(0));
    assert_eq!(ns("90s"), Ok(90_000_000_000));
    assert_eq!(ns("1m30s"), Ok(90_000_000_000));
    assert_eq!(ns("1.5h"), Ok(5_400_000_000_000));
    assert_eq!(ns(".5s"), Ok(500_000_000));
    assert_eq!(ns("-2ms"), Ok(-2_000_000));
    assert_eq!(ns("10\u{b5}s"), Ok(10_000));
    assert_eq!(ns("1h2m3s4ms5us6ns"), Ok(3_723_004_005_006));
    for bad in [
        "",
        "30",
        "s",
        "1x",
        ".s",
        "1.s5",
        "9999999999999999999999h",
        "3000000h",
    ] {
        assert!(ns(bad).is_err(), "`{bad}` should not parse");
    }
    assert!(matches_unit_sequence("1m30s", false));
    assert!(matches_unit_sequence("500ms", false));
    assert!(!matches_unit_sequence("0", false));
    assert!(!matches_unit_sequence("1.5s", false));
    assert!(matches_unit_sequence("1.5s", true));
}

#[test]
fn key_value_lists_follow_the_crd_patterns() {
    for ok in ["", "A=true", "A=true,B=false,C=", "A=true,", "a-b_c=false"] {
        assert!(is_key_value_list(ok, true), "`{ok}`");
    }
    for bad in ["A", "A=maybe", "=true", "A=true,,", "A=true,B", "A b=true"] {
        assert!(!is_key_value_list(bad, true), "`{bad}`");
    }
    for ok in ["", "A=enabled", "A=x,B=y", "A=x,y", "A=x,"] {
        assert!(is_key_value_list(ok, false), "`{ok}`");
    }
    for bad in ["A", "A=", "A==x", "A=x,=y", "A=x,B="] {
        assert!(!is_key_value_list(bad, false), "`{bad}`");
    }
}

#[test]
fn regular_expressions_get_a_syntax_check() {
    for ok in [
        "^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)",
        "a*?b",
        "[]a]",
        "\\(x\\)",
        "(?i)eth0",
    ] {
        assert_eq!(regex_problem(ok), None, "`{ok}`");
    }
    for bad in ["(eth", "eth)", "[a-z", "*eth", "a**", "x\\"] {
        assert!(regex_problem(bad).is_some(), "`{bad}`");
    }
}

#[test]
fn dscp_values_accept_numbers_and_names() {
    assert_eq!(Dscp::Number(23).code_point(), Some(23));
    assert_eq!(Dscp::Number(64).code_point(), None);
    assert_eq!(Dscp::Name("ef".into()).code_point(), Some(46));
    assert_eq!(Dscp::Name("AF99".into()).code_point(), None);
    let obj = load(&manifest("  istioDSCPMark: \"23\"\n"));
    assert_eq!(obj.spec.istio_dscp_mark, Some(Dscp::Number(23)));
    assert_eq!(DSCP_NAMES.len(), 21);
}

#[test]
fn empty_strings_are_unset_except_for_pointer_enums() {
    let obj = load(&manifest(concat!(
        "  chainInsertMode: \"\"\n",
        "  logPrefix: \"\"\n",
        "  awsSrcDstCheck: \"\"\n",
    )));
    let report = validate(&obj);
    assert_eq!(
        findings(&report),
        [("spec.awsSrcDstCheck".to_string(), true)]
    );
    assert_eq!(obj.spec.log_prefix(), "calico-packet");
}
