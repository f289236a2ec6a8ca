//! `delete`: by KIND NAME... or the objects named in files, in one atomic write.

use tortie_datastore::{ObjectRef, Outcome, Write};

use super::common::{Failure, kind_arg, load_checked, open, place, success};
use crate::cli::DeleteArgs;

pub fn run(
    args: &DeleteArgs,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<(), Failure> {
    let ns_flag = args.target.namespace.as_deref();
    let objects: Vec<(ObjectRef, Option<u64>)> = if args.source.filename.is_some() {
        if !args.args.is_empty() {
            return Err(Failure::usage("give either -f or KIND NAME..., not both"));
        }
        let mut rs = load_checked(&args.source, err, "nothing was deleted")?;
        for r in &mut rs {
            place(r, ns_flag)?;
        }
        rs.iter()
            .map(|r| (ObjectRef::of(r), r.metadata().resource_version.parse().ok()))
            .collect()
    } else {
        let Some((kind_word, names)) = args.args.split_first() else {
            return Err(Failure::usage("give KIND NAME... or -f FILE"));
        };
        if names.is_empty() {
            return Err(Failure::usage("give the NAME of the resource to delete"));
        }
        let kind = kind_arg(kind_word)?;
        if !kind.is_namespaced() && ns_flag.is_some() {
            return Err(Failure::usage(format!(
                "{} is cluster-wide: -n does not apply",
                kind.name()
            )));
        }
        let namespace = if kind.is_namespaced() {
            ns_flag.unwrap_or("default").to_string()
        } else {
            String::new()
        };
        names
            .iter()
            .map(|n| {
                (
                    ObjectRef {
                        kind,
                        namespace: namespace.clone(),
                        name: n.clone(),
                    },
                    None,
                )
            })
            .collect()
    };
    let client = open(&args.target)?;
    let writes = objects
        .into_iter()
        .map(|(object, resource_version)| Write::Delete {
            object,
            resource_version,
            skip_missing: args.skip_not_exists,
        })
        .collect();
    let written = client.write(writes)?;
    let done: Vec<_> = written
        .iter()
        .filter(|w| w.outcome == Outcome::Deleted)
        .filter_map(|w| w.resource.clone())
        .collect();
    let _ = writeln!(out, "{}", success("deleted", &done));
    let skipped = written.len() - done.len();
    if skipped > 0 {
        let _ = writeln!(out, "Skipped {skipped} resource(s) that do not exist");
    }
    Ok(())
}
