//! The resolved policy model: the one view of policy that both consumers read.
//!
//! ```text
//!   resources ──► Model::set ──► tiers, policies (Felix's selector form), profiles,
//!                                entities with inherited labels, services, nodes, settings
//!                                   │                       │
//!              tortie-eval (decide and explain flows)   tortie-rules (render nftables/iptables)
//! ```
//!
//! Pure and synchronous: values in, values out. An incremental label index keeps, for every
//! selector a policy or rule uses, the entities it matches; an update re-evaluates only the
//! selectors that could change their mind (see [`label_index`]).

#![forbid(unsafe_code)]

pub mod chain_kind;
pub mod ids;
pub mod label_index;
pub mod model;
pub mod offline;
pub mod resolve;

pub use chain_kind::ChainKind;
pub use ids::{Direction, EntityId, PolicyId, PolicyKind};
pub use model::{EntityState, Key, Model, NodeInfo, TierRun};
