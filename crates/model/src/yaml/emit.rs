//! YAML output in the layout calicoctl prints (go-yaml v2 via JSON): keys sorted, two-space
//! indent, list items at their parent key's indent, strings quoted only when a reader would
//! otherwise take them for something else.

use serde_json::Value;

use super::de_helpers::{looks_like_non_string, plain_allowed};

/// Renders a JSON value as a YAML document (no leading `---`), ending in a newline.
#[must_use]
pub fn to_yaml_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A value that fits on the line of its key: scalars and empty collections.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(o) if o.is_empty() => "{}".into(),
        _ => unreachable!("collections are written as blocks"),
    }
}

fn is_block(value: &Value) -> bool {
    matches!(value, Value::Array(a) if !a.is_empty())
        || matches!(value, Value::Object(o) if !o.is_empty())
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            indent(out, level);
        }
        write_entry(out, k, v, level);
    }
}

fn write_entry(out: &mut String, key: &str, value: &Value, level: usize) {
    out.push_str(&quote(key));
    out.push(':');
    match value {
        Value::Object(o) if !o.is_empty() => {
            out.push('\n');
            indent(out, level + 2);
            write_map(out, o, level + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            indent(out, level);
            write_seq(out, a, level);
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            indent(out, level);
        }
        out.push_str("- ");
        match item {
            Value::Object(o) if !o.is_empty() => write_map(out, o, level + 2),
            Value::Array(a) if !a.is_empty() => write_seq(out, a, level + 2),
            scalar => {
                debug_assert!(!is_block(scalar));
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// Plain when safe; double quotes for strings that would read as another type (as go-yaml
/// does: `"80"`, `"true"`); single quotes for other strings that cannot be plain; double quotes
/// with escapes for control characters.
fn quote(s: &str) -> String {
    if s.chars().any(|c| c.is_control()) {
        return serde_json::to_string(s).unwrap_or_default();
    }
    if looks_like_non_string(s) {
        return format!("\"{s}\"");
    }
    if plain_allowed(s) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "''"))
}
