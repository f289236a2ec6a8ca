//! `get`: show resources by kind, by name, or named in files.

use std::io::Write;

use tortie_datastore::{ClientError, ObjectRef};
use tortie_model::k8s::convert::knp_name;
use tortie_model::{Kind, Resource};

use super::common::{Failure, kind_arg, load_checked, open};
use crate::cli::GetArgs;
use crate::output::{self, Format};

/// A get by name; a NetworkPolicy that is not found falls back to the policy converted from the
/// Kubernetes NetworkPolicy of that name, so `get policy access-nginx` works as documented.
fn get_one(client: &tortie_datastore::Client, obj: &ObjectRef) -> Result<Resource, ClientError> {
    match client.get(obj) {
        Err(ClientError::NotFound(_))
            if obj.kind == Kind::NetworkPolicy && !obj.name.starts_with("knp.default.") =>
        {
            let converted = ObjectRef {
                name: knp_name(&obj.name),
                ..obj.clone()
            };
            client
                .get(&converted)
                .map_err(|_| ClientError::NotFound(obj.clone()))
        }
        other => other,
    }
}

fn export(r: &mut Resource) {
    let m = r.metadata_mut();
    m.namespace.clear();
    m.uid.clear();
    m.resource_version.clear();
    m.creation_timestamp = None;
    m.deletion_timestamp = None;
    m.deletion_grace_period_seconds = None;
    m.generation = None;
}

pub fn run(args: &GetArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let format: Format = args.output.parse().map_err(Failure::usage)?;
    let ns_flag = args.target.namespace.as_deref();
    if args.all_namespaces && ns_flag.is_some() {
        return Err(Failure::usage("-n and -A cannot be used together"));
    }
    let client = open(&args.target)?;
    let revision = client.revision()?.to_string();

    if args.source.filename.is_some() {
        if !args.args.is_empty() {
            return Err(Failure::usage("give either -f or KIND [NAME...], not both"));
        }
        let wanted = load_checked(&args.source, err, "nothing was read")?;
        let mut found: Vec<Resource> = Vec::new();
        for mut r in wanted {
            super::common::place(&mut r, ns_flag)?;
            found.push(get_one(&client, &ObjectRef::of(&r))?);
        }
        let Some(kind) = found.first().map(Resource::kind) else {
            return Ok(());
        };
        if found.iter().any(|r| r.kind() != kind)
            && !matches!(format, Format::Yaml | Format::Json | Format::Name)
        {
            return Err(Failure::usage(
                "the file names several kinds; use -o yaml, json or name",
            ));
        }
        return output::print(
            out,
            &format,
            kind,
            &found,
            found.len() == 1,
            args.all_namespaces || ns_flag.is_some(),
            &revision,
        )
        .map_err(Failure::usage);
    }

    let Some((kind_word, names)) = args.args.split_first() else {
        return Err(Failure::usage(
            "give a resource type, e.g. `tortie get networkpolicy`",
        ));
    };
    let kind = kind_arg(kind_word)?;
    if !kind.is_namespaced() && (args.all_namespaces || ns_flag.is_some()) {
        return Err(Failure::usage(format!(
            "{} is cluster-wide: -n and -A do not apply",
            kind.name()
        )));
    }
    if args.export && names.is_empty() {
        return Err(Failure::usage("--export needs a resource NAME"));
    }
    let namespace = if kind.is_namespaced() {
        ns_flag.unwrap_or("default")
    } else {
        ""
    };
    let mut items: Vec<Resource> = if names.is_empty() {
        let scope = if args.all_namespaces || !kind.is_namespaced() {
            None
        } else {
            Some(namespace)
        };
        client.list(kind, scope, None)?.items
    } else {
        if args.all_namespaces {
            return Err(Failure::usage(
                "-A lists every namespace; it cannot be combined with a NAME",
            ));
        }
        names
            .iter()
            .map(|n| {
                get_one(
                    &client,
                    &ObjectRef {
                        kind,
                        namespace: namespace.to_string(),
                        name: n.clone(),
                    },
                )
            })
            .collect::<Result<_, _>>()?
    };
    if args.export {
        items.iter_mut().for_each(export);
    }
    let namespace_column = args.all_namespaces || ns_flag.is_some();
    output::print(
        out,
        &format,
        kind,
        &items,
        names.len() == 1,
        namespace_column,
        &revision,
    )
    .map_err(Failure::usage)
}
