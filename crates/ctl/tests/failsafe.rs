//! Failsafe ports on a real lab: SSH (22, one of Felix's default failsafe inbound ports) gets
//! through a deny-all host endpoint policy while 8080 is denied; a FelixConfiguration whose
//! `failsafeInboundHostPorts` leaves 22 out, applied through the ordinary CLI, closes SSH on
//! the running agent; putting 22 back opens it again. Real agents, real packets, and
//! `tortie trace` agreeing with every probe (`tortie lab probe` exits non-zero and marks a
//! cell `!` where the packet and trace disagree).
//!
//! The lab is stopped with SIGTERM to its own `tortie lab up` process, never with
//! `tortie lab down`, which would also stop other labs running on the machine.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One node whose only interface has a host endpoint, a policy that denies everything in and
/// out of it, a server on the node for SSH and for 8080, and an admin machine on the same
/// network.
const SCENARIO: &str = "\
name: NAME
description: a deny-all host endpoint policy; failsafe SSH still gets in
nodes:
  - name: node1
    interfaces: [{name: eth0, network: fabric, addresses: [10.0.0.11/24]}]
externals:
  - {name: admin, interface: {name: eth0, network: fabric, addresses: [10.0.0.200/24]}}
manifests: [host.yaml]
listen:
  node/node1: [tcp/22, tcp/8080]
expect:
  - {from: admin, to: node/node1, traffic: tcp/22, result: allow}
  - {from: admin, to: node/node1, traffic: tcp/8080, result: deny}
";

const HOST: &str = "\
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node1-eth0
  labels: {host-role: locked-down}
spec:
  node: node1
  interfaceName: eth0
  expectedIPs: [10.0.0.11]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny-all-host}
spec:
  selector: host-role == 'locked-down'
  types: [Ingress, Egress]
  ingress: [{action: Deny}]
  egress: [{action: Deny}]
";

/// The FelixConfiguration `default` with these failsafe inbound ports.
fn felix(ports: &[(&str, u16)]) -> String {
    let mut out = String::from(
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec:\n  failsafeInboundHostPorts:\n",
    );
    for (proto, port) in ports {
        out.push_str(&format!("  - {{protocol: {proto}, port: {port}}}\n"));
    }
    out
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A `tortie lab up` process of this test and the directory holding its scenario. Dropped
/// while still running (a failed assertion), it is asked to stop with SIGTERM, killed if it
/// does not, and what a killed lab leaves behind is swept.
struct Lab {
    child: Child,
    dir: PathBuf,
}

impl Lab {
    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// SIGTERM, then up to `grace` for it to tear its lab down and exit.
    fn stop(&mut self, grace: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill").args(["-TERM", &self.pid()]).status();
        let deadline = Instant::now() + grace;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) && self.stop(Duration::from_secs(10)).is_none()
        {
            let _ = self.child.kill();
            let _ = self.child.wait();
            // Only labs whose process is gone (this one, now) are swept.
            let _ = tortie_ctl::lab::session::sweep_dead();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes the scenario under a name of this process (labs are named after their scenario,
/// and another test run may have one up) and starts `tortie lab up` on it; returns once the
/// lab is up, with the datastore path it printed.
fn lab_up(name: &str) -> (Lab, String) {
    let dir = std::env::temp_dir().join(format!("tortie-{name}"));
    std::fs::create_dir_all(&dir).expect("scenario dir");
    std::fs::write(dir.join("scenario.yaml"), SCENARIO.replace("NAME", name)).expect("scenario");
    std::fs::write(dir.join("host.yaml"), HOST).expect("manifest");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tortie"))
        .args(["lab", "up"])
        .arg(dir.join("scenario.yaml"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("tortie lab up starts");
    let stdout = child.stdout.take().expect("stdout");
    let lab = Lab { child, dir };
    let mut store = String::new();
    let mut lines = BufReader::new(stdout).lines();
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
    // A probe may follow the `stop:` line at once: the control socket must already be there.
    let socket = tortie_ctl::lab::control::socket_path(name);
    assert!(
        socket.exists(),
        "{} is missing once the lab is up",
        socket.display()
    );
    // Keep draining so the lab never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (lab, store)
}

/// Runs `tortie` (with the lab's datastore when given, and `stdin`); success and output.
fn tortie(args: &[&str], store: Option<&str>, stdin: &str) -> (bool, String) {
    let run = common::run_with(args, stdin, store.map(Path::new));
    (run.code == 0, format!("{}{}", run.stdout, run.stderr))
}

/// Probes SSH and 8080 from `admin` to the node; the cell of each traffic (`allow`, `deny`,
/// with `!` where trace disagrees). Fails unless `tortie lab probe` succeeded, which it does
/// only when trace agrees with every packet.
fn probe(name: &str) -> BTreeMap<String, String> {
    let (ok, text) = tortie(
        &[
            "lab",
            "probe",
            "--lab",
            name,
            "--from",
            "admin",
            "--to",
            "node/node1",
            "--traffic",
            "tcp/22",
            "--traffic",
            "tcp/8080",
        ],
        None,
        "",
    );
    assert!(
        ok,
        "a probe disagrees with trace, or the probe failed:\n{text}"
    );
    // One grid per traffic: a header `tcp/22  node/node1`, then `admin  allow`.
    let mut cells = BTreeMap::new();
    let mut traffic = String::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [t, "node/node1"] => traffic = (*t).to_string(),
            ["admin", cell] => {
                cells.insert(traffic.clone(), (*cell).to_string());
            }
            _ => {}
        }
    }
    assert_eq!(cells.len(), 2, "{text}");
    cells
}

/// `tortie trace` on the lab's datastore for admin → node1 TCP `port`: its whole text.
fn trace(store: &str, port: &str) -> String {
    let (ok, text) = tortie(
        &[
            "trace",
            "--from",
            "10.0.0.200",
            "--to",
            "node/node1",
            "--port",
            port,
        ],
        Some(store),
        "",
    );
    assert!(ok, "{text}");
    text
}

fn apply(store: &str, yaml: &str) {
    let (ok, text) = tortie(&["apply", "-f", "-"], Some(store), yaml);
    assert!(ok, "{text}");
}

#[test]
fn failsafe_ssh_survives_a_deny_all_host_policy_until_felix_configuration_removes_it() {
    if !is_root() {
        println!("skipped: the lab needs root (network namespaces, nftables)");
        return;
    }
    let name = format!("failsafe-{}", std::process::id());
    let (mut lab, store) = lab_up(&name);

    // Calico's default failsafe inbound ports include SSH: it gets through the deny-all
    // policy, 8080 does not, and trace says why.
    let cells = probe(&name);
    assert_eq!(cells["tcp/22"], "allow", "{cells:?}");
    assert_eq!(cells["tcp/8080"], "deny", "{cells:?}");
    let why = trace(&store, "22");
    assert!(
        why.contains("verdict: ALLOW") && why.contains("failsafe port"),
        "{why}"
    );
    let why = trace(&store, "8080");
    assert!(
        why.contains("verdict: DENY") && why.contains("deny-all-host"),
        "{why}"
    );

    // A failsafe list without 22 (DHCP and BGP kept), through the ordinary CLI: the running
    // agent reprograms and SSH is now denied like everything else.
    apply(&store, &felix(&[("UDP", 68), ("TCP", 179)]));
    let cells = probe(&name);
    assert_eq!(cells["tcp/22"], "deny", "{cells:?}");
    assert_eq!(cells["tcp/8080"], "deny", "{cells:?}");
    let why = trace(&store, "22");
    assert!(
        why.contains("verdict: DENY") && why.contains("deny-all-host"),
        "{why}"
    );

    // 22 back in the list: SSH gets through again.
    apply(&store, &felix(&[("TCP", 22), ("UDP", 68), ("TCP", 179)]));
    let cells = probe(&name);
    assert_eq!(cells["tcp/22"], "allow", "{cells:?}");
    assert_eq!(cells["tcp/8080"], "deny", "{cells:?}");

    // The lab tears itself down on SIGTERM and leaves no namespace behind.
    let pid = lab.pid();
    let status = lab
        .stop(Duration::from_secs(20))
        .expect("tortie lab up exits");
    assert!(status.success(), "{status}");
    let lead = format!("tl{pid}");
    let left: Vec<String> = std::fs::read_dir("/run/netns")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            n.strip_prefix(&lead)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()))
        })
        .collect();
    assert_eq!(left, Vec::<String>::new());
    assert!(!Path::new(&store).exists(), "{store} left behind");
}
