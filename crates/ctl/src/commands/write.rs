//! `create`, `apply` and `replace`: every object of every file in one atomic write.

use tortie_datastore::{Outcome, Write};

use super::common::{Failure, load_checked, open, place, success};
use crate::cli::{CreateArgs, FileArgs};

#[derive(Clone, Copy)]
pub enum Verb {
    Apply,
    Replace,
}

fn run_writes(
    source: &crate::cli::Source,
    target: &crate::cli::Target,
    make: &dyn Fn(tortie_model::Resource) -> Write,
    verb: &str,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<(), Failure> {
    let mut resources = load_checked(source, err, "nothing was written")?;
    for r in &mut resources {
        place(r, target.namespace.as_deref())?;
    }
    let client = open(target)?;
    let written = client.write(resources.into_iter().map(make).collect())?;
    let done: Vec<_> = written
        .iter()
        .filter(|w| w.outcome != Outcome::Skipped)
        .filter_map(|w| w.resource.clone())
        .collect();
    let skipped = written.len() - done.len();
    let _ = writeln!(out, "{}", success(verb, &done));
    if skipped > 0 {
        let _ = writeln!(out, "Skipped {skipped} resource(s) that already exist");
    }
    Ok(())
}

pub fn create(
    args: &CreateArgs,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<(), Failure> {
    let skip = args.skip_exists;
    run_writes(
        &args.source,
        &args.target,
        &|resource| Write::Create {
            resource,
            skip_exists: skip,
        },
        "created",
        out,
        err,
    )
}

pub fn apply_or_replace(
    verb: Verb,
    args: &FileArgs,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<(), Failure> {
    match verb {
        Verb::Apply => run_writes(
            &args.source,
            &args.target,
            &|resource| Write::Apply { resource },
            "applied",
            out,
            err,
        ),
        Verb::Replace => run_writes(
            &args.source,
            &args.target,
            &|resource| Write::Replace { resource },
            "replaced",
            out,
            err,
        ),
    }
}
