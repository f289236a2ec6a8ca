//! The endpoint arguments of `tortie trace` and `tortie query`: an address, `node/NAME`,
//! `hep/NAME`, or `NAMESPACE/NAME` (a pod, a workload endpoint, or a workload controller such
//! as a Deployment, tried in that order).

use std::net::IpAddr;

use tortie_calc::resolve::entity::EntityKind;
use tortie_calc::{EntityId, Model};

use crate::flow::Peer;

/// Why an endpoint argument names nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointArgError {
    /// The text has none of the accepted forms, or is ambiguous.
    Syntax(String),
    /// The form is right but the model has no such object.
    Unknown(String),
}

impl std::fmt::Display for EndpointArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointArgError::Syntax(m) | EndpointArgError::Unknown(m) => f.write_str(m),
        }
    }
}

/// Parses an endpoint argument against a model.
///
/// # Errors
/// The text has no accepted form, is ambiguous, or names nothing the model knows.
pub fn parse(model: &Model, text: &str) -> Result<Peer, EndpointArgError> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(Peer::Ip(ip));
    }
    if let Some(name) = text.strip_prefix("node/") {
        return Ok(Peer::Node(name.to_string()));
    }
    if let Some(name) = text.strip_prefix("hep/") {
        let id = EntityId::Host {
            name: name.to_string(),
        };
        return if model.entity(&id).is_some() {
            Ok(Peer::Entity(id))
        } else {
            Err(EndpointArgError::Unknown(format!(
                "there is no HostEndpoint `{name}`"
            )))
        };
    }
    let (ns, name) = text.split_once('/').ok_or_else(|| {
        EndpointArgError::Syntax(format!(
            "`{text}` is not an endpoint: use NAMESPACE/NAME, hep/NAME, node/NAME or an IP address"
        ))
    })?;
    let in_namespace = || {
        model.entities().filter(move |e| {
            e.entity.kind == EntityKind::Workload && e.entity.namespace.as_deref() == Some(ns)
        })
    };
    let pod_source = format!("Pod {ns}/{name}");
    if let Some(e) = in_namespace().find(|e| e.entity.source == pod_source) {
        return Ok(Peer::Entity(e.entity.id.clone()));
    }
    if let Some(e) = in_namespace()
        .find(|e| matches!(&e.entity.id, EntityId::Workload { name: n, .. } if n == name))
    {
        return Ok(Peer::Entity(e.entity.id.clone()));
    }
    let controllers: Vec<&EntityId> = in_namespace()
        .map(|e| &e.entity.id)
        .filter(|id| matches!(id, EntityId::Template { name: n, .. } if n == name))
        .collect();
    match controllers.as_slice() {
        [one] => Ok(Peer::Entity((*one).clone())),
        [] => Err(EndpointArgError::Unknown(format!(
            "no pod, workload endpoint or workload controller `{text}` is known"
        ))),
        many => Err(EndpointArgError::Syntax(format!(
            "`{text}` names several workload controllers ({}); rename one or trace its pod",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
