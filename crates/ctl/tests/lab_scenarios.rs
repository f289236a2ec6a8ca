//! Every lab scenario under `examples/*/scenario.yaml` runs with real agents and real packets,
//! and every probe agrees with its expectation and with `tortie trace`.

use std::path::PathBuf;
use std::process::Command;

fn scenarios() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples/")
        .flatten()
        .map(|e| e.path().join("scenario.yaml"))
        .filter(|p| p.exists())
        .collect();
    out.sort();
    out
}

#[test]
fn every_lab_scenario_is_enforced_as_expected_and_as_traced() {
    every_scenario("nftables");
}

/// The same scenarios, the agents enforcing with iptables (Felix's chain layout).
#[test]
fn every_lab_scenario_is_enforced_with_iptables_too() {
    every_scenario("iptables");
}

fn every_scenario(dataplane: &str) {
    let list = scenarios();
    assert!(!list.is_empty(), "no scenarios found");
    for path in list {
        let out = Command::new(env!("CARGO_BIN_EXE_tortie"))
            .args(["lab", "run", "--dataplane", dataplane])
            .arg(&path)
            .output()
            .expect("tortie runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        println!("{stdout}");
        assert!(
            out.status.success(),
            "{} ({dataplane}):\n{stdout}\n{}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        // The matrix really has rows, each agreeing.
        let rows = stdout.lines().filter(|l| l.ends_with(" ok")).count();
        assert!(rows >= 5, "{stdout}");
        assert!(!stdout.contains("MISMATCH"), "{stdout}");
    }
}

/// A `tortie lab up` process; killed, and its leftovers swept, if a test fails.
struct Up(std::process::Child);

impl Drop for Up {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
            let _ = Command::new(env!("CARGO_BIN_EXE_tortie"))
                .args(["lab", "down"])
                .output();
        }
    }
}

/// `tortie lab up` in the foreground; returns it once it says the lab is up, with the
/// datastore path it printed.
fn lab_up(scenario: &str) -> (Up, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tortie"))
        .args(["lab", "up", scenario])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("tortie lab up starts");
    let mut store = String::new();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("change policy:  TORTIE_DATASTORE=") {
            store = rest.split(' ').next().unwrap_or_default().to_string();
        }
        if line.starts_with("stop:") {
            break;
        }
    }
    assert!(!store.is_empty(), "tortie lab up did not come up");
    // Keep draining so the lab never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (Up(child), store)
}

fn tortie(args: &[&str], store: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tortie"));
    cmd.args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    if let Some(s) = store {
        cmd.env("TORTIE_DATASTORE", s);
    }
    let out = cmd.output().expect("tortie runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The cell of `from`'s row in a one-column matrix printed by `tortie lab probe`.
fn cell(matrix: &str, from: &str) -> String {
    matrix
        .lines()
        .find(|l| l.starts_with(from))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_default()
        .to_string()
}

fn lab_namespaces(pid: u32) -> Vec<String> {
    let lead = format!("tl{pid}");
    std::fs::read_dir("/run/netns")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            n.strip_prefix(&lead)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()))
        })
        .collect()
}

fn agents_of(pid: u32) -> usize {
    let mark = format!("tortie-lab-tl{pid}");
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&mark))
        })
        .count()
}

#[test]
fn lab_up_probe_apply_probe_down_and_cleanup_after_a_crash() {
    let scenario = "examples/access-nginx/scenario.yaml";
    let (mut lab, store) = lab_up(scenario);
    let probe = [
        "lab",
        "probe",
        "--lab",
        "access-nginx",
        "--to",
        "default/nginx",
        "--traffic",
        "tcp/80",
    ];
    let (ok, before) = tortie(&probe, None);
    assert!(ok, "{before}");
    assert_eq!(cell(&before, "default/access"), "allow", "{before}");
    assert_eq!(cell(&before, "default/intruder"), "deny", "{before}");

    // A policy change through the ordinary CLI reaches the agents before the next probe.
    let (ok, text) = tortie(
        &["delete", "-f", "examples/access-nginx/policy.yaml"],
        Some(&store),
    );
    assert!(ok, "{text}");
    let (ok, after) = tortie(&probe, None);
    assert!(ok, "{after}");
    assert_eq!(cell(&after, "default/intruder"), "allow", "{after}");

    assert!(!lab_namespaces(lab.0.id()).is_empty());
    let (ok, text) = tortie(&["lab", "down"], None);
    assert!(ok, "{text}");
    assert!(lab.0.wait().expect("lab exits").success());
    assert_eq!(lab_namespaces(lab.0.id()), Vec::<String>::new());
    assert_eq!(agents_of(lab.0.id()), 0);

    // Killed without a chance to clean up: lab down finds its namespaces and agents.
    let (mut lab, _) = lab_up(scenario);
    assert!(agents_of(lab.0.id()) > 0);
    lab.0.kill().expect("kill");
    lab.0.wait().expect("reaped");
    let (ok, text) = tortie(&["lab", "down"], None);
    assert!(ok, "{text}");
    assert_eq!(lab_namespaces(lab.0.id()), Vec::<String>::new(), "{text}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while agents_of(lab.0.id()) > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(agents_of(lab.0.id()), 0, "orphaned agents were not stopped");
}

#[test]
fn a_scenario_runs_on_an_etcd_cluster_started_by_the_lab() {
    let out = Command::new(env!("CARGO_BIN_EXE_tortie"))
        .args(["lab", "run", "--datastore", "etcd"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/nodeport-remote-backend/scenario.yaml"
        ))
        .output()
        .expect("tortie runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = stdout.lines().filter(|l| l.ends_with(" ok")).count();
    assert_eq!(rows, 9, "{stdout}");
}

#[test]
fn tortie_logs_shows_the_lines_of_denied_packets() {
    let (_lab, store) = lab_up("examples/log-denied-packets/scenario.yaml");
    // The lab's directory holds the store and each agent's state directory.
    let state = std::path::Path::new(&store)
        .parent()
        .expect("lab dir")
        .join("node1.state");
    let state = state.to_str().expect("utf-8");
    let (ok, before) = tortie(&["logs", "--state-dir", state, "-n", "10"], None);
    assert!(ok, "{before}");
    assert!(!before.contains("calico-packet"), "{before}");
    let probe = [
        "lab",
        "probe",
        "--lab",
        "log-denied-packets",
        "--from",
        "default/intruder",
        "--to",
        "default/nginx",
        "--traffic",
        "udp/53",
    ];
    let (ok, text) = tortie(&probe, None);
    assert!(ok, "{text}");
    assert_eq!(cell(&text, "default/intruder"), "deny", "{text}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let after = loop {
        let (ok, after) = tortie(&["logs", "--state-dir", state, "-n", "10"], None);
        assert!(ok, "{after}");
        if after.contains("calico-packet") || std::time::Instant::now() > deadline {
            break after;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let lines: Vec<&str> = after
        .lines()
        .filter(|l| l.contains("calico-packet: "))
        .collect();
    assert_eq!(lines.len(), 1, "{after}");
    for field in [
        "SRC=10.244.2.33",
        "DST=10.244.1.31",
        "PROTO=UDP",
        "DPT=53",
        "IN=eth0",
    ] {
        assert!(lines[0].contains(field), "{field} missing: {after}");
    }
    let (ok, text) = tortie(&["lab", "down"], None);
    assert!(ok, "{text}");
}
