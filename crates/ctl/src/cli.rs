//! Command-line arguments: calicoctl's verbs and flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Tortie: Calico-compatible network policy for Linux and Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "tortie", version, about, propagate_version = true)]
pub struct Cli {
    /// Log level (accepted for calicoctl compatibility).
    #[arg(
        short = 'l',
        long = "log-level",
        global = true,
        default_value = "panic",
        hide = true
    )]
    pub log_level: String,
    /// Accepted for calicoctl compatibility; Tortie has no client/cluster version skew check.
    #[arg(long = "allow-version-mismatch", global = true, hide = true)]
    pub allow_version_mismatch: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create resources from files; fails if one exists (unless --skip-exists).
    Create(CreateArgs),
    /// Create or replace resources from files.
    Apply(FileArgs),
    /// Replace existing resources from files.
    Replace(FileArgs),
    /// Delete resources named on the command line or in files.
    Delete(DeleteArgs),
    /// Show resources.
    Get(GetArgs),
    /// Change a resource with a merge patch (or a JSON patch with -t json).
    Patch(PatchArgs),
    /// Set or remove a label on a resource.
    Label(LabelArgs),
    /// Check manifests offline against Calico's validation rules (no datastore).
    Validate(ValidateArgs),
    /// Show the version of tortie and of the datastore.
    Version(VersionArgs),
    /// Decide one flow and explain why it is allowed or denied.
    Trace(TraceArgs),
    /// Show what applies to an endpoint, or what a policy selects.
    Query(QueryArgs),
    /// The reachability matrix between workloads.
    Reach(ReachArgs),
    /// Run the node agent: enforce the datastore's policy on this host.
    Agent(AgentArgs),
    /// A cluster of network namespaces on this machine, enforced by real agents.
    Lab(LabArgs),
    /// Recent packets logged by Log rules on this host (written by `tortie agent`).
    Logs(LogsArgs),
}

/// `lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    #[command(subcommand)]
    pub what: LabWhat,
}

/// What to do with a lab.
#[derive(Debug, Subcommand)]
pub enum LabWhat {
    /// Build the scenario's cluster, start agents, probe every expected flow, compare with
    /// trace, print the matrix, and tear everything down.
    Run {
        /// Scenario files (`examples/<name>/scenario.yaml`).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// `embedded` (a fresh store per run) or `etcd` (a three-member etcd cluster on
        /// loopback, started and removed by the lab; needs Debian's etcd-server).
        #[arg(long, default_value = "embedded")]
        datastore: String,
        /// The agents' dataplane: nftables or iptables.
        #[arg(long, default_value = "nftables")]
        dataplane: String,
        /// With --dataplane iptables: auto, nft or legacy.
        #[arg(long = "iptables-backend", default_value = "auto")]
        iptables_backend: String,
    },
    /// Build the scenario's cluster and keep it up in the foreground (Ctrl-C, SIGTERM or
    /// `tortie lab down` ends it); change policy with `TORTIE_DATASTORE=... tortie apply`.
    Up {
        /// The scenario file.
        scenario: PathBuf,
        /// `embedded` or `etcd`, as for `lab run`.
        #[arg(long, default_value = "embedded")]
        datastore: String,
        /// The agents' dataplane: nftables or iptables.
        #[arg(long, default_value = "nftables")]
        dataplane: String,
        /// With --dataplane iptables: auto, nft or legacy.
        #[arg(long = "iptables-backend", default_value = "auto")]
        iptables_backend: String,
    },
    /// Send real packets between pods (and external clients) of a running lab and print the
    /// reachability matrix, with trace's verdict beside every probe.
    Probe {
        /// Which lab (default: the only one running).
        #[arg(long)]
        lab: Option<String>,
        /// Sources: NAMESPACE/POD, an external's name, or NAMESPACE/* (repeatable).
        #[arg(long)]
        from: Vec<String>,
        /// Destinations, the same forms, or an address such as a Service's IP (repeatable).
        #[arg(long)]
        to: Vec<String>,
        /// Traffic: tcp/80, udp/53, sctp/9, icmp, proto/112 (repeatable; default: what the
        /// scenario's expectations use).
        #[arg(long)]
        traffic: Vec<String>,
        /// Probe IPv6 addresses.
        #[arg(long = "ipv6")]
        v6: bool,
    },
    /// Stop running labs and remove network namespaces left behind by labs that were killed.
    Down,
}

/// `agent`.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The node this agent enforces for (its Node resource's name).
    #[arg(long)]
    pub node: String,
    /// The dataplane: nftables (Tortie's own table) or iptables (Felix's chain layout). The
    /// other one's rules, if any, are removed once the new ones are in force.
    #[arg(long, default_value = "nftables")]
    pub dataplane: String,
    /// With --dataplane iptables: which iptables, auto (the one already holding rules),
    /// nft or legacy (as FelixConfiguration iptablesBackend).
    #[arg(long = "iptables-backend", default_value = "auto")]
    pub iptables_backend: String,
    /// Serve /metrics, /healthz and /readyz here (e.g. 127.0.0.1:9091).
    #[arg(long = "metrics-addr")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Seconds between checks that the kernel's table is still what was programmed.
    #[arg(long = "drift-interval", default_value_t = 30.0)]
    pub drift_interval: f64,
    /// Write the agent's status (JSON) to this file after every change.
    #[arg(long = "status-file")]
    pub status_file: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long = "log-format", default_value = "text")]
    pub log_format: String,
    /// Do not write a Node resource for this host.
    #[arg(long = "no-register")]
    pub no_register: bool,
    /// Enforce for this named network namespace (`ip netns`): its nftables and its addresses,
    /// while the agent stays in its own namespace, from where it reaches the datastore.
    #[arg(long, value_name = "NAME")]
    pub netns: Option<String>,
    /// Where packets hit by Log rules are written, in the kernel's LOG line format
    /// (repeatable): stdout, file:PATH, syslog, syslog:PATH, udp://HOST:PORT, tcp://HOST:PORT.
    /// Default: syslog when /dev/log exists, else stdout. `tortie logs` reads them back from
    /// the state directory in any case.
    #[arg(long = "log-to", value_name = "DEST")]
    pub log_to: Vec<String>,
    /// The agent's own files (recent Log lines in packets.log).
    #[arg(
        long = "state-dir",
        value_name = "DIR",
        default_value = "/var/lib/tortie"
    )]
    pub state_dir: PathBuf,
    #[command(flatten)]
    pub target: Target,
}

/// `logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The agent's state directory (its --state-dir).
    #[arg(
        long = "state-dir",
        value_name = "DIR",
        default_value = "/var/lib/tortie"
    )]
    pub state_dir: PathBuf,
    /// How many recent lines.
    #[arg(short = 'n', long = "lines", default_value_t = 50)]
    pub lines: usize,
    /// Keep printing lines as they arrive.
    #[arg(short = 'f', long)]
    pub follow: bool,
}

/// `trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Source: NAMESPACE/NAME (pod, workload endpoint, controller), hep/NAME, node/NAME or an IP.
    #[arg(long)]
    pub from: String,
    /// Destination, in the same forms.
    #[arg(long)]
    pub to: String,
    /// tcp, udp, sctp, icmp, icmpv6 or a protocol number.
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// Destination port.
    #[arg(long)]
    pub port: Option<u16>,
    /// Source port (default: an ephemeral port).
    #[arg(long = "src-port")]
    pub src_port: Option<u16>,
    /// ICMP type (default echo request).
    #[arg(long = "icmp-type")]
    pub icmp_type: Option<u8>,
    /// ICMP code.
    #[arg(long = "icmp-code")]
    pub icmp_code: Option<u8>,
    /// The host endpoint traffic from outside arrives through (hep/NAME).
    #[arg(long)]
    pub via: Option<String>,
    /// For a Service with several backends, the backend pod to follow (NAMESPACE/NAME).
    #[arg(long)]
    pub backend: Option<String>,
    /// text, json or yaml.
    #[arg(short = 'o', long = "output", default_value = "text")]
    pub output: String,
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub target: Target,
}

/// `query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(subcommand)]
    pub what: QueryWhat,
    /// text or json.
    #[arg(short = 'o', long = "output", default_value = "text", global = true)]
    pub output: String,
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub target: Target,
}

/// What to query.
#[derive(Debug, Subcommand)]
pub enum QueryWhat {
    /// The ordered tiers, policies and profiles that apply to an endpoint, per direction.
    Endpoint {
        /// NAMESPACE/NAME, hep/NAME or an address.
        endpoint: String,
    },
    /// The endpoints a policy selects and those its rules' selectors match.
    Policy {
        /// The policy name (a Kubernetes policy's name finds its knp.default.* form).
        name: String,
    },
}

/// `reach`.
#[derive(Debug, Args)]
pub struct ReachArgs {
    /// tcp, udp, sctp, icmp, icmpv6 or a protocol number.
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// Destination port.
    #[arg(long)]
    pub port: Option<u16>,
    /// All namespaces (default: only -n, or every namespace when -n is not given).
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// text or json.
    #[arg(short = 'o', long = "output", default_value = "text")]
    pub output: String,
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub target: Target,
}

/// Where resources come from and where the datastore is.
#[derive(Debug, Args)]
pub struct Source {
    /// File, directory, or `-` for stdin.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        global = true
    )]
    pub filename: Option<PathBuf>,
    /// Process a directory recursively.
    #[arg(short = 'R', long, global = true)]
    pub recursive: bool,
    /// Do not fail if the files contain no resources.
    #[arg(long = "skip-empty", global = true)]
    pub skip_empty: bool,
}

/// The datastore and namespace flags shared by the datastore verbs.
#[derive(Debug, Args)]
pub struct Target {
    /// Path to a calicoctl.cfg-format file naming the datastore.
    #[arg(short = 'c', long = "config", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Namespace for namespaced kinds (default `default`).
    #[arg(short = 'n', long = "namespace", global = true)]
    pub namespace: Option<String>,
}

/// `apply` and `replace`.
#[derive(Debug, Args)]
pub struct FileArgs {
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub target: Target,
}

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub target: Target,
    /// Skip resources that exist already.
    #[arg(long = "skip-exists")]
    pub skip_exists: bool,
}

/// `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// KIND and NAME... (or use -f).
    pub args: Vec<String>,
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub target: Target,
    /// Do not fail for resources that do not exist.
    #[arg(short = 's', long = "skip-not-exists")]
    pub skip_not_exists: bool,
}

/// `get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// KIND and optional NAME... (or use -f).
    pub args: Vec<String>,
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub target: Target,
    /// Output: ps (default), wide, yaml, json, name, custom-columns=COL1,COL2.
    #[arg(short = 'o', long = "output", default_value = "ps")]
    pub output: String,
    /// All namespaces.
    #[arg(short = 'A', long = "all-namespaces", visible_short_alias = 'a')]
    pub all_namespaces: bool,
    /// Strip cluster-specific metadata (uid, resourceVersion, creationTimestamp, namespace);
    /// only with a NAME.
    #[arg(long)]
    pub export: bool,
}

/// `patch`.
#[derive(Debug, Args)]
pub struct PatchArgs {
    /// KIND NAME.
    #[arg(num_args = 2, value_names = ["KIND", "NAME"])]
    pub args: Vec<String>,
    /// The patch (JSON or YAML).
    #[arg(short = 'p', long = "patch")]
    pub patch: String,
    /// strategic (default) or merge: RFC 7386 merge patch; json: RFC 6902 JSON patch.
    #[arg(short = 't', long = "type", default_value = "strategic")]
    pub patch_type: String,
    #[command(flatten)]
    pub target: Target,
}

/// `label`.
#[derive(Debug, Args)]
pub struct LabelArgs {
    /// KIND NAME key=value, or KIND NAME key with --remove.
    #[arg(num_args = 3, value_names = ["KIND", "NAME", "LABEL"])]
    pub args: Vec<String>,
    /// Remove the label.
    #[arg(long)]
    pub remove: bool,
    /// Replace an existing value.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub target: Target,
}

/// `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// File, directory, or `-` for stdin.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        required = true
    )]
    pub filename: PathBuf,
    /// Process a directory recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Do not print warnings.
    #[arg(long)]
    pub quiet: bool,
}

/// `version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Only the client version.
    #[arg(long)]
    pub client: bool,
    /// Path to a calicoctl.cfg-format file naming the datastore.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
}
