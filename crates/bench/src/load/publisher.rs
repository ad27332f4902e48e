//! One publisher of a run: it signs each act itself (fusioncell) or sends the bare body (the
//! floor), paced by `rate`, its acknowledgement window and the subscribers' delivery window.
//! With acts signed before the run ([`LoadSpec::presign`]), it sends those, in order, and notes
//! when it sent each.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fusioncell_client::connection::Ws;
use fusioncell_keys::sha256;
use fusioncell_wire::{Act, ActKind, ClientMsg, Digest};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio_tungstenite::tungstenite::Message;

use super::{FusionTarget, LoadSpec, Pending, Shared, Target};
use crate::body::{self, Mark};

pub(super) struct Publisher {
    pub(super) index: usize,
    pub(super) target: Target,
    pub(super) spec: LoadSpec,
    pub(super) first_seq: u64,
    /// Acts signed before the run, sent in place of acts signed as it goes.
    pub(super) presigned: Option<Vec<String>>,
    pub(super) pending: Arc<Pending>,
    pub(super) shared: Arc<Shared>,
    pub(super) deadline: tokio::time::Instant,
}

impl Publisher {
    /// Publishes until the deadline; returns (sent, refused, unanswered, failures).
    pub(super) async fn run(
        mut self,
        mut sink: SplitSink<Ws, Message>,
    ) -> (u64, u64, u64, Vec<String>) {
        let mut failures = Vec::new();
        let start = tokio::time::Instant::now();
        let interval =
            (self.spec.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / self.spec.rate));
        let mut presigned = self.presigned.take().map(Vec::into_iter);
        let max = match &presigned {
            Some(acts) => acts.len() as u64,
            None => self.spec.max_messages.unwrap_or(u64::MAX),
        };
        let window = self.spec.window.max(1);
        let fusion = match &self.target {
            Target::Fusion(t) => Some(t),
            Target::Floor { .. } => None,
        };
        let mut n: u64 = 0;
        while n < max && tokio::time::Instant::now() < self.deadline {
            if let Some(every) = interval {
                let at = start + every.mul_f64(n as f64);
                if at >= self.deadline {
                    break;
                }
                tokio::time::sleep_until(at).await;
            }
            if fusion.is_some() {
                self.ack_window(window).await;
            }
            self.shared.delivery_window().await;
            let sent_ns = body::now_ns();
            let frame = match (fusion, presigned.as_mut()) {
                (Some(_), Some(acts)) => {
                    if let Some(at) = self
                        .shared
                        .sent_at
                        .get(self.index)
                        .and_then(|p| p.get(n as usize))
                    {
                        at.store(sent_ns, Ordering::Release);
                    }
                    self.pending.queue().push_back(sent_ns);
                    acts.next().unwrap_or_default()
                }
                (Some(t), None) => {
                    self.pending.queue().push_back(sent_ns);
                    act_frame(
                        t,
                        self.index,
                        self.first_seq + n,
                        n,
                        sent_ns,
                        self.spec.size,
                    )
                }
                (None, _) => body::encode(
                    Mark {
                        publisher: self.index as u32,
                        seq: n,
                        sent_ns,
                    },
                    self.spec.size,
                ),
            };
            if let Err(e) = sink.send(Message::text(frame)).await {
                failures.push(format!("publisher {}: send: {e}", self.index));
                break;
            }
            self.shared.sent.fetch_add(1, Ordering::Relaxed);
            if fusion.is_none() {
                self.shared.acked[self.index].fetch_add(1, Ordering::Relaxed);
            }
            n += 1;
        }
        // Wait for the last answers.
        if fusion.is_some() {
            let until = tokio::time::Instant::now() + self.spec.drain;
            while self.pending.len() > 0 && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        let refused = self.pending.refused.load(Ordering::Relaxed);
        let unanswered = self.pending.len() as u64;
        (n, refused, unanswered, failures)
    }

    async fn ack_window(&self, window: usize) {
        while self.pending.len() >= window {
            self.pending.waiting.store(true, Ordering::Relaxed);
            let notified = self.pending.answered.notified();
            let _ = tokio::time::timeout(Duration::from_millis(2), notified).await;
        }
    }
}

/// Signs `n` acts for each publisher of `firsts` (its index and the act seq its first act
/// takes), on the blocking pool (every core), and returns them by publisher index.
pub(super) async fn presign(
    target: &FusionTarget,
    spec: &LoadSpec,
    firsts: impl Iterator<Item = (usize, u64)>,
    n: u64,
) -> Vec<Vec<String>> {
    let signing: Vec<_> = firsts
        .map(|(p, first_seq)| {
            let (target, size) = (target.clone(), spec.size);
            let task = tokio::task::spawn_blocking(move || {
                (0..n)
                    .map(|i| act_frame(&target, p, first_seq + i, i, body::UNSTAMPED, size))
                    .collect::<Vec<String>>()
            });
            (p, task)
        })
        .collect();
    let mut frames = vec![Vec::new(); spec.publishers];
    for (p, task) in signing {
        if let (Some(slot), Ok(signed)) = (frames.get_mut(p), task.await) {
            *slot = signed;
        }
    }
    frames
}

/// The signed `act` frame of publisher `index`'s message number `n`, the act `seq` of its
/// identity, stamped `sent_ns` ([`body::UNSTAMPED`] when signed before the run).
fn act_frame(
    t: &FusionTarget,
    index: usize,
    seq: u64,
    n: u64,
    sent_ns: u64,
    size: usize,
) -> String {
    let text = body::encode(
        Mark {
            publisher: index as u32,
            seq: n,
            sent_ns,
        },
        size,
    );
    let (id, key) = &t.publishers[index];
    let act = Act {
        kind: ActKind::Post,
        cell: t.cell.clone(),
        channel: Some(t.channel.clone()),
        actor: id.clone(),
        seq,
        ts: wall_ms(),
        body_sha256: Digest(sha256(text.as_bytes())),
    };
    ClientMsg::Act(fusioncell_client::sign(key, act, text)).to_json()
}

/// Milliseconds since the Unix epoch (the act's timestamp).
fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
