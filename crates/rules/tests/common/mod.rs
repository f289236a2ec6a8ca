//! Test helpers: models from YAML, and throw-away network namespaces for `nft`.

#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use tortie_calc::Model;
use tortie_model::load::load_str;

/// A model from YAML documents (every one must load).
pub fn model(yaml: &str) -> Model {
    let resources = load_str(yaml, "case.yaml")
        .expect("YAML parses")
        .into_iter()
        .map(|l| l.result.expect("document loads"))
        .collect();
    Model::from_manifests(resources)
}

/// A network namespace of our own, deleted on drop (also when the test panics).
pub struct Netns(pub String);

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Netns {
    pub fn new() -> Netns {
        let name = format!(
            "tortie-rules-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .expect("ip runs")
            .success();
        assert!(ok, "ip netns add {name}");
        Netns(name)
    }

    /// Runs `nft` with `script` on stdin inside the namespace; Err(stderr) on failure.
    pub fn nft(&self, args: &[&str], script: &str) -> Result<String, String> {
        let program: Vec<&str> = std::iter::once("nft").chain(args.iter().copied()).collect();
        self.run(&program, script)
    }

    /// Runs any program with `input` on stdin inside the namespace; Err(stderr) on failure.
    pub fn run(&self, program: &[&str], input: &str) -> Result<String, String> {
        use std::io::Write as _;
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.0])
            .args(program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("program runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Applies a script (`nft -f -`).
    pub fn apply(&self, script: &str) -> Result<(), String> {
        self.nft(&["-f", "-"], script).map(|_| ())
    }

    /// The table as `nft list table` prints it.
    pub fn listing(&self) -> String {
        self.nft(&["list", "table", "inet", "tortie"], "")
            .expect("table lists")
    }
}

impl Netns {
    /// The table as a canonical value: sets and maps with sorted elements, chains with their
    /// rules in order, all keyed by name, handles left out (creation order does not matter).
    pub fn canonical(&self) -> String {
        let json = self
            .nft(&["-j", "list", "table", "inet", "tortie"], "")
            .expect("table lists");
        let v: serde_json::Value = serde_json::from_str(&json).expect("nft JSON");
        let mut out = std::collections::BTreeMap::new();
        for item in v["nftables"].as_array().expect("array") {
            let Some((kind, body)) = item.as_object().and_then(|o| o.iter().next()) else {
                continue;
            };
            let mut body = body.clone();
            if let Some(o) = body.as_object_mut() {
                o.remove("handle");
            }
            let key = match kind.as_str() {
                "set" | "map" | "chain" => format!("{kind} {}", body["name"]),
                "rule" => format!(
                    "rule {} {:04}",
                    body["chain"],
                    out.keys()
                        .filter(|k: &&String| k.starts_with(&format!("rule {} ", body["chain"])))
                        .count()
                ),
                _ => continue,
            };
            if let Some(elems) = body.get_mut("elem").and_then(|e| e.as_array_mut()) {
                elems.sort_by_key(|e| e.to_string());
            }
            out.insert(key, body.to_string());
        }
        out.into_iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}
