//! `tortie agent`: keeps one node's dataplane equal to what the datastore says.
//!
//! ```text
//!   datastore ──list, then watch──► Model (tortie-calc) ──render (tortie-rules)──► Ruleset
//!        ▲                                                                    │
//!   Node registration                      Programmer (tortie-dataplane) ◄────┘
//!                                          one transaction per batch of changes; drift check
//! ```
//!
//! Changes are batched (everything that arrives within a short window becomes one
//! transaction). When the datastore is unreachable the agent keeps the rules it programmed,
//! reports not-ready, and lists again when it returns.

#![forbid(unsafe_code)]

mod node;
mod status;
mod sync;
pub mod telemetry;

pub use node::{host_addresses, host_addresses_in, host_interfaces_in, register_node};
pub use status::Status;
pub use sync::Agent;
pub use telemetry::Telemetry;

use std::path::PathBuf;
use std::time::Duration;

/// What the agent is told.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// The node it enforces for (its Node resource's name).
    pub node: String,
    /// How often the kernel's table is compared with what was programmed.
    pub drift_interval: Duration,
    /// How long changes are gathered into one transaction.
    pub batch_window: Duration,
    /// Where to write the status (JSON), if anywhere.
    pub status_file: Option<PathBuf>,
    /// The network namespace enforced for, when not the agent's own: where its interfaces
    /// are read (host endpoints given by `expectedIPs` apply to the ones holding them).
    pub netns: Option<String>,
}

impl AgentConfig {
    /// Defaults for a node.
    #[must_use]
    pub fn new(node: &str) -> AgentConfig {
        AgentConfig {
            node: node.to_string(),
            drift_interval: Duration::from_secs(30),
            batch_window: Duration::from_millis(20),
            status_file: None,
            netns: None,
        }
    }
}
