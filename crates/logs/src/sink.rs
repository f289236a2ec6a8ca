//! Where lines go: stdout, a file, the local syslog socket, a remote syslog server over UDP
//! or TCP. Network sinks connect lazily and reconnect with a growing pause, so a syslog
//! server that is down neither stops the agent nor slows the other sinks for long; the lines
//! written while it is unreachable are lost (and counted).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write as _};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime};

use crate::error::LogError;
use crate::syslog::{self, Identity};
use crate::time::Utc;

/// The local syslog socket.
pub const DEV_LOG: &str = "/dev/log";

/// One formatted line and when its packet was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// When the pipeline read the packet.
    pub time: SystemTime,
    /// The LOG-style line, prefix included.
    pub text: String,
}

impl LogLine {
    /// How stdout and files show a line: RFC 3339 UTC time, a space, the line.
    #[must_use]
    pub fn stamped(&self) -> String {
        format!("{} {}", Utc::of(self.time).rfc3339(), self.text)
    }
}

/// A destination for lines.
pub trait Sink: Send {
    /// Writes one line (buffered sinks may hold it until [`Sink::flush`]).
    ///
    /// # Errors
    /// When the line could not be written; the sink stays usable.
    fn write(&mut self, line: &LogLine) -> io::Result<()>;

    /// Pushes buffered lines out.
    ///
    /// # Errors
    /// When buffered lines could not be written.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A sink as named on a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SinkSpec {
    /// `stdout`.
    Stdout,
    /// `file:PATH`: appended to; with `rotate_bytes`, moved to `PATH.1` when it would grow past
    /// that size (one old file is kept).
    File {
        /// The file.
        path: PathBuf,
        /// Size at which the file is rotated.
        rotate_bytes: Option<u64>,
    },
    /// `syslog` (`/dev/log`) or `syslog:PATH`: a local syslog datagram socket.
    Syslog(PathBuf),
    /// `udp://HOST:PORT`: RFC 5424, one message per datagram.
    Udp(String),
    /// `tcp://HOST:PORT`: RFC 5424, octet-counted.
    Tcp(String),
}

impl FromStr for SinkSpec {
    type Err = LogError;

    fn from_str(s: &str) -> Result<SinkSpec, LogError> {
        let bad = |why: &str| {
            LogError::Config(format!(
                "`{s}` is not a log destination ({why}): use stdout, file:PATH, syslog, \
                 syslog:PATH, udp://HOST:PORT or tcp://HOST:PORT"
            ))
        };
        let host_port = |rest: &str| -> Result<String, LogError> {
            match rest.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    Ok(rest.to_string())
                }
                _ => Err(bad("HOST:PORT expected")),
            }
        };
        if s == "stdout" {
            Ok(SinkSpec::Stdout)
        } else if s == "syslog" {
            Ok(SinkSpec::Syslog(PathBuf::from(DEV_LOG)))
        } else if let Some(path) = s.strip_prefix("syslog:") {
            non_empty_path(path)
                .map(SinkSpec::Syslog)
                .ok_or_else(|| bad("empty path"))
        } else if let Some(path) = s.strip_prefix("file:") {
            non_empty_path(path)
                .map(|path| SinkSpec::File {
                    path,
                    rotate_bytes: None,
                })
                .ok_or_else(|| bad("empty path"))
        } else if let Some(rest) = s.strip_prefix("udp://") {
            host_port(rest).map(SinkSpec::Udp)
        } else if let Some(rest) = s.strip_prefix("tcp://") {
            host_port(rest).map(SinkSpec::Tcp)
        } else {
            Err(bad("unknown kind"))
        }
    }
}

fn non_empty_path(p: &str) -> Option<PathBuf> {
    (!p.is_empty()).then(|| PathBuf::from(p))
}

impl fmt::Display for SinkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinkSpec::Stdout => f.write_str("stdout"),
            SinkSpec::File { path, .. } => write!(f, "file:{}", path.display()),
            SinkSpec::Syslog(p) if p == Path::new(DEV_LOG) => f.write_str("syslog"),
            SinkSpec::Syslog(p) => write!(f, "syslog:{}", p.display()),
            SinkSpec::Udp(t) => write!(f, "udp://{t}"),
            SinkSpec::Tcp(t) => write!(f, "tcp://{t}"),
        }
    }
}

impl SinkSpec {
    /// The default: the local syslog socket when there is one, else stdout.
    #[must_use]
    pub fn defaults() -> Vec<SinkSpec> {
        if Path::new(DEV_LOG).exists() {
            vec![SinkSpec::Syslog(PathBuf::from(DEV_LOG))]
        } else {
            vec![SinkSpec::Stdout]
        }
    }

    /// Opens the sink. Files are opened (and created) here; sockets connect on first use.
    /// Open sinks on a thread of the network namespace the sockets should live in.
    ///
    /// # Errors
    /// When the file cannot be opened, or the syslog socket does not exist.
    pub fn open(&self, id: &Identity) -> Result<Box<dyn Sink>, LogError> {
        Ok(match self {
            SinkSpec::Stdout => Box::new(Stdout),
            SinkSpec::File { path, rotate_bytes } => {
                Box::new(FileSink::open(path.clone(), *rotate_bytes)?)
            }
            SinkSpec::Syslog(path) => {
                if !path.exists() {
                    return Err(LogError::Config(format!(
                        "no syslog socket at {}",
                        path.display()
                    )));
                }
                Box::new(LocalSyslog {
                    path: path.clone(),
                    id: id.clone(),
                    socket: None,
                })
            }
            SinkSpec::Udp(target) => Box::new(UdpSyslog {
                target: target.clone(),
                id: id.clone(),
                socket: None,
                backoff: Backoff::default(),
            }),
            SinkSpec::Tcp(target) => Box::new(TcpSyslog {
                target: target.clone(),
                id: id.clone(),
                stream: None,
                backoff: Backoff::default(),
            }),
        })
    }
}

struct Stdout;

impl Sink for Stdout {
    fn write(&mut self, line: &LogLine) -> io::Result<()> {
        writeln!(io::stdout().lock(), "{}", line.stamped())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().lock().flush()
    }
}

struct FileSink {
    path: PathBuf,
    rotate_bytes: Option<u64>,
    file: BufWriter<File>,
    size: u64,
}

fn append(path: &Path) -> Result<(BufWriter<File>, u64), LogError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| LogError::io(format!("open {}", path.display()), e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((BufWriter::new(file), size))
}

/// The file a rotated log file moves to.
#[must_use]
pub fn rotated(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

impl FileSink {
    fn open(path: PathBuf, rotate_bytes: Option<u64>) -> Result<FileSink, LogError> {
        let (file, size) = append(&path)?;
        Ok(FileSink {
            path,
            rotate_bytes,
            file,
            size,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        std::fs::rename(&self.path, rotated(&self.path))?;
        let (file, size) = append(&self.path).map_err(|e| io::Error::other(e.to_string()))?;
        self.file = file;
        self.size = size;
        Ok(())
    }
}

impl Sink for FileSink {
    fn write(&mut self, line: &LogLine) -> io::Result<()> {
        let text = format!("{}\n", line.stamped());
        let len = text.len() as u64;
        if self
            .rotate_bytes
            .is_some_and(|max| self.size > 0 && self.size + len > max)
        {
            self.rotate()?;
        }
        self.file.write_all(text.as_bytes())?;
        self.size += len;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The last `n` lines of a log file and the file it rotated to, oldest first: what
/// `tortie logs` shows. A missing file has no lines.
///
/// # Errors
/// When a file exists but cannot be read.
pub fn recent_lines(path: &Path, n: usize) -> Result<Vec<String>, LogError> {
    let mut lines = Vec::new();
    for p in [rotated(path), path.to_path_buf()] {
        match std::fs::read_to_string(&p) {
            Ok(text) => lines.extend(text.lines().map(String::from)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(LogError::io(format!("read {}", p.display()), e)),
        }
    }
    let skip = lines.len().saturating_sub(n);
    Ok(lines.split_off(skip))
}

struct LocalSyslog {
    path: PathBuf,
    id: Identity,
    socket: Option<UnixDatagram>,
}

impl Sink for LocalSyslog {
    fn write(&mut self, line: &LogLine) -> io::Result<()> {
        let message = syslog::local(&self.id, line.time, &line.text);
        let socket = match self.socket.take() {
            Some(s) => s,
            None => {
                let s = UnixDatagram::unbound()?;
                s.connect(&self.path)?;
                s
            }
        };
        // A daemon restart leaves the old socket dead: drop it, the next line reconnects.
        socket.send(message.as_bytes())?;
        self.socket = Some(socket);
        Ok(())
    }
}

/// When a network sink may try to connect again: 250 ms after a failure, doubling to 30 s.
#[derive(Debug, Default)]
struct Backoff {
    not_before: Option<Instant>,
    pause: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(250);
    const MAX: Duration = Duration::from_secs(30);

    fn check(&self, target: &str) -> io::Result<()> {
        match self.not_before {
            Some(t) if Instant::now() < t => Err(io::Error::other(format!(
                "{target} is unreachable; retrying in {:?}",
                t - Instant::now()
            ))),
            _ => Ok(()),
        }
    }

    fn failed(&mut self) {
        self.pause = (self.pause * 2).clamp(Self::FIRST, Self::MAX);
        self.not_before = Some(Instant::now() + self.pause);
    }

    fn succeeded(&mut self) {
        *self = Backoff::default();
    }
}

fn resolve(target: &str) -> io::Result<std::net::SocketAddr> {
    target
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{target} has no address")))
}

struct UdpSyslog {
    target: String,
    id: Identity,
    socket: Option<UdpSocket>,
    backoff: Backoff,
}

impl UdpSyslog {
    fn connect(&self) -> io::Result<UdpSocket> {
        let addr = resolve(&self.target)?;
        let local = if addr.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(addr)?;
        Ok(socket)
    }
}

impl Sink for UdpSyslog {
    fn write(&mut self, line: &LogLine) -> io::Result<()> {
        self.backoff.check(&self.target)?;
        let message = syslog::rfc5424(&self.id, line.time, &line.text);
        let sent = match self.socket.take() {
            Some(s) => Ok(s),
            None => self.connect(),
        }
        .and_then(|s| s.send(message.as_bytes()).map(|_| s));
        match sent {
            Ok(s) => {
                self.socket = Some(s);
                self.backoff.succeeded();
                Ok(())
            }
            Err(e) => {
                // E.g. ECONNREFUSED reported for an earlier datagram, or no route.
                self.backoff.failed();
                Err(e)
            }
        }
    }
}

struct TcpSyslog {
    target: String,
    id: Identity,
    stream: Option<TcpStream>,
    backoff: Backoff,
}

/// How long a connect or a write to a TCP syslog server may block the writer.
const TCP_TIMEOUT: Duration = Duration::from_secs(2);

impl TcpSyslog {
    fn connect(&self) -> io::Result<TcpStream> {
        let stream = TcpStream::connect_timeout(&resolve(&self.target)?, TCP_TIMEOUT)?;
        stream.set_write_timeout(Some(TCP_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}

impl Sink for TcpSyslog {
    fn write(&mut self, line: &LogLine) -> io::Result<()> {
        self.backoff.check(&self.target)?;
        let frame = syslog::octet_counted(&syslog::rfc5424(&self.id, line.time, &line.text));
        let sent = match self.stream.take() {
            Some(s) => Ok(s),
            None => self.connect(),
        }
        .and_then(|mut s| s.write_all(frame.as_bytes()).map(|()| s));
        match sent {
            Ok(s) => {
                self.stream = Some(s);
                self.backoff.succeeded();
                Ok(())
            }
            Err(e) => {
                self.backoff.failed();
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_destinations_parse_and_print_back() {
        for text in [
            "stdout",
            "file:/var/log/tortie/packets.log",
            "syslog",
            "syslog:/run/systemd/journal/syslog",
            "udp://10.0.0.5:514",
            "tcp://logs.example.com:6514",
            "tcp://[fd00::5]:514",
        ] {
            let spec: SinkSpec = text.parse().expect(text);
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!(
            "syslog".parse::<SinkSpec>().expect("ok"),
            SinkSpec::Syslog(PathBuf::from("/dev/log"))
        );
        for bad in [
            "",
            "file:",
            "udp://host",
            "tcp://:514",
            "udp://h:99999",
            "http://x:1",
        ] {
            assert!(bad.parse::<SinkSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_syslog_socket_is_an_error_at_open() {
        let spec = SinkSpec::Syslog(PathBuf::from("/nonexistent/tortie-test/log"));
        assert!(spec.open(&Identity::local()).is_err());
    }
}
