//! Running `ip` and `nft` with an optional stdin script, turning failure into a
//! [`LabError::Command`] that quotes the command, its stderr and the script.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::error::LabError;

/// Runs `program args...`, feeding `input` on stdin when given. Returns stdout.
pub(crate) fn run(program: &str, args: &[&str], input: Option<&str>) -> Result<String, LabError> {
    let command = std::iter::once(program)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let fail = |status: String, stderr: String| LabError::Command {
        command: command.clone(),
        status,
        stderr,
        input: input.map_or_else(String::new, |s| format!("\n--- stdin ---\n{s}")),
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("could not start: {e}"), String::new()))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        // A write error means the child exited early; its status and stderr explain why.
        let _ = stdin.write_all(text.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("could not wait: {e}"), String::new()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(fail(
            out.status.to_string(),
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ))
    }
}

/// Applies `ip` commands inside `ns` in one process; `ip -batch` stops at the first
/// failing line and names it, which the error then shows next to the script.
pub(crate) fn ip_batch(ns: &str, cmds: &[String]) -> Result<(), LabError> {
    if cmds.is_empty() {
        return Ok(());
    }
    let mut script = cmds.join("\n");
    script.push('\n');
    run("ip", &["-n", ns, "-batch", "-"], Some(&script)).map(drop)
}
