//! The command line, as clap derives it. Parsing only: validation that needs files happens in
//! the commands.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use fusioncell_wire::act_body::Rating;

mod bench;
pub use bench::{BenchArgs, BenchScenario};

/// fusioncell: a secure multi-party relay for a joint communication cell — parties, a mediator,
/// exercise control — where every act is signed and written to a tamper-evident journal.
#[derive(Debug, Parser)]
#[command(name = "fusioncell", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// How log lines on stderr are written: `text` for people, `json` (one object per line)
    /// for a log collector. `RUST_LOG` picks which lines.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event; colours on a terminal.
    Text,
    /// One JSON object per event and per line, with the fields of its spans.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a ready-to-run example cell (the Paris joint cell) into a new folder.
    Init(InitArgs),
    /// Generate an Ed25519 key pair for an identity.
    Keygen(KeygenArgs),
    /// Generate a development CA and relay certificate.
    Certs(CertsArgs),
    /// Validate a cell config, its relay key and its TLS files.
    Check(CheckArgs),
    /// Run the relay for a cell.
    Relay(RelayArgs),
    /// Post one message; prints its cell sequence number once it is durable.
    Post(PostArgs),
    /// Print the records an identity receives.
    Listen(ListenArgs),
    /// Interactive client for any role: records arrive one per line; type to post, `/help`
    /// for commands.
    Connect(ConnectArgs),
    /// Work with a cell's journal (the audit log).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Release a held post of a moderated channel (mediator).
    Approve(DecideArgs),
    /// Refuse a held post, with a reason the sender is shown (mediator).
    Reject(RejectArgs),
    /// Silence an identity on a channel or everywhere (mediator).
    Mute(MuteArgs),
    /// Lift a mute (mediator).
    Unmute(MuteArgs),
    /// Give an identity access to a channel (mediator).
    Grant(GrantArgs),
    /// Take access away (mediator).
    Revoke(GrantArgs),
    /// Remove a record's text from every delivery; the journal still verifies (mediator).
    Redact(RedactArgs),
    /// Start, pause, resume, end or halt the exercise clock (control; the mediator may pause,
    /// resume and halt).
    Clock(ClockArgs),
    /// Record an observation about records, seen by evaluators and control only (evaluator).
    Observe(ObserveArgs),
    /// Acknowledge a hotline message (the other party).
    Ack(TargetArgs),
    /// Check or import a scenario (MSEL).
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Run an exercise as exercise control.
    #[command(subcommand)]
    Exercise(ExerciseCommand),
    /// Play an identity with a scripted persona (rehearsals, demos, load).
    Bot(BotArgs),
    /// A complete example exercise on this machine, with no set-up: relay, control, bots.
    Demo(DemoArgs),
    /// Load-test a relay (its own, on a temporary cell, unless `--relay`): deliveries/s,
    /// durable acts/s, latency, losses, relay CPU and RSS; `--floor` measures the bare
    /// tokio-tungstenite broadcast floor with the same load in the same run.
    Bench(BenchArgs),
    /// Write the after-action report of a verified journal: one self-contained HTML file, or
    /// an AAR/IP skeleton in Markdown.
    Report(ReportArgs),
}

/// `scenario`.
#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Validate a scenario file; with --config, also its channels against the cell.
    Check(ScenarioCheckArgs),
    /// Convert a spreadsheet MSEL (CSV) to a scenario file.
    Import(ScenarioImportArgs),
    /// Write a validated scenario as JSON, as the relay gives it to control's and evaluators'
    /// consoles (controller notes included: for the white cell only).
    Export(ScenarioExportArgs),
}

/// `scenario export`.
#[derive(Debug, Args)]
pub struct ScenarioExportArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ScenarioFormat::Json)]
    pub format: ScenarioFormat,
    /// Write here (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `scenario export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioFormat {
    /// One JSON object: title, description, speed, moves, injects.
    Json,
}

/// `scenario check`.
#[derive(Debug, Args)]
pub struct ScenarioCheckArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// The cell it will run in.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `scenario import`.
#[derive(Debug, Args)]
pub struct ScenarioImportArgs {
    /// The spreadsheet MSEL, as CSV.
    pub csv: PathBuf,
    /// Write the scenario here (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `exercise`.
#[derive(Debug, Subcommand)]
pub enum ExerciseCommand {
    /// Fire a scenario's injects on the exercise clock, as control. Reads controller
    /// commands on stdin: fire ID, skip ID, hold ID, release ID, pause, resume, halt REASON,
    /// end, status.
    Run(ExerciseRunArgs),
}

/// `exercise run`.
#[derive(Debug, Args)]
pub struct ExerciseRunArgs {
    /// The cell and how to reach its relay.
    #[command(flatten)]
    pub cell: CellOpts,
    /// Act as this identity (default: the cell's control identity).
    #[arg(long = "as", value_name = "ID")]
    pub identity: Option<String>,
    /// The scenario file.
    pub scenario: PathBuf,
    /// Scenario seconds per real second (default: the scenario's, else 1).
    #[arg(long)]
    pub speed: Option<u32>,
    /// Do not send STARTEX (wait for someone else to start the clock).
    #[arg(long)]
    pub no_start: bool,
    /// Keep running after the last inject instead of sending ENDEX.
    #[arg(long)]
    pub no_end: bool,
}

/// `bot`.
#[derive(Debug, Args)]
pub struct BotArgs {
    /// The cell and how to reach its relay.
    #[command(flatten)]
    pub cell: CellOpts,
    /// The persona file; it names the identity the bot plays.
    pub persona: PathBuf,
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Scenario seconds per real second (the example's two hours take about 75 s at 100).
    #[arg(long, default_value_t = 100)]
    pub speed: u32,
    /// Leave the cell folder here (cell.toml, keys, journal) instead of a temporary folder;
    /// with `--cells`, a folder of cell folders that `relay --cells` serves.
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Run this many syndicates at once, each its own cell (`paris-joint-cell-1` …) with its
    /// own exercise control and bots, behind one relay.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub cells: u16,
}

/// A one-shot act on a record.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The record's cell sequence number.
    pub seq: u64,
}

/// `approve`.
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The held post's cell sequence number (what `post` printed).
    pub seq: u64,
}

/// `reject`.
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The held post's cell sequence number.
    pub seq: u64,
    /// Why; the sender is shown this.
    #[arg(long)]
    pub reason: String,
}

/// `mute` and `unmute`.
#[derive(Debug, Args)]
pub struct MuteArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The identity to mute or unmute.
    #[arg(value_name = "IDENTITY")]
    pub target: String,
    /// Only on this channel (default: everywhere).
    #[arg(long)]
    pub channel: Option<String>,
}

/// `grant` and `revoke`.
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The identity to give or take access.
    #[arg(value_name = "IDENTITY")]
    pub target: String,
    /// The channel.
    #[arg(long)]
    pub channel: String,
    /// Read-only access (default: member, read and write).
    #[arg(long)]
    pub reader: bool,
}

/// `redact`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The record whose text goes.
    pub seq: u64,
    /// Why.
    #[arg(long)]
    pub reason: String,
}

/// `clock`.
#[derive(Debug, Args)]
pub struct ClockArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// start, pause, resume, end or halt.
    #[arg(value_parser = ["start", "pause", "resume", "end", "halt"])]
    pub action: String,
    /// Scenario seconds per real second (start).
    #[arg(long)]
    pub speed: Option<u32>,
    /// Why (shown with a halt).
    #[arg(long)]
    pub reason: Option<String>,
}

/// `observe`.
#[derive(Debug, Args)]
pub struct ObserveArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The records it is about, comma-separated sequence numbers.
    #[arg(long, value_delimiter = ',')]
    pub refs: Vec<u64>,
    /// Free-text subject (an inject or objective named in words).
    #[arg(long)]
    pub about: Option<String>,
    /// The id of the scenario objective it evaluates (`[[objective]]` of the scenario).
    #[arg(long)]
    pub objective: Option<String>,
    /// The HSEEP rating of that objective: P, S, M or U.
    #[arg(long, requires = "objective")]
    pub rating: Option<Rating>,
    /// The observation.
    pub text: String,
}

/// `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to create (must not exist or be empty).
    pub dir: PathBuf,
    /// Address the relay will listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Cell id (default: `paris-joint-cell-` and 8 random hex digits).
    #[arg(long)]
    pub cell_id: Option<String>,
    /// Extra DNS name or IP address for the relay certificate (repeatable).
    #[arg(long = "host")]
    pub hosts: Vec<String>,
    /// The scenario to copy into the folder as `scenario.toml` (default: the Paris talks);
    /// its injects must go to the example cell's channels.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
}

/// `keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The identity the key is for; files are named `ID.key` and `ID.pub`.
    #[arg(long)]
    pub id: String,
    /// The folder to write into.
    #[arg(long)]
    pub out: PathBuf,
}

/// `certs`.
#[derive(Debug, Args)]
pub struct CertsArgs {
    /// The folder to write `ca.pem`, `ca.key`, `relay.pem` and `relay-tls.key` into.
    #[arg(long)]
    pub out: PathBuf,
    /// A name for the CA (usually the cell id).
    #[arg(long, default_value = "fusioncell")]
    pub name: String,
    /// DNS name or IP address the relay is reached at (repeatable; localhost is included).
    #[arg(long = "host")]
    pub hosts: Vec<String>,
}

/// `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The cell config.
    pub config: PathBuf,
    /// Whether the public example keys may be served beyond loopback.
    #[command(flatten)]
    pub demo: DemoKeys,
}

/// `relay`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("cells_to_serve").required(true).args(["config", "cells"])))]
pub struct RelayArgs {
    /// The cell config: serve this one cell.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Serve every cell of this folder: each subfolder holding a `cell.toml` is one cell,
    /// reached at `/cells/<id>`. SIGHUP rescans it: a new folder starts its cell, a folder
    /// holding a file named `retired` (or no longer there) retires its cell.
    #[arg(long, value_name = "DIR")]
    pub cells: Option<PathBuf>,
    /// Listen here instead of `relay.listen`.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// The scenario (MSEL) to give exercise control and evaluators when they log in, so that
    /// their consoles need no file (default: `scenario.toml` beside the cell config, if there
    /// is one; `off`: none). Players and the mediator never receive it.
    #[arg(long, value_name = "FILE|off")]
    pub scenario: Option<PathBuf>,
    /// Whether to serve without TLS.
    #[command(flatten)]
    pub plain: PlainWs,
    /// Serve `/metrics` (Prometheus), `/healthz` and `/readyz` over plain HTTP on this address,
    /// or `off`. Keep it on loopback: it is unauthenticated (SECURITY.md, "The admin
    /// listener").
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:9090")]
    pub admin: AdminListen,
    /// Whether the public example keys may be served beyond loopback.
    #[command(flatten)]
    pub demo: DemoKeys,
}

/// `--admin`: an address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminListen(pub Option<SocketAddr>);

impl std::str::FromStr for AdminListen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "off" {
            return Ok(AdminListen(None));
        }
        s.parse()
            .map(|a| AdminListen(Some(a)))
            .map_err(|_| format!("`{s}` is neither an IP address with a port nor `off`"))
    }
}

/// How a program that plays in a cell it has the folder of (exercise control, a bot)
/// reaches the relay: the cell config gives the relay, its CA and the keys.
#[derive(Debug, Args)]
pub struct CellOpts {
    /// The cell config.
    #[arg(long)]
    pub config: PathBuf,
    /// The relay URL (default: the cell's).
    #[arg(long)]
    pub relay: Option<String>,
    /// The identity's private key (default: keys/ID.key beside the cell config).
    #[arg(long)]
    pub key: Option<PathBuf>,
}

/// `--config` of the commands that read a journal.
#[derive(Debug, Args)]
pub struct ExpectedCell {
    /// The cell config, to check that the journal's first record matches it.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `--json` of the commands that print records.
#[derive(Debug, Args)]
pub struct JsonLines {
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// `--insecure-loopback` of the commands that serve clients.
#[derive(Debug, Args)]
pub struct PlainWs {
    /// Serve plain ws:// (no TLS). Refused unless the address is a loopback address.
    #[arg(long)]
    pub insecure_loopback: bool,
}

/// `--insecure-demo-keys` of the commands that serve clients.
#[derive(Debug, Args)]
pub struct DemoKeys {
    /// Serve a cell that uses the public keys of certs-example/ on a non-loopback address
    /// (anyone can log in with them): for a demonstration, such as the docker-compose file.
    #[arg(long)]
    pub insecure_demo_keys: bool,
}

/// How a client reaches the relay and as whom.
#[derive(Debug, Args)]
pub struct ConnectOpts {
    /// The cell config: gives the relay address, its CA and key, and `keys/ID.key`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The relay, `wss://HOST:PORT` (for a participant without the cell folder).
    #[arg(long)]
    pub relay: Option<String>,
    /// The identity to act as.
    #[arg(long = "as", value_name = "ID")]
    pub identity: String,
    /// The identity's private key (PKCS#8 PEM).
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// The CA certificate that signed the relay's certificate.
    #[arg(long)]
    pub ca: Option<PathBuf>,
}

/// `post`.
#[derive(Debug, Args)]
pub struct PostArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// The channel.
    #[arg(long)]
    pub channel: String,
    /// Send a reply to record N of that channel instead of a plain post.
    #[arg(long, value_name = "N")]
    pub reply_to: Option<u64>,
    /// The message text.
    pub body: String,
}

/// `listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// Only this channel.
    #[arg(long)]
    pub channel: Option<String>,
    /// Output format.
    #[command(flatten)]
    pub output: JsonLines,
    /// Exit after this many records.
    #[arg(long)]
    pub count: Option<u64>,
    /// Start from this cell sequence number (resume); default: from now.
    #[arg(long)]
    pub from: Option<u64>,
}

/// `connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Connection.
    #[command(flatten)]
    pub connect: ConnectOpts,
    /// Start from this cell sequence number (resume); default: from now.
    #[arg(long)]
    pub from: Option<u64>,
}

/// `audit`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify a journal: signatures, Merkle tree against checkpoints, sequence numbers,
    /// authorization.
    Verify(VerifyArgs),
    /// Export a verified journal, one row per record (redacted bodies absent).
    Export(ExportArgs),
    /// Print the inclusion proof of one record (JSON, PROTOCOL.md §11), checked first.
    Prove(ProveArgs),
    /// Check that a journal extends a checkpoint saved earlier; names the mismatch if not.
    Consistency(ConsistencyArgs),
    /// Serve a verified journal read-only to ordinary clients (connect, the browser console)
    /// at a chosen speed, each seeing what its identity saw.
    Serve(ServeArgs),
    /// Replay a verified journal in the terminal, at its original pace scaled by --speed,
    /// optionally exactly as one identity saw it.
    Replay(ReplayArgs),
}

/// `audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The journal folder.
    pub journal: PathBuf,
    /// The cell the journal must have been opened for.
    #[command(flatten)]
    pub expected: ExpectedCell,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// `audit prove`.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The journal folder.
    pub journal: PathBuf,
    /// The record's cell sequence number (its leaf index).
    #[arg(long)]
    pub seq: u64,
    /// The tree size to prove against (default: every record of the journal).
    #[arg(long)]
    pub size: Option<u64>,
    /// The cell the journal must have been opened for.
    #[command(flatten)]
    pub expected: ExpectedCell,
}

/// `audit consistency`.
#[derive(Debug, Args)]
pub struct ConsistencyArgs {
    /// The saved checkpoint: one line of checkpoints.jsonl (or a `checkpoint` frame), given
    /// as the JSON itself or as a file holding it.
    #[arg(value_name = "OLD_CHECKPOINT")]
    pub checkpoint: String,
    /// The journal folder.
    pub journal: PathBuf,
    /// The cell the journal must have been opened for.
    #[command(flatten)]
    pub expected: ExpectedCell,
    /// Machine-readable output: the consistency proof, or the mismatch.
    #[arg(long)]
    pub json: bool,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The journal folder.
    pub journal: PathBuf,
    /// The scenario the exercise ran (expected actions, objectives); without it, injects are
    /// listed from the journal alone.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Write the report here (overwritten if it exists); `-`: standard output.
    #[arg(long)]
    pub out: PathBuf,
    /// `html` (one self-contained file) or `md` (an AAR/IP skeleton).
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// The cell config: the journal must match it, and it gives the hotline deadlines.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML file.
    Html,
    /// An HSEEP AAR/IP skeleton in Markdown.
    Md,
}

/// `audit export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The journal folder.
    pub journal: PathBuf,
    /// `jsonl` or `csv`.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write here (overwritten if it exists); default (or `-`): standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The cell the journal must have been opened for.
    #[command(flatten)]
    pub expected: ExpectedCell,
}

/// `audit export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// JSON Lines: one object per record.
    Jsonl,
    /// CSV (RFC 4180) with a header row.
    Csv,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks on every subcommand (unique names, valid defaults).
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

/// `audit replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The journal folder.
    pub journal: PathBuf,
    /// Show exactly what this identity received (membership, moderation and redaction as
    /// they were).
    #[arg(long = "as", value_name = "ID")]
    pub identity: Option<String>,
    /// Pace: 1 is the original pace, 60 sixty times faster, 0 as fast as possible.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Wait for Enter before each record.
    #[arg(long)]
    pub step: bool,
    /// Only this channel.
    #[arg(long)]
    pub channel: Option<String>,
    /// Start at this record (a sequence number) or scenario time (HH:MM:SS).
    #[arg(long)]
    pub from: Option<String>,
    /// Stop after this record or scenario time.
    #[arg(long)]
    pub to: Option<String>,
    /// The cell config, for its marking line at the head of the transcript (default: the
    /// default marking; the journal itself carries none).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output format.
    #[command(flatten)]
    pub output: JsonLines,
}

/// `audit serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The journal folder.
    pub journal: PathBuf,
    /// The cell config: its TLS certificate and key serve the playback, and the journal must
    /// have been opened for its identities and channels.
    #[arg(long)]
    pub config: PathBuf,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8444")]
    pub listen: SocketAddr,
    /// Pace: 1 is the original pace, 60 sixty times faster.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Whether to serve without TLS.
    #[command(flatten)]
    pub plain: PlainWs,
    /// Whether the public example keys may be served beyond loopback.
    #[command(flatten)]
    pub demo: DemoKeys,
}
