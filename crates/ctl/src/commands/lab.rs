//! `tortie lab run|up|probe|down`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::agent::backend_of;
use super::common::Failure;
use crate::cli::{LabArgs, LabWhat};
use crate::lab::check::Row;
use crate::lab::control::{self, ControlSocket, Request, Response, Selection, Served};
use crate::lab::datastore::LabStore;
use crate::lab::session::{AgentRunner, Session};
use crate::lab::{manifests, read_scenario, run_scenario, topology};
use tortie_dataplane::Backend;

/// Runs the lab verb.
pub fn run(args: &LabArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    match &args.what {
        LabWhat::Down => down(out),
        LabWhat::Run {
            scenarios,
            datastore,
            dataplane,
            iptables_backend,
        } => run_all(
            scenarios,
            datastore,
            backend_of(dataplane, iptables_backend)?,
            out,
            err,
        ),
        LabWhat::Up {
            scenario,
            datastore,
            dataplane,
            iptables_backend,
        } => up(
            scenario,
            datastore,
            backend_of(dataplane, iptables_backend)?,
            out,
        ),
        LabWhat::Probe {
            lab,
            from,
            to,
            traffic,
            v6,
        } => {
            let sel = Selection {
                from: from.clone(),
                to: to.clone(),
                traffic: traffic.clone(),
                v6: *v6,
            };
            probe(lab.as_deref(), sel, out)
        }
    }
}

fn tortie_binary() -> Result<std::path::PathBuf, Failure> {
    std::env::current_exe()
        .map_err(|e| Failure::usage(format!("cannot find the tortie binary: {e}")))
}

fn down(out: &mut dyn Write) -> Result<(), Failure> {
    for (name, socket) in control::running() {
        match control::request(&socket, &Request::Down) {
            Ok(_) => {
                let _ = writeln!(out, "stopped lab {name}");
            }
            // A socket nobody answers on is what a killed lab leaves.
            Err(_) => {
                let _ = std::fs::remove_file(&socket);
            }
        }
    }
    let gone = crate::lab::session::sweep_dead().map_err(Failure::resource)?;
    let _ = writeln!(
        out,
        "removed {} network namespaces of labs whose process is gone",
        gone.len()
    );
    Ok(())
}

fn run_all(
    scenarios: &[std::path::PathBuf],
    datastore: &str,
    backend: Backend,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let tortie = tortie_binary()?;
    let mut failed = 0;
    for path in scenarios {
        let _ = writeln!(out, "==> {}", path.display());
        let report = run_scenario(path, &tortie, datastore, backend).map_err(Failure::resource)?;
        let _ = writeln!(
            out,
            "agents programmed every node {:.2} s after starting",
            report.programmed_after
        );
        print_rows(&report.rows, out);
        for (node, lines) in &report.logged {
            let _ = writeln!(out, "Log lines on {node} ({}):", lines.len());
            for l in lines {
                let _ = writeln!(out, "  {l}");
            }
        }
        if !report.passed() {
            failed += 1;
            let _ = writeln!(err, "{}: some flows disagree", path.display());
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure::resource(format!("{failed} scenario(s) failed")))
    }
}

fn print_rows(rows: &[Row], out: &mut dyn Write) {
    let with_logs = rows.iter().any(|r| r.logged.is_some());
    let _ = writeln!(
        out,
        "{:<22} {:<34} {:<10} {:<8} {:<24} {:<6} {}OK",
        "FROM",
        "TO",
        "TRAFFIC",
        "EXPECT",
        "PROBE",
        "TRACE",
        if with_logs { "LOGGED " } else { "" }
    );
    for r in rows {
        let logged = match (with_logs, r.logged) {
            (false, _) => String::new(),
            (true, Some((seen, want))) => format!("{:<7}", format!("{seen}/{want}")),
            (true, None) => format!("{:<7}", "-"),
        };
        let _ = writeln!(
            out,
            "{:<22} {:<34} {:<10} {:<8} {:<24} {:<6} {logged}{}",
            r.from,
            r.to,
            r.traffic,
            r.expected,
            r.probe,
            r.trace,
            if r.ok { "ok" } else { "MISMATCH" }
        );
    }
}

fn up(path: &Path, datastore: &str, backend: Backend, out: &mut dyn Write) -> Result<(), Failure> {
    let sc = read_scenario(path).map_err(Failure::usage)?;
    let resources =
        manifests(path.parent().unwrap_or(Path::new(".")), &sc).map_err(Failure::usage)?;
    // The socket and the signal handlers are in place before the lab is built: a second lab
    // of the same name is refused before it touches anything, a probe sent right after the
    // `stop:` line finds the socket (and waits for its answer), and a SIGTERM during the
    // build tears down what was built instead of leaving it behind.
    let socket = ControlSocket::bind(&control::socket_path(&sc.name)).map_err(Failure::resource)?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| Failure::resource(format!("cannot handle signals: {e}")))?;
    }
    let runner = AgentRunner::Process(tortie_binary()?);
    let store = LabStore::start(datastore).map_err(Failure::resource)?;
    let mut session = Session::up_with(
        &store.store,
        &topology(&sc),
        resources,
        &runner,
        backend,
        "u",
    )
    .map_err(Failure::resource)?;
    session.sync().map_err(Failure::resource)?;
    let _ = writeln!(
        out,
        "lab {} is up on {}; agents programmed every node",
        sc.name,
        store.describe()
    );
    let addrs = session.addresses();
    for (name, list) in addrs.pods.iter().chain(&addrs.externals) {
        let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "  {name:<28} {}", shown.join(", "));
    }
    match session.config_file() {
        Some(cfg) => {
            let _ = writeln!(
                out,
                "change policy:  tortie apply -c {} -f FILE",
                cfg.display()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "change policy:  TORTIE_DATASTORE={} tortie apply -f FILE",
                session.store_dir().display()
            );
        }
    }
    let _ = writeln!(
        out,
        "probe:          tortie lab probe [--from X] [--to Y] [--traffic tcp/80]"
    );
    for n in &sc.nodes {
        let _ = writeln!(
            out,
            "logs of {}: tortie logs --state-dir {}",
            n.name,
            session.state_dir(&n.name).display()
        );
    }
    let _ = writeln!(out, "stop:           Ctrl-C here, or tortie lab down");
    let _ = out.flush();

    let listening = sc.listen.clone();
    let mut default_traffic: Vec<String> = sc.expect.iter().map(|e| e.traffic.clone()).collect();
    default_traffic.sort();
    default_traffic.dedup();
    let served = Served {
        session: &mut session,
        listening,
        default_traffic,
    }
    .serve(&socket, &stop);
    drop(socket);
    session.down().map_err(Failure::resource)?;
    let _ = writeln!(out, "lab {} is down", sc.name);
    served.map_err(Failure::resource)
}

fn probe(lab: Option<&str>, sel: Selection, out: &mut dyn Write) -> Result<(), Failure> {
    let socket = match lab {
        Some(name) => control::socket_path(name),
        None => match control::running().as_slice() {
            [(_, socket)] => socket.clone(),
            [] => {
                return Err(Failure::resource(
                    "no lab is up; start one with tortie lab up",
                ));
            }
            many => {
                let names: Vec<&str> = many.iter().map(|(n, _)| n.as_str()).collect();
                return Err(Failure::usage(format!(
                    "several labs are up ({}); choose one with --lab",
                    names.join(", ")
                )));
            }
        },
    };
    let rows = match control::request(&socket, &Request::Probe(sel)).map_err(Failure::resource)? {
        Response::Rows(rows) => rows,
        Response::Error(e) => return Err(Failure::resource(e)),
        Response::Done => return Err(Failure::resource("the lab is going down")),
    };
    print_matrix(&rows, out);
    let disagree = rows.iter().filter(|r| !r.ok).count();
    if disagree == 0 {
        Ok(())
    } else {
        Err(Failure::resource(format!(
            "{disagree} probe(s) disagree with trace (marked !)"
        )))
    }
}

/// One grid per traffic: sources down, destinations across; `allow`/`deny`, `!` where the
/// packet and trace disagree.
fn print_matrix(rows: &[Row], out: &mut dyn Write) {
    let mut by_traffic: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_traffic.entry(&r.traffic).or_default().push(r);
    }
    for (traffic, rows) in by_traffic {
        let mut cols: Vec<&str> = rows.iter().map(|r| dest_name(&r.to)).collect();
        cols.sort_unstable();
        cols.dedup();
        let mut srcs: Vec<&str> = rows.iter().map(|r| r.from.as_str()).collect();
        srcs.sort_unstable();
        srcs.dedup();
        let width = cols.iter().map(|c| c.len()).max().unwrap_or(5).max(6);
        let first = srcs
            .iter()
            .map(|s| s.len())
            .max()
            .unwrap_or(4)
            .max(traffic.len());
        let _ = write!(out, "{traffic:<first$}");
        for c in &cols {
            let _ = write!(out, "  {c:>width$}");
        }
        let _ = writeln!(out);
        for s in &srcs {
            let _ = write!(out, "{s:<first$}");
            for c in &cols {
                let cell = rows
                    .iter()
                    .find(|r| r.from == *s && dest_name(&r.to) == *c)
                    .map_or_else(
                        || "-".to_string(),
                        |r| format!("{}{}", r.seen, if r.ok { "" } else { "!" }),
                    );
                let _ = write!(out, "  {cell:>width$}");
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out);
    }
}

/// `ns/pod (10.0.0.1)` → `ns/pod`.
fn dest_name(to: &str) -> &str {
    to.split(" (").next().unwrap_or(to)
}
