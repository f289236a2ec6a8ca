//! From the resolved policy model of one node to the nftables ruleset that enforces it, and
//! from one ruleset to the next as a single transaction. Pure: values in, values out; the
//! kernel is touched by `tortie-dataplane`.
//!
//! ```text
//!   Model + node ──render──► Ruleset (IR: sets, verdict maps, chains; sorted)
//!   (old, new Ruleset) ──diff──► nft script: one atomic transaction
//! ```
//!
//! The IR is backend-neutral in what it decides (chains of matches and verdicts, named sets
//! of addresses); `nft` turns it into nftables text. See `docs/rendering.md` for the layout.

#![forbid(unsafe_code)]

pub mod diff;
pub mod ir;
pub mod names;
pub mod nft;
pub mod render;
pub mod xt;

pub use diff::{Stats, full_script, update_script};
pub use ir::Ruleset;
pub use render::{HostInterfaces, NodeConfig, SetCache, render, render_cached, render_with};
