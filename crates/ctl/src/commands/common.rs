//! What the datastore verbs share: opening the datastore, reading and checking input files,
//! namespaces, kind names, and turning failures into one-line messages and exit statuses.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use tortie_datastore::{Backend, Client, ClientError, Embedded};
use tortie_model::lint::lint;
use tortie_model::{Kind, Loaded, Resource, Severity, load_str};

use crate::cli::{Source, Target};
use crate::config::{self, Datastore};
use crate::exit::Exit;
use crate::input;

/// A failed command: what to print and how to exit.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub exit: Exit,
    /// One line (or several for validation findings, already printed when empty).
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    pub fn resource(message: impl Into<String>) -> Failure {
        Failure {
            exit: Exit::Resource,
            message: message.into(),
        }
    }

    /// Findings were printed already.
    pub fn reported() -> Failure {
        Failure {
            exit: Exit::Resource,
            message: String::new(),
        }
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        let exit = match e {
            ClientError::Store(tortie_datastore::StoreError::Unavailable(_)) => Exit::Usage,
            _ => Exit::Resource,
        };
        Failure {
            exit,
            message: e.to_string(),
        }
    }
}

/// Opens the configured datastore.
pub fn open(target: &Target) -> Result<Client, Failure> {
    let resolved = config::resolve(
        target.config.as_deref(),
        &config::process_env(),
        &|p: &Path| std::fs::read_to_string(p).ok(),
    )
    .map_err(Failure::usage)?;
    let backend: Arc<dyn Backend> = match resolved.datastore {
        Datastore::Embedded { dir } => Arc::new(Embedded::open(&dir).map_err(|e| {
            Failure::usage(format!(
                "cannot open the embedded datastore at {} ({}): {e}",
                dir.display(),
                resolved.source
            ))
        })?),
        Datastore::Etcd(cfg) => open_etcd(&cfg, &resolved.source)?,
    };
    Ok(Client::new(backend))
}

/// The etcd backend for calicoctl's etcd settings.
#[cfg(feature = "etcd")]
fn open_etcd(cfg: &config::EtcdConfig, source: &str) -> Result<Arc<dyn Backend>, Failure> {
    let mut settings = tortie_datastore_etcd::EtcdSettings::new(cfg.endpoints.clone());
    settings.username.clone_from(&cfg.username);
    settings.password.clone_from(&cfg.password);
    settings.ca_cert_file.clone_from(&cfg.ca_cert_file);
    settings.cert_file.clone_from(&cfg.cert_file);
    settings.key_file.clone_from(&cfg.key_file);
    let backend = tortie_datastore_etcd::EtcdBackend::connect(&settings).map_err(|e| {
        Failure::usage(format!(
            "cannot use the etcd datastore at {} ({source}): {e}",
            settings.endpoint_list()
        ))
    })?;
    Ok(Arc::new(backend))
}

/// Without the `etcd` feature there is no etcd backend.
#[cfg(not(feature = "etcd"))]
fn open_etcd(cfg: &config::EtcdConfig, source: &str) -> Result<Arc<dyn Backend>, Failure> {
    Err(Failure::usage(format!(
        "the etcd datastore ({}, {source}) is not available: tortie was built without the `etcd` feature",
        cfg.endpoints.join(",")
    )))
}

/// Prints findings as `file:line: [warning: ]kind/name: field: reason`; returns the error count.
pub fn report(loaded: &[Loaded], err: &mut dyn Write, quiet: bool) -> (usize, usize) {
    let lints = lint(loaded);
    let (mut errors, mut warnings) = (0, 0);
    for (i, obj) in loaded.iter().enumerate() {
        let mut findings = obj.check();
        findings.extend(
            lints
                .iter()
                .filter(|f| f.object == i)
                .map(|f| f.violation.clone()),
        );
        findings.sort_by_key(|v| (obj.line_of(&v.path), v.severity, v.path.clone()));
        for v in findings {
            let tag = match v.severity {
                Severity::Error => {
                    errors += 1;
                    ""
                }
                Severity::Warning if quiet => continue,
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
                "{}:{}: {tag}{}: {field}{}",
                obj.origin.file,
                obj.line_of(&v.path),
                obj.label(),
                v.message
            );
        }
    }
    (errors, warnings)
}

/// Reads `-f`, checks every object, and returns them all only if none has an error (every
/// finding is printed first). Nothing may be written when this fails; `nothing` says what was
/// not done (`nothing was written`).
pub fn load_checked(
    source: &Source,
    err: &mut dyn Write,
    nothing: &str,
) -> Result<Vec<Resource>, Failure> {
    let Some(path) = &source.filename else {
        return Err(Failure::usage("no input: give -f FILE, -f DIR or -f -"));
    };
    let inputs = input::read(path, source.recursive).map_err(|e| Failure::usage(e.to_string()))?;
    let mut all = Vec::new();
    let mut errors = 0;
    for src in &inputs.sources {
        match load_str(&src.text, &src.name) {
            Ok(loaded) => {
                errors += report(&loaded, err, false).0;
                all.extend(loaded);
            }
            Err(e) => {
                errors += 1;
                let _ = writeln!(
                    err,
                    "{}:{}: invalid YAML: {}",
                    src.name, e.pos.line, e.message
                );
            }
        }
    }
    let duplicates = tortie_model::lint::duplicates(&all);
    for d in &duplicates {
        let obj = &all[d.object];
        let _ = writeln!(
            err,
            "{}:{}: {}: {}",
            obj.origin.file,
            obj.origin.line,
            obj.label(),
            d.violation.message
        );
    }
    errors += duplicates.len();
    if errors > 0 {
        let _ = writeln!(
            err,
            "error: {errors} problem{} found; {nothing}",
            if errors == 1 { "" } else { "s" }
        );
        return Err(Failure::reported());
    }
    if all.is_empty() && !source.skip_empty {
        return Err(Failure::resource(format!(
            "no resources found in `{}` (use --skip-empty to allow this)",
            path.display()
        )));
    }
    Ok(all.into_iter().filter_map(|l| l.result.ok()).collect())
}

/// calicoctl's namespace rules for an object from a file: `-n` fills an empty namespace, a
/// different one is an error, and neither means `default`.
pub fn place(r: &mut Resource, flag: Option<&str>) -> Result<(), Failure> {
    if !r.kind().is_namespaced() {
        return match flag {
            Some(ns) => Err(Failure::usage(format!(
                "{} is cluster-wide; -n {ns} does not apply to it",
                r.kind().name()
            ))),
            None => Ok(()),
        };
    }
    let m = r.metadata_mut();
    match (m.namespace.is_empty(), flag) {
        (true, Some(ns)) => m.namespace = ns.to_string(),
        (true, None) => m.namespace = "default".to_string(),
        (false, Some(ns)) if m.namespace != ns => {
            return Err(Failure::usage(format!(
                "{}/{} is in namespace `{}` but -n says `{ns}`",
                r.kind().name(),
                r.metadata().name,
                r.metadata().namespace
            )));
        }
        _ => {}
    }
    Ok(())
}

/// The kind a command-line word names.
pub fn kind_arg(word: &str) -> Result<Kind, Failure> {
    Kind::from_alias(word).ok_or_else(|| {
        Failure::usage(format!("unknown resource type `{word}`: try networkpolicy, globalnetworkpolicy, hostendpoint, tier, profile, ..."))
    })
}

/// "Successfully applied 2 'GlobalNetworkPolicy' resource(s)".
pub fn success(verb: &str, resources: &[Resource]) -> String {
    let first = resources.first().map(Resource::kind);
    let n = resources.len();
    match first {
        Some(k) if resources.iter().all(|r| r.kind() == k) => {
            format!("Successfully {verb} {n} '{}' resource(s)", k.name())
        }
        _ => format!("Successfully {verb} {n} resource(s)"),
    }
}
