//! Rule validation: Calico's `validateRule`, `validateEntityRule` and the CEL rules on `Rule`
//! and `EntityRule`, plus selector syntax.

use ipnet::IpNet;
use tortie_selector::Selector;

use super::Report;
use super::names::{label_key_problem, parse_cidr};
use crate::numorstring::{PROTOCOL_NAMES, Port, Protocol};
use crate::rule::{Action, EntityRule, HttpMatch, IcmpFields, Rule};
use crate::yaml::FieldPath;

/// Where a rule sits, which changes what it may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleContext {
    /// An ingress rule of a namespaced policy.
    NamespacedIngress,
    /// An egress rule of a namespaced policy.
    NamespacedEgress,
    /// An ingress rule of a global policy.
    GlobalIngress,
    /// An egress rule of a global policy.
    GlobalEgress,
    /// A profile rule, or a rule validated on its own.
    Standalone,
}

impl RuleContext {
    fn is_egress(self) -> bool {
        matches!(
            self,
            RuleContext::NamespacedEgress | RuleContext::GlobalEgress
        )
    }
    fn is_ingress(self) -> bool {
        matches!(
            self,
            RuleContext::NamespacedIngress | RuleContext::GlobalIngress
        )
    }
    fn is_global(self) -> bool {
        matches!(self, RuleContext::GlobalIngress | RuleContext::GlobalEgress)
    }
}

const MAX_SELECTOR_LEN: usize = 1024;
const MAX_NETS: usize = 256;
const MAX_PORTS: usize = 50;

/// Checks selector syntax and length. `allow_global` is false everywhere except a rule's
/// `namespaceSelector`, where `global()` is allowed as the whole selector.
pub fn selector(text: &str, path: &FieldPath, allow_global: bool, report: &mut Report) {
    if text.len() > MAX_SELECTOR_LEN {
        report.error(
            path.clone(),
            format!(
                "selector is {} characters long; the limit is {MAX_SELECTOR_LEN}",
                text.len()
            ),
        );
        return;
    }
    match Selector::parse(text) {
        Err(e) => report.error(path.clone(), format!("invalid selector `{text}`: {e}")),
        Ok(sel) if text.contains("global(") => {
            if !allow_global {
                report.error(
                    path.clone(),
                    "global() can only be used in an EntityRule namespaceSelector",
                );
            } else if sel.canonical() != "global()" {
                report.error(
                    path.clone(),
                    format!("`{}`: global() must be the whole namespaceSelector, not combined with other expressions", text.trim()),
                );
            }
        }
        Ok(_) => {}
    }
}

/// Checks a protocol value: one of Calico's names (case-sensitive) or 1 to 255.
pub fn protocol(p: &Protocol, path: &FieldPath, report: &mut Report) {
    match p {
        Protocol::Number(0) => {
            report.error(path.clone(), "protocol number must be between 1 and 255")
        }
        Protocol::Number(_) => {}
        Protocol::Name(name) => {
            if !PROTOCOL_NAMES.iter().any(|(n, _)| n == name) {
                let hint = PROTOCOL_NAMES
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(n, _)| {
                        format!(" (protocol names are case-sensitive: did you mean `{n}`?)")
                    })
                    .unwrap_or_default();
                report.error(
                    path.clone(),
                    format!("invalid protocol `{name}`: must be TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number from 1 to 255{hint}"),
                );
            }
        }
    }
}

/// Checks ICMP type and code ranges; a code needs a type.
pub fn icmp_fields(icmp: &IcmpFields, path: &FieldPath, report: &mut Report) {
    if let Some(t) = icmp.icmp_type
        && !(0..=254).contains(&t)
    {
        report.error(
            path.key("type"),
            format!("ICMP type {t} is out of range: must be 0 to 254"),
        );
    }
    if let Some(c) = icmp.code {
        if !(0..=255).contains(&c) {
            report.error(
                path.key("code"),
                format!("ICMP code {c} is out of range: must be 0 to 255"),
            );
        }
        if icmp.icmp_type.is_none() {
            report.error(path.key("code"), "ICMP code specified without an ICMP type");
        }
    }
}

/// Checks an HTTP match: methods unique; each path exactly one of `exact`/`prefix`, starting
/// with `/`, without `?`, `#` or spaces.
pub fn http_match(http: &HttpMatch, path: &FieldPath, report: &mut Report) {
    for (i, m) in http.methods.iter().enumerate() {
        if http.methods[..i].contains(m) {
            report.error(
                path.key("methods").index(i),
                format!("duplicate HTTP method `{m}`"),
            );
        }
    }
    if http.methods.len() > 20 {
        report.error(path.key("methods"), "at most 20 HTTP methods are allowed");
    }
    for (i, p) in http.paths.iter().enumerate() {
        let at = path.key("paths").index(i);
        let value = match (p.exact.is_empty(), p.prefix.is_empty()) {
            (false, true) => &p.exact,
            (true, false) => &p.prefix,
            (false, false) => {
                report.error(
                    at,
                    "an HTTP path sets both `exact` and `prefix`; set exactly one",
                );
                continue;
            }
            (true, true) => {
                report.error(at, "an HTTP path must set one of `exact` or `prefix`");
                continue;
            }
        };
        if !value.starts_with('/') || value.contains(['?', '#', ' ']) {
            report.error(at, format!("invalid HTTP path `{value}`: must start with `/` and contain no `?`, `#` or spaces"));
        }
    }
}

fn port(p: &Port, path: &FieldPath, report: &mut Report) {
    match p {
        Port::Number(0) | Port::Range(0, _) => report.error(
            path.clone(),
            format!(
                "invalid port `{p}`: port range invalid, port number must be between 1 and 65535"
            ),
        ),
        Port::Named(name) => {
            let ok = !name.is_empty()
                && name.len() <= 128
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
            if !ok {
                report.error(path.clone(), format!("invalid port name `{name}`"));
            }
        }
        _ => {}
    }
}

/// Checks an entity rule on its own (selectors, nets, ports, services).
pub fn entity_rule(er: &EntityRule, path: &FieldPath, report: &mut Report) {
    if !er.selector.is_empty() {
        selector(&er.selector, &path.key("selector"), false, report);
    }
    if !er.not_selector.is_empty() {
        selector(&er.not_selector, &path.key("notSelector"), false, report);
    }
    if !er.namespace_selector.is_empty() {
        selector(
            &er.namespace_selector,
            &path.key("namespaceSelector"),
            true,
            report,
        );
    }
    for (field, nets) in [("nets", &er.nets), ("notNets", &er.not_nets)] {
        if nets.len() > MAX_NETS {
            report.error(
                path.key(field),
                format!("at most {MAX_NETS} networks are allowed"),
            );
        }
        for (i, n) in nets.iter().enumerate() {
            match parse_cidr(n.trim()) {
                None => report.error(
                    path.key(field).index(i),
                    format!("invalid network `{n}`: not an IP address or CIDR"),
                ),
                Some((net, false)) => report.error(
                    path.key(field).index(i),
                    format!(
                        "network `{n}` is not masked: host bits are set; did you mean `{}`?",
                        net.trunc()
                    ),
                ),
                Some((net, true)) if field == "notNets" && net.prefix_len() == 0 => report.error(
                    path.key(field).index(i),
                    format!(
                        "`{n}` in notNets matches nothing; it would make the rule match no traffic"
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    for (field, ports) in [("ports", &er.ports), ("notPorts", &er.not_ports)] {
        if ports.len() > MAX_PORTS {
            report.error(
                path.key(field),
                format!("at most {MAX_PORTS} ports are allowed"),
            );
        }
        for (i, p) in ports.iter().enumerate() {
            port(p, &path.key(field).index(i), report);
        }
    }
    if let Some(sa) = &er.service_accounts
        && !sa.selector.is_empty()
    {
        selector(
            &sa.selector,
            &path.key("serviceAccounts").key("selector"),
            false,
            report,
        );
    }
    if let Some(svc) = &er.services {
        let at = path.key("services");
        if svc.name.is_empty() {
            report.error(at.key("name"), "services must specify a service name");
        }
        let conflicts = [
            (!er.namespace_selector.is_empty(), "namespaceSelector"),
            (er.service_accounts.is_some(), "serviceAccounts"),
            (!er.selector.is_empty(), "selector"),
            (!er.not_selector.is_empty(), "notSelector"),
            (!er.nets.is_empty(), "nets"),
            (!er.not_nets.is_empty(), "notNets"),
        ];
        for (set, field) in conflicts {
            if set {
                report.error(
                    at.clone(),
                    format!("cannot specify `{field}` and `services` on the same rule"),
                );
            }
        }
    }
}

fn net_family(n: &str) -> Option<u8> {
    parse_cidr(n.trim()).map(|(net, _)| match net {
        IpNet::V4(_) => 4,
        IpNet::V6(_) => 6,
    })
}

/// Checks a rule: its parts, and how they combine (ports need a protocol with ports, ICMP
/// fields need an ICMP protocol, IP versions agree, services only where Calico allows them).
pub fn rule(r: &Rule, path: &FieldPath, ctx: RuleContext, report: &mut Report) {
    if let Some(v) = r.ip_version
        && v != 4
        && v != 6
    {
        report.error(
            path.key("ipVersion"),
            format!("ipVersion {v} is invalid: must be 4 or 6"),
        );
    }
    for (field, p) in [("protocol", &r.protocol), ("notProtocol", &r.not_protocol)] {
        let Some(p) = p else { continue };
        protocol(p, &path.key(field), report);
        match (p.number(), r.ip_version) {
            (Some(1), Some(6)) => {
                report.error(path.key(field), "protocol ICMP requires ipVersion 4")
            }
            (Some(58), Some(4)) => {
                report.error(path.key(field), "protocol ICMPv6 requires ipVersion 6")
            }
            _ => {}
        }
    }
    if let Some(icmp) = &r.icmp {
        icmp_fields(icmp, &path.key("icmp"), report);
        if !r.protocol.as_ref().is_some_and(Protocol::is_icmp) {
            report.error(
                path.key("icmp"),
                "ICMP fields require protocol to be ICMP or ICMPv6",
            );
        }
    }
    if let Some(icmp) = &r.not_icmp {
        icmp_fields(icmp, &path.key("notICMP"), report);
    }
    entity_rule(&r.source, &path.key("source"), report);
    entity_rule(&r.destination, &path.key("destination"), report);

    // Ports: without a protocol only named ports; with a protocol, only TCP/UDP/SCTP have ports.
    for (end, er) in [("source", &r.source), ("destination", &r.destination)] {
        for (field, ports) in [("ports", &er.ports), ("notPorts", &er.not_ports)] {
            for (i, p) in ports.iter().enumerate() {
                let at = path.key(end).key(field).index(i);
                match &r.protocol {
                    None if !matches!(p, Port::Named(_)) => report.error(
                        at,
                        format!("port `{p}` needs a protocol: rules that specify ports must set protocol to TCP, UDP or SCTP"),
                    ),
                    Some(proto) if !proto.has_ports() => report.error(
                        at,
                        format!("protocol `{proto}` has no ports: only TCP, UDP and SCTP rules may match ports"),
                    ),
                    _ => {}
                }
            }
        }
    }

    // IP families of nets must agree with each other and with ipVersion.
    let mut families = Vec::new();
    for (end, er) in [("source", &r.source), ("destination", &r.destination)] {
        for (field, nets) in [("nets", &er.nets), ("notNets", &er.not_nets)] {
            for (i, n) in nets.iter().enumerate() {
                if let Some(f) = net_family(n) {
                    families.push((f, path.key(end).key(field).index(i), n));
                }
            }
        }
    }
    if let Some(v) = r.ip_version.filter(|v| *v == 4 || *v == 6) {
        for (f, at, n) in &families {
            if *f != v {
                report.error(
                    at.clone(),
                    format!("network `{n}` is IPv{f} but the rule has ipVersion {v}"),
                );
            }
        }
    } else if let Some((first, _, first_net)) = families.first()
        && let Some((f, at, n)) = families.iter().find(|(f, _, _)| f != first)
    {
        report.error(
            at.clone(),
            format!("rule mixes IPv{first} (`{first_net}`) and IPv{f} (`{n}`) networks; use one IP version per rule"),
        );
    }

    if let Some(http) = &r.http {
        http_match(http, &path.key("http"), report);
        if r.action != Action::Allow {
            report.error(path.key("http"), "HTTP match is only valid on Allow rules");
        }
        if r.protocol.as_ref().is_some_and(|p| p.number() != Some(6)) {
            report.error(
                path.key("http"),
                "rules with HTTP match must have protocol TCP or unset",
            );
        }
        if ctx.is_egress() {
            report.error(
                path.key("http"),
                "HTTP match is not allowed in egress rules",
            );
        }
    }
    if r.destination.services.is_some()
        && (!r.destination.ports.is_empty() || !r.destination.not_ports.is_empty())
    {
        report.error(
            path.key("destination"),
            "ports and notPorts cannot be specified with services",
        );
    }
    if r.source.services.is_some() && ctx.is_egress() {
        report.error(
            path.key("source").key("services"),
            "services can only be used in an egress rule's destination or an ingress rule's source",
        );
    }
    if r.destination.services.is_some() && ctx.is_ingress() {
        report.error(
            path.key("destination").key("services"),
            "services can only be used in an egress rule's destination or an ingress rule's source",
        );
    }
    if ctx.is_global() {
        for (end, er) in [("source", &r.source), ("destination", &r.destination)] {
            if let Some(svc) = &er.services
                && svc.namespace.is_empty()
            {
                report.error(
                    path.key(end).key("services").key("namespace"),
                    "a GlobalNetworkPolicy must give the service's namespace",
                );
            }
        }
    }
    if let Some(meta) = &r.metadata {
        for key in meta.annotations.keys() {
            if let Some(problem) = label_key_problem(&key.to_ascii_lowercase()) {
                report.error(
                    path.key("metadata").key("annotations").key(key),
                    problem.replace("label key", "annotation key"),
                );
            }
        }
    }
}

/// Checks a list of rules of one direction.
pub fn rules(list: &[Rule], path: &FieldPath, ctx: RuleContext, report: &mut Report) {
    if list.len() > 1024 {
        report.error(path.clone(), "at most 1024 rules are allowed per direction");
    }
    for (i, r) in list.iter().enumerate() {
        rule(r, &path.index(i), ctx, report);
    }
}
