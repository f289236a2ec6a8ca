//! Named network namespaces: create, delete, enter from a thread, sweep leftovers.
//!
//! Namespaces are created with `ip netns add` so they are the ordinary named kind
//! (`/run/netns/<name>`) that `ip netns exec` and `ip -n` understand; the owner runs the
//! agent and `nft` there the same way.

use std::fs::File;
use std::path::{Path, PathBuf};

use nix::sched::{CloneFlags, setns};

use crate::cmd;
use crate::error::LabError;

/// Where `ip netns` keeps its bind mounts.
pub const NETNS_DIR: &str = "/run/netns";

fn path(ns: &str) -> Result<PathBuf, LabError> {
    if ns.is_empty() || ns == "." || ns == ".." || ns.contains('/') {
        return Err(LabError::Spec(format!("{ns:?} is not a netns name")));
    }
    Ok(Path::new(NETNS_DIR).join(ns))
}

/// Runs `f` on a fresh thread that has joined netns `ns` and returns its result.
///
/// `setns` only moves the calling thread, so using a throw-away thread keeps every other
/// thread (and the caller) in its own namespace. Sockets created inside `f` belong to
/// `ns` for their whole life and may be used from any thread afterwards. Child processes
/// spawned inside `f` also start in `ns`. A panic in `f` is resumed in the caller.
///
/// # Errors
/// When the netns does not exist or cannot be entered.
pub fn in_netns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> Result<T, LabError> {
    let p = path(ns)?;
    let file = File::open(&p).map_err(|e| LabError::io(format!("open {}", p.display()), e))?;
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name(format!("netns:{ns}"))
            .spawn_scoped(s, move || {
                setns(&file, CloneFlags::CLONE_NEWNET)
                    .map_err(|e| LabError::io(format!("setns into {ns}"), e.into()))?;
                Ok(f())
            })
            .map_err(|e| LabError::io("spawn netns thread", e))?;
        match handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

pub(crate) fn create(ns: &str) -> Result<(), LabError> {
    path(ns)?;
    cmd::run("ip", &["netns", "add", ns], None).map(drop)
}

/// Deletes `ns`; a netns that is already gone counts as success so teardown can be
/// repeated after a partial failure.
pub(crate) fn delete(ns: &str) -> Result<(), LabError> {
    if !path(ns)?.exists() {
        return Ok(());
    }
    cmd::run("ip", &["netns", "del", ns], None).map(drop)
}

/// Writes `/proc/sys/<key>` for each setting from inside `ns`. Files under
/// `/proc/sys/net` resolve against the network namespace of the thread that opens them,
/// which avoids a `sysctl` process per setting.
pub(crate) fn write_sysctls(ns: &str, settings: &[(String, String)]) -> Result<(), LabError> {
    in_netns(ns, || {
        for (key, value) in settings {
            let file = Path::new("/proc/sys").join(key);
            std::fs::write(&file, value).map_err(|e| {
                LabError::io(
                    format!("in netns {ns}: write {value} to {}", file.display()),
                    e,
                )
            })?;
        }
        Ok(())
    })?
}

/// Names of existing netns that belong to labs with this prefix (`<prefix>-...`).
///
/// # Errors
/// When `prefix` is empty or not a lab prefix (letters, digits, `_`), so a typo can never
/// match foreign namespaces, or when the netns directory cannot be read.
pub fn list_netns(prefix: &str) -> Result<Vec<String>, LabError> {
    if prefix.is_empty()
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(LabError::Spec(format!(
            "{prefix:?} is not a lab prefix (letters, digits or '_')"
        )));
    }
    let dir = match std::fs::read_dir(NETNS_DIR) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LabError::io(format!("read {NETNS_DIR}"), e)),
    };
    let lead = format!("{prefix}-");
    let mut out: Vec<String> = dir
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(&lead))
        .collect();
    out.sort();
    Ok(out)
}

/// Deletes every netns left behind by labs with this prefix, e.g. after a crash that
/// skipped `Drop`. Returns the names it deleted.
///
/// # Errors
/// As [`list_netns`], plus every deletion that failed (the others are still attempted).
pub fn sweep(prefix: &str) -> Result<Vec<String>, LabError> {
    let found = list_netns(prefix)?;
    let mut failures = Vec::new();
    let mut deleted = Vec::new();
    for ns in found {
        match delete(&ns) {
            Ok(()) => deleted.push(ns),
            Err(e) => failures.push(e.to_string()),
        }
    }
    if failures.is_empty() {
        Ok(deleted)
    } else {
        Err(LabError::Teardown(failures))
    }
}
