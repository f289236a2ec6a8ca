//! Prints the lines of an NFLOG group until stopped, for looking at what Log rules produce:
//!
//! ```text
//! cargo run -p tortie-logs --example tail -- [--netns NAME] [--group N] [--seconds S] [DEST...]
//! ```
//!
//! DEST as the agent would take it (`stdout`, `file:PATH`, `syslog`, `udp://HOST:PORT`, ...);
//! stdout when none is given.

use std::time::Duration;

use tortie_logs::{LogError, LogPipeline, PipelineConfig, SinkSpec};

fn main() -> Result<(), LogError> {
    let mut config = PipelineConfig::new(3, Vec::new());
    let mut seconds = u64::MAX;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .ok_or_else(|| LogError::Config(format!("{arg} needs {what}")))
        };
        match arg.as_str() {
            "--netns" => config.netns = Some(value("a name")?),
            "--group" => {
                config.group = value("a number")?
                    .parse()
                    .map_err(|_| LogError::Config("--group needs a number".into()))?;
            }
            "--seconds" => {
                seconds = value("a number")?
                    .parse()
                    .map_err(|_| LogError::Config("--seconds needs a number".into()))?;
            }
            dest => config.sinks.push(dest.parse::<SinkSpec>()?),
        }
    }
    if config.sinks.is_empty() {
        config.sinks.push(SinkSpec::Stdout);
    }
    let pipeline = LogPipeline::start(config)?;
    std::thread::sleep(Duration::from_secs(seconds));
    eprintln!("{:?}", pipeline.stats());
    pipeline.stop();
    Ok(())
}
