//! The commit thread: the single owner of the journal, the sequencer state and the session
//! registry. It takes commands in batches (group commit): decide each, write the batch and
//! fsync it once, and only then acknowledge and deliver. A journal write or fsync error stops
//! all acknowledgements for good (the relay must be restarted, and re-verifies on start).
//!
//! It runs on its own OS thread because fsync blocks; it waits for commands on a small
//! single-threaded runtime so that sessions can hand it work through an async bounded queue.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fusioncell_cell::Cell;
use fusioncell_journal::Journal;
use fusioncell_keys::SigningKey;
use fusioncell_wire::{ActKind, CloseCode, ErrorCode, Record, SecurityBody, ServerMsg};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::error::Close;
use crate::fanout::{Fanout, SessionHandle};
use crate::now_ms;
use crate::sequencer::{Decision, Sequencer};
use crate::verify::{Rejection, VerifiedAct};

/// What a session learns when it registers.
#[derive(Debug, Clone, Copy)]
pub struct Registered {
    /// The identity's last accepted act sequence number.
    pub last_seq: u64,
    /// Durable records in the journal.
    pub size: u64,
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
        /// The act.
        act: VerifiedAct,
    },
    /// A refusal to journal.
    Security(SecurityEvent),
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
        fanout: Fanout::new(config.cell.clone()),
        poisoned: false,
    };
    let mut last_checkpoint = Instant::now();
    let mut batch = Vec::with_capacity(max_batch);
    loop {
        let deadline = last_checkpoint + every;
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
                commit.process(&mut journal, &mut sequencer, batch.drain(..));
            }
            Err(_elapsed) => {}
        }
        let since = journal.size() - journal.last_checkpoint().map_or(0, |c| c.size);
        if since > 0 && (since >= every_records || last_checkpoint.elapsed() >= every) {
            commit.checkpoint(&mut journal);
            last_checkpoint = Instant::now();
        } else if since == 0 {
            last_checkpoint = Instant::now();
        }
    }
    commit.checkpoint(&mut journal);
    Ok(journal.size())
}

struct Commit<'a> {
    config: &'a CommitConfig,
    fanout: Fanout,
    poisoned: bool,
}

/// An answer owed to a session once its batch is durable.
struct Owed {
    session: u64,
    frame: Utf8Bytes,
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
        for cmd in batch {
            match cmd {
                Command::Register { handle, reply } => {
                    let registered = Registered {
                        last_seq: sequencer.last_seq(&handle.identity),
                        size: journal.size(),
                    };
                    self.fanout.register(handle);
                    let _ = reply.send(registered);
                }
                Command::Unregister { session } => self.fanout.unregister(session),
                Command::Subscribe { session, reply } => {
                    self.fanout.go_live(session);
                    let _ = reply.send(journal.size());
                }
                Command::Submit { session, act } => {
                    if self.poisoned {
                        self.fanout
                            .send_to(session, unavailable(Some(act.signed().act.seq)));
                        continue;
                    }
                    let act_seq = act.signed().act.seq;
                    let actor = act.signed().act.actor.to_string();
                    match sequencer.decide(act, now) {
                        Decision::Accept(record) => {
                            owed.push(Owed {
                                session,
                                frame: ack_frame(act_seq, record.seq, record.ts),
                            });
                            records.push(record);
                        }
                        // Owed like a new ack: the original may sit in this very batch.
                        Decision::Retry(prev) => owed.push(Owed {
                            session,
                            frame: ack_frame(act_seq, prev.cell_seq, prev.ts),
                        }),
                        Decision::Reject(rejection) => {
                            let event = SecurityEvent {
                                body: SecurityBody {
                                    event: rejection.code.as_str().to_owned(),
                                    identity: Some(actor),
                                    peer: None,
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
            }
        }
        if records.is_empty() {
            // Only answers about acts already durable (retries) or refusals of nothing.
            for o in owed {
                self.fanout.send_to(o.session, o.frame);
            }
            return;
        }
        match journal.append(&records) {
            Ok(durable) => {
                for o in owed {
                    self.fanout.send_to(o.session, o.frame);
                }
                self.fanout.deliver(&durable, &records);
            }
            Err(e) => {
                // Never acknowledge what is not durable, and never retry an fsync: stop.
                tracing::error!("journal write failed, no further acts will be acknowledged: {e}");
                self.poisoned = true;
                for o in owed {
                    self.fanout.send_to(o.session, unavailable(None));
                }
                self.fanout.kill_all(&Close::new(
                    CloseCode::TryLater,
                    "the journal cannot make acts durable; the relay must be restarted",
                ));
            }
        }
    }

    /// Journals a refusal and owes the session its error (sent after the batch is durable, so
    /// that an error never overtakes the acknowledgement of an earlier act).
    fn security(
        &mut self,
        sequencer: &mut Sequencer,
        event: SecurityEvent,
        now: i64,
        records: &mut Vec<Record>,
        owed: &mut Vec<Owed>,
    ) {
        tracing::warn!(
            event = %event.body.event,
            identity = event.body.identity.as_deref().unwrap_or("-"),
            peer = event.body.peer.as_deref().unwrap_or("-"),
            "refused: {}", event.body.reason
        );
        if let Some((session, rejection)) = &event.reply {
            let (session, frame) = (*session, error_frame(rejection, event.body.act_seq));
            if self.poisoned {
                self.fanout.send_to(session, frame);
            } else {
                owed.push(Owed { session, frame });
            }
        }
        if self.poisoned {
            return;
        }
        let body = serde_json::to_string(&event.body).unwrap_or_default();
        records.push(sequencer.relay_record(&self.config.relay_key, ActKind::Security, body, now));
    }

    fn checkpoint(&mut self, journal: &mut Journal) {
        if self.poisoned || journal.size() == 0 {
            return;
        }
        match journal.checkpoint(&self.config.relay_key, now_ms()) {
            Ok(cp) => self
                .fanout
                .broadcast(Utf8Bytes::from(ServerMsg::Checkpoint(cp).to_json())),
            Err(e) => {
                tracing::error!("checkpoint failed, no further acts will be acknowledged: {e}");
                self.poisoned = true;
            }
        }
    }
}

fn ack_frame(seq: u64, cell_seq: u64, ts: i64) -> Utf8Bytes {
    Utf8Bytes::from(ServerMsg::Ack { seq, cell_seq, ts }.to_json())
}

/// The in-band error frame for a rejection.
pub fn error_frame(rejection: &Rejection, seq: Option<u64>) -> Utf8Bytes {
    Utf8Bytes::from(
        ServerMsg::Error {
            code: rejection.code,
            reason: rejection.reason.clone(),
            seq,
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
