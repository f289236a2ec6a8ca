//! Deciding flows with Calico's semantics, and explaining the decision.
//!
//! The engine reads the same resolved model ([`tortie_calc::Model`]) the dataplane renders, so
//! `tortie trace` and the enforced rules agree. It follows a flow along its real path:
//!
//! ```text
//!  source workload egress ─► [DNAT] ─► leave node (host endpoint, applyOnForward egress)
//!      ─► arrive at node: untracked ─► pre-DNAT ─► [DNAT] ─► host ingress | forward ingress
//!      ─► [SNAT to another node] ─► destination workload ingress      (+ untracked replies)
//! ```
//!
//! At each checkpoint the ordered tiers and policies that select the endpoint are evaluated
//! (Allow, Deny, Pass, Log, end-of-tier action), then profiles; the decision records which
//! tier, policy and rule decided, and what staged policies would have done.

#![forbid(unsafe_code)]

pub mod chain;
pub mod decision;
pub mod endpoint_arg;
pub mod explain;
pub mod flow;
pub mod matching;
pub mod path;
pub mod topology;

pub use decision::{Decision, Step, StepVerdict, Verdict};
pub use flow::{Flow, Packet, Peer};
pub use path::decide;
pub use topology::{ModelTopology, Topology};
