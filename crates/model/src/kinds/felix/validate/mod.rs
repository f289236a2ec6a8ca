//! Calico's validation of a FelixConfiguration: the API's rules (the Go validator tags and
//! struct validators of libcalico-go, and the CRD's kubebuilder markers and CEL rules) as
//! errors, plus the values Felix itself refuses at start-up (errors) or silently replaces with
//! its default (warnings).
//!
//! Enum-like fields follow their markers: a `(?i)` pattern accepts any case (older Calico
//! validators wanted the exact spelling, which earns a warning), an `Enum` marker wants the
//! exact spelling.
//!
//! ```text
//!  mod.rs        validate_spec, validate_object, validate_proto_port, and the Checker that
//!                records findings under the spec path
//!  durations.rs  Go durations and the CRD patterns of duration fields
//!  enums.rs      enum-like strings: allowed spellings and case rules
//!  numbers.rs    integer ranges, mark masks and the Istio DSCP mark
//!  strings.rs    free-form strings with a syntax (lists, prefixes, hosts, addresses, regexes)
//!  syntax.rs     the syntax predicates behind them (names, rate limits, key=value lists, RE2)
//!  lists.rs      lists, port ranges and nested structs (failsafe ports, CIDRs, interfaces,
//!                health timeouts, route tables, BPF conntrack timeouts)
//! ```

mod durations;
mod enums;
mod lists;
mod numbers;
mod strings;
mod syntax;

use super::spec::FelixConfigurationSpec;
use super::types::ProtoPort;
use crate::kinds::Object;
use crate::validate::Report;
use crate::validate::names::parse_cidr;
use crate::yaml::FieldPath;

// The syntax helpers the unit tests in `felix/tests.rs` exercise directly.
#[cfg(test)]
pub(super) use durations::{matches_unit_sequence, parse_go_duration};
#[cfg(test)]
pub(super) use syntax::{is_key_value_list, regex_problem};

use durations::check_durations;
use enums::check_enums;
use lists::{
    check_bpf_conntrack_timeouts, check_cidr_lists, check_failsafe, check_health_timeouts,
    check_interface_lists, check_ports, check_route_tables,
};
use numbers::check_numbers;
use strings::check_strings;

/// Validates a spec; `path` points at the spec.
pub fn validate_spec(spec: &FelixConfigurationSpec, path: &FieldPath, report: &mut Report) {
    let mut c = Checker { path, report };
    check_durations(spec, &mut c);
    check_enums(spec, &mut c);
    check_numbers(spec, &mut c);
    check_strings(spec, &mut c);
    check_failsafe(
        &mut c,
        "failsafeInboundHostPorts",
        spec.failsafe_inbound_host_ports.as_deref(),
    );
    check_failsafe(
        &mut c,
        "failsafeOutboundHostPorts",
        spec.failsafe_outbound_host_ports.as_deref(),
    );
    check_ports(spec, &mut c);
    check_cidr_lists(spec, &mut c);
    check_interface_lists(spec, &mut c);
    check_health_timeouts(spec, &mut c);
    check_route_tables(spec, &mut c);
    check_bpf_conntrack_timeouts(spec, &mut c);
}

/// Validates a whole FelixConfiguration object (the spec, plus the rules that involve the
/// name); `path` points at the document root.
pub fn validate_object(
    obj: &Object<FelixConfigurationSpec>,
    path: &FieldPath,
    report: &mut Report,
) {
    let spec_path = path.key("spec");
    validate_spec(&obj.spec, &spec_path, report);
    let name = obj.metadata.name.as_str();
    let scoped_by_name = name == "default" || name.starts_with("node.");
    let has_selector = obj
        .spec
        .node_selector
        .as_deref()
        .is_some_and(|s| !s.is_empty());
    if scoped_by_name && has_selector {
        report.error(
            spec_path.key("nodeSelector"),
            format!(
                "a node selector is not allowed on FelixConfiguration `{name}`, which applies by \
                 its name"
            ),
        );
    } else if !scoped_by_name && !has_selector && !name.is_empty() {
        report.warn(
            path.key("metadata").key("name"),
            format!(
                "a FelixConfiguration named `{name}` is ignored: only `default`, \
                 `node.<node name>` and (in the newest Calico releases) resources with a \
                 `nodeSelector` apply"
            ),
        );
    }
}

/// Records findings under the spec path.
struct Checker<'a> {
    path: &'a FieldPath,
    report: &'a mut Report,
}

impl Checker<'_> {
    fn error(&mut self, at: FieldPath, message: impl Into<String>) {
        self.report.error(at, message);
    }

    fn warn(&mut self, at: FieldPath, message: impl Into<String>) {
        self.report.warn(at, message);
    }

    fn key(&self, key: &str) -> FieldPath {
        self.path.key(key)
    }
}

/// Validates one failsafe `{protocol, port, net}` entry; `at` points at the entry.
pub fn validate_proto_port(p: &ProtoPort, at: &FieldPath, report: &mut Report) {
    if p.effective_protocol().is_none() {
        let given = p.protocol.as_deref().unwrap_or_default();
        report.error(
            at.key("protocol"),
            format!("`{given}` is not `TCP`, `UDP` or `SCTP`"),
        );
    }
    if p.port == 0 {
        report.warn(
            at.key("port"),
            "port 0 matches no traffic; ports are 1 to 65535",
        );
    }
    if let Some(net) = &p.net
        && !net.is_empty()
        && parse_cidr(net).is_none()
    {
        report.error(
            at.key("net"),
            format!("`{net}` is not a CIDR or IP address"),
        );
    }
}
