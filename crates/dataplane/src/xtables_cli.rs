//! `iptables-restore`, `iptables-save` (and the `ip6tables-` twins) and `ipset` as child
//! processes, in the nf_tables or the legacy variant; the one place the iptables backend
//! touches the kernel.

use std::io::Write as _;
use std::process::{Command, Stdio};

use tortie_rules::ir::Family;

use crate::DataplaneError;

/// Which iptables implementation programs the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// `iptables-nft`: iptables rules kept in nf_tables.
    Nft,
    /// `iptables-legacy`: the x_tables kernel interface.
    Legacy,
}

impl Variant {
    /// The suffix of its commands (`nft`, `legacy`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Variant::Nft => "nft",
            Variant::Legacy => "legacy",
        }
    }

    /// Parses Felix's `iptablesBackend` values (`NFT`, `Legacy`; `Auto` is [`detect`]).
    #[must_use]
    pub fn parse(text: &str) -> Option<Variant> {
        match text.to_ascii_lowercase().as_str() {
            "nft" => Some(Variant::Nft),
            "legacy" => Some(Variant::Legacy),
            _ => None,
        }
    }

    /// The other variant.
    #[must_use]
    pub fn other(self) -> Variant {
        match self {
            Variant::Nft => Variant::Legacy,
            Variant::Legacy => Variant::Nft,
        }
    }
}

/// The kernel operations the iptables backend needs.
pub trait Xtables {
    /// `iptables-restore --noflush` (or `ip6tables-`) of `text`: each table's part is one
    /// transaction.
    ///
    /// # Errors
    /// A table's transaction was refused (earlier tables' may have been taken).
    fn restore(&mut self, family: Family, text: &str) -> Result<(), DataplaneError>;

    /// `iptables-save` (or `ip6tables-save`) output, every table.
    ///
    /// # Errors
    /// The command could not run.
    fn save(&mut self, family: Family) -> Result<String, DataplaneError>;

    /// `ipset restore -exist` of `text`.
    ///
    /// # Errors
    /// ipset refused a command (those before it were done).
    fn ipset_restore(&mut self, text: &str) -> Result<(), DataplaneError>;

    /// `ipset save` output.
    ///
    /// # Errors
    /// The command could not run.
    fn ipset_save(&mut self) -> Result<String, DataplaneError>;
}

/// The iptables commands of one variant, run in the current or a named network namespace.
#[derive(Clone, Debug)]
pub struct XtablesCli {
    /// The variant.
    pub variant: Variant,
    /// Run inside this named network namespace (`ip netns exec`).
    pub netns: Option<String>,
}

fn run(
    netns: Option<&str>,
    program: &str,
    args: &[&str],
    input: &str,
) -> Result<String, DataplaneError> {
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, program]);
            c
        }
        None => Command::new(program),
    };
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| DataplaneError(format!("cannot run {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .map_err(|e| DataplaneError(format!("cannot write to {program}: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| DataplaneError(format!("{program} did not finish: {e}")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(DataplaneError(format!(
            "{program} refused: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn prefix(family: Family) -> &'static str {
    match family {
        Family::V4 => "iptables",
        Family::V6 => "ip6tables",
    }
}

impl XtablesCli {
    /// A variant's commands in a namespace (`None`: the current one).
    #[must_use]
    pub fn new(variant: Variant, netns: Option<&str>) -> XtablesCli {
        XtablesCli {
            variant,
            netns: netns.map(String::from),
        }
    }

    /// Felix's `Auto`: the variant that already holds more rules (another tool or an earlier
    /// agent chose it), nf_tables when neither holds any.
    #[must_use]
    pub fn detect(netns: Option<&str>) -> Variant {
        let rules = |v: Variant| {
            Family::BOTH
                .iter()
                .filter_map(|f| {
                    run(netns, &format!("{}-{}-save", prefix(*f), v.name()), &[], "").ok()
                })
                .map(|text| text.lines().filter(|l| l.starts_with("-A ")).count())
                .sum::<usize>()
        };
        if rules(Variant::Legacy) > rules(Variant::Nft) {
            Variant::Legacy
        } else {
            Variant::Nft
        }
    }

    fn command(&self, family: Family, what: &str) -> String {
        format!("{}-{}-{what}", prefix(family), self.variant.name())
    }
}

impl Xtables for XtablesCli {
    fn restore(&mut self, family: Family, text: &str) -> Result<(), DataplaneError> {
        // `-w`: the legacy variant shares a lock with every other iptables user.
        run(
            self.netns.as_deref(),
            &self.command(family, "restore"),
            &["--noflush", "-w", "10"],
            text,
        )
        .map(|_| ())
    }

    fn save(&mut self, family: Family) -> Result<String, DataplaneError> {
        run(
            self.netns.as_deref(),
            &self.command(family, "save"),
            &[],
            "",
        )
    }

    fn ipset_restore(&mut self, text: &str) -> Result<(), DataplaneError> {
        if text.is_empty() {
            return Ok(());
        }
        run(self.netns.as_deref(), "ipset", &["restore", "-exist"], text).map(|_| ())
    }

    fn ipset_save(&mut self) -> Result<String, DataplaneError> {
        run(self.netns.as_deref(), "ipset", &["save"], "")
    }
}
