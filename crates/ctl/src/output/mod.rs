//! Printing objects: calicoctl's tables (`ps`, `wide`), `yaml`, `json`, `name`, and
//! `custom-columns=`.

pub mod columns;

use std::io::Write;

use tortie_model::yaml::to_yaml_string;
use tortie_model::{Kind, Resource};

/// An output format (`-o`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// The default table.
    Ps,
    /// The wide table.
    Wide,
    /// YAML.
    Yaml,
    /// JSON.
    Json,
    /// `kind/name` per line.
    Name,
    /// A table of the named headings.
    CustomColumns(Vec<String>),
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "ps" => Format::Ps,
            "wide" => Format::Wide,
            "yaml" | "yml" => Format::Yaml,
            "json" => Format::Json,
            "name" => Format::Name,
            _ => match s.strip_prefix("custom-columns=") {
                Some(cols) if !cols.is_empty() => Format::CustomColumns(
                    cols.split(',').map(|c| c.trim().to_uppercase()).collect(),
                ),
                _ => {
                    return Err(format!(
                        "unknown output format `{s}`: use ps, wide, yaml, json, name or custom-columns=COL1,COL2"
                    ));
                }
            },
        })
    }
}

/// The `-o name` form: `networkpolicy.projectcalico.org/x`, `pod/x`.
#[must_use]
pub fn name_of(r: &Resource) -> String {
    let kind = r.kind();
    let group = kind.api_version().split_once('/').map(|(g, _)| g);
    let lower = kind.name().to_lowercase();
    match group {
        Some(g) => format!("{lower}.{g}/{}", r.metadata().name),
        None => format!("{lower}/{}", r.metadata().name),
    }
}

/// What to print for a list: the `<Kind>List` object calicoctl prints.
fn list_value(kind: Kind, items: &[Resource], revision: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": kind.api_version(),
        "kind": format!("{}List", kind.name()),
        "items": items.iter().map(Resource::to_json).collect::<Vec<_>>(),
        "metadata": {"resourceVersion": revision},
    })
}

/// Prints objects of one kind. `single` prints the object itself rather than a list (a get by
/// name); `namespace_column` prepends NAMESPACE to tables (with `-n` or `-A`).
///
/// # Errors
/// Writing to `out` failed, or a custom column is unknown.
pub fn print(
    out: &mut dyn Write,
    format: &Format,
    kind: Kind,
    items: &[Resource],
    single: bool,
    namespace_column: bool,
    revision: &str,
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    match format {
        Format::Yaml | Format::Json => {
            let value = match items {
                [one] if single => one.to_json(),
                _ => list_value(kind, items, revision),
            };
            let text = if *format == Format::Yaml {
                to_yaml_string(&value)
            } else {
                serde_json::to_string_pretty(&value).map_err(|e| e.to_string())? + "\n"
            };
            out.write_all(text.as_bytes()).map_err(io)
        }
        Format::Name => {
            for r in items {
                writeln!(out, "{}", name_of(r)).map_err(io)?;
            }
            Ok(())
        }
        Format::Ps | Format::Wide => {
            let mut heads: Vec<&str> = columns::headings(kind, *format == Format::Wide).to_vec();
            if namespace_column && kind.is_namespaced() {
                heads.insert(0, "NAMESPACE");
            }
            table(out, &heads, kind, items).map_err(io)
        }
        Format::CustomColumns(cols) => {
            let known = columns::all_headings(kind);
            if let Some(bad) = cols.iter().find(|c| !known.contains(&c.as_str())) {
                return Err(format!(
                    "unknown column `{bad}` for {}: use {}",
                    kind.name(),
                    known.join(", ")
                ));
            }
            let heads: Vec<&str> = cols.iter().map(String::as_str).collect();
            table(out, &heads, kind, items).map_err(io)
        }
    }
}

/// Go's `tabwriter.NewWriter(out, 5, 1, 3, ' ', 0)` layout: every cell ends in a tab. Go counts
/// the padding inside its minimum width (5 = 2 + 3); the Rust crate adds it on top.
fn table(
    out: &mut dyn Write,
    heads: &[&str],
    kind: Kind,
    items: &[Resource],
) -> std::io::Result<()> {
    let mut items: Vec<&Resource> = items.iter().collect();
    if kind == Kind::Tier {
        // calicoctl lists tiers by order, those without one last.
        let order = |r: &Resource| match r {
            Resource::Tier(t) => t.spec.order.unwrap_or(f64::INFINITY),
            _ => f64::INFINITY,
        };
        items.sort_by(|a, b| {
            order(a)
                .total_cmp(&order(b))
                .then_with(|| a.metadata().name.cmp(&b.metadata().name))
        });
    }
    let mut tw = tabwriter::TabWriter::new(Vec::new()).minwidth(2).padding(3);
    for h in heads {
        write!(tw, "{h}\t")?;
    }
    writeln!(tw)?;
    for r in items {
        for h in heads {
            write!(tw, "{}\t", columns::cell(r, h))?;
        }
        writeln!(tw)?;
    }
    tw.flush()?;
    let bytes = tw
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    out.write_all(&bytes)
}
