//! `tortie validate -f PATH`: load and check manifests offline. One line per finding on
//! stderr, `file:line: kind/name: field: reason`; warnings say `warning:` after the location.

use std::io::Write;

use tortie_model::lint::lint;
use tortie_model::{Severity, load_str};

use crate::cli::ValidateArgs;
use crate::exit::Exit;
use crate::input;

pub fn run(args: &ValidateArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let inputs = match input::read(&args.filename, args.recursive) {
        Ok(i) => i,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Exit::Usage;
        }
    };
    for dir in &inputs.skipped_dirs {
        let _ = writeln!(
            err,
            "note: skipped directory {} (use -R to include subdirectories)",
            dir.display()
        );
    }
    let (mut objects, mut errors, mut warnings) = (0, 0, 0);
    for source in &inputs.sources {
        let loaded = match load_str(&source.text, &source.name) {
            Ok(l) => l,
            Err(e) => {
                errors += 1;
                let _ = writeln!(
                    err,
                    "{}:{}: invalid YAML: {}",
                    source.name, e.pos.line, e.message
                );
                continue;
            }
        };
        let lints = lint(&loaded);
        for (i, obj) in loaded.iter().enumerate() {
            objects += 1;
            let mut findings = obj.check();
            findings.extend(
                lints
                    .iter()
                    .filter(|f| f.object == i)
                    .map(|f| f.violation.clone()),
            );
            findings.sort_by_key(|v| (obj.line_of(&v.path), v.severity, v.path.clone()));
            for v in findings {
                if v.severity == Severity::Warning && args.quiet {
                    continue;
                }
                let line = obj.line_of(&v.path);
                let tag = match v.severity {
                    Severity::Error => {
                        errors += 1;
                        ""
                    }
                    Severity::Warning => {
                        warnings += 1;
                        "warning: "
                    }
                };
                let field = if v.path.is_root() {
                    String::new()
                } else {
                    format!("{}: ", v.path)
                };
                let _ = writeln!(
                    err,
                    "{}:{line}: {tag}{}: {field}{}",
                    source.name,
                    obj.label(),
                    v.message
                );
            }
        }
    }
    let files = inputs.sources.len();
    let _ = writeln!(
        out,
        "{objects} object{} in {files} file{}: {errors} error{}, {warnings} warning{}",
        plural(objects),
        plural(files),
        plural(errors),
        plural(warnings)
    );
    if errors > 0 { Exit::Resource } else { Exit::Ok }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
