//! The agent with the iptables backend against the kernel: real `iptables-restore` and
//! `ipset` in a lab node's namespace, judged by real packets between pods on that node.
//! Foreign rules (another tool's) survive every step; switching backends on a running node
//! never lets a denied packet through; drift is repaired; updates rewrite only what changed.

#[expect(dead_code, reason = "the fixtures serve the nftables live tests too")]
mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Cluster, OPEN, PodDef, expect, root_or_skip, server_policy, wait_outcome};
use tortie_agent::Telemetry;
use tortie_dataplane::{Backend, DataplaneError, IptablesProgrammer, Variant, Xtables, XtablesCli};
use tortie_lab::Outcome::{Delivered, Dropped};
use tortie_rules::ir::Family;

const NO_DRIFT_CHECK: Duration = Duration::from_secs(600);

const SERVER: PodDef = PodDef {
    name: "server",
    labels: &[("app", "server")],
    ip: "10.66.0.10",
    tcp: &[80, 8080],
};
const CLIENT: PodDef = PodDef {
    name: "client",
    labels: &[("role", "client")],
    ip: "10.66.0.11",
    tcp: &[80],
};
const OTHER: PodDef = PodDef {
    name: "other",
    labels: &[("role", "other")],
    ip: "10.66.0.12",
    tcp: &[],
};

/// Runs a command in the node's namespace; its standard output, or the error.
fn in_node(cl: &Cluster, program: &[&str], input: Option<&str>) -> Result<String, String> {
    use std::io::Write as _;
    let mut child = Command::new("ip")
        .args(["netns", "exec", cl.node_netns()])
        .args(program)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.unwrap_or("").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The rules and user chains of both families of one variant, by table, and built-in
/// chains whose policy is not ACCEPT (an empty table appearing is not a change of rules).
fn saved(cl: &Cluster, variant: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for fam in ["iptables", "ip6tables"] {
        let text = in_node(cl, &[&format!("{fam}-{variant}-save")], None).unwrap();
        let mut table = "";
        for l in text.lines() {
            if let Some(t) = l.strip_prefix('*') {
                table = t;
            } else if l.starts_with("-A ") || (l.starts_with(':') && !l.contains(" ACCEPT ")) {
                lines.push(format!("{fam} {table}: {}", l.replace(" [0:0]", "")));
            }
        }
    }
    lines.sort();
    lines
}

/// What is not Tortie's: every saved line that names no `cali-` chain, and every ipset that
/// is not Tortie's, with its members.
fn foreign(cl: &Cluster, variant: &str) -> Vec<String> {
    let mut lines: Vec<String> = saved(cl, variant)
        .into_iter()
        .filter(|l| !l.contains("cali-"))
        .collect();
    let sets = in_node(cl, &["ipset", "save"], None).unwrap();
    lines.extend(
        sets.lines()
            .filter(|l| {
                !l.split_whitespace()
                    .nth(1)
                    .is_some_and(tortie_rules::xt::is_own_set)
            })
            .map(|l| format!("ipset: {l}")),
    );
    lines
}

fn own_chains(cl: &Cluster, variant: &str) -> usize {
    saved(cl, variant)
        .iter()
        .filter(|l| l.contains(": :cali-"))
        .count()
}

fn nft_table_exists(cl: &Cluster) -> bool {
    cl.nft(&["list", "table", "inet", "tortie"]).is_ok()
}

/// Another tool's rules in every table Tortie uses, in both families, and its own ipset.
const FOREIGN_V4: &str = "*raw\n-A PREROUTING -s 192.0.2.1/32 -j NOTRACK\nCOMMIT\n\
*mangle\n-A PREROUTING -s 192.0.2.2/32 -j MARK --set-xmark 0x1/0x1\nCOMMIT\n\
*filter\n:KUBE-FIREWALL - [0:0]\n-A INPUT -j KUBE-FIREWALL\n-A FORWARD -s 192.0.2.3/32 -j DROP\n\
-A OUTPUT -m set --match-set kube-test src -j DROP\n-A KUBE-FIREWALL -s 192.0.2.4/32 -j DROP\nCOMMIT\n";
const FOREIGN_V6: &str = "*filter\n-A FORWARD -s 2001:db8::3/128 -j DROP\nCOMMIT\n";

fn add_foreign(cl: &Cluster, variant: &str) {
    in_node(
        cl,
        &["ipset", "restore"],
        Some("create kube-test hash:ip family inet\nadd kube-test 192.0.2.9\n"),
    )
    .unwrap();
    in_node(
        cl,
        &[&format!("iptables-{variant}-restore"), "--noflush"],
        Some(FOREIGN_V4),
    )
    .unwrap();
    in_node(
        cl,
        &[&format!("ip6tables-{variant}-restore"), "--noflush"],
        Some(FOREIGN_V6),
    )
    .unwrap();
}

fn iptables(cl: &Cluster, variant: Variant) -> IptablesProgrammer<XtablesCli> {
    IptablesProgrammer::new(XtablesCli::new(variant, Some(cl.node_netns())))
}

/// Foreign rules and sets are there before, and exactly the same after programming, an
/// update, a drift repair, and a switch to nftables that removes everything of Tortie's; then
/// the whole of iptables is as it was before Tortie came.
#[test]
fn foreign_rules_survive_every_step() {
    if !root_or_skip("foreign_rules_survive_every_step") {
        return;
    }
    for variant in [Variant::Nft, Variant::Legacy] {
        let v = variant.name();
        let cl = Cluster::up(&format!("fr{}", &v[..1]), &[SERVER, CLIENT, OTHER], &[]);
        add_foreign(&cl, v);
        let before_all = saved(&cl, v);
        let before = foreign(&cl, v);
        assert!(
            before.iter().any(|l| l.contains("KUBE-FIREWALL")),
            "{before:?}"
        );

        let revision = cl.apply(&server_policy("role == 'client'", 80));
        let agent = cl.start_agent_with(
            "ipt",
            iptables(&cl, variant),
            Duration::from_millis(500),
            Arc::new(Telemetry::new()),
        );
        agent.wait_programmed(revision);
        let allowed = cl.tcp("client", "server", 80);
        let denied = cl.tcp("other", "server", 80);
        expect(
            &cl.lab,
            "programmed",
            &[(allowed.clone(), Delivered), (denied.clone(), Dropped)],
        );
        assert!(own_chains(&cl, v) > 10, "{v}: Tortie's chains are there");
        assert_eq!(foreign(&cl, v), before, "{v}: after programming");

        let revision = cl.apply(&server_policy("role == 'other'", 80));
        agent.wait_programmed(revision);
        expect(
            &cl.lab,
            "updated",
            &[(allowed.clone(), Dropped), (denied.clone(), Delivered)],
        );
        assert_eq!(foreign(&cl, v), before, "{v}: after an update");

        // Drift: the jump from FORWARD is gone; the repair puts it back, first.
        let repairs = agent.telemetry.drift_repairs.get();
        let save = in_node(&cl, &[&format!("iptables-{v}-save"), "-t", "filter"], None).unwrap();
        let jump = save
            .lines()
            .find(|l| l.starts_with("-A FORWARD") && l.contains("-j cali-FORWARD"))
            .expect("the jump to cali-FORWARD")
            .replacen("-A ", "-D ", 1);
        in_node(
            &cl,
            &[&format!("iptables-{v}-restore"), "--noflush"],
            Some(&format!("*filter\n{jump}\nCOMMIT\n")),
        )
        .unwrap();
        wait_outcome(
            &cl.lab,
            &allowed.clone(),
            &Delivered,
            Duration::from_secs(5),
        );
        wait_outcome(&cl.lab, &allowed.clone(), &Dropped, Duration::from_secs(10));
        assert!(
            agent.telemetry.drift_repairs.get() > repairs,
            "{v}: the repair was counted"
        );
        assert_eq!(foreign(&cl, v), before, "{v}: after a drift repair");
        agent.stop();

        // Switching to nftables removes every chain, jump and set of Tortie's, nothing else.
        let nft = cl.start_agent_with(
            "nft",
            tortie_dataplane::open(Backend::Nftables, Some(cl.node_netns())).0,
            NO_DRIFT_CHECK,
            Arc::new(Telemetry::new()),
        );
        // Ready means: programmed, and the other backend retired.
        let status = nft.wait_programmed(revision);
        assert_eq!(status["error"], serde_json::Value::Null);
        expect(
            &cl.lab,
            "nftables",
            &[(allowed.clone(), Dropped), (denied.clone(), Delivered)],
        );
        assert_eq!(
            own_chains(&cl, v),
            0,
            "{v}: iptables chains left after the switch"
        );
        assert_eq!(foreign(&cl, v), before, "{v}: after the switch");
        assert_eq!(saved(&cl, v), before_all, "{v}: iptables as before Tortie");
        nft.stop();
    }
}

/// Clears a flag when dropped, also while a failed assertion unwinds, so the probing
/// threads end and the scope can be left.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// nftables → iptables → nftables on a running node: each new agent programs its backend,
/// then removes the old one's rules; a denied flow probed all along never gets through, an
/// allowed one always does.
#[test]
fn switching_backends_leaves_no_gap() {
    if !root_or_skip("switching_backends_leaves_no_gap") {
        return;
    }
    let cl = Cluster::up("sw", &[SERVER, CLIENT, OTHER], &[]);
    let revision = cl.apply(&server_policy("role == 'client'", 80));
    let first = cl.start_agent_with(
        "nft1",
        tortie_dataplane::open(Backend::Nftables, Some(cl.node_netns())).0,
        NO_DRIFT_CHECK,
        Arc::new(Telemetry::new()),
    );
    first.wait_programmed(revision);
    let (allowed, denied) = (
        cl.tcp("client", "server", 80),
        cl.tcp("other", "server", 80),
    );
    expect(
        &cl.lab,
        "nftables",
        &[(allowed.clone(), Delivered), (denied.clone(), Dropped)],
    );
    let done = AtomicBool::new(false);
    let counts: [AtomicUsize; 4] = Default::default();
    std::thread::scope(|scope| {
        let _stop = StopOnDrop(&done);
        for (i, (probe, want)) in [(denied.clone(), Dropped), (allowed.clone(), Delivered)]
            .into_iter()
            .enumerate()
        {
            let (lab, done, counts) = (&cl.lab, &done, &counts);
            scope.spawn(move || {
                // A delivered probe answers at once; a short wait for a drop keeps them many.
                let timeout = if want == Delivered {
                    OPEN
                } else {
                    Duration::from_millis(150)
                };
                while !done.load(Ordering::SeqCst) {
                    if lab.probe(&probe.clone().timeout(timeout)) != want {
                        counts[2 * i + 1].fetch_add(1, Ordering::SeqCst);
                    }
                    counts[2 * i].fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        first.stop();
        for (name, backend, nft_left) in [
            ("ipt", Backend::Iptables(Some(Variant::Nft)), false),
            ("nft2", Backend::Nftables, true),
        ] {
            let agent = cl.start_agent_with(
                name,
                tortie_dataplane::open(backend, Some(cl.node_netns())).0,
                NO_DRIFT_CHECK,
                Arc::new(Telemetry::new()),
            );
            let status = agent.wait_programmed(revision);
            assert_eq!(status["error"], serde_json::Value::Null, "{name}");
            assert_eq!(
                nft_table_exists(&cl),
                nft_left,
                "{name}: the nftables table"
            );
            assert_eq!(
                own_chains(&cl, "nft") > 0,
                !nft_left,
                "{name}: the iptables chains"
            );
            std::thread::sleep(Duration::from_millis(1000));
            agent.stop();
        }
    });
    let [sent, through, sent_ok, refused] = counts.map(|c| c.load(Ordering::SeqCst));
    eprintln!(
        "switch: denied flow {through}/{sent} through, allowed flow {refused}/{sent_ok} dropped"
    );
    assert!(
        sent >= 5 && sent_ok >= 5,
        "too few probes: {sent}, {sent_ok}"
    );
    assert_eq!(
        through, 0,
        "a denied flow got through while switching backends"
    );
    assert_eq!(
        refused, 0,
        "an allowed flow was dropped while switching backends"
    );
}

/// Records every `iptables-restore` and `ipset restore` text the programmer writes.
#[derive(Clone)]
struct Recording {
    inner: XtablesCli,
    restores: Arc<Mutex<Vec<String>>>,
}

impl Xtables for Recording {
    fn restore(&mut self, family: Family, text: &str) -> Result<(), DataplaneError> {
        self.restores
            .lock()
            .unwrap()
            .push(format!("{family:?}\n{text}"));
        self.inner.restore(family, text)
    }
    fn save(&mut self, family: Family) -> Result<String, DataplaneError> {
        self.inner.save(family)
    }
    fn ipset_restore(&mut self, text: &str) -> Result<(), DataplaneError> {
        self.restores.lock().unwrap().push(format!("ipset\n{text}"));
        self.inner.ipset_restore(text)
    }
    fn ipset_save(&mut self) -> Result<String, DataplaneError> {
        self.inner.ipset_save()
    }
}

/// A change of one policy's peers rewrites no chain: only the selector's ipset gains and
/// loses members. A change of its port rewrites that policy's chain and nothing else.
#[test]
fn updates_touch_only_what_changed() {
    if !root_or_skip("updates_touch_only_what_changed") {
        return;
    }
    let cl = Cluster::up("inc", &[SERVER, CLIENT, OTHER], &[]);
    let revision = cl.apply(&server_policy("role in {'client'}", 80));
    let restores = Arc::new(Mutex::new(Vec::new()));
    let xt = Recording {
        inner: XtablesCli::new(Variant::Nft, Some(cl.node_netns())),
        restores: Arc::clone(&restores),
    };
    let agent = cl.start_agent_with(
        "inc",
        IptablesProgrammer::new(xt),
        NO_DRIFT_CHECK,
        Arc::new(Telemetry::new()),
    );
    agent.wait_programmed(revision);
    let full: Vec<String> = restores.lock().unwrap().drain(..).collect();
    assert!(
        full.iter().any(|t| t.contains(":cali-FORWARD")),
        "start of day writes everything"
    );

    // The other pod gets the client's label: set members change, no chain does.
    let relabel = common::pod_yaml(&PodDef {
        labels: &[("role", "client")],
        ..OTHER
    });
    let revision = cl.apply(&relabel);
    agent.wait_programmed(revision);
    wait_outcome(
        &cl.lab,
        &cl.tcp("other", "server", 80),
        &Delivered,
        Duration::from_secs(5),
    );
    let texts: Vec<String> = restores.lock().unwrap().drain(..).collect();
    let ipsets: Vec<&String> = texts.iter().filter(|t| t.starts_with("ipset")).collect();
    assert!(
        ipsets
            .iter()
            .any(|t| t.contains("add cali40s:") && t.contains("10.66.0.12")),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("-A ")),
        "no chain rewritten: {texts:?}"
    );
    assert!(!ipsets.iter().any(|t| t.contains("create ")), "{texts:?}");

    // The port changes: the policy's chain is rewritten (v4 and v6), nothing else.
    let revision = cl.apply(&server_policy("role in {'client'}", 8080));
    agent.wait_programmed(revision);
    let texts: Vec<String> = restores.lock().unwrap().drain(..).collect();
    let declared: Vec<&str> = texts
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| l.starts_with(':'))
        .collect();
    assert!(!declared.is_empty(), "{texts:?}");
    assert!(
        declared.iter().all(|l| l.starts_with(":cali-pi-_")),
        "{declared:?}"
    );
    expect(
        &cl.lab,
        "port changed",
        &[
            (cl.tcp("client", "server", 8080), Delivered),
            (cl.tcp("client", "server", 80), Dropped),
        ],
    );
    agent.stop();
}
