//! The load: publishers and subscribers over raw WebSocket frames.
//!
//! Against a fusioncell relay, every connection logs in (challenge-response); a publisher signs
//! each act itself (`fusioncell_client::sign`), as it goes or all before the run
//! ([`LoadSpec::presign`]), and keeps at most `window` acts waiting for
//! their durable acknowledgement; a subscriber sends `subscribe`, waits for `live` and then
//! reads `deliver` frames without verifying them (the relay did; a load tool that verified
//! would measure itself). Against the floor, a publisher sends the bare body and a subscriber
//! reads it back.
//!
//! Every body carries (publisher, number, send time) — see [`crate::body`] — so each
//! subscriber measures publish → delivery latency and accounts for every message. Publishers
//! also stay at most `window` messages ahead of the slowest subscriber, so that a fast relay is
//! measured at the rate its subscribers really take, not closed as "too slow".

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fusioncell_client::connection::{self, Directory, Expect, Target as Dial, Ws};
use fusioncell_keys::SigningKey;
use fusioncell_wire::{
    CellId, ChannelId, ClientMsg, IdentityId, PresenceMode, PublicKeyBytes, ServerMsg,
};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::{Notify, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::account::{Account, Totals};
use crate::body::{self, Mark};
use crate::hist::{Histogram, Quantiles};

mod publisher;
use publisher::Publisher;

/// A fusioncell relay to drive.
#[derive(Clone)]
pub struct FusionTarget {
    /// `wss://…` (or `ws://` for a loopback relay).
    pub url: String,
    /// The CA to trust.
    pub ca_pem: Option<Vec<u8>>,
    /// The cell and relay key to expect.
    pub cell: CellId,
    /// The relay's key.
    pub relay_key: PublicKeyBytes,
    /// The cell's identities, named in every login so that no `welcome` carries them: the
    /// participants of a big cell hold the cell config, as real clients do.
    pub directory: Directory,
    /// The channel every publisher posts to and every subscriber reads.
    pub channel: ChannelId,
    /// One identity per publisher (publisher `i` uses entry `i`).
    pub publishers: Vec<(IdentityId, Arc<SigningKey>)>,
    /// The identities subscriber connections log in as: subscriber `k` uses entry
    /// `k % len`, so one entry is shared by every connection and N entries give N participants.
    pub subscribers: Vec<(IdentityId, Arc<SigningKey>)>,
}

/// What the load drives.
#[derive(Clone)]
pub enum Target {
    /// The fusioncell relay.
    Fusion(FusionTarget),
    /// The floor.
    Floor {
        /// `ws://` or `wss://`.
        url: String,
        /// The CA to trust for `wss://`.
        ca_pem: Option<Vec<u8>>,
    },
}

/// The load's shape.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Publisher connections.
    pub publishers: usize,
    /// Subscriber-only connections.
    pub subscribers: usize,
    /// Whether publishers subscribe too (many-to-many: every client sends and receives).
    pub publishers_subscribe: bool,
    /// Body size in bytes (at least [`body::HEADER`]).
    pub size: usize,
    /// Messages per second per publisher; 0 = as fast as the windows allow.
    pub rate: f64,
    /// How long publishers publish.
    pub duration: Duration,
    /// Most acts one publisher keeps unacknowledged (fusioncell).
    pub window: usize,
    /// Most messages all publishers together may be ahead of the slowest subscriber (below
    /// the relay's per-session outbound queue, so that no subscriber is closed as too slow).
    pub delivery_window: usize,
    /// Stop each publisher after this many messages.
    pub max_messages: Option<u64>,
    /// Sign this many acts per publisher before the run (fusioncell), so that the load
    /// generator's signing is outside the measured window and off the cores the relay
    /// uses; each publisher then stops after them. Their bodies carry no send time: the
    /// publisher notes it when it sends, and subscribers look it up.
    pub presign: Option<u64>,
    /// Connections opened at once.
    pub connect_concurrency: usize,
    /// How long to wait, once everything is connected, before publishing (idle measurements).
    pub hold: Duration,
    /// How long to wait for the last acknowledgements and deliveries.
    pub drain: Duration,
}

impl Default for LoadSpec {
    fn default() -> Self {
        LoadSpec {
            publishers: 1,
            subscribers: 1,
            publishers_subscribe: false,
            size: 256,
            rate: 0.0,
            duration: Duration::from_secs(5),
            window: 256,
            delivery_window: 192,
            max_messages: None,
            presign: None,
            connect_concurrency: 64,
            hold: Duration::ZERO,
            drain: Duration::from_secs(10),
        }
    }
}

/// Where a run is, for progress bars and resource samples.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    /// Every connection is up (and live); publishing starts after `hold`.
    Connected {
        /// Connections open.
        connections: usize,
    },
    /// `hold` has passed; publishing starts now.
    Start,
    /// Publishing, every 200 ms.
    Tick {
        /// Seconds since publishing started.
        elapsed_s: f64,
        /// Deliveries so far.
        delivered: u64,
        /// Acknowledged (floor: sent) messages so far.
        acked: u64,
    },
    /// Publishers stopped and everything was drained (or the drain timed out).
    Done,
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Connections opened.
    pub connections: usize,
    /// Seconds to open them all.
    pub connect_s: f64,
    /// Messages sent.
    pub sent: u64,
    /// Messages acknowledged as durable (floor: sent).
    pub acked: u64,
    /// Acts the relay refused.
    pub refused: u64,
    /// Acts never answered.
    pub unacked: u64,
    /// Delivery accounting over every subscriber.
    pub totals: Totals,
    /// Deliveries per second (first send to last delivery).
    pub deliveries_per_s: f64,
    /// Acknowledged acts per second (first send to last acknowledgement).
    pub acked_per_s: f64,
    /// Publish → delivery latency.
    pub latency: Quantiles,
    /// Publish → durable acknowledgement latency (fusioncell only).
    pub ack_latency: Quantiles,
    /// Seconds from the first send to the last delivery or acknowledgement.
    pub elapsed_s: f64,
    /// Connections that closed or failed during the run.
    pub failures: Vec<String>,
}

impl LoadReport {
    /// Nothing lost, duplicated, reordered or refused, and no connection failed.
    pub fn clean(&self) -> bool {
        self.totals.clean() && self.refused == 0 && self.unacked == 0 && self.failures.is_empty()
    }
}

/// A load failure before measuring.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A connection could not be opened, upgraded or logged in.
    #[error("connection {index}: {reason}")]
    Connect {
        /// Which connection.
        index: usize,
        /// Why.
        reason: String,
    },
}

/// A live connection whose reader runs: its write half waits for the run.
struct Reading {
    sink: SplitSink<Ws, Message>,
    reader: tokio::task::JoinHandle<ReadOut>,
    pending: Arc<Pending>,
    publisher: Option<usize>,
    last_seq: u64,
}

/// State shared by every task of a run.
struct Shared {
    /// Messages sent by every publisher together.
    sent: AtomicU64,
    /// Deliveries per subscribing connection.
    delivered: Vec<AtomicU64>,
    /// Acknowledgements (floor: sends) per publisher.
    acked: Vec<AtomicU64>,
    /// Waiters on delivery progress.
    progress: Notify,
    waiting: AtomicBool,
    /// ns (bench clock) of the last delivery and the last acknowledgement.
    last_delivery: AtomicU64,
    last_ack: AtomicU64,
    window: u64,
    /// Send time (bench clock) of each pre-signed act, by publisher and number.
    sent_at: Vec<Box<[AtomicU64]>>,
}

impl Shared {
    fn min_delivered(&self) -> Option<u64> {
        self.delivered
            .iter()
            .map(|d| d.load(Ordering::Relaxed))
            .min()
    }

    /// Waits until all publishers together are less than `window` ahead of every subscriber.
    async fn delivery_window(&self) {
        loop {
            let Some(min) = self.min_delivered() else {
                return;
            };
            if self.sent.load(Ordering::Relaxed) < min + self.window {
                return;
            }
            self.waiting.store(true, Ordering::Relaxed);
            let notified = self.progress.notified();
            let _ = tokio::time::timeout(Duration::from_millis(2), notified).await;
        }
    }

    /// When act `seq` of `publisher` was sent: its body's stamp, or the note of a
    /// pre-signed act's publisher.
    fn sent_ns(&self, mark: &Mark) -> Option<u64> {
        if mark.sent_ns != body::UNSTAMPED {
            return Some(mark.sent_ns);
        }
        let at = self
            .sent_at
            .get(mark.publisher as usize)?
            .get(usize::try_from(mark.seq).ok()?)?;
        // 0: not noted, which cannot be (the note comes before the send).
        Some(at.load(Ordering::Acquire)).filter(|&ns| ns > 0)
    }

    fn delivered_one(&self, slot: usize, now_ns: u64) {
        self.delivered[slot].fetch_add(1, Ordering::Relaxed);
        self.last_delivery.fetch_max(now_ns, Ordering::Relaxed);
        if self.waiting.swap(false, Ordering::Relaxed) {
            self.progress.notify_waiters();
        }
    }
}

/// One open connection, before the run starts.
struct Conn {
    ws: Ws,
    /// Publisher index, if it publishes.
    publisher: Option<usize>,
    /// Subscriber slot, if it subscribes.
    slot: Option<usize>,
    /// The identity's last act sequence number at login (fusioncell).
    last_seq: u64,
}

/// Runs the load against `target`; `observe` is called at each [`Phase`].
pub async fn run(
    target: &Target,
    spec: &LoadSpec,
    mut observe: impl FnMut(Phase),
) -> Result<LoadReport, LoadError> {
    body::now_ns();
    // Connection plan: publishers first (each maybe subscribing), then subscribers.
    let mut plan = Vec::new();
    let mut slots = 0;
    for p in 0..spec.publishers {
        let slot = spec.publishers_subscribe.then(|| {
            slots += 1;
            slots - 1
        });
        plan.push((Role::Publisher(p), slot));
    }
    for k in 0..spec.subscribers {
        plan.push((Role::Subscriber(k), Some(slots)));
        slots += 1;
    }
    let shared = Arc::new(Shared {
        sent: AtomicU64::new(0),
        delivered: (0..slots).map(|_| AtomicU64::new(0)).collect(),
        acked: (0..spec.publishers).map(|_| AtomicU64::new(0)).collect(),
        progress: Notify::new(),
        waiting: AtomicBool::new(false),
        last_delivery: AtomicU64::new(0),
        last_ack: AtomicU64::new(0),
        window: spec.delivery_window.max(1) as u64,
        sent_at: (0..spec.publishers)
            .map(|_| {
                (0..spec.presign.unwrap_or(0))
                    .map(|_| AtomicU64::new(0))
                    .collect()
            })
            .collect(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    // Each connection reads from the moment it is live, as a client does: it answers the
    // relay's pings and takes what the relay sends while the others connect (a connection
    // that read nothing until the run would be closed as idle or too slow by then).
    let connect_start = Instant::now();
    let opened: Vec<Result<Reading, LoadError>> =
        futures_util::stream::iter(plan.into_iter().enumerate())
            .map(|(index, (role, slot))| {
                let (shared, stop_rx) = (shared.clone(), stop_rx.clone());
                async move {
                    let conn = open(target, role, slot)
                        .await
                        .map_err(|reason| LoadError::Connect { index, reason })?;
                    let (sink, stream) = conn.ws.split();
                    let pending = Arc::new(Pending::default());
                    let reader = tokio::spawn(read_loop(
                        stream,
                        conn.slot,
                        conn.publisher,
                        pending.clone(),
                        shared,
                        stop_rx,
                    ));
                    Ok(Reading {
                        sink,
                        reader,
                        pending,
                        publisher: conn.publisher,
                        last_seq: conn.last_seq,
                    })
                }
            })
            .buffer_unordered(spec.connect_concurrency.max(1))
            .collect()
            .await;
    let conns = opened.into_iter().collect::<Result<Vec<_>, _>>()?;
    let connect_s = connect_start.elapsed().as_secs_f64();
    let connections = conns.len();
    observe(Phase::Connected { connections });
    if !spec.hold.is_zero() {
        tokio::time::sleep(spec.hold).await;
    }
    let fusion = matches!(target, Target::Fusion(_));
    let mut presigned = match (target, spec.presign) {
        (Target::Fusion(t), Some(n)) => {
            let firsts = conns
                .iter()
                .filter_map(|c| Some((c.publisher?, c.last_seq + 1)));
            publisher::presign(t, spec, firsts, n).await
        }
        _ => Vec::new(),
    };
    observe(Phase::Start);
    let start_ns = body::now_ns();
    let deadline = tokio::time::Instant::now() + spec.duration;

    let mut readers = Vec::new();
    let mut writers_pub = Vec::new();
    let mut writers_idle = Vec::new();
    for conn in conns {
        let Reading { sink, pending, .. } = conn;
        readers.push(conn.reader);
        if let Some(p) = conn.publisher {
            let publisher = Publisher {
                index: p,
                target: target.clone(),
                spec: spec.clone(),
                first_seq: conn.last_seq + 1,
                presigned: presigned.get_mut(p).map(std::mem::take),
                pending,
                shared: shared.clone(),
                deadline,
            };
            writers_pub.push(tokio::spawn(publisher.run(sink)));
        } else {
            // Keep the write half alive so the connection stays open.
            writers_idle.push(tokio::spawn(async move {
                let _sink = sink;
                std::future::pending::<()>().await
            }));
        }
    }

    // Progress while publishing.
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    ticker.tick().await;
    let mut sent_total = 0;
    let mut refused = 0;
    let mut unacked = 0;
    let mut failures = Vec::new();
    let mut joined = 0;
    let tick = |shared: &Shared| Phase::Tick {
        elapsed_s: (body::now_ns() - start_ns) as f64 / 1e9,
        delivered: shared
            .delivered
            .iter()
            .map(|d| d.load(Ordering::Relaxed))
            .sum(),
        acked: shared.acked.iter().map(|a| a.load(Ordering::Relaxed)).sum(),
    };
    while joined < writers_pub.len() {
        let handle = &mut writers_pub[joined];
        tokio::select! {
            r = handle => {
                joined += 1;
                match r {
                    Ok((s, rf, un, f)) => {
                        sent_total += s;
                        refused += rf;
                        unacked += un;
                        failures.extend(f);
                    }
                    Err(e) => failures.push(format!("publisher task: {e}")),
                }
            }
            _ = ticker.tick() => observe(tick(&shared)),
        }
    }
    // Drain: wait until every subscriber has everything that was acknowledged (floor: sent).
    let expected: Vec<u64> = shared
        .acked
        .iter()
        .map(|a| a.load(Ordering::Relaxed))
        .collect();
    let want: u64 = expected.iter().sum();
    let drain_end = tokio::time::Instant::now() + spec.drain;
    while tokio::time::Instant::now() < drain_end
        && shared
            .delivered
            .iter()
            .any(|d| d.load(Ordering::Relaxed) < want)
    {
        tokio::select! {
            _ = ticker.tick() => observe(tick(&shared)),
            _ = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    }
    observe(tick(&shared));
    let _ = stop_tx.send(true);
    for w in writers_idle {
        w.abort();
    }

    let mut totals = Totals::default();
    let mut latency = Histogram::default();
    let mut ack_latency = Histogram::default();
    for r in readers {
        match r.await {
            Ok(out) => {
                if let Some(account) = &out.account {
                    account.total_into(&expected, &mut totals);
                }
                latency.merge(&out.latency);
                ack_latency.merge(&out.ack_latency);
                if let Some(f) = out.failure {
                    failures.push(f);
                }
            }
            Err(e) => failures.push(format!("reader task: {e}")),
        }
    }
    observe(Phase::Done);
    let acked: u64 = expected.iter().sum();
    let last_delivery = shared.last_delivery.load(Ordering::Relaxed);
    let last_ack = if fusion {
        shared.last_ack.load(Ordering::Relaxed)
    } else {
        last_delivery
    };
    let secs = |end: u64| end.saturating_sub(start_ns) as f64 / 1e9;
    let per_s = |n: u64, end: u64| {
        if secs(end) > 0.0 {
            n as f64 / secs(end)
        } else {
            0.0
        }
    };
    Ok(LoadReport {
        connections,
        connect_s,
        sent: sent_total,
        acked,
        refused,
        unacked,
        totals,
        deliveries_per_s: per_s(totals.delivered, last_delivery),
        acked_per_s: per_s(acked, last_ack),
        latency: latency.quantiles(),
        ack_latency: ack_latency.quantiles(),
        elapsed_s: secs(last_delivery.max(last_ack)),
        failures,
    })
}

/// Send times of acts not yet answered, in send order (the relay answers in that order).
#[derive(Default)]
struct Pending {
    sent: Mutex<VecDeque<u64>>,
    answered: Notify,
    waiting: AtomicBool,
    refused: AtomicU64,
}

impl Pending {
    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<u64>> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn len(&self) -> usize {
        self.queue().len()
    }
}

/// Which connection of the plan: publisher `i`, or subscriber-only connection `k`.
#[derive(Clone, Copy)]
enum Role {
    Publisher(usize),
    Subscriber(usize),
}

/// Dials, logs in (fusioncell), subscribes and waits for `live` when it subscribes.
async fn open(target: &Target, role: Role, slot: Option<usize>) -> Result<Conn, String> {
    let publisher = match role {
        Role::Publisher(p) => Some(p),
        Role::Subscriber(_) => None,
    };
    let (url, ca) = match target {
        Target::Fusion(t) => (&t.url, &t.ca_pem),
        Target::Floor { url, ca_pem } => (url, ca_pem),
    };
    let dial = Dial::new(url, ca.as_deref()).map_err(|e| e.to_string())?;
    let mut ws = connection::dial(&dial).await.map_err(|e| e.to_string())?;
    let mut last_seq = 0;
    match target {
        Target::Fusion(t) => {
            let (id, key) = match role {
                Role::Publisher(p) => t.publishers.get(p),
                Role::Subscriber(k) => t.subscribers.get(k % t.subscribers.len().max(1)),
            }
            .ok_or_else(|| "no identity for this connection in the target".to_owned())?;
            // Presence as changes: the whole set to every session at every announcement is
            // what a big cell cannot afford (PROTOCOL.md §4.2).
            let expect = Expect {
                cell: Some(t.cell.clone()),
                relay_key: Some(t.relay_key),
                directory: Some(t.directory.clone()),
                presence: PresenceMode::Changes,
            };
            let (_, welcome) = connection::login(&mut ws, id, key, &expect)
                .await
                .map_err(|e| format!("login as {id}: {e}"))?;
            last_seq = welcome.last_seq;
            if slot.is_some() {
                send(&mut ws, ClientMsg::Subscribe { from: None }.to_json()).await?;
                // Only `live` matters here. The frames before it are not parsed: in a cell of
                // 10,000 the first `presence` alone is 130 KB of names, and the generator
                // must stay cheaper than the relay it measures.
                loop {
                    match ws.next().await {
                        Some(Ok(Message::Text(t))) if t.as_str().starts_with(LIVE) => break,
                        Some(Ok(Message::Close(f))) => {
                            return Err(format!("closed before live: {f:?}"));
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return Err(e.to_string()),
                        None => return Err("closed before live".into()),
                    }
                }
            }
        }
        Target::Floor { .. } => {
            if slot.is_some() {
                send(&mut ws, "subscribe".to_owned()).await?;
                loop {
                    match ws.next().await {
                        Some(Ok(Message::Text(t))) if t.as_str() == "live" => break,
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return Err(e.to_string()),
                        None => return Err("closed before live".into()),
                    }
                }
            }
        }
    }
    Ok(Conn {
        ws,
        publisher,
        slot,
        last_seq,
    })
}

/// How the relay's `live` frame starts (its compact JSON, `type` first).
const LIVE: &str = r#"{"type":"live""#;

async fn send(ws: &mut Ws, text: String) -> Result<(), String> {
    ws.send(Message::text(text))
        .await
        .map_err(|e| e.to_string())
}

/// What one reader saw.
struct ReadOut {
    account: Option<Account>,
    latency: Histogram,
    ack_latency: Histogram,
    failure: Option<String>,
}

async fn read_loop(
    mut stream: SplitStream<Ws>,
    slot: Option<usize>,
    publisher: Option<usize>,
    pending: Arc<Pending>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> ReadOut {
    let mut out = ReadOut {
        account: slot.map(|_| Account::default()),
        latency: Histogram::default(),
        ack_latency: Histogram::default(),
        failure: None,
    };
    // One stop future for the whole loop, not one per frame: the generator must stay far
    // cheaper per delivery than the server it measures.
    let stopped = stop.wait_for(|s| *s);
    tokio::pin!(stopped);
    loop {
        let msg = tokio::select! {
            biased;
            _ = &mut stopped => break,
            m = stream.next() => m,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(frame))) => {
                out.failure = Some(format!(
                    "connection closed by the relay: {}",
                    frame.map_or_else(
                        || "no reason".to_owned(),
                        |f| format!("{} {}", f.code, f.reason)
                    )
                ));
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                out.failure = Some(format!("connection failed: {e}"));
                break;
            }
            None => {
                out.failure = Some("connection closed".to_owned());
                break;
            }
        };
        let t = text.as_str();
        if t.starts_with("{\"type\":\"ack\"") || t.starts_with("{\"type\":\"error\"") {
            let refused = t.starts_with("{\"type\":\"error\"");
            let (Some(p), Ok(msg)) = (publisher, ServerMsg::from_json(t)) else {
                continue;
            };
            // Errors for frames other than acts carry no seq and answer nothing pending.
            if refused && !matches!(msg, ServerMsg::Error { seq: Some(_), .. }) {
                out.failure = Some(format!("relay error: {t}"));
                continue;
            }
            let sent = pending.queue().pop_front();
            let now = body::now_ns();
            if refused {
                pending.refused.fetch_add(1, Ordering::Relaxed);
                if out.failure.is_none() {
                    out.failure = Some(format!("act refused: {t}"));
                }
            } else {
                shared.acked[p].fetch_add(1, Ordering::Relaxed);
                shared.last_ack.fetch_max(now, Ordering::Relaxed);
                if let Some(s) = sent {
                    out.ack_latency.record(now.saturating_sub(s));
                }
            }
            if pending.waiting.swap(false, Ordering::Relaxed) {
                pending.answered.notify_waiters();
            }
            continue;
        }
        let Some(slot) = slot else { continue };
        let Some(mark) = body::decode(t) else {
            continue;
        };
        let now = body::now_ns();
        if let Some(sent_ns) = shared.sent_ns(&mark) {
            out.latency.record(now.saturating_sub(sent_ns));
        }
        if let Some(a) = out.account.as_mut()
            && a.see(mark.publisher, mark.seq, t.len())
        {
            shared.delivered_one(slot, now);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floor::{FloorOptions, serve};

    /// The whole load against the floor, in process: every message reaches every subscriber
    /// once, in order, and the accounting says so.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn floor_delivers_everything_and_the_accounting_agrees() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let floor = tokio::spawn(serve(listener, None, FloorOptions::default()));
        let target = Target::Floor { url, ca_pem: None };
        for (publishers_subscribe, rate) in [(false, 0.0), (true, 2000.0)] {
            let spec = LoadSpec {
                publishers: 2,
                subscribers: 3,
                publishers_subscribe,
                size: 100,
                rate,
                duration: Duration::from_secs(5),
                window: 16,
                max_messages: Some(200),
                ..LoadSpec::default()
            };
            let mut phases = Vec::new();
            let report = run(&target, &spec, |p| phases.push(p)).await.unwrap();
            let subs = if publishers_subscribe { 5 } else { 3 };
            assert!(report.clean(), "{report:?}");
            assert_eq!(report.sent, 400);
            assert_eq!(report.acked, 400);
            assert_eq!(report.totals.delivered, 400 * subs);
            assert_eq!(report.latency.count, 400 * subs);
            assert!(
                matches!(phases.first(), Some(Phase::Connected { connections }) if *connections == 5)
            );
            assert!(matches!(phases.last(), Some(Phase::Done)));
        }
        floor.abort();
    }
}
