//! Every sink against a real listener on loopback (UDP and TCP syslog), a Unix datagram
//! socket standing in for /dev/log, and a temporary file.

#[path = "support/temp.rs"]
mod temp;

use std::io::{ErrorKind, Read as _};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use temp::{TempDir, wait_for};
use tortie_logs::sink::rotated;
use tortie_logs::{Identity, LineFields, LogLine, SinkSpec, recent_lines};

const LINE: &str = "calico-packet: IN=eth1 OUT= MAC=08:00:27:d5:4e:57:0a:00:27:00:00:00:08:00 SRC=192.168.56.1 DST=192.168.56.10 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=52866 DF PROTO=TCP SPT=42962 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0";

fn id() -> Identity {
    Identity {
        hostname: "node-1".into(),
        pid: 4242,
    }
}

fn line(text: &str) -> LogLine {
    LogLine {
        // 2024-09-05T14:34:40.044316Z
        time: UNIX_EPOCH + Duration::from_micros(1_725_546_880_044_316),
        text: text.into(),
    }
}

#[test]
fn udp_syslog_gets_one_rfc5424_message_per_datagram() {
    let server = UdpSocket::bind("127.0.0.1:0").expect("bind");
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let spec: SinkSpec = format!("udp://{}", server.local_addr().expect("addr"))
        .parse()
        .expect("spec");
    let mut sink = spec.open(&id()).expect("open");
    sink.write(&line(LINE)).expect("write");
    sink.write(&line("second")).expect("write");
    let mut buf = [0u8; 2048];
    let mut got = Vec::new();
    for _ in 0..2 {
        let n = server.recv(&mut buf).expect("a datagram");
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert_eq!(
        got,
        [
            format!("<13>1 2024-09-05T14:34:40.044316Z node-1 tortie 4242 - - {LINE}"),
            "<13>1 2024-09-05T14:34:40.044316Z node-1 tortie 4242 - - second".to_string(),
        ]
    );
}

/// Reads octet-counted frames until `count` arrived.
fn frames(stream: &mut TcpStream, count: usize) -> Vec<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut data = Vec::new();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < count {
        let n = stream.read(&mut buf).expect("frames before the timeout");
        assert!(n > 0, "connection closed after {out:?}");
        data.extend_from_slice(&buf[..n]);
        // Take every complete `<len> <message>` off the front.
        while let Some(space) = data.iter().position(|b| *b == b' ') {
            let len: usize = std::str::from_utf8(&data[..space])
                .expect("ascii length")
                .parse()
                .expect("a length");
            if data.len() < space + 1 + len {
                break;
            }
            let frame: Vec<u8> = data.drain(..space + 1 + len).skip(space + 1).collect();
            out.push(String::from_utf8(frame).expect("utf-8"));
        }
    }
    out
}

#[test]
fn tcp_syslog_frames_by_octet_counting_and_reconnects() {
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let spec: SinkSpec = format!("tcp://{}", server.local_addr().expect("addr"))
        .parse()
        .expect("spec");
    let mut sink = spec.open(&id()).expect("open");
    sink.write(&line(LINE)).expect("write");
    sink.write(&line("second line")).expect("write");
    let (mut conn, _) = server.accept().expect("the sink connects");
    assert_eq!(
        frames(&mut conn, 2),
        [
            format!("<13>1 2024-09-05T14:34:40.044316Z node-1 tortie 4242 - - {LINE}"),
            "<13>1 2024-09-05T14:34:40.044316Z node-1 tortie 4242 - - second line".to_string(),
        ]
    );
    // The server goes away: the sink notices, pauses, connects again.
    drop(conn);
    server.set_nonblocking(true).expect("nonblocking");
    let mut n = 0;
    let mut again = wait_for(Duration::from_secs(10), || {
        n += 1;
        let _ = sink.write(&line(&format!("again {n}")));
        match server.accept() {
            Ok((c, _)) => Some(c),
            Err(e) if e.kind() == ErrorKind::WouldBlock => None,
            Err(e) => panic!("accept: {e}"),
        }
    })
    .expect("the sink reconnects within 10 s");
    again.set_nonblocking(false).expect("blocking");
    let frame = frames(&mut again, 1).remove(0);
    assert!(
        frame.starts_with("<13>1 2024-09-05T14:34:40.044316Z node-1 tortie 4242 - - again "),
        "{frame}"
    );
}

#[test]
fn the_local_syslog_socket_gets_syslog3_style_messages() {
    let dir = TempDir::new();
    let path = dir.path().join("log");
    let daemon = UnixDatagram::bind(&path).expect("bind");
    daemon
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut sink = SinkSpec::Syslog(path.clone()).open(&id()).expect("open");
    sink.write(&line(LINE)).expect("write");
    let mut buf = [0u8; 2048];
    let n = daemon.recv(&mut buf).expect("a message");
    assert_eq!(
        String::from_utf8_lossy(&buf[..n]),
        format!("<13>Sep  5 14:34:40 tortie[4242]: {LINE}")
    );
    // The daemon restarts (a new socket at the same path): the next line reaches it.
    drop(daemon);
    std::fs::remove_file(&path).expect("remove");
    assert!(sink.write(&line("lost")).is_err());
    let daemon = UnixDatagram::bind(&path).expect("bind again");
    daemon
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    sink.write(&line("after restart")).expect("reconnects");
    let n = daemon.recv(&mut buf).expect("a message");
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("tortie[4242]: after restart"));
}

#[test]
fn a_file_gets_stamped_lines_appended_and_rotates_at_its_size() {
    let dir = TempDir::new();
    let path = dir.path().join("packets.log");
    std::fs::write(&path, "an older line\n").expect("seed the file");
    let spec: SinkSpec = format!("file:{}", path.display()).parse().expect("spec");
    let mut sink = spec.open(&id()).expect("open");
    sink.write(&line(LINE)).expect("write");
    sink.flush().expect("flush");
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(
        text,
        format!("an older line\n2024-09-05T14:34:40.044316Z {LINE}\n")
    );
    // The part after the time stamp reads back as the line.
    let written = text
        .lines()
        .nth(1)
        .expect("line")
        .split_once(' ')
        .expect("stamp")
        .1;
    assert_eq!(
        LineFields::parse(written).and_then(|f| f.get("DPT")),
        Some("22")
    );

    // A ring: 100 bytes per file, so each line (59 bytes stamped) starts a new one.
    let ring = dir.path().join("ring.log");
    let mut sink = SinkSpec::File {
        path: ring.clone(),
        rotate_bytes: Some(100),
    }
    .open(&id())
    .expect("open");
    for i in 0..5 {
        sink.write(&line(&format!("line {i} of the ring buffer test")))
            .expect("write");
    }
    sink.flush().expect("flush");
    assert!(rotated(&ring).exists());
    let recent = recent_lines(&ring, 10).expect("read back");
    let texts: Vec<&str> = recent
        .iter()
        .map(|l| l.split_once(' ').expect("stamp").1)
        .collect();
    assert_eq!(
        texts,
        [
            "line 3 of the ring buffer test",
            "line 4 of the ring buffer test"
        ]
    );
    assert_eq!(recent_lines(&ring, 1).expect("read").len(), 1);
    assert!(
        recent_lines(&dir.path().join("none.log"), 5)
            .expect("missing")
            .is_empty()
    );
}

#[test]
fn stamps_are_utc_rfc3339_of_the_line_time() {
    let l = LogLine {
        time: SystemTime::UNIX_EPOCH,
        text: "x".into(),
    };
    assert_eq!(l.stamped(), "1970-01-01T00:00:00.000000Z x");
}
