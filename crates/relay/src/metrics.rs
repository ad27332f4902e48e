//! The relay's metrics: one Prometheus registry per relay and the handles that the pipeline
//! updates, served as text by [`crate::admin`].
//!
//! Who updates what:
//! - the accept loop and the admission queue are read at scrape time (connections open,
//!   connections waiting to log in): nothing is counted on their path;
//! - each session task counts itself in and out of `sessions` (by role) and counts how it
//!   closed (`session_closes_total` by close code), once per session;
//! - the commit thread counts acts accepted and refused (by error code), observes each
//!   group commit's fsync time and size, and sets the journal's size, its failure and the
//!   time of its last checkpoint;
//! - fan-out counts deliveries and frames queued once per batch of records, and each session
//!   writer takes the frames it wrote off the queue gauge once per written batch: no lock, no
//!   allocation and no extra atomic operation per delivery.
//!
//! Every handle is resolved once, when the relay starts (one per cell, role, and error or close
//! code), so updating it is one relaxed atomic add; prometheus-client's label families are
//! looked up under a lock, so they are never looked up on the per-act path. Every metric
//! carries a `cell` label, so the names stay the same when one relay serves several cells.

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

/// The `Content-Type` of [`Metrics::encode`]'s text (Prometheus text format 0.0.4).
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

/// The relay's metrics. Shared (`Arc`) by the commit thread, the sessions and the admin
/// listener; every update is an atomic operation.
pub struct Metrics {
    registry: Registry,
    /// Acts journaled (an exact retry, answered with its original acknowledgement, is not
    /// counted again).
    acts_accepted: Counter,
    /// `error` frames sent, by code.
    refused: Keyed<ErrorCode, CodeLabels, Counter>,
    /// Close frames sent to logged-in or logging-in connections, by code.
    closes: Keyed<CloseCode, CodeLabels, Counter>,
    /// Logged-in sessions by role.
    sessions: Keyed<Role, RoleLabels, Gauge>,
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

/// Where the scrape-time gauges read the admission state.
pub struct Probes {
    /// The connection cap's semaphore (`max_connections` permits).
    pub connections: Arc<Semaphore>,
    /// Its size.
    pub max_connections: usize,
    /// The connections waiting to log in.
    pub admission: Arc<Admission>,
}

impl Metrics {
    /// The metrics of the relay of `cell`, every series created at zero.
    pub fn new(cell: &CellId, probes: Probes) -> Metrics {
        let cell = cell.as_str().to_owned();
        let by_cell = CellLabels { cell: cell.clone() };
        let mut registry = Registry::with_prefix("fusioncell");

        let health = Arc::new(Health {
            journal_open: AtomicBool::new(false),
            journal_failed: AtomicBool::new(false),
            last_checkpoint_ms: AtomicI64::new(i64::MIN),
        });
        registry.register_collector(Box::new(ScrapedGauges {
            cell: cell.clone(),
            probes,
            health: health.clone(),
        }));

        let sessions = Keyed::new(
            &mut registry,
            "sessions",
            "Logged-in sessions, by the identity's role in the cell",
            &cell,
            &ROLES,
            |cell, role: Role| RoleLabels {
                cell: cell.to_owned(),
                role: role.as_str().to_owned(),
            },
        );
        let acts_accepted = registered(
            &mut registry,
            "acts_accepted",
            "Acts journaled and acknowledged (exact retries not counted again)",
            None,
            &by_cell,
            Counter::default,
        );
        let refused = Keyed::new(
            &mut registry,
            "acts_refused",
            "Error frames sent in answer to a client's frame, by error code (PROTOCOL.md section 8)",
            &cell,
            &ErrorCode::ALL,
            |cell, code: ErrorCode| CodeLabels {
                cell: cell.to_owned(),
                code: code.as_str().to_owned(),
            },
        );
        let closes = Keyed::new(
            &mut registry,
            "session_closes",
            "Connections the relay closed with a close frame, by close code (PROTOCOL.md section 7): 4008 rate limited, 4009 too slow",
            &cell,
            &CloseCode::ALL,
            |cell, code: CloseCode| CodeLabels {
                cell: cell.to_owned(),
                code: code.code().to_string(),
            },
        );

        let deliveries = registered(
            &mut registry,
            "deliveries",
            "Records queued for delivery to sessions (one per recipient)",
            None,
            &by_cell,
            Counter::default,
        );
        let queued_frames = registered(
            &mut registry,
            "outbound_queued_frames",
            "Frames waiting in the sessions' outbound queues, all sessions together",
            None,
            &by_cell,
            Gauge::default,
        );
        let fsync_seconds = registered(
            &mut registry,
            "journal_fsync_duration",
            "Time of one fdatasync of the journal (a group commit or a checkpoint)",
            Some(Unit::Seconds),
            &by_cell,
            // 100 µs to 3.3 s.
            || Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
        );
        let batch_records = registered(
            &mut registry,
            "commit_batch_records",
            "Records made durable by one group commit (one fsync)",
            None,
            &by_cell,
            // 1 to 512: the default max_batch_records is 256.
            || Histogram::new(exponential_buckets(1.0, 2.0, 10)),
        );
        let journal_bytes = registered(
            &mut registry,
            "journal_size",
            "Size of the journal's files (records.jsonl and checkpoints.jsonl)",
            Some(Unit::Bytes),
            &by_cell,
            Gauge::default,
        );
        let journal_records = registered(
            &mut registry,
            "journal_records",
            "Durable records in the journal",
            None,
            &by_cell,
            Gauge::default,
        );
        let uncheckpointed = registered(
            &mut registry,
            "journal_uncheckpointed_records",
            "Records after the last checkpoint: nothing signed proves they were not cut or added",
            None,
            &by_cell,
            Gauge::default,
        );
        Metrics {
            registry,
            acts_accepted,
            refused,
            closes,
            sessions,
            deliveries,
            queued_frames,
            fsync_seconds,
            batch_records,
            journal_bytes,
            journal_records,
            uncheckpointed,
            health,
        }
    }

    /// Metrics for a relay of `cell` that has no listener yet: the connection gauges read 0
    /// (benchmarks and tests of the commit thread and fan-out).
    pub fn detached(cell: &fusioncell_cell::Cell) -> Arc<Metrics> {
        let l = cell.limits();
        Arc::new(Metrics::new(
            cell.id(),
            Probes {
                connections: Arc::new(Semaphore::new(l.max_connections)),
                max_connections: l.max_connections,
                admission: Admission::new(l.max_pending_connections),
            },
        ))
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

    /// Whether the relay can make acts durable: the journal is open and has not failed.
    pub fn ready(&self) -> bool {
        self.health.journal_open.load(Ordering::Relaxed)
            && !self.health.journal_failed.load(Ordering::Relaxed)
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
    pub fn session(&self, role: Role) -> SessionGauge {
        let gauge = self.sessions.get(role);
        gauge.inc();
        SessionGauge(gauge)
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

    /// The journal failed: the relay refuses acts until it is restarted.
    pub fn journal_failed(&self) {
        self.health.journal_failed.store(true, Ordering::Relaxed);
    }
}

/// Registers a metric with only the `cell` label and returns its handle.
fn registered<M>(
    registry: &mut Registry,
    name: &str,
    help: &str,
    unit: Option<Unit>,
    labels: &CellLabels,
    make: fn() -> M,
) -> M
where
    M: EncodeMetric + prometheus_client::metrics::TypedMetric + Clone + std::fmt::Debug,
    M: Send + Sync + 'static,
{
    let family = Family::<CellLabels, M, fn() -> M>::new_with_constructor(make);
    match unit {
        Some(unit) => registry.register_with_unit(name, help, unit, family.clone()),
        None => registry.register(name, help, family.clone()),
    }
    family.get_or_create_owned(labels)
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
    /// Registers `name` and creates the series of every key in `keys`.
    fn new(
        registry: &mut Registry,
        name: &str,
        help: &str,
        cell: &str,
        keys: &[K],
        labels: fn(&str, K) -> L,
    ) -> Self {
        let family = Family::<L, M>::default();
        registry.register(name, help, family.clone());
        let series = keys
            .iter()
            .map(|&k| (k, family.get_or_create_owned(&labels(cell, k))))
            .collect();
        Keyed {
            family,
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

/// A logged-in session counted in [`Metrics::session`]; dropping it counts the session out.
pub struct SessionGauge(Gauge);

impl Drop for SessionGauge {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Gauges computed when scraped: nothing updates them on the connection or act path.
struct ScrapedGauges {
    cell: String,
    probes: Probes,
    health: Arc<Health>,
}

impl std::fmt::Debug for ScrapedGauges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrapedGauges")
            .field("cell", &self.cell)
            .finish_non_exhaustive()
    }
}

impl Collector for ScrapedGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let labels = CellLabels {
            cell: self.cell.clone(),
        };
        let p = &self.probes;
        let open = p
            .max_connections
            .saturating_sub(p.connections.available_permits());
        gauge(
            &mut encoder,
            "connections_open",
            "TCP connections open on the participants' port (logged in or not)",
            None,
            &labels,
            ConstGauge::new(open as i64),
        )?;
        gauge(
            &mut encoder,
            "connections_waiting_login",
            "Connections accepted and not logged in yet (silent and talking)",
            None,
            &labels,
            ConstGauge::new(p.admission.waiting() as i64),
        )?;
        let failed = self.health.journal_failed.load(Ordering::Relaxed);
        gauge(
            &mut encoder,
            "journal_failed",
            "1 once a journal write or fsync failed: acts are refused until a restart",
            None,
            &labels,
            ConstGauge::new(i64::from(failed)),
        )?;
        let last = self.health.last_checkpoint_ms.load(Ordering::Relaxed);
        if last != i64::MIN {
            let age = (crate::now_ms() - last).max(0) as f64 / 1000.0;
            gauge(
                &mut encoder,
                "checkpoint_age",
                "Time since the last checkpoint was signed (grows while nothing is journaled)",
                Some(&Unit::Seconds),
                &labels,
                ConstGauge::new(age),
            )?;
        }
        Ok(())
    }
}

/// Encodes one gauge sample with its descriptor.
fn gauge<N>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    labels: &CellLabels,
    value: ConstGauge<N>,
) -> Result<(), std::fmt::Error>
where
    ConstGauge<N>: EncodeMetric,
{
    let mut metric = encoder.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    value.encode(metric.encode_family(labels)?)
}
