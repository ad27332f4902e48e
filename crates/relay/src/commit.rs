//! The commit thread: the single owner of the journal, the sequencer state and the session
//! registry. It takes commands in batches (group commit): decide each, write the batch and
//! fsync it once, and only then acknowledge and deliver. A journal write or fsync error stops
//! all acknowledgements for good (the relay must be restarted, and re-verifies on start).
//!
//! It runs on its own OS thread because fsync blocks; it waits for commands on a small
//! single-threaded runtime so that sessions can hand it work through an async bounded queue.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fusioncell_cell::Cell;
use fusioncell_cell::policy;
use fusioncell_journal::{Durable, Journal};
use fusioncell_keys::SigningKey;
use fusioncell_wire::{
    ActBody, ActKind, ChannelAccess, Digest, ErrorCode, Record, SecurityBody, ServerMsg,
};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::acknowledgement::Acknowledgement;
use crate::defaults::{PRESENCE_EVERY, SECURITY_REASON_BYTES, STATE_EVERY};
use crate::fanout::{Fanout, Reply, SessionHandle};
use crate::handshake;
use crate::metrics::Metrics;
use crate::now_ms;
use crate::sequencer::{Decision, Sequencer};
use crate::session_end::SessionEnd;
use crate::timing;
use crate::verify::{Rejection, VerifiedAct};

mod throttle;

use throttle::Throttle;

/// What a session learns when it registers.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The identity's last accepted act sequence number.
    pub last_seq: u64,
    /// Durable records in the journal.
    pub size: u64,
    /// The channels it can read now, and where it may post.
    pub channels: Vec<ChannelAccess>,
    /// The supervision state frame to send after the welcome.
    pub state: Utf8Bytes,
    /// The whole online set, sent last in the greeting.
    pub presence: Utf8Bytes,
}

/// A security event to journal (and, when it concerns a session, to answer it with).
#[derive(Debug, Clone)]
pub struct SecurityEvent {
    /// The session to answer, and with what, if the event refused one of its frames.
    pub reply: Option<(u64, Rejection)>,
    /// The journaled description.
    pub body: SecurityBody,
}

/// Work for the commit thread.
pub enum Command {
    /// A session logged in.
    Register {
        /// The session.
        handle: SessionHandle,
        /// Answered with the identity's marks.
        reply: oneshot::Sender<Registered>,
    },
    /// A session closed.
    Unregister {
        /// Its number.
        session: u64,
    },
    /// A verified act to sequence.
    Submit {
        /// The session that sent it (it gets the ack or error).
        session: u64,
        /// Its peer address, for the security record if the act is refused.
        peer: std::net::SocketAddr,
        /// The act.
        act: VerifiedAct,
    },
    /// A refusal to journal.
    Security(SecurityEvent),
    /// A refusal that is not a security event (`rate_limited`): answered in order after the
    /// session's earlier frames, not journaled.
    Refuse {
        /// The session to answer.
        session: u64,
        /// Why.
        rejection: Rejection,
        /// The refused act's sequence number, if the frame was an act.
        act_seq: Option<u64>,
    },
    /// A session asks for an inclusion proof.
    Prove {
        /// The session.
        session: u64,
        /// The record.
        seq: u64,
        /// The tree size.
        size: u64,
    },
    /// A session wants deliveries from now on.
    Subscribe {
        /// The session.
        session: u64,
        /// Answered with the journal size at the moment it went live: the records before it
        /// come from the journal, every later one from fan-out.
        reply: oneshot::Sender<u64>,
    },
}

/// Settings of the commit thread.
pub struct CommitConfig {
    /// The cell.
    pub cell: Arc<Cell>,
    /// Signs checkpoints and the relay's own records.
    pub relay_key: Arc<SigningKey>,
    /// Acts accepted and refused, group commits, the journal's size and health.
    pub metrics: Arc<Metrics>,
}

/// Runs the commit loop until every command sender is dropped, then writes a final checkpoint.
/// Returns the final journal size.
pub fn run(
    config: CommitConfig,
    mut journal: Journal,
    mut sequencer: Sequencer,
    mut commands: mpsc::Receiver<Command>,
) -> Result<u64, fusioncell_journal::JournalError> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("commit thread runtime: {e}");
            return Ok(journal.size());
        }
    };
    let limits = config.cell.limits();
    let every_records = limits.checkpoint_every_records.max(1);
    let every = Duration::from_millis(limits.checkpoint_every_ms.max(1));
    let max_batch = limits.max_batch_records.max(1);

    let mut commit = Commit {
        config: &config,
        fanout: Fanout::new(&config.cell, config.metrics.clone()),
        poisoned: false,
        failure: None,
        epoch: sequencer.state().read().epoch(),
        uncheckpointed: 0,
        throttle: Throttle::new(Instant::now()),
        group: timing::Group::default(),
    };
    let mut last_checkpoint = Instant::now();
    let mut last_state = Instant::now();
    // Long enough ago that the first change is announced at once.
    let mut last_presence = Instant::now()
        .checked_sub(PRESENCE_EVERY)
        .unwrap_or_else(Instant::now);
    let mut batch = Vec::with_capacity(max_batch);
    let mut groups = 0u64;
    loop {
        let mut deadline = (last_checkpoint + every).min(last_state + STATE_EVERY);
        if commit.fanout.presence_changed() {
            deadline = deadline.min(last_presence + PRESENCE_EVERY);
        }
        let waited = timing::now();
        let first = runtime
            .block_on(async { tokio::time::timeout_at(deadline.into(), commands.recv()).await });
        match first {
            Ok(None) => break,
            Ok(Some(cmd)) => {
                batch.push(cmd);
                while batch.len() < max_batch {
                    match commands.try_recv() {
                        Ok(cmd) => batch.push(cmd),
                        Err(_) => break,
                    }
                }
                let picked = timing::now();
                groups += 1;
                commit.group = timing::Group::picked(groups, batch.len(), waited, picked);
                commit.process(&mut journal, &mut sequencer, batch.drain(..));
            }
            Err(_elapsed) => {}
        }
        // The summary of a throttled flood follows it within a window, even if nothing else
        // comes.
        if let Some(summary) = commit.throttle.roll(Instant::now()) {
            commit.journal_summary(&mut journal, &mut sequencer, summary);
        }
        if !commit.poisoned {
            let escalations = sequencer.escalations(&config.relay_key, now_ms());
            if !escalations.is_empty() {
                commit.commit(&mut journal, &sequencer, escalations, Vec::new());
            }
        }
        if last_presence.elapsed() >= PRESENCE_EVERY && commit.fanout.presence_changed() {
            commit.fanout.announce_presence();
            last_presence = Instant::now();
        }
        if last_state.elapsed() >= STATE_EVERY {
            commit.broadcast_state(&sequencer);
            last_state = Instant::now();
        }
        // Cosignatures alone do not call for a new checkpoint: otherwise each checkpoint's
        // cosignatures would call for the next, for ever.
        let since = commit.uncheckpointed;
        if since > 0 && (since >= every_records || last_checkpoint.elapsed() >= every) {
            commit.checkpoint(&mut journal);
            last_checkpoint = Instant::now();
        } else if since == 0 {
            last_checkpoint = Instant::now();
        }
    }
    if let Some(summary) = commit.throttle.summary() {
        commit.journal_summary(&mut journal, &mut sequencer, summary);
    }
    commit.checkpoint(&mut journal);
    config.metrics.journal_open(false);
    match commit.failure {
        // Said truthfully: the final checkpoint was not written.
        Some(e) => Err(e),
        None => Ok(journal.size()),
    }
}

struct Commit<'a> {
    config: &'a CommitConfig,
    fanout: Fanout,
    poisoned: bool,
    /// The journal error that poisoned the thread, returned when it ends.
    failure: Option<fusioncell_journal::JournalError>,
    /// The epoch last broadcast: a change means a state frame is due.
    epoch: u64,
    /// Records other than cosignatures since the last checkpoint.
    uncheckpointed: u64,
    /// Limits what peers that have not logged in can make the journal hold.
    throttle: Throttle,
    /// The timing of the group commit under way (inert unless timing events are on).
    group: timing::Group,
}

/// An answer owed to a session once its batch is durable.
struct Owed {
    session: u64,
    answer: Answer,
}

/// What a session is owed.
enum Answer {
    /// An acknowledgement, built once the journal proves the record durable.
    Ack {
        /// The actor's sequence number of the act.
        seq: u64,
        /// The record that holds it.
        cell_seq: u64,
        /// The record's relay time.
        ts: i64,
        /// Whether the batch journals it (false for an exact retry of an earlier act).
        fresh: bool,
    },
    /// An error frame (a refusal) with its code, sent after the batch so that it never
    /// overtakes the acknowledgement of an earlier act.
    Error(ErrorCode, Utf8Bytes),
}

impl Commit<'_> {
    fn process(
        &mut self,
        journal: &mut Journal,
        sequencer: &mut Sequencer,
        batch: impl Iterator<Item = Command>,
    ) {
        let now = now_ms();
        let mut records: Vec<Record> = Vec::new();
        let mut owed: Vec<Owed> = Vec::new();
        // Sessions that closed leave after the batch, once they got what it owes them.
        let mut gone: Vec<u64> = Vec::new();
        for cmd in batch {
            match cmd {
                Command::Register { handle, reply } => {
                    let state = sequencer.state().read();
                    let registered = Registered {
                        last_seq: sequencer.last_seq(&handle.identity),
                        size: journal.size(),
                        channels: policy::channel_access(
                            &self.config.cell,
                            &state,
                            &handle.identity,
                        ),
                        state: state_frame(&state),
                        presence: Utf8Bytes::default(),
                    };
                    drop(state);
                    let id = handle.id;
                    self.fanout.register(handle);
                    if self.poisoned {
                        // A session that logs in after the failure learns it at once.
                        self.fanout.kill_all(&SessionEnd::JournalFailed);
                    }
                    // Written in the greeting, before anything queued from now on; the
                    // others hear of the newcomer at the next announcement.
                    let registered = Registered {
                        presence: self.fanout.greet_presence(id),
                        ..registered
                    };
                    let _ = reply.send(registered);
                }
                Command::Unregister { session } => gone.push(session),
                Command::Prove { session, seq, size } => {
                    let path = journal
                        .tree()
                        .inclusion_proof(seq, size)
                        .map(|p| p.into_iter().map(Digest).collect());
                    let frame = ServerMsg::Proof { seq, size, path }.to_json();
                    self.fanout.send_to(session, Utf8Bytes::from(frame));
                }
                Command::Subscribe { session, reply } => {
                    self.fanout.go_live(session);
                    // The tree head as of now, queued behind `live`: a witness that connects
                    // to a quiet cell must not wait for the next record to cosign.
                    if let Some(cp) = journal.last_checkpoint() {
                        self.fanout.send_to(session, checkpoint_frame(cp.clone()));
                    }
                    let _ = reply.send(journal.size());
                }
                Command::Submit { session, peer, act } => {
                    if self.poisoned {
                        self.send_error(
                            session,
                            ErrorCode::Unavailable,
                            unavailable(Some(act.act().seq)),
                        );
                        continue;
                    }
                    let act_seq = act.act().seq;
                    let actor = act.act().actor.to_string();
                    let roots = |size| journal.tree().root_at(size);
                    match sequencer.decide(act, now, &roots) {
                        Decision::Accept(record) => {
                            owed.push(Owed {
                                session,
                                answer: Answer::Ack {
                                    seq: act_seq,
                                    cell_seq: record.seq,
                                    ts: record.ts,
                                    fresh: true,
                                },
                            });
                            records.push(record);
                        }
                        // Owed like a new ack: the original may sit in this very batch.
                        Decision::Retry(prev) => owed.push(Owed {
                            session,
                            answer: Answer::Ack {
                                seq: act_seq,
                                cell_seq: prev.cell_seq,
                                ts: prev.ts,
                                fresh: false,
                            },
                        }),
                        // A routine refusal (PROTOCOL.md §3.2) is answered in order, not
                        // journaled.
                        Decision::Reject(rejection) if !rejection.security => owed.push(Owed {
                            session,
                            answer: Answer::Error(
                                rejection.code,
                                error_frame(&rejection, Some(act_seq)),
                            ),
                        }),
                        Decision::Reject(rejection) => {
                            let event = SecurityEvent {
                                body: SecurityBody {
                                    event: rejection.code.as_str().to_owned(),
                                    identity: Some(actor),
                                    peer: Some(peer.to_string()),
                                    act_seq: Some(act_seq),
                                    reason: rejection.reason.clone(),
                                },
                                reply: Some((session, rejection)),
                            };
                            self.security(sequencer, event, now, &mut records, &mut owed);
                        }
                    }
                }
                Command::Security(event) => {
                    self.security(sequencer, event, now, &mut records, &mut owed)
                }
                Command::Refuse {
                    session,
                    rejection,
                    act_seq,
                } => {
                    let frame = error_frame(&rejection, act_seq);
                    if self.poisoned {
                        self.send_error(session, rejection.code, frame);
                    } else {
                        owed.push(Owed {
                            session,
                            answer: Answer::Error(rejection.code, frame),
                        });
                    }
                }
            }
        }
        self.commit(journal, sequencer, records, owed);
        for session in gone {
            self.fanout.unregister(session);
        }
    }

    /// Makes `records` durable and scrubs the bodies they redact, then answers what is owed
    /// and delivers them, and announces a changed supervision state.
    ///
    /// A batch of only retries still goes through [`Journal::append`] (which writes nothing
    /// for no records): its `Durable` is the proof their acknowledgements need.
    fn commit(
        &mut self,
        journal: &mut Journal,
        sequencer: &Sequencer,
        records: Vec<Record>,
        owed: Vec<Owed>,
    ) {
        if records.is_empty() && owed.is_empty() {
            return;
        }
        let mut group = std::mem::take(&mut self.group);
        group.journal();
        match journal.append(&records) {
            Ok(durable) => {
                let sync = journal.take_sync_time();
                group.synced(sync);
                if let Some(took) = sync {
                    self.config.metrics.fsynced(took);
                }
                // Scrub before answering: once a `redact` is acknowledged, no byte of the
                // body it names is left in the file.
                for target in redaction_targets(&records) {
                    if let Err(e) = journal.redact(target) {
                        tracing::error!(
                            "scrubbing record {target} failed, no further acts will be \
                             acknowledged: {e}"
                        );
                        self.fail(e);
                        return;
                    }
                }
                self.uncheckpointed += records
                    .iter()
                    .filter(|r| r.act.kind != ActKind::Cosign)
                    .count() as u64;
                if !records.is_empty() {
                    self.config.metrics.committed(records.len());
                    measure(&self.config.metrics, journal);
                }
                let fresh = owed
                    .iter()
                    .filter(|o| matches!(o.answer, Answer::Ack { fresh: true, .. }))
                    .count();
                self.config.metrics.accepted(fresh as u64);
                // Logged once the group is done, so that logging does not delay its stages.
                let accepted: Vec<[u64; 3]> = match group.id() {
                    Some(_) => owed
                        .iter()
                        .filter_map(|o| match o.answer {
                            Answer::Ack {
                                seq,
                                cell_seq,
                                fresh: true,
                                ..
                            } => Some([o.session, seq, cell_seq]),
                            _ => None,
                        })
                        .collect(),
                    None => Vec::new(),
                };
                let replies: Vec<(u64, Reply)> =
                    owed.into_iter().map(|o| self.reply(&durable, o)).collect();
                group.answered();
                let released = released_posts(journal, &records);
                let state = sequencer.state().read();
                self.fanout
                    .deliver(&durable, &records, &state, &released, replies);
                drop(state);
                group.queued(durable.first(), records.len(), &accepted);
                if records.is_empty() {
                    return;
                }
                if sequencer.state().read().epoch() != self.epoch {
                    self.broadcast_state(sequencer);
                }
            }
            Err(e) => {
                // Never acknowledge what is not durable, and never retry an fsync: stop.
                tracing::error!("journal write failed, no further acts will be acknowledged: {e}");
                for o in owed {
                    self.send_error(o.session, ErrorCode::Unavailable, unavailable(None));
                }
                self.fail(e);
            }
        }
    }

    /// What `owed` is owed, now that `durable` is on disk (an error frame is counted here).
    fn reply(&mut self, durable: &Durable, owed: Owed) -> (u64, Reply) {
        let reply = match owed.answer {
            Answer::Ack {
                seq, cell_seq, ts, ..
            } => match Acknowledgement::new(durable, seq, cell_seq, ts) {
                Some(ack) => Reply::Ack(ack),
                None => {
                    // The sequencer named a record past the journal's end: never
                    // acknowledge it; the client retries.
                    tracing::error!(cell_seq, "no durable record to acknowledge");
                    self.config.metrics.refused(ErrorCode::Unavailable);
                    Reply::Frame(unavailable(Some(seq)))
                }
            },
            Answer::Error(code, frame) => {
                self.config.metrics.refused(code);
                Reply::Frame(frame)
            }
        };
        (owed.session, reply)
    }

    /// Sends an error frame with `code` to a session, and counts it.
    fn send_error(&mut self, session: u64, code: ErrorCode, frame: Utf8Bytes) {
        self.config.metrics.refused(code);
        self.fanout.send_to(session, frame);
    }

    /// Sends the supervision state (epoch and clock) to every session.
    fn broadcast_state(&mut self, sequencer: &Sequencer) {
        let state = sequencer.state().read();
        self.epoch = state.epoch();
        self.fanout.broadcast_all(state_frame(&state));
    }

    /// Journals the summary of a throttle window on its own.
    fn journal_summary(
        &mut self,
        journal: &mut Journal,
        sequencer: &mut Sequencer,
        summary: SecurityBody,
    ) {
        if self.poisoned {
            return;
        }
        tracing::warn!("{}", summary.reason);
        let record = sequencer.relay_record(
            &self.config.relay_key,
            None,
            ActBody::Security(summary),
            now_ms(),
        );
        self.commit(journal, sequencer, vec![record], Vec::new());
    }

    /// Journals a refusal and owes the session its error (sent after the batch is durable, so
    /// that an error never overtakes the acknowledgement of an earlier act).
    ///
    /// Every security record is bounded ([`bound_reason`]); those of peers that have not
    /// logged in are throttled per source address ([`throttle`]), with one summary record for
    /// what a window suppressed.
    fn security(
        &mut self,
        sequencer: &mut Sequencer,
        mut event: SecurityEvent,
        now: i64,
        records: &mut Vec<Record>,
        owed: &mut Vec<Owed>,
    ) {
        bound_reason(&mut event.body.reason);
        if event.reply.is_none() && handshake::is_login_event(&event.body.event) {
            let verdict = self.throttle.admit(&event.body, Instant::now());
            if let Some(summary) = verdict.summary
                && !self.poisoned
            {
                tracing::warn!("{}", summary.reason);
                records.push(sequencer.relay_record(
                    &self.config.relay_key,
                    None,
                    ActBody::Security(summary),
                    now,
                ));
            }
            if !verdict.admit {
                tracing::debug!(
                    event = %event.body.event,
                    peer = event.body.peer.as_deref().unwrap_or("-"),
                    "not journaled (throttled): {}", event.body.reason
                );
                return;
            }
        }
        tracing::warn!(
            event = %event.body.event,
            identity = event.body.identity.as_deref().unwrap_or("-"),
            peer = event.body.peer.as_deref().unwrap_or("-"),
            "refused: {}", event.body.reason
        );
        if let Some((session, rejection)) = &event.reply {
            let (session, frame) = (*session, error_frame(rejection, event.body.act_seq));
            if self.poisoned {
                self.send_error(session, rejection.code, frame);
            } else {
                owed.push(Owed {
                    session,
                    answer: Answer::Error(rejection.code, frame),
                });
            }
        }
        if self.poisoned {
            return;
        }
        records.push(sequencer.relay_record(
            &self.config.relay_key,
            None,
            ActBody::Security(event.body),
            now,
        ));
    }

    fn checkpoint(&mut self, journal: &mut Journal) {
        if self.poisoned || journal.size() == 0 {
            return;
        }
        let start = timing::now();
        match journal.checkpoint(&self.config.relay_key, now_ms()) {
            Ok(cp) => {
                timing::checkpoint(start);
                self.uncheckpointed = 0;
                measure(&self.config.metrics, journal);
                self.fanout.broadcast(checkpoint_frame(cp));
            }
            Err(e) => {
                tracing::error!("checkpoint failed, no further acts will be acknowledged: {e}");
                self.fail(e);
            }
        }
    }

    /// The journal failed: acknowledge nothing more, close every session with `1013`
    /// (PROTOCOL.md §7) and remember the first error to report when the thread ends.
    fn fail(&mut self, e: fusioncell_journal::JournalError) {
        self.poisoned = true;
        self.config.metrics.journal_failed();
        self.failure.get_or_insert(e);
        self.fanout.kill_all(&SessionEnd::JournalFailed);
    }
}

/// The `checkpoint` frame: to every live session when signed, and the latest to each session
/// as it goes live.
fn checkpoint_frame(cp: fusioncell_wire::Checkpoint) -> Utf8Bytes {
    Utf8Bytes::from(ServerMsg::Checkpoint(cp).to_json())
}

/// Sets the journal's size and last checkpoint in the metrics, and observes the fsync just
/// done, if any. The commit thread calls it after each write; the server once, before it
/// hands the journal over.
pub fn measure(metrics: &Metrics, journal: &mut Journal) {
    if let Some(took) = journal.take_sync_time() {
        metrics.fsynced(took);
    }
    let covered = match journal.last_checkpoint() {
        Some(cp) => {
            metrics.checkpointed(cp.ts);
            cp.size
        }
        None => 0,
    };
    metrics.journal_size(
        journal.bytes(),
        journal.size(),
        journal.size().saturating_sub(covered),
    );
}

/// Cuts a security record's reason to [`SECURITY_REASON_BYTES`] on a character boundary,
/// saying how long it was: whatever a peer sends, its record stays small.
fn bound_reason(reason: &mut String) {
    if reason.len() <= SECURITY_REASON_BYTES {
        return;
    }
    let total = reason.len();
    let mut cut = SECURITY_REASON_BYTES - 40;
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    reason.truncate(cut);
    reason.push_str(&format!("… (cut from {total} bytes)"));
}

/// The `state` frame: epoch, clock, and the relay's time to compute scenario time with.
pub fn state_frame(state: &fusioncell_cell::State) -> Utf8Bytes {
    Utf8Bytes::from(
        ServerMsg::State {
            epoch: state.epoch(),
            clock: *state.clock(),
            now: now_ms(),
        }
        .to_json(),
    )
}

/// The held posts that the `approve` records among `records` release, read back from the
/// journal (they are durable: they were held before they were approved).
pub fn released_posts(journal: &Journal, records: &[Record]) -> HashMap<u64, Record> {
    records
        .iter()
        .filter_map(|r| {
            let Some(ActBody::Approve(d)) = r.params() else {
                return None;
            };
            let target = d.target;
            let post = journal.reader().read(target, target + 1).ok()?.pop()?;
            Some((r.seq, post))
        })
        .collect()
}

/// The records whose bodies the `redact` records among `records` remove.
fn redaction_targets(records: &[Record]) -> Vec<u64> {
    records
        .iter()
        .filter_map(|r| match r.params() {
            Some(ActBody::Redact(b)) => Some(b.target),
            _ => None,
        })
        .collect()
}

/// The in-band error frame for a rejection.
pub fn error_frame(rejection: &Rejection, seq: Option<u64>) -> Utf8Bytes {
    Utf8Bytes::from(
        ServerMsg::Error {
            code: rejection.code,
            reason: rejection.reason.clone(),
            seq,
            last_seq: rejection.last_seq,
        }
        .to_json(),
    )
}

fn unavailable(seq: Option<u64>) -> Utf8Bytes {
    error_frame(
        &Rejection::new(
            ErrorCode::Unavailable,
            "the journal cannot make acts durable; nothing more is acknowledged",
        ),
        seq,
    )
}
