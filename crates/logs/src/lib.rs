//! The Log action's pipeline. A Log rule sends the packet to NFLOG
//! (`log group 3 prefix "calico-packet: "`); the agent reads the group and writes, for each
//! packet, the line the kernel's LOG target would have printed, behind the rule's prefix:
//!
//! ```text
//!  kernel ──NFLOG group──► reader thread (dataplane netns)     writer thread (agent netns)
//!                          decode · rate limit · format ──queue──► stdout | file | /dev/log
//!                                                                   | udp:// | tcp:// syslog
//! ```
//!
//! * [`nflog`] and [`netlink`] decode the kernel's messages (pure);
//! * [`line`](mod@line) formats the LOG-style line (pure) and reads one back ([`LineFields`]);
//! * [`ratelimit`] is FelixConfiguration's `logActionRateLimit` and burst (off by default);
//! * [`sink`] and [`syslog`] write lines out; [`recent_lines`] reads a log file back for
//!   `tortie logs`;
//! * [`LogPipeline`] runs it all on two threads.
//!
//! ```no_run
//! use tortie_logs::{LogPipeline, PipelineConfig, RateLimit, SinkSpec};
//! let sinks = vec![SinkSpec::Stdout, "udp://10.0.0.5:514".parse()?];
//! let mut config = PipelineConfig::new(3, sinks);
//! config.netns = Some("node-a".into());
//! config.rate_limit = RateLimit::from_felix(Some("10/second"), 5)?;
//! let pipeline = LogPipeline::start(config)?;
//! // FelixConfiguration changed:
//! pipeline.set_rate_limit(RateLimit::from_felix(None, 5)?);
//! println!("{:?}", pipeline.stats());
//! pipeline.stop();
//! # Ok::<(), tortie_logs::LogError>(())
//! ```

pub mod error;
pub mod line;
pub mod netlink;
pub mod netns;
pub mod nflog;
pub mod pipeline;
pub mod ratelimit;
pub mod sink;
pub mod socket;
pub mod syslog;
pub mod time;

pub use error::{DecodeError, LogError};
pub use line::{LineFields, format_line};
pub use pipeline::{LogPipeline, PipelineConfig, Stats};
pub use ratelimit::RateLimit;
pub use sink::{LogLine, Sink, SinkSpec, recent_lines};
pub use syslog::Identity;
