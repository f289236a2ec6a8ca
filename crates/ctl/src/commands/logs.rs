//! `tortie logs`: the recent lines Log rules produced on this host, from the file the agent
//! keeps in its state directory (rotated at a size, one old file kept).

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use super::common::Failure;
use crate::cli::LogsArgs;

/// The file, under the agent's state directory.
pub const PACKETS_LOG: &str = "packets.log";
/// Where it rotates: about 5,000 lines.
pub const PACKETS_LOG_BYTES: u64 = 1 << 20;

/// Prints the last lines, then (with `--follow`) what arrives.
pub fn run(args: &LogsArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let path = args.state_dir.join(PACKETS_LOG);
    if !path.exists() {
        return Err(Failure::resource(format!(
            "{} does not exist: no agent with --state-dir {} has started here",
            path.display(),
            args.state_dir.display()
        )));
    }
    let lines = tortie_logs::recent_lines(&path, args.lines)
        .map_err(|e| Failure::resource(format!("{}: {e}", path.display())))?;
    for l in &lines {
        let _ = writeln!(out, "{l}");
    }
    let _ = out.flush();
    if args.follow {
        follow(&path, out)?;
    }
    Ok(())
}

/// Prints lines appended to `path`; starts over when the file shrinks (it was rotated).
fn follow(path: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let mut offset = std::fs::metadata(path).map_or(0, |m| m.len());
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        if len < offset {
            offset = 0;
        }
        if len == offset {
            continue;
        }
        let text = std::fs::read(path).map_err(|e| Failure::resource(e.to_string()))?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(text.len());
        let _ = out.write_all(&text[start..]);
        let _ = out.flush();
        offset = len;
    }
}
