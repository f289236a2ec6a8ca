//! `nft` as a child process: scripts on standard input (`nft -f -`), listings as JSON.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::{DataplaneError, Nft};

/// Runs the `nft` binary in the current network namespace.
#[derive(Clone, Debug, Default)]
pub struct NftCli {
    /// The binary (`nft` on `PATH` if empty).
    pub binary: String,
    /// Run inside this named network namespace (`ip netns exec`), for tools and tests that
    /// program a namespace from outside; the agent itself runs inside its node's namespace.
    pub netns: Option<String>,
}

impl NftCli {
    /// `nft` inside a named network namespace.
    #[must_use]
    pub fn in_netns(name: &str) -> NftCli {
        NftCli {
            binary: String::new(),
            netns: Some(name.to_string()),
        }
    }

    fn command(&self) -> Command {
        let nft = if self.binary.is_empty() {
            "nft"
        } else {
            &self.binary
        };
        match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, nft]);
                c
            }
            None => Command::new(nft),
        }
    }
}

impl Nft for NftCli {
    fn apply(&mut self, script: &str) -> Result<(), DataplaneError> {
        let mut child = self
            .command()
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| DataplaneError(format!("cannot run nft: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(script.as_bytes())
                .map_err(|e| DataplaneError(format!("cannot write to nft: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| DataplaneError(format!("nft did not finish: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(DataplaneError(format!(
                "nft refused the transaction (nothing changed): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    fn list_json(&mut self, table: &str) -> Result<Option<String>, DataplaneError> {
        let out = self
            .command()
            .args(["-j", "list", "table", "inet", table])
            .output()
            .map_err(|e| DataplaneError(format!("cannot run nft: {e}")))?;
        if out.status.success() {
            return Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()));
        }
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No such file or directory") {
            Ok(None)
        } else {
            Err(DataplaneError(format!("nft list failed: {}", err.trim())))
        }
    }
}
