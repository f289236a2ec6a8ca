//! `tortie validate -f PATH`: load and check manifests offline. One line per finding on
//! stderr, `file:line: kind/name: field: reason`; warnings say `warning:` after the location.

use std::io::Write;

use tortie_model::load_str;

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
        objects += loaded.len();
        let (e, w) = super::common::report(&loaded, err, args.quiet);
        errors += e;
        warnings += w;
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
