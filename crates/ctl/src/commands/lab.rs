//! `tortie lab run|down`.

use std::io::Write;

use super::common::Failure;
use crate::cli::{LabArgs, LabWhat};
use crate::lab::run_scenario;

/// Runs the lab verb.
pub fn run(args: &LabArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    match &args.what {
        LabWhat::Down => {
            let gone = tortie_lab::sweep("tl").map_err(|e| Failure::resource(e.to_string()))?;
            let _ = writeln!(out, "removed {} network namespaces", gone.len());
            Ok(())
        }
        LabWhat::Run { scenarios } => {
            let tortie = std::env::current_exe()
                .map_err(|e| Failure::usage(format!("cannot find the tortie binary: {e}")))?;
            let mut failed = 0;
            for path in scenarios {
                let _ = writeln!(out, "==> {}", path.display());
                let report = run_scenario(path, &tortie).map_err(Failure::resource)?;
                let _ = writeln!(
                    out,
                    "agents programmed every node {:.2} s after starting",
                    report.programmed_after
                );
                let _ = writeln!(
                    out,
                    "{:<22} {:<34} {:<10} {:<8} {:<24} {:<6} OK",
                    "FROM", "TO", "TRAFFIC", "EXPECT", "PROBE", "TRACE"
                );
                for r in &report.rows {
                    let _ = writeln!(
                        out,
                        "{:<22} {:<34} {:<10} {:<8} {:<24} {:<6} {}",
                        r.from,
                        r.to,
                        r.traffic,
                        r.expected,
                        r.probe,
                        r.trace,
                        if r.ok { "ok" } else { "MISMATCH" }
                    );
                }
                if !report.passed() {
                    failed += 1;
                    let _ = writeln!(err, "{}: some flows disagree", path.display());
                }
            }
            if failed == 0 {
                Ok(())
            } else {
                Err(Failure::resource(format!("{failed} scenario(s) failed")))
            }
        }
    }
}
