//! `fusioncell bench`'s arguments: the shape of the load and where it goes (BENCHMARKS.md).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// `bench`: the load and where it goes. A `--scenario` sets the shape; flags given
/// explicitly override it.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// fanout (1 publisher → 100 subscribers, as fast as the windows allow), many (20 clients
    /// that each publish 50 msg/s and receive everything), publishers (20 publishers as fast as
    /// durable acks allow), idle (10,000 idle connections: relay RSS per connection), big-cell
    /// (10,000 participants, each its own identity and key, log in; one post reaches all).
    #[arg(long, value_enum)]
    pub scenario: Option<BenchScenario>,
    /// Subscriber connections (big-cell: participants, each its own identity).
    #[arg(long)]
    pub subscribers: Option<usize>,
    /// Publisher connections (each its own identity).
    #[arg(long)]
    pub publishers: Option<usize>,
    /// Body size in bytes (at least 42: the header with publisher, number and send time).
    #[arg(long)]
    pub size: Option<usize>,
    /// Messages per second per publisher; 0 = as fast as the windows allow.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seconds of publishing.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Acts a publisher keeps waiting for their durable acknowledgement.
    #[arg(long)]
    pub window: Option<usize>,
    /// Sign this many acts per publisher before the run, so that the load generator's
    /// signing (an Ed25519 signature per act) neither counts in the run nor takes the cores
    /// the relay uses; each publisher stops after them (or at `--duration`). Their timestamps
    /// are the signing time, so the run must end within the cell's clock skew of it (120 s by
    /// default), or the relay refuses them as stale.
    #[arg(long)]
    pub presign: Option<u64>,
    /// Drive an existing relay at this URL instead of starting one (needs `--config`).
    #[arg(long, requires = "config")]
    pub relay: Option<String>,
    /// The cell of `--relay`: a folder `bench --keep` wrote (identities pub-0… and watcher,
    /// keys in its keys/ folder).
    #[arg(long, requires = "relay")]
    pub config: Option<PathBuf>,
    /// The PID of the `--relay` process, to report its CPU and RSS.
    #[arg(long, requires = "relay")]
    pub relay_pid: Option<u32>,
    /// Also drive the floor (bare tokio-tungstenite broadcast over rustls/ring TLS) with the
    /// same load in the same run, and report every figure as a ratio to it.
    #[arg(long)]
    pub floor: bool,
    /// The floor without TLS (plain ws://).
    #[arg(long)]
    pub floor_plain: bool,
    /// The floor's WebSocket read buffer in bytes (default: tokio-tungstenite's 128 KiB).
    #[arg(long)]
    pub floor_read_buffer: Option<usize>,
    /// The floor's body size in bytes (default: --size). The relay delivers each body inside
    /// its signed record (a 256 B body makes a `deliver` frame of about 600 B); a floor whose
    /// bodies are that size moves the same bytes per delivery. The ratios then compare equal
    /// bytes, not the fan-out goal's equal load.
    #[arg(long, requires = "floor")]
    pub floor_size: Option<usize>,
    /// Run the relay and the floor on this CPU only (`taskset -c`), the load elsewhere.
    #[arg(long)]
    pub pin: Option<u32>,
    /// Leave the temporary cell here (cell.toml, keys, journal, relay log).
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// One JSON object on one line of stdout instead of the human summary.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON object to this file.
    #[arg(long)]
    pub json_file: Option<PathBuf>,
    /// Internal: serve the floor on this address until killed.
    #[arg(long, hide = true)]
    pub serve_floor: Option<SocketAddr>,
    /// Internal: the floor's TLS certificate chain (PEM).
    #[arg(long, hide = true)]
    pub tls_cert: Option<PathBuf>,
    /// Internal: the floor's TLS key (PEM).
    #[arg(long, hide = true)]
    pub tls_key: Option<PathBuf>,
}

/// `bench --scenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BenchScenario {
    /// 1 publisher → 100 subscribers.
    Fanout,
    /// 20 clients × 50 msg/s, each receiving everything.
    Many,
    /// 20 publishers as fast as durable acks allow.
    Publishers,
    /// 10,000 idle connections.
    Idle,
    /// One cell of 10,000 participants, each logged in as its own identity; one post to all.
    BigCell,
}

impl BenchScenario {
    /// The name `--scenario` takes.
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map_or_else(String::new, |v| v.get_name().to_owned())
    }
}
