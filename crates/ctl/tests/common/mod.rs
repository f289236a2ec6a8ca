//! Running the real `tortie` binary in tests.

// Each test binary uses part of these helpers.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `tortie` with `args` in the workspace root, feeding `stdin`.
pub fn tortie(args: &[&str], stdin: &str) -> Run {
    run_with(args, stdin, None)
}

/// Runs `tortie` with the embedded store at `store`, if given.
pub fn run_with(args: &[&str], stdin: &str, store: Option<&Path>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tortie"));
    for var in [
        "TORTIE_DATASTORE",
        "DATASTORE_TYPE",
        "ETCD_ENDPOINTS",
        "CALICO_DATASTORE_TYPE",
        "CALICO_ETCD_ENDPOINTS",
    ] {
        cmd.env_remove(var);
    }
    if let Some(dir) = store {
        cmd.env("TORTIE_DATASTORE", dir);
    }
    let mut child = cmd
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tortie runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("tortie finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
