//! The agent against the kernel: the real agent loop on a thread, programming real nftables
//! in a lab node's network namespace from an embedded datastore, judged by real packets
//! between pods (network namespaces behind `cali*` veths) on that node.
//!
//! Needs root (namespaces, nftables); skipped with a message otherwise. All traffic stays
//! between interfaces the lab created in its own namespaces, plus loopback for the metrics
//! endpoint.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::echo::{EchoClient, EchoServer, Pinger};
use common::http::{Metrics, get};
use common::refusing::{Refusing, Switch};
use common::{
    CLOSED, Cluster, NODE, OPEN, PodDef, expect, pod_yaml, root_or_skip, server_policy,
    table_counts, table_handle, wait_outcome,
};
use tortie_agent::Telemetry;
use tortie_calc::Model;
use tortie_dataplane::NftCli;
use tortie_lab::Outcome::{Delivered, Dropped};

/// Drift checks far enough apart not to happen during a test that is not about drift.
const NO_DRIFT_CHECK: Duration = Duration::from_secs(600);

/// The echo server's port in test 1.
const ECHO: u16 = 7000;

/// How long one round trip on an established connection may take, even on a loaded machine
/// (a connection the new rules dropped would stall until TCP gives up, far longer).
const ROUND_TRIP: Duration = Duration::from_millis(1500);

const SERVER: PodDef = PodDef {
    name: "server",
    labels: &[("app", "server")],
    ip: "10.65.0.10",
    tcp: &[80, 8080],
};
const CLIENT: PodDef = PodDef {
    name: "client",
    labels: &[("role", "client")],
    ip: "10.65.0.11",
    tcp: &[80],
};
const OTHER: PodDef = PodDef {
    name: "other",
    labels: &[("role", "other")],
    ip: "10.65.0.12",
    tcp: &[],
};

/// Clears a flag when dropped, also while a failed assertion unwinds (so a helper thread
/// polling it ends and the scope holding it can be left).
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Restarting the agent rewrites the whole table atomically (a fresh programmer starts with a
/// full replace); a connection established before keeps working through it, and at no point
/// (agent running, stopped, or restarting) is a denied flow let through.
#[test]
fn restart_keeps_established_tcp_and_opens_nothing() {
    if !root_or_skip("restart_keeps_established_tcp_and_opens_nothing") {
        return;
    }
    let cl = Cluster::up("rs", &[SERVER, CLIENT, OTHER], &[]);
    let _echo = EchoServer::start(cl.netns("server"), ECHO);
    let allowed = [(cl.tcp("client", "server", ECHO), Delivered)];
    let denied = [
        (cl.tcp("other", "server", ECHO), Dropped),
        (cl.tcp("client", "server", 8080), Dropped),
    ];
    // Without rules every flow gets through: the drops below are the rules' doing.
    expect(
        &cl.lab,
        "before any agent ran",
        &[
            (cl.tcp("client", "server", ECHO), Delivered),
            (cl.tcp("other", "server", ECHO), Delivered),
            (cl.tcp("client", "server", 8080), Delivered),
        ],
    );

    let revision = cl.apply(&server_policy("role == 'client'", ECHO));
    let first = cl.start_agent(
        "first",
        NftCli::in_netns(cl.node_netns()),
        NO_DRIFT_CHECK,
        Arc::new(Telemetry::new()),
    );
    first.wait_programmed(revision);
    let both: Vec<_> = allowed.iter().chain(&denied).cloned().collect();
    expect(&cl.lab, "the first agent programmed", &both);

    let to = SocketAddr::new(cl.ip("server"), ECHO);
    let mut conn = EchoClient::connect(cl.netns("client"), to, OPEN).unwrap();
    for _ in 0..3 {
        conn.round_trip(ROUND_TRIP).unwrap();
    }
    let handle_before = table_handle(&cl.table_json());

    first.stop();
    // The agent is gone; what it programmed still polices.
    expect(&cl.lab, "the agent stopped", &both);
    conn.round_trip(ROUND_TRIP)
        .expect("the established connection while the agent is stopped");

    // While a new agent starts and replaces the table: round trips back to back on the
    // established connection, and the denied flows tried over and over.
    let pinger = Pinger::start(conn, ROUND_TRIP);
    pinger.wait_for(3, OPEN);
    let started_at = pinger.count();
    let probing = AtomicBool::new(true);
    let (second, programmed_at, tries, leaks) = std::thread::scope(|s| {
        let _stop = StopOnDrop(&probing);
        let prober = s.spawn(|| {
            let (mut tries, mut leaks) = (0, Vec::new());
            while probing.load(Ordering::SeqCst) {
                for (p, _) in &denied {
                    let got = cl.lab.probe(&p.clone().timeout(Duration::from_millis(200)));
                    tries += 1;
                    if got != Dropped {
                        leaks.push(format!("{} -> {}:{}: {got}", p.from, p.to, p.port));
                    }
                }
            }
            (tries, leaks)
        });
        let second = cl.start_agent(
            "second",
            NftCli::in_netns(cl.node_netns()),
            NO_DRIFT_CHECK,
            Arc::new(Telemetry::new()),
        );
        second.wait_programmed(revision);
        let programmed_at = pinger.count();
        pinger.wait_for(programmed_at + 10, Duration::from_secs(10));
        probing.store(false, Ordering::SeqCst);
        let (tries, leaks) = prober.join().unwrap();
        (second, programmed_at, tries, leaks)
    });
    let pings = pinger.finish();
    eprintln!(
        "restart: {} round trips, {} while the new agent started, slowest {:?}; \
         {tries} denied probes meanwhile",
        pings.count,
        programmed_at - started_at,
        pings.slowest
    );
    assert_eq!(pings.failure, None, "the established connection broke");
    assert!(
        pings.count >= programmed_at + 10,
        "only {} round trips completed",
        pings.count
    );
    assert!(
        leaks.is_empty(),
        "denied flows got through during the restart: {leaks:?}"
    );

    // The new agent did replace the table (new table, same rules), in one transaction.
    let listing = cl.table_json();
    assert_ne!(
        table_handle(&listing),
        handle_before,
        "the new agent did not replace the table"
    );
    assert_eq!(second.telemetry.transactions.get(), 1);
    assert_eq!(second.telemetry.program_errors.get(), 0);
    let mut conn = pings.client;
    conn.round_trip(ROUND_TRIP)
        .expect("the established connection after the restart");
    expect(&cl.lab, "the second agent programmed", &both);
    second.stop();
}

/// A pod whose veth is up before its endpoint reaches the node is closed (both ways), not
/// open; once its Pod and a policy are written and programmed, the policy decides. A pod with
/// an endpoint and no policy is open (Kubernetes' default), so the closure is about "not yet
/// programmed", not a default deny.
#[test]
fn new_pod_closed_until_programmed() {
    if !root_or_skip("new_pod_closed_until_programmed") {
        return;
    }
    let open = PodDef {
        name: "open",
        labels: &[("app", "open")],
        ip: "10.65.0.13",
        tcp: &[80],
    };
    let late = PodDef {
        name: "late",
        labels: &[("app", "late")],
        ip: "10.65.0.14",
        tcp: &[80, 8080],
    };
    let late_yaml = pod_yaml(&late);
    let cl = Cluster::up("np", &[CLIENT, OTHER, open, late], &["late"]);
    expect(
        &cl.lab,
        "before any agent ran",
        &[
            (cl.tcp("client", "late", 80), Delivered),
            (cl.tcp("late", "client", 80), Delivered),
        ],
    );

    let agent = cl.start_agent(
        "agent",
        NftCli::in_netns(cl.node_netns()),
        NO_DRIFT_CHECK,
        Arc::new(Telemetry::new()),
    );
    agent.wait_programmed(cl.client.revision().unwrap());
    expect(
        &cl.lab,
        "the late pod's veth is up, its endpoint not in the datastore",
        &[
            (cl.tcp("client", "late", 80), Dropped),
            (cl.tcp("late", "client", 80), Dropped),
            (cl.tcp("client", "open", 80), Delivered),
            (cl.tcp("other", "open", 80), Delivered),
        ],
    );

    let policy = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {name: late-ingress, namespace: default}\n\
         spec:\n  selector: app == 'late'\n  types: [Ingress]\n  ingress:\n\
         \x20 - action: Allow\n    protocol: TCP\n    source: {selector: role == 'client'}\n\
         \x20   destination: {ports: [80]}\n";
    let revision = cl.apply(&format!("{late_yaml}---\n{policy}"));
    cl.check_wiring(4);
    agent.wait_programmed(revision);
    expect(
        &cl.lab,
        "the late pod and its policy programmed",
        &[
            (cl.tcp("client", "late", 80), Delivered),
            (cl.tcp("other", "late", 80), Dropped),
            (cl.tcp("client", "late", 8080), Dropped),
            (cl.tcp("late", "client", 80), Delivered),
            (cl.tcp("client", "open", 80), Delivered),
        ],
    );
    agent.stop();
}

/// Someone deletes the table: policing stops (the deletion took effect) and the drift check
/// puts the whole table back within a few intervals, exactly as rendered.
#[test]
fn drift_repair_restores_policing() {
    if !root_or_skip("drift_repair_restores_policing") {
        return;
    }
    let interval = Duration::from_secs(1);
    let cl = Cluster::up("dr", &[SERVER, CLIENT, OTHER], &[]);
    let revision = cl.apply(&server_policy("role == 'client'", 80));
    let agent = cl.start_agent(
        "agent",
        NftCli::in_netns(cl.node_netns()),
        interval,
        Arc::new(Telemetry::new()),
    );
    agent.wait_programmed(revision);
    let denied = cl.tcp("other", "server", 80);
    expect(
        &cl.lab,
        "programmed",
        &[
            (cl.tcp("client", "server", 80), Delivered),
            (denied.clone(), Dropped),
        ],
    );
    let repairs_before = agent.telemetry.drift_repairs.get();

    // Delete, then probe before the repair: retried if the repair came first.
    let mut deleted_at = None;
    for _ in 0..5 {
        cl.nft(&["delete", "table", "inet", "tortie"]).unwrap();
        let at = Instant::now();
        let got = cl.lab.probe(&denied.clone().timeout(OPEN));
        let still_gone = cl.nft(&["list", "table", "inet", "tortie"]).is_err();
        match got {
            Delivered => {
                deleted_at = Some(at);
                break;
            }
            _ if still_gone => panic!("the table is gone and the flow is still {got}"),
            _ => eprintln!("drift: the repair came before the probe ({got}); deleting again"),
        }
    }
    let deleted_at = deleted_at.expect("the deleted table never let the flow through");

    wait_outcome(&cl.lab, &denied, &Dropped, Duration::from_secs(20));
    eprintln!(
        "drift: denied again {:?} after the deletion (interval {interval:?})",
        deleted_at.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while agent.telemetry.drift_repairs.get() <= repairs_before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        agent.telemetry.drift_repairs.get() > repairs_before,
        "the repair was not counted"
    );
    let metrics = Metrics::parse(&agent.telemetry.encode());
    assert!(metrics.value("tortie_agent_drift_repairs_total") >= 1.0);

    // The repaired table is the rendered one: another drift check finds nothing to repair.
    let listing = cl.nft(&["-j", "list", "table", "inet", "tortie"]).unwrap();
    let model = Model::from_resources(&cl.client.list_acted_on().unwrap().items);
    let desired = tortie_rules::render(&model, NODE);
    assert_eq!(
        tortie_dataplane::verify(&desired, Some(&listing)),
        vec![],
        "the repaired table differs from the rendered one"
    );
    expect(
        &cl.lab,
        "repaired",
        &[
            (cl.tcp("client", "server", 80), Delivered),
            (denied.clone(), Dropped),
            (cl.tcp("client", "server", 8080), Dropped),
        ],
    );
    let status = agent.status().unwrap();
    assert_eq!(status["ready"], true, "{status}");
    assert_eq!(status["programmedRevision"].as_u64(), Some(revision));
    agent.stop();
}

/// The kernel refuses a transaction: the previous rules stay in force, untouched; the status
/// and metrics say so; when the kernel accepts again, the agent's retry programs the change
/// and it reports ready again.
#[test]
fn rejected_transaction_keeps_old_rules() {
    if !root_or_skip("rejected_transaction_keeps_old_rules") {
        return;
    }
    let cl = Cluster::up("rj", &[SERVER, CLIENT, OTHER], &[]);
    let revision = cl.apply(&server_policy("role == 'client'", 80));
    let switch = Switch::default();
    let agent = cl.start_agent(
        "agent",
        Refusing::new(NftCli::in_netns(cl.node_netns()), &switch),
        NO_DRIFT_CHECK,
        Arc::new(Telemetry::new()),
    );
    agent.wait_programmed(revision);
    let opened = cl.tcp("other", "server", 80);
    let allowed = cl.tcp("client", "server", 80);
    expect(
        &cl.lab,
        "programmed",
        &[(allowed.clone(), Delivered), (opened.clone(), Dropped)],
    );
    let before = cl.table_json();
    let errors_before = agent.telemetry.program_errors.get();

    switch.arm(true);
    let change = cl.apply(&server_policy("role in {'client', 'other'}", 80));
    // The agent writes the status twice (the error, then readiness): wait for both.
    let status = agent.wait_status("the refused transaction, not ready", |s| {
        s.get("error").is_some()
            && s["ready"] == false
            && s["revision"].as_u64().unwrap_or(0) >= change
    });
    assert!(switch.refused() >= 1, "nothing was refused");
    assert_eq!(
        status["programmedRevision"].as_u64(),
        Some(revision),
        "{status}"
    );
    let error = status["error"].as_str().unwrap_or_default();
    assert!(error.contains("tortie-test-no-such-chain"), "{error}");
    assert!(agent.telemetry.program_errors.get() > errors_before);
    assert!(!agent.telemetry.ready.load(Ordering::SeqCst));
    expect(
        &cl.lab,
        "the transaction was refused",
        &[(allowed.clone(), Delivered), (opened.clone(), Dropped)],
    );
    assert_eq!(
        cl.table_json(),
        before,
        "the refused transaction changed the table"
    );

    switch.arm(false);
    let retried = agent.wait_status("the change programmed after the retry", |s| {
        s.get("error").is_none() && s["programmedRevision"].as_u64().unwrap_or(0) >= change
    });
    expect(
        &cl.lab,
        "the retry went through",
        &[(allowed, Delivered), (opened, Delivered)],
    );
    assert_ne!(cl.table_json(), before);
    assert!(switch.passed() >= 2, "no successful retry");
    // Ready again: nothing else will change in the datastore, so the retry must say so.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut status = retried;
    while status["ready"] != true && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        status = agent.status().unwrap();
    }
    assert!(
        status["ready"] == true && agent.telemetry.ready.load(Ordering::SeqCst),
        "the retried transaction succeeded (no error, revision {change} programmed) but the \
         agent still reports not ready (status and /readyz); status: {status}"
    );
    agent.stop();
}

/// `/healthz`, `/readyz` and `/metrics` over plain HTTP: readiness follows the first
/// program, and the metrics' values agree with the status file and the kernel's table.
#[test]
fn metrics_and_health_endpoints() {
    if !root_or_skip("metrics_and_health_endpoints") {
        return;
    }
    let cl = Cluster::up("mh", &[SERVER, CLIENT], &[]);
    let revision = cl.apply(&server_policy("role == 'client'", 80));
    let telemetry = Arc::new(Telemetry::new());
    let addr = telemetry.serve("127.0.0.1:0".parse().unwrap()).unwrap();

    assert_eq!(get(addr, "/healthz"), (200, "ok\n".to_string()));
    assert_eq!(
        get(addr, "/readyz").0,
        503,
        "ready before anything was programmed"
    );
    assert_eq!(get(addr, "/no-such-page").0, 404);
    let (code, text) = get(addr, "/metrics");
    assert_eq!(code, 200);
    let m = Metrics::parse(&text);
    assert_eq!(
        m.type_of("tortie_agent_programming_seconds"),
        Some("histogram")
    );
    assert_eq!(m.value("tortie_agent_programming_seconds_count"), 0.0);
    assert_eq!(m.value("tortie_agent_program_errors_total"), 0.0);
    assert_eq!(m.value("tortie_agent_rules"), 0.0);
    assert_eq!(m.value("tortie_agent_last_sync_timestamp_seconds"), 0.0);

    let t0 = unix_now().floor();
    let agent = cl.start_agent(
        "agent",
        NftCli::in_netns(cl.node_netns()),
        NO_DRIFT_CHECK,
        Arc::clone(&telemetry),
    );
    let status = agent.wait_programmed(revision);
    assert_eq!(get(addr, "/readyz"), (200, "ready\n".to_string()));
    assert_eq!(get(addr, "/healthz").0, 200);

    let check = |status: &serde_json::Value, min_count: f64| -> Metrics {
        let (code, text) = get(addr, "/metrics");
        assert_eq!(code, 200);
        let m = Metrics::parse(&text);
        let count = m.value("tortie_agent_programming_seconds_count");
        let sum = m.value("tortie_agent_programming_seconds_sum");
        assert!(count >= min_count, "programming latency count {count}");
        assert!(
            sum > 0.0 && sum < 30.0 * count,
            "programming latency sum {sum}"
        );
        let buckets = m.buckets("tortie_agent_programming_seconds");
        assert!(buckets.len() > 2, "{buckets:?}");
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
        assert_eq!(buckets.last().copied(), Some((f64::INFINITY, count)));
        assert_eq!(m.value("tortie_agent_transactions_total"), count);
        assert_eq!(m.value("tortie_agent_program_errors_total"), 0.0);
        assert_eq!(m.value("tortie_agent_datastore_errors_total"), 0.0);

        // The gauges say what the status says, and what the kernel holds.
        let (chains, rules, elements) = (
            m.value("tortie_agent_chains"),
            m.value("tortie_agent_rules"),
            m.value("tortie_agent_set_elements"),
        );
        assert!(chains > 0.0 && rules > 0.0 && elements > 0.0, "{text}");
        let of = |k: &str| status[k].as_f64().unwrap();
        assert_eq!(
            (chains, rules, elements),
            (of("chains"), of("rules"), of("elements"))
        );
        let (kc, kr, ke) = table_counts(&cl.table_json());
        assert_eq!(
            (chains, rules, elements),
            (kc as f64, kr as f64, ke as f64),
            "gauges vs the kernel's table"
        );
        let synced = m.value("tortie_agent_last_sync_timestamp_seconds");
        assert!(
            synced >= t0 && synced <= unix_now() + 1.0,
            "last sync {synced}, test started {t0}"
        );
        assert_eq!(
            m.value("tortie_agent_programmed_revision"),
            of("programmedRevision")
        );
        m
    };
    let first = check(&status, 1.0);

    // A change: one more transaction, more chains (egress policy for the client).
    let egress = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n\
         metadata: {name: client-egress, namespace: default}\n\
         spec:\n  selector: role == 'client'\n  types: [Egress]\n  egress:\n\
         \x20 - action: Allow\n    protocol: TCP\n    destination: {selector: app == 'server', ports: [80]}\n";
    let revision = cl.apply(egress);
    let status = agent.wait_programmed(revision);
    let second = check(
        &status,
        first.value("tortie_agent_programming_seconds_count") + 1.0,
    );
    assert!(
        second.value("tortie_agent_chains") > first.value("tortie_agent_chains"),
        "an egress policy adds chains"
    );
    assert_eq!(
        second.value("tortie_agent_programmed_revision"),
        revision as f64
    );
    assert_eq!(get(addr, "/readyz").0, 200);
    agent.stop();
}

/// A repair the kernel refuses is retried: the drift check keeps comparing the table with what
/// should be there, so the node is policed again once the kernel accepts transactions.
#[test]
fn refused_drift_repair_is_retried() {
    if !root_or_skip("refused_drift_repair_is_retried") {
        return;
    }
    let interval = Duration::from_secs(1);
    let cl = Cluster::up("rr", &[SERVER, CLIENT, OTHER], &[]);
    let revision = cl.apply(&server_policy("role == 'client'", 80));
    let switch = Switch::default();
    let agent = cl.start_agent(
        "agent",
        Refusing::new(NftCli::in_netns(cl.node_netns()), &switch),
        interval,
        Arc::new(Telemetry::new()),
    );
    agent.wait_programmed(revision);
    let denied = cl.tcp("other", "server", 80);
    expect(&cl.lab, "programmed", &[(denied.clone(), Dropped)]);

    switch.arm(true);
    cl.nft(&["delete", "table", "inet", "tortie"]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while switch.refused() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(switch.refused() >= 1, "no repair was attempted");
    assert!(agent.telemetry.program_errors.get() >= 1);
    expect(
        &cl.lab,
        "the repair was refused",
        &[(denied.clone(), Delivered)],
    );
    eprintln!(
        "refused repair: status while the table is missing: {}",
        agent.status().unwrap()
    );

    switch.arm(false);
    let refused = switch.refused();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = cl.lab.probe(&denied.clone().timeout(CLOSED));
    while got != Dropped && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        got = cl.lab.probe(&denied.clone().timeout(CLOSED));
    }
    assert_eq!(
        got,
        Dropped,
        "the table is still missing {:?} after the kernel accepts transactions again \
         (drift interval {interval:?}; {} repairs refused, {} transactions applied since): \
         a refused repair is never retried",
        Duration::from_secs(10),
        refused,
        switch.passed() - 1
    );
    agent.stop();
}
