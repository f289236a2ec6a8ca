//! `patch` and `label`: read, change, and write back with the version read, so a concurrent
//! change is a conflict rather than a lost update.

use serde_json::Value;
use tortie_datastore::{ObjectRef, Write};
use tortie_model::Resource;

use super::common::{Failure, kind_arg, open};
use crate::cli::{LabelArgs, PatchArgs, Target};

fn target_object(kind_word: &str, name: &str, target: &Target) -> Result<ObjectRef, Failure> {
    let kind = kind_arg(kind_word)?;
    if !kind.is_namespaced() && target.namespace.is_some() {
        return Err(Failure::usage(format!(
            "{} is cluster-wide: -n does not apply",
            kind.name()
        )));
    }
    let namespace = if kind.is_namespaced() {
        target.namespace.clone().unwrap_or_else(|| "default".into())
    } else {
        String::new()
    };
    Ok(ObjectRef {
        kind,
        namespace,
        name: name.to_string(),
    })
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn pointer_parts(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("JSON pointer `{path}` must start with `/`"))?;
    Ok(rest
        .split('/')
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn parent_mut<'v>(doc: &'v mut Value, parts: &[String]) -> Result<&'v mut Value, String> {
    let mut cur = doc;
    for p in parts {
        cur = match cur {
            Value::Object(m) => m
                .get_mut(p)
                .ok_or_else(|| format!("path element `{p}` does not exist"))?,
            Value::Array(a) => {
                let i: usize = p
                    .parse()
                    .map_err(|_| format!("`{p}` is not an array index"))?;
                a.get_mut(i)
                    .ok_or_else(|| format!("index {i} is out of range"))?
            }
            _ => return Err(format!("`{p}` is inside a scalar")),
        };
    }
    Ok(cur)
}

fn pointer_remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let parts = pointer_parts(path)?;
    let (last, parents) = parts
        .split_last()
        .ok_or("cannot remove the whole document")?;
    match parent_mut(doc, parents)? {
        Value::Object(m) => m
            .remove(last)
            .ok_or_else(|| format!("`{path}` does not exist")),
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("`{last}` is not an array index"))?;
            if i < a.len() {
                Ok(a.remove(i))
            } else {
                Err(format!("index {i} is out of range"))
            }
        }
        _ => Err(format!("`{path}` is inside a scalar")),
    }
}

fn pointer_add(doc: &mut Value, path: &str, value: Value, replace: bool) -> Result<(), String> {
    let parts = pointer_parts(path)?;
    let Some((last, parents)) = parts.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent_mut(doc, parents)? {
        Value::Object(m) => {
            if replace && !m.contains_key(last) {
                return Err(format!("`{path}` does not exist"));
            }
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            if last == "-" && !replace {
                a.push(value);
                return Ok(());
            }
            let i: usize = last
                .parse()
                .map_err(|_| format!("`{last}` is not an array index"))?;
            match (replace, i.cmp(&a.len())) {
                (true, std::cmp::Ordering::Less) => a[i] = value,
                (false, std::cmp::Ordering::Less | std::cmp::Ordering::Equal) => a.insert(i, value),
                _ => return Err(format!("index {i} is out of range")),
            }
            Ok(())
        }
        _ => Err(format!("`{path}` is inside a scalar")),
    }
}

/// RFC 6902 JSON patch.
fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops
        .as_array()
        .ok_or("a JSON patch is a list of operations")?;
    for (i, op) in ops.iter().enumerate() {
        let field = |f: &str| {
            op.get(f)
                .and_then(Value::as_str)
                .map(String::from)
                .ok_or_else(|| format!("operation {i} needs `{f}`"))
        };
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("operation {i} needs `value`"))
        };
        let path = field("path")?;
        match field("op")?.as_str() {
            "add" => pointer_add(doc, &path, value()?, false)?,
            "replace" => pointer_add(doc, &path, value()?, true)?,
            "remove" => {
                pointer_remove(doc, &path)?;
            }
            "move" => {
                let v = pointer_remove(doc, &field("from")?)?;
                pointer_add(doc, &path, v, false)?;
            }
            "copy" => {
                let from = doc
                    .pointer(&field("from")?)
                    .cloned()
                    .ok_or_else(|| format!("operation {i}: `from` does not exist"))?;
                pointer_add(doc, &path, from, false)?;
            }
            "test" => {
                if doc.pointer(&path) != Some(&value()?) {
                    return Err(format!("operation {i}: test failed at `{path}`"));
                }
            }
            other => return Err(format!("operation {i}: unknown op `{other}`")),
        }
    }
    Ok(())
}

fn write_back(client: &tortie_datastore::Client, changed: Resource) -> Result<Resource, Failure> {
    let mut written = client.write(vec![Write::Replace { resource: changed }])?;
    written
        .pop()
        .and_then(|w| w.resource)
        .ok_or_else(|| Failure::resource("the write returned nothing"))
}

pub fn patch(args: &PatchArgs, out: &mut dyn std::io::Write) -> Result<(), Failure> {
    let obj = target_object(&args.args[0], &args.args[1], &args.target)?;
    let docs = tortie_model::yaml::parse_stream(&args.patch)
        .map_err(|e| Failure::usage(format!("the patch is not valid YAML or JSON: {e}")))?;
    let patch: Value = match docs.first() {
        Some(d) => tortie_model::yaml::from_node(d)
            .map_err(|e| Failure::usage(format!("the patch cannot be read: {e}")))?,
        None => return Err(Failure::usage("the patch is empty")),
    };
    let client = open(&args.target)?;
    let current = client.get(&obj)?;
    let mut doc = current.to_json();
    match args.patch_type.as_str() {
        "strategic" | "merge" => merge_patch(&mut doc, &patch),
        "json" => json_patch(&mut doc, &patch)
            .map_err(|e| Failure::usage(format!("cannot apply the JSON patch to {obj}: {e}")))?,
        other => {
            return Err(Failure::usage(format!(
                "unknown patch type `{other}`: use strategic, merge or json"
            )));
        }
    }
    let patched = Resource::from_json_str(obj.kind, &doc.to_string())
        .map_err(|e| Failure::resource(format!("the patch makes {obj} invalid: {e}")))?;
    if tortie_datastore::ObjectRef::of(&patched) != obj {
        return Err(Failure::resource(format!(
            "a patch cannot rename or move {obj}"
        )));
    }
    write_back(&client, patched)?;
    let _ = writeln!(out, "Successfully patched 1 '{}' resource", obj.kind.name());
    Ok(())
}

pub fn label(args: &LabelArgs, out: &mut dyn std::io::Write) -> Result<(), Failure> {
    let obj = target_object(&args.args[0], &args.args[1], &args.target)?;
    let spec = &args.args[2];
    let client = open(&args.target)?;
    let mut r = client.get(&obj)?;
    let labels = &mut r.metadata_mut().labels;
    let message = if args.remove {
        if spec.contains('=') {
            return Err(Failure::usage("with --remove give only the label key"));
        }
        if labels.remove(spec).is_none() {
            return Err(Failure::resource(format!("{obj} has no label `{spec}`")));
        }
        format!(
            "Successfully removed label {spec} from {} {}",
            obj.kind.name().to_lowercase(),
            obj.name
        )
    } else {
        let (key, value) = spec
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("`{spec}` is not key=value")))?;
        if let Some(existing) = labels.get(key)
            && existing != value
            && !args.overwrite
        {
            return Err(Failure::resource(format!(
                "{obj} already has label `{key}={existing}`; use --overwrite to change it"
            )));
        }
        labels.insert(key.to_string(), value.to_string());
        format!(
            "Successfully set label {key} on {} {}",
            obj.kind.name().to_lowercase(),
            obj.name
        )
    };
    write_back(&client, r)?;
    let _ = writeln!(out, "{message}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn json_patch_follows_rfc_6902() {
        let mut doc = json!({"spec": {"ingress": [{"action": "Allow"}], "order": 1}});
        json_patch(
            &mut doc,
            &json!([
                {"op": "add", "path": "/spec/ingress/-", "value": {"action": "Deny"}},
                {"op": "replace", "path": "/spec/order", "value": 5},
                {"op": "test", "path": "/spec/ingress/0/action", "value": "Allow"},
                {"op": "copy", "from": "/spec/order", "path": "/spec/copy"},
                {"op": "move", "from": "/spec/copy", "path": "/moved"},
                {"op": "remove", "path": "/moved"}
            ]),
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({"spec": {"ingress": [{"action": "Allow"}, {"action": "Deny"}], "order": 5}})
        );
        assert!(
            json_patch(
                &mut doc,
                &json!([{"op": "test", "path": "/spec/order", "value": 6}])
            )
            .is_err()
        );
    }
}
