//! Moving the calling thread into a network namespace. `setns` moves only that thread, so
//! the pipeline's reader enters the namespace it reads while everything else stays put.

use std::fs::File;
use std::path::PathBuf;

use nix::sched::{CloneFlags, setns};

use crate::error::LogError;

/// Where `ip netns` keeps named namespaces.
const NETNS_DIR: &str = "/run/netns";

/// The namespace file: a name under `/run/netns`, or a path (`/proc/<pid>/ns/net`).
fn path(netns: &str) -> Result<PathBuf, LogError> {
    if netns.contains('/') {
        return Ok(PathBuf::from(netns));
    }
    if netns.is_empty() || netns == "." || netns == ".." {
        return Err(LogError::Config(format!("{netns:?} is not a netns name")));
    }
    Ok(PathBuf::from(NETNS_DIR).join(netns))
}

/// Moves the calling thread into `netns` (a name or a path).
///
/// # Errors
/// When the namespace does not exist or cannot be entered.
pub fn enter(netns: &str) -> Result<(), LogError> {
    let p = path(netns)?;
    let file = File::open(&p).map_err(|e| LogError::io(format!("open {}", p.display()), e))?;
    setns(&file, CloneFlags::CLONE_NEWNET)
        .map_err(|e| LogError::kernel(format!("enter netns {netns}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_live_under_run_netns_and_paths_are_kept() {
        assert_eq!(
            path("node-a").expect("ok"),
            PathBuf::from("/run/netns/node-a")
        );
        assert_eq!(
            path("/proc/1/ns/net").expect("ok"),
            PathBuf::from("/proc/1/ns/net")
        );
        assert!(path("").is_err() && path("..").is_err());
        assert!(enter("tortie-no-such-netns").is_err());
    }
}
