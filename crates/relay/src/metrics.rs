//! The relay's metrics: one Prometheus registry per relay process ([`MetricsRegistry`]),
//! whatever number of cells it serves, and each cell's handles into it ([`Metrics`]) that the
//! cell's pipeline updates, served as text by [`crate::admin`].
//!
//! Who updates what:
//! - the shared listener's caps are read at scrape time (`listener_connections_open`,
//!   `listener_connections_waiting_login`, no `cell` label: a connection belongs to no cell
//!   until its request names one); nothing is counted on the accept path;
//! - each connection task counts itself in and out of its cell's `connections_open` and
//!   `connections_waiting_login` once its request has named the cell;
//! - each session task counts itself in and out of `sessions` (by role) and counts how it
//!   closed (`session_closes_total` by close code), once per session;
//! - the commit thread counts acts accepted and refused (by error code), observes each
//!   group commit's fsync time and size, and sets the journal's size, its failure and the
//!   time of its last checkpoint;
//! - fan-out counts deliveries and frames queued once per batch of records, and each session
//!   writer takes the frames it wrote off the queue gauge once per written batch: no lock, no
//!   allocation and no extra atomic operation per delivery.
//!
//! Every handle is resolved once, when a cell starts (one per role, and error or close code),
//! so updating it is one relaxed atomic add; prometheus-client's label families are looked up
//! under a lock, so they are never looked up on the per-act path. Every series of a cell
//! carries its `cell` label: the families are registered once, so a scrape of a relay of
//! several cells has one `HELP` and `TYPE` per family and one series per cell.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use fusioncell_wire::{CellId, CloseCode, ErrorCode, Role};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tokio::sync::Semaphore;

use crate::admission::Admission;

/// The `Content-Type` of [`MetricsRegistry::encode`]'s text (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The roles known when the relay starts: their session gauges exist (at 0) before anyone
/// logs in, so a dashboard never sees a series appear from nothing.
const ROLES: [Role; 5] = [
    Role::Party,
    Role::Mediator,
    Role::Control,
    Role::Observer,
    Role::Evaluator,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CellLabels {
    cell: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RoleLabels {
    cell: String,
    role: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    cell: String,
    code: String,
}

/// The metric families of one relay process, whatever number of cells it serves: one
/// registry, so that one scrape is valid Prometheus text with one `HELP` and `TYPE` per family
/// and one series per cell. Each cell's [`Metrics`] holds its own series of these families.
pub struct MetricsRegistry {
    registry: Registry,
    families: Families,
    /// The cells served now, for the scrape-time gauges and `/readyz`.
    cells: CellsHealth,
}

/// The cells served now and their health, by id.
type CellsHealth = Arc<std::sync::Mutex<Vec<(String, Arc<Health>)>>>;

/// Every family with a series per cell.
struct Families {
    acts_accepted: Family<CellLabels, Counter>,
    refused: Family<CodeLabels, Counter>,
    closes: Family<CodeLabels, Counter>,
    sessions: Family<RoleLabels, Gauge>,
    connections_open: Family<CellLabels, Gauge>,
    waiting_login: Family<CellLabels, Gauge>,
    deliveries: Family<CellLabels, Counter>,
    queued_frames: Family<CellLabels, Gauge>,
    fsync_seconds: Family<CellLabels, Histogram, fn() -> Histogram>,
    batch_records: Family<CellLabels, Histogram, fn() -> Histogram>,
    journal_bytes: Family<CellLabels, Gauge>,
    journal_records: Family<CellLabels, Gauge>,
    uncheckpointed: Family<CellLabels, Gauge>,
}

/// 100 µs to 3.3 s.
fn fsync_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// 1 to 512: the default max_batch_records is 256.
fn batch_buckets() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 10))
}

impl MetricsRegistry {
    /// A registry with every family and no cell; `listener` is where the scrape-time
    /// gauges of the shared listener read its state (none for a relay without one).
    pub fn new(listener: Option<Probes>) -> Arc<MetricsRegistry> {
        let mut registry = Registry::with_prefix("fusioncell");
        let cells = Arc::new(std::sync::Mutex::new(Vec::new()));
        registry.register_collector(Box::new(ScrapedGauges {
            listener,
            cells: Arc::clone(&cells),
        }));
        let r = &mut registry;
        let families = Families {
            sessions: family(
                r,
                "sessions",
                "Logged-in sessions, by the identity's role in the cell",
                None,
            ),
            connections_open: family(
                r,
                "connections_open",
                "TCP connections open whose request named the cell (logged in or not)",
                None,
            ),
            waiting_login: family(
                r,
                "connections_waiting_login",
                "Connections routed to the cell and not logged in yet",
                None,
            ),
            acts_accepted: family(
                r,
                "acts_accepted",
                "Acts journaled and acknowledged (exact retries not counted again)",
                None,
            ),
            refused: family(
                r,
                "acts_refused",
                "Error frames sent in answer to a client's frame, by error code (PROTOCOL.md section 8)",
                None,
            ),
            closes: family(
                r,
                "session_closes",
                "Connections the relay closed with a close frame, by close code (PROTOCOL.md section 7): 4008 rate limited, 4009 too slow",
                None,
            ),
            deliveries: family(
                r,
                "deliveries",
                "Records queued for delivery to sessions (one per recipient)",
                None,
            ),
            queued_frames: family(
                r,
                "outbound_queued_frames",
                "Frames waiting in the sessions' outbound queues, all sessions together",
                None,
            ),
            fsync_seconds: histograms(
                r,
                "journal_fsync_duration",
                "Time of one fdatasync of the journal (a group commit or a checkpoint)",
                Some(Unit::Seconds),
                fsync_buckets,
            ),
            batch_records: histograms(
                r,
                "commit_batch_records",
                "Records made durable by one group commit (one fsync)",
                None,
                batch_buckets,
            ),
            journal_bytes: family(
                r,
                "journal_size",
                "Size of the journal's files (records.jsonl and checkpoints.jsonl)",
                Some(Unit::Bytes),
            ),
            journal_records: family(r, "journal_records", "Durable records in the journal", None),
            uncheckpointed: family(
                r,
                "journal_uncheckpointed_records",
                "Records after the last checkpoint: nothing signed proves they were not cut or added",
                None,
            ),
        };
        Arc::new(MetricsRegistry {
            registry,
            families,
            cells,
        })
    }

    /// The metrics of `cell`, every series created at zero; its series stay in every scrape
    /// until [`Self::remove`].
    pub fn cell(&self, cell: &CellId) -> Arc<Metrics> {
        let cell = cell.as_str().to_owned();
        let by_cell = CellLabels { cell: cell.clone() };
        let f = &self.families;
        let health = Arc::new(Health {
            journal_open: AtomicBool::new(false),
            journal_failed: AtomicBool::new(false),
            last_checkpoint_ms: AtomicI64::new(i64::MIN),
        });
        self.lock().push((cell.clone(), health.clone()));
        Arc::new(Metrics {
            sessions: Keyed::new(&f.sessions, &cell, &ROLES, role_labels),
            refused: Keyed::new(&f.refused, &cell, &ErrorCode::ALL, error_labels),
            closes: Keyed::new(&f.closes, &cell, &CloseCode::ALL, close_labels),
            acts_accepted: f.acts_accepted.get_or_create_owned(&by_cell),
            connections_open: f.connections_open.get_or_create_owned(&by_cell),
            waiting_login: f.waiting_login.get_or_create_owned(&by_cell),
            deliveries: f.deliveries.get_or_create_owned(&by_cell),
            queued_frames: f.queued_frames.get_or_create_owned(&by_cell),
            fsync_seconds: f.fsync_seconds.get_or_create_owned(&by_cell),
            batch_records: f.batch_records.get_or_create_owned(&by_cell),
            journal_bytes: f.journal_bytes.get_or_create_owned(&by_cell),
            journal_records: f.journal_records.get_or_create_owned(&by_cell),
            uncheckpointed: f.uncheckpointed.get_or_create_owned(&by_cell),
            health,
        })
    }

    /// Takes a retired cell's series out of the scrape.
    pub fn remove(&self, cell: &CellId) {
        let by_cell = CellLabels {
            cell: cell.as_str().to_owned(),
        };
        let f = &self.families;
        for role in ROLES {
            f.sessions.remove(&role_labels(cell.as_str(), role));
        }
        for code in ErrorCode::ALL {
            f.refused.remove(&error_labels(cell.as_str(), code));
        }
        for code in CloseCode::ALL {
            f.closes.remove(&close_labels(cell.as_str(), code));
        }
        for gauge in [
            &f.connections_open,
            &f.waiting_login,
            &f.queued_frames,
            &f.journal_bytes,
            &f.journal_records,
            &f.uncheckpointed,
        ] {
            gauge.remove(&by_cell);
        }
        f.acts_accepted.remove(&by_cell);
        f.deliveries.remove(&by_cell);
        f.fsync_seconds.remove(&by_cell);
        f.batch_records.remove(&by_cell);
        self.lock().retain(|(c, _)| c != cell.as_str());
    }

    /// The metrics as Prometheus text (format 0.0.4, [`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(8 * 1024);
        // Writing to a `String` cannot fail; an encoder error would be a bug in a metric.
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
        {
            tracing::error!("encoding the metrics failed: {e}");
        }
        text
    }

    /// The cells that cannot make acts durable now (journal not open, or failed), by id;
    /// empty when every cell is ready. `None` when no cell is served at all.
    pub fn not_ready(&self) -> Option<Vec<String>> {
        let cells = self.lock();
        if cells.is_empty() {
            return None;
        }
        Some(
            cells
                .iter()
                .filter(|(_, h)| !h.ready())
                .map(|(c, _)| c.clone())
                .collect(),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Arc<Health>)>> {
        // Pushing and filtering never panic half-way: a poisoned list is still whole.
        self.cells.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn role_labels(cell: &str, role: Role) -> RoleLabels {
    RoleLabels {
        cell: cell.to_owned(),
        role: role.as_str().to_owned(),
    }
}

fn error_labels(cell: &str, code: ErrorCode) -> CodeLabels {
    CodeLabels {
        cell: cell.to_owned(),
        code: code.as_str().to_owned(),
    }
}

fn close_labels(cell: &str, code: CloseCode) -> CodeLabels {
    CodeLabels {
        cell: cell.to_owned(),
        code: code.code().to_string(),
    }
}

/// One cell's metrics: its series of the relay's families. Shared (`Arc`) by the cell's
/// commit thread, its sessions and the admin listener; every update is an atomic operation.
pub struct Metrics {
    /// Acts journaled (an exact retry, answered with its original acknowledgement, is not
    /// counted again).
    acts_accepted: Counter,
    /// `error` frames sent, by code.
    refused: Keyed<ErrorCode, CodeLabels, Counter>,
    /// Close frames sent to logged-in or logging-in connections, by code.
    closes: Keyed<CloseCode, CodeLabels, Counter>,
    /// Logged-in sessions by role.
    sessions: Keyed<Role, RoleLabels, Gauge>,
    /// Connections routed to the cell, open.
    connections_open: Gauge,
    /// Connections routed to the cell, not logged in yet.
    waiting_login: Gauge,
    /// `deliver` frames queued to sessions.
    deliveries: Counter,
    /// Frames in every session's outbound queue.
    queued_frames: Gauge,
    /// Time of one `fdatasync` of the journal.
    fsync_seconds: Histogram,
    /// Records made durable by one group commit.
    batch_records: Histogram,
    /// Bytes of `records.jsonl` and `checkpoints.jsonl`.
    journal_bytes: Gauge,
    /// Durable records.
    journal_records: Gauge,
    /// Records after the last checkpoint.
    uncheckpointed: Gauge,
    health: Arc<Health>,
}

/// What `/readyz` and the scrape-time gauges read: the journal's state as the commit thread
/// last set it.
#[derive(Debug)]
struct Health {
    /// The commit thread runs with the journal open.
    journal_open: AtomicBool,
    /// A write or fsync failed: nothing more is acknowledged until a restart.
    journal_failed: AtomicBool,
    /// Relay time (ms since the epoch) of the last checkpoint; `i64::MIN` when there is none.
    last_checkpoint_ms: AtomicI64,
}

impl Health {
    fn ready(&self) -> bool {
        self.journal_open.load(Ordering::Relaxed) && !self.journal_failed.load(Ordering::Relaxed)
    }
}

/// Where the scrape-time gauges read the shared listener's state.
pub struct Probes {
    /// The connection cap's semaphore (`max_connections` permits).
    pub connections: Arc<Semaphore>,
    /// Its size.
    pub max_connections: usize,
    /// The connections waiting to log in.
    pub admission: Arc<Admission>,
}

impl Metrics {
    /// Metrics for a relay of `cell` alone, with no listener (benchmarks and tests of the
    /// commit thread and fan-out).
    pub fn detached(cell: &fusioncell_cell::Cell) -> Arc<Metrics> {
        MetricsRegistry::new(None).cell(cell.id())
    }

    /// Whether the cell can make acts durable: the journal is open and has not failed.
    pub fn ready(&self) -> bool {
        self.health.ready()
    }

    /// Counts `n` acts journaled.
    pub fn accepted(&self, n: u64) {
        if n > 0 {
            self.acts_accepted.inc_by(n);
        }
    }

    /// Counts one `error` frame with `code`.
    pub fn refused(&self, code: ErrorCode) {
        self.refused.get(code).inc();
    }

    /// Counts one close frame with `code`.
    pub fn closed(&self, code: CloseCode) {
        self.closes.get(code).inc();
    }

    /// Counts a session of `role` in; it is counted out when the guard drops.
    pub fn session(&self, role: Role) -> Counted {
        Counted::new(self.sessions.get(role))
    }

    /// Counts a connection routed to the cell in, and among those waiting to log in; each is
    /// counted out when its guard drops.
    pub fn connection(&self) -> (Counted, Counted) {
        (
            Counted::new(self.connections_open.clone()),
            Counted::new(self.waiting_login.clone()),
        )
    }

    /// Counts `frames` queued to sessions, of which `deliveries` carry records.
    pub fn queued(&self, frames: usize, deliveries: usize) {
        if frames > 0 {
            self.queued_frames.inc_by(frames as i64);
        }
        if deliveries > 0 {
            self.deliveries.inc_by(deliveries as u64);
        }
    }

    /// Takes `frames` off the queue gauge (written, or dropped with a closed session).
    pub fn dequeued(&self, frames: usize) {
        if frames > 0 {
            self.queued_frames.dec_by(frames as i64);
        }
    }

    /// Observes one fsync.
    pub fn fsynced(&self, took: Duration) {
        self.fsync_seconds.observe(took.as_secs_f64());
    }

    /// Observes one group commit of `records` records.
    pub fn committed(&self, records: usize) {
        self.batch_records.observe(records as f64);
    }

    /// Sets the journal's size after a write.
    pub fn journal_size(&self, bytes: u64, records: u64, uncheckpointed: u64) {
        self.journal_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        self.journal_records
            .set(i64::try_from(records).unwrap_or(i64::MAX));
        self.uncheckpointed
            .set(i64::try_from(uncheckpointed).unwrap_or(i64::MAX));
    }

    /// A checkpoint was signed at relay time `ts` (ms since the epoch).
    pub fn checkpointed(&self, ts: i64) {
        self.health.last_checkpoint_ms.store(ts, Ordering::Relaxed);
    }

    /// The journal was opened (`true`: the server hands it to the commit thread) or closed
    /// (`false`: the commit thread ended).
    pub fn journal_open(&self, open: bool) {
        self.health.journal_open.store(open, Ordering::Relaxed);
    }

    /// The journal failed: the cell refuses acts until it is restarted.
    pub fn journal_failed(&self) {
        self.health.journal_failed.store(true, Ordering::Relaxed);
    }
}

/// Registers a family whose series carry labels `L`.
fn family<L, M>(registry: &mut Registry, name: &str, help: &str, unit: Option<Unit>) -> Family<L, M>
where
    L: Clone + std::hash::Hash + Eq + EncodeLabelSet + std::fmt::Debug + Send + Sync + 'static,
    M: EncodeMetric + prometheus_client::metrics::TypedMetric + Default + std::fmt::Debug,
    M: Send + Sync + 'static,
{
    let family = Family::<L, M>::default();
    match unit {
        Some(unit) => registry.register_with_unit(name, help, unit, family.clone()),
        None => registry.register(name, help, family.clone()),
    }
    family
}

/// Registers a family of histograms made by `make`.
fn histograms(
    registry: &mut Registry,
    name: &str,
    help: &str,
    unit: Option<Unit>,
    make: fn() -> Histogram,
) -> Family<CellLabels, Histogram, fn() -> Histogram> {
    let family = Family::<CellLabels, Histogram, fn() -> Histogram>::new_with_constructor(make);
    match unit {
        Some(unit) => registry.register_with_unit(name, help, unit, family.clone()),
        None => registry.register(name, help, family.clone()),
    }
    family
}

/// A metric with one series per key (a role, an error or close code) besides the `cell`
/// label: every series known when the relay starts is created then and found without the
/// family's lock; a key added to the protocol later is created on first use.
struct Keyed<K, L, M> {
    family: Family<L, M>,
    series: Vec<(K, M)>,
    cell: String,
    labels: fn(&str, K) -> L,
}

impl<K, L, M> Keyed<K, L, M>
where
    K: Copy + PartialEq,
    L: Clone + std::hash::Hash + Eq + EncodeLabelSet + std::fmt::Debug + Send + Sync + 'static,
    M: EncodeMetric + prometheus_client::metrics::TypedMetric + Clone + Default,
    M: std::fmt::Debug + Send + Sync + 'static,
{
    /// The series of every key in `keys` for `cell`, created now.
    fn new(family: &Family<L, M>, cell: &str, keys: &[K], labels: fn(&str, K) -> L) -> Self {
        let series = keys
            .iter()
            .map(|&k| (k, family.get_or_create_owned(&labels(cell, k))))
            .collect();
        Keyed {
            family: family.clone(),
            series,
            cell: cell.to_owned(),
            labels,
        }
    }

    /// The series of `key`.
    fn get(&self, key: K) -> M {
        match self.series.iter().find(|(k, _)| *k == key) {
            Some((_, m)) => m.clone(),
            None => self
                .family
                .get_or_create_owned(&(self.labels)(&self.cell, key)),
        }
    }
}

/// Something counted in a gauge while it lasts (a session, a connection); dropping it
/// counts it out.
pub struct Counted(Gauge);

impl Counted {
    fn new(gauge: Gauge) -> Counted {
        gauge.inc();
        Counted(gauge)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Gauges computed when scraped: nothing updates them on the connection or act path.
struct ScrapedGauges {
    listener: Option<Probes>,
    cells: CellsHealth,
}

impl std::fmt::Debug for ScrapedGauges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrapedGauges").finish_non_exhaustive()
    }
}

impl Collector for ScrapedGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if let Some(p) = &self.listener {
            let open = p
                .max_connections
                .saturating_sub(p.connections.available_permits());
            let none = NoLabels {};
            gauge(
                &mut encoder,
                "listener_connections_open",
                "TCP connections open on the participants' port, whichever cell they ask for (the connection cap counts these)",
                None,
                &[(none.clone(), ConstGauge::new(open as i64))],
            )?;
            gauge(
                &mut encoder,
                "listener_connections_waiting_login",
                "Connections accepted and not logged in yet, whichever cell they ask for (the pending-login cap counts these)",
                None,
                &[(none, ConstGauge::new(p.admission.waiting() as i64))],
            )?;
        }
        let cells: Vec<(String, Arc<Health>)> =
            self.cells.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let failed: Vec<_> = cells
            .iter()
            .map(|(cell, h)| {
                let failed = h.journal_failed.load(Ordering::Relaxed);
                (
                    CellLabels { cell: cell.clone() },
                    ConstGauge::new(i64::from(failed)),
                )
            })
            .collect();
        gauge(
            &mut encoder,
            "journal_failed",
            "1 once a journal write or fsync failed: acts are refused until a restart",
            None,
            &failed,
        )?;
        let now = crate::now_ms();
        let ages: Vec<_> = cells
            .iter()
            .filter_map(|(cell, h)| {
                let last = h.last_checkpoint_ms.load(Ordering::Relaxed);
                (last != i64::MIN).then(|| {
                    let age = (now - last).max(0) as f64 / 1000.0;
                    (CellLabels { cell: cell.clone() }, ConstGauge::new(age))
                })
            })
            .collect();
        if !ages.is_empty() {
            gauge(
                &mut encoder,
                "checkpoint_age",
                "Time since the last checkpoint was signed (grows while nothing is journaled)",
                Some(&Unit::Seconds),
                &ages,
            )?;
        }
        Ok(())
    }
}

/// A label set of no labels: the shared listener's gauges belong to no cell.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NoLabels {}

/// Encodes one gauge family with its descriptor and one sample per label set.
fn gauge<L, N>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    samples: &[(L, ConstGauge<N>)],
) -> Result<(), std::fmt::Error>
where
    L: EncodeLabelSet,
    ConstGauge<N>: EncodeMetric,
{
    let mut metric = encoder.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    for (labels, value) in samples {
        value.encode(metric.encode_family(labels)?)?;
    }
    Ok(())
}
