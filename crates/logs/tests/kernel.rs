//! The pipeline on the real kernel: two throw-away namespaces joined by a veth, a table in
//! the receiving one whose rules carry the log statement exactly as `tortie-rules` renders
//! it, real packets, and the pipeline reading that namespace's NFLOG group while writing
//! from the test's own namespace (a file and a UDP syslog listener on loopback).
//! Skipped unless run as root.

#[path = "support/netns.rs"]
mod netns;
#[path = "support/temp.rs"]
mod temp;

use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::time::Duration;

use netns::{Netns, is_root, run};
use temp::{TempDir, wait_for};
use tortie_logs::{LineFields, LogPipeline, PipelineConfig, RateLimit};
use tortie_rules::ir::{LOG_GROUP, Rule, Stmt};

const PREFIX: &str = "calico-packet: ";
const CLIENT_V4: &str = "10.77.0.1";
const SERVER_V4: &str = "10.77.0.2";
const CLIENT_V6: &str = "fd77::1";
const SERVER_V6: &str = "fd77::2";
/// The port the table logs and drops.
const LOGGED_PORT: u16 = 9;

/// A client namespace and a server namespace joined by `va` (client) and `vb` (server),
/// the server's input chain logging and dropping TCP and UDP to port 9.
struct Pair {
    client: Netns,
    server: Netns,
}

/// The log statement as the rules crate renders it for a Log rule.
fn log_statement() -> String {
    tortie_rules::nft::rule_body(&Rule::new(
        vec![],
        vec![Stmt::Log {
            prefix: PREFIX.into(),
            group: LOG_GROUP,
        }],
    ))
}

impl Pair {
    fn new() -> Pair {
        let pair = Pair {
            client: Netns::new("c"),
            server: Netns::new("s"),
        };
        let (c, s) = (pair.client.0.as_str(), pair.server.0.as_str());
        run(
            "ip",
            &[
                "-n", c, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", s,
            ],
            None,
        );
        for (ns, dev, v4, v6) in [
            (c, "va", CLIENT_V4, CLIENT_V6),
            (s, "vb", SERVER_V4, SERVER_V6),
        ] {
            let script = format!(
                "addr add {v4}/24 dev {dev}\naddr add {v6}/64 dev {dev} nodad\n\
                 link set {dev} up\nlink set lo up\n"
            );
            run("ip", &["-n", ns, "-batch", "-"], Some(&script));
        }
        let table = format!(
            "table inet tortielogtest {{\n\
               chain input {{\n\
                 type filter hook input priority 0; policy accept;\n\
                 udp dport {LOGGED_PORT} {log}\n\
                 tcp dport {LOGGED_PORT} {log}\n\
                 meta l4proto {{ tcp, udp }} th dport {LOGGED_PORT} drop\n\
               }}\n\
             }}\n",
            log = log_statement()
        );
        run("ip", &["netns", "exec", s, "nft", "-f", "-"], Some(&table));
        // Packets sent before the kernel has processed the carrier change go nowhere: wait
        // until both ends report `state UP`.
        for (ns, dev) in [(c, "va"), (s, "vb")] {
            wait_for(Duration::from_secs(5), || {
                run("ip", &["-n", ns, "-o", "link", "show", dev], None)
                    .contains(" state UP ")
                    .then_some(())
            })
            .unwrap_or_else(|| panic!("{dev} in {ns} is not up after 5 s"));
        }
        // Static IPv6 neighbours: the first neighbour solicitation on a fresh veth tends to be
        // lost, and its retry would cost a second.
        let (client_mac, server_mac) = (pair.mac(&pair.client, "va"), pair.mac(&pair.server, "vb"));
        for (ns, dev, peer, mac) in [
            (c, "va", SERVER_V6, server_mac),
            (s, "vb", CLIENT_V6, client_mac),
        ] {
            run(
                "ip",
                &[
                    "-n",
                    ns,
                    "neigh",
                    "replace",
                    peer,
                    "lladdr",
                    &mac,
                    "dev",
                    dev,
                    "nud",
                    "permanent",
                ],
                None,
            );
        }
        pair
    }

    fn mac(&self, ns: &Netns, dev: &str) -> String {
        let out = run("ip", &["-n", &ns.0, "-o", "link", "show", dev], None);
        out.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .expect("a MAC address")
            .to_string()
    }

    /// Runs `f` with sockets of the client namespace.
    fn in_client<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        tortie_lab::in_netns(&self.client.0, f).expect("enter the client netns")
    }
}

/// UDP datagrams from `from` to each of `to`.
fn send_udp(from: &str, to: &[SocketAddr], payload: &[u8]) {
    let socket = UdpSocket::bind(from).expect("bind the client socket");
    for addr in to {
        socket.send_to(payload, addr).expect("send");
    }
}

/// One TCP SYN: the connection attempt is abandoned long before the first retransmission
/// (1 s), so exactly one SYN leaves.
fn send_syn(to: SocketAddr) {
    let r = TcpStream::connect_timeout(&to, Duration::from_millis(50));
    assert!(
        r.is_err(),
        "port {LOGGED_PORT} is dropped, nothing may answer"
    );
}

/// The file's lines without their time stamps, once there are `n`, then after a pause in
/// which no further line may arrive.
fn exactly(path: &Path, n: usize) -> Vec<String> {
    let read = || {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest).to_string())
            .collect::<Vec<_>>()
    };
    let got = wait_for(Duration::from_secs(10), || {
        let lines = read();
        (lines.len() >= n).then_some(lines)
    })
    .unwrap_or_else(|| panic!("fewer than {n} lines within 10 s: {:?}", read()));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(read(), got, "no further lines");
    assert_eq!(got.len(), n, "{got:#?}");
    got
}

fn v6_full(addr: &str) -> String {
    let ip: std::net::Ipv6Addr = addr.parse().expect("v6");
    ip.segments()
        .iter()
        .map(|s| format!("{s:04x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[test]
fn logged_packets_become_one_line_each_in_every_sink() {
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces and NFLOG");
        return;
    }
    let dir = TempDir::new();
    let pair = Pair::new();
    let file = dir.path().join("packets.log");
    let syslog = UdpSocket::bind("127.0.0.1:0").expect("bind the syslog listener");
    syslog
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut config = PipelineConfig::new(
        LOG_GROUP,
        vec![
            format!("file:{}", file.display()).parse().expect("file"),
            format!("udp://{}", syslog.local_addr().expect("addr"))
                .parse()
                .expect("udp"),
        ],
    );
    config.netns = Some(pair.server.0.clone());
    let pipeline = LogPipeline::start(config).expect("the pipeline starts");

    let server_v4: SocketAddr = format!("{SERVER_V4}:{LOGGED_PORT}").parse().expect("addr");
    let server_v6: SocketAddr = format!("[{SERVER_V6}]:{LOGGED_PORT}")
        .parse()
        .expect("addr");
    let unlogged: SocketAddr = format!("{SERVER_V4}:10").parse().expect("addr");
    // Three UDP datagrams to the logged port, one to another port; one over IPv6.
    pair.in_client(|| {
        send_udp(
            &format!("{CLIENT_V4}:40001"),
            &[server_v4, unlogged, server_v4, server_v4],
            b"hello",
        );
        send_udp(&format!("[{CLIENT_V6}]:40002"), &[server_v6], b"hello6");
    });
    let udp_lines = exactly(&file, 4);
    // Then three TCP SYNs (the neighbours are resolved by now).
    pair.in_client(|| {
        for _ in 0..3 {
            send_syn(server_v4);
        }
    });
    let lines = exactly(&file, 7);
    assert_eq!(lines[..4], udp_lines[..]);

    let (client_mac, server_mac) = (pair.mac(&pair.client, "va"), pair.mac(&pair.server, "vb"));
    let mac = format!("{server_mac}:{client_mac}:08:00");
    let mut v4_udp = 0;
    let mut syns = 0;
    let mut v6 = 0;
    for line in &lines {
        let f = LineFields::parse(line).unwrap_or_else(|| panic!("not a LOG line: {line}"));
        assert_eq!(f.prefix, PREFIX, "{line}");
        assert_eq!(
            (f.get("IN"), f.get("OUT")),
            (Some("vb"), Some("")),
            "{line}"
        );
        assert_eq!(f.get("DPT"), Some("9"), "{line}");
        match f.get("PROTO") {
            Some("UDP") if f.get("SRC") == Some(CLIENT_V4) => {
                v4_udp += 1;
                assert_eq!(f.get("MAC"), Some(mac.as_str()), "{line}");
                assert_eq!(f.get("DST"), Some(SERVER_V4), "{line}");
                assert_eq!(f.get("SPT"), Some("40001"), "{line}");
                assert_eq!(f.get("TTL"), Some("64"), "{line}");
                // IP length 20 + 8 + 5; the UDP LEN field comes after the ports.
                assert_eq!(f.get("LEN"), Some("33"), "{line}");
                assert!(line.ends_with("SPT=40001 DPT=9 LEN=13"), "{line}");
            }
            Some("UDP") => {
                v6 += 1;
                assert_eq!(f.get("SRC"), Some(v6_full(CLIENT_V6).as_str()), "{line}");
                assert_eq!(f.get("DST"), Some(v6_full(SERVER_V6).as_str()), "{line}");
                assert_eq!(f.get("HOPLIMIT"), Some("64"), "{line}");
                assert!(line.ends_with("SPT=40002 DPT=9 LEN=14"), "{line}");
            }
            Some("TCP") => {
                syns += 1;
                assert_eq!(
                    (f.get("SRC"), f.get("DST")),
                    (Some(CLIENT_V4), Some(SERVER_V4))
                );
                assert!(f.has("SYN") && !f.has("ACK") && f.has("DF"), "{line}");
                assert_eq!(f.get("RES"), Some("0x00"), "{line}");
                assert_eq!(f.get("URGP"), Some("0"), "{line}");
            }
            other => panic!("unexpected protocol {other:?}: {line}"),
        }
    }
    assert_eq!((v4_udp, v6, syns), (3, 1, 3));

    // The same lines reached the syslog server, in RFC 5424 messages.
    let mut buf = [0u8; 4096];
    for line in &lines {
        let n = syslog.recv(&mut buf).expect("a syslog datagram");
        let message = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(message.starts_with("<13>1 "), "{message}");
        assert!(message.ends_with(&format!(" tortie {} - - {line}", std::process::id())));
    }
    let stats = pipeline.stats();
    assert_eq!(
        (stats.received, stats.written, stats.rate_limited),
        (7, 7, 0)
    );
    assert_eq!(
        (stats.queue_dropped, stats.decode_errors, stats.sink_errors),
        (0, 0, 0)
    );
    pipeline.stop();
}

#[test]
fn the_rate_limit_passes_the_burst_and_counts_the_rest() {
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces and NFLOG");
        return;
    }
    let dir = TempDir::new();
    let pair = Pair::new();
    let file = dir.path().join("packets.log");
    let mut config = PipelineConfig::new(
        LOG_GROUP,
        vec![format!("file:{}", file.display()).parse().expect("file")],
    );
    config.netns = Some(pair.server.0.clone());
    config.rate_limit = RateLimit::from_felix(Some("1/hour"), 2).expect("a rate");
    let pipeline = LogPipeline::start(config).expect("the pipeline starts");
    let to: SocketAddr = format!("{SERVER_V4}:{LOGGED_PORT}").parse().expect("addr");
    pair.in_client(|| send_udp(&format!("{CLIENT_V4}:40003"), &[to; 5], b"x"));
    wait_for(Duration::from_secs(10), || {
        (pipeline.stats().received >= 5).then_some(())
    })
    .unwrap_or_else(|| panic!("5 packets expected: {:?}", pipeline.stats()));
    assert_eq!(exactly(&file, 2).len(), 2);
    let stats = pipeline.stats();
    assert_eq!(
        (stats.received, stats.rate_limited, stats.written),
        (5, 3, 2)
    );
    // FelixConfiguration drops the limit: every packet is logged again.
    pipeline.set_rate_limit(None);
    pair.in_client(|| send_udp(&format!("{CLIENT_V4}:40004"), &[to; 3], b"x"));
    assert_eq!(exactly(&file, 5).len(), 5);
    assert_eq!(pipeline.stats().rate_limited, 3);
}

#[test]
fn a_group_has_one_reader_per_namespace_until_it_stops() {
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces and NFLOG");
        return;
    }
    let dir = TempDir::new();
    let ns = Netns::new("g");
    let config = || {
        let mut c = PipelineConfig::new(
            LOG_GROUP,
            vec![
                format!("file:{}", dir.path().join("g.log").display())
                    .parse()
                    .expect("file"),
            ],
        );
        c.netns = Some(ns.0.clone());
        c
    };
    let first = LogPipeline::start(config()).expect("the first binds");
    let err = LogPipeline::start(config()).expect_err("the group is taken");
    assert!(err.to_string().contains("NFLOG group"), "{err}");
    first.stop();
    LogPipeline::start(config())
        .expect("free again once the first stopped")
        .stop();
    // A namespace that does not exist is an error, not a reader in the wrong place.
    let mut missing = config();
    missing.netns = Some("tortie-logs-no-such-netns".into());
    assert!(LogPipeline::start(missing).is_err());
}
