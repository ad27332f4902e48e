//! The relay's timing events (`RUST_LOG=fusioncell::timing=trace`, `--log-format json`; the
//! relay's `timing` module says what each event holds), read back and joined per act: its
//! stages on the session that read it, the commit thread's group that made it durable, and
//! the write batches that flushed its delivery to each recipient and its ack to the sender.
//! [`report`] turns them into the figures `scripts/trace.sh` prints.

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::Value;

pub mod report;

/// The target the relay logs its timing events on.
pub const TARGET: &str = "fusioncell::timing";

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The log could not be read.
    #[error("reading the trace: {0}")]
    Read(#[from] std::io::Error),
    /// A timing event lacks a field it must have.
    #[error("line {line}: a `{event}` timing event has no numeric field `{field}`")]
    Field {
        /// The line, from 1.
        line: usize,
        /// The event's message.
        event: String,
        /// The missing field.
        field: &'static str,
    },
    /// No act could be followed from the session to the journal.
    #[error(
        "no act in the trace has both its `act` and `commit` events (was the relay run with \
         RUST_LOG=fusioncell::timing=trace and --log-format json, under a load of acts?)"
    )]
    NoActs,
}

/// One group commit, stamps in ns of the relay's timing clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Its number.
    pub id: u64,
    /// Commands it took (acts, registrations, refusals…).
    pub commands: u64,
    /// Records it journaled.
    pub records: u64,
    /// Its first record's cell seq.
    pub first: u64,
    /// The commit thread began waiting for commands.
    pub waited: u64,
    /// The batch was taken off the queue.
    pub picked: u64,
    /// The journal append began (the batch is sequenced).
    pub journal: u64,
    /// The fdatasync began.
    pub sync: u64,
    /// The fdatasync ended (the append returned).
    pub synced: u64,
    /// The acks and errors owed were built (before the change that queues them with the
    /// deliveries, queued).
    pub answered: u64,
    /// The acks and deliveries were queued.
    pub queued: u64,
}

/// One session write batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flush {
    /// The session that wrote it.
    pub session: u64,
    /// Its first frame left the session's queue.
    pub taken: u64,
    /// The flush finished.
    pub flushed: u64,
    /// Cell seqs of the deliveries it carried.
    pub delivered: Vec<u64>,
    /// Cell seqs of the acks it carried.
    pub acked: Vec<u64>,
}

/// A checkpoint the commit thread wrote (and fsynced) between `start` and `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Began.
    pub start: u64,
    /// Ended.
    pub end: u64,
}

/// Where one frame reached a session: the batch that wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The session.
    pub session: u64,
    /// The batch's first frame left the queue.
    pub taken: u64,
    /// The batch was flushed.
    pub flushed: u64,
}

/// One act, followed through the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Act {
    /// The session that sent it.
    pub session: u64,
    /// The actor's sequence number.
    pub seq: u64,
    /// Its record.
    pub cell_seq: u64,
    /// Its group, as an index into [`Trace::groups`].
    pub group: usize,
    /// The session read its frame.
    pub read: u64,
    /// Its signature was verified.
    pub verified: u64,
    /// It was handed to the commit thread.
    pub handed: u64,
    /// Each recipient's write of its delivery.
    pub deliveries: Vec<Written>,
    /// The sender's write of its ack.
    pub ack: Option<Written>,
}

impl Act {
    /// The last recipient's flush of its delivery.
    pub fn last_flushed(&self) -> Option<u64> {
        self.deliveries.iter().map(|d| d.flushed).max()
    }
}

/// Every timing event of a log.
#[derive(Debug, Default)]
pub struct Trace {
    /// Group commits, in order.
    pub groups: Vec<Group>,
    /// Session write batches, in log order.
    pub flushes: Vec<Flush>,
    /// Checkpoints, in order.
    pub checkpoints: Vec<Checkpoint>,
    /// Acts as the sessions saw them: (session, seq) → (read, verified, handed).
    sessions: HashMap<(u64, u64), [u64; 3]>,
    /// Acts as the commit thread saw them: (group, session, seq, cell seq).
    commits: Vec<[u64; 4]>,
}

impl Trace {
    /// Reads the timing events of a JSON log; other lines (other targets, text) are skipped.
    pub fn parse(log: impl BufRead) -> Result<Trace, TraceError> {
        let mut trace = Trace::default();
        for (i, line) in log.lines().enumerate() {
            let line = line?;
            let Ok(event) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if event.get("target").and_then(Value::as_str) != Some(TARGET) {
                continue;
            }
            let Some(fields) = event.get("fields") else {
                continue;
            };
            let kind = fields.get("message").and_then(Value::as_str).unwrap_or("");
            let n = |field: &'static str| {
                fields
                    .get(field)
                    .and_then(Value::as_u64)
                    .ok_or_else(|| TraceError::Field {
                        line: i + 1,
                        event: kind.to_owned(),
                        field,
                    })
            };
            match kind {
                "act" => {
                    let stamps = [n("read")?, n("verified")?, n("handed")?];
                    trace.sessions.insert((n("session")?, n("seq")?), stamps);
                }
                "commit" => {
                    trace
                        .commits
                        .push([n("group")?, n("session")?, n("seq")?, n("cell_seq")?])
                }
                "group" => trace.groups.push(Group {
                    id: n("group")?,
                    commands: n("commands")?,
                    records: n("records")?,
                    first: n("first")?,
                    waited: n("waited")?,
                    picked: n("picked")?,
                    journal: n("journal")?,
                    sync: n("sync")?,
                    synced: n("synced")?,
                    answered: n("answered")?,
                    queued: n("queued")?,
                }),
                "checkpoint" => trace.checkpoints.push(Checkpoint {
                    start: n("start")?,
                    end: n("end")?,
                }),
                "flush" => {
                    let seqs = |field| {
                        fields
                            .get(field)
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .split(',')
                            .filter_map(|s| s.parse().ok())
                            .collect()
                    };
                    trace.flushes.push(Flush {
                        session: n("session")?,
                        taken: n("taken")?,
                        flushed: n("flushed")?,
                        delivered: seqs("delivered"),
                        acked: seqs("acked"),
                    });
                }
                _ => {}
            }
        }
        trace.groups.sort_by_key(|g| g.picked);
        trace.checkpoints.sort_by_key(|c| c.start);
        Ok(trace)
    }

    /// The acts seen both by their session and by the commit thread, with the writes of their
    /// deliveries and acks, in cell seq order.
    pub fn acts(&self) -> Result<Vec<Act>, TraceError> {
        let groups: HashMap<u64, usize> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id, i))
            .collect();
        let mut deliveries: HashMap<u64, Vec<Written>> = HashMap::new();
        let mut acks: HashMap<u64, Written> = HashMap::new();
        for f in &self.flushes {
            let written = Written {
                session: f.session,
                taken: f.taken,
                flushed: f.flushed,
            };
            for seq in &f.delivered {
                deliveries.entry(*seq).or_default().push(written);
            }
            for seq in &f.acked {
                acks.insert(*seq, written);
            }
        }
        let mut acts: Vec<Act> = self
            .commits
            .iter()
            .filter_map(|&[group, session, seq, cell_seq]| {
                let [read, verified, handed] = *self.sessions.get(&(session, seq))?;
                Some(Act {
                    session,
                    seq,
                    cell_seq,
                    group: *groups.get(&group)?,
                    read,
                    verified,
                    handed,
                    deliveries: deliveries.remove(&cell_seq).unwrap_or_default(),
                    ack: acks.get(&cell_seq).copied(),
                })
            })
            .collect();
        if acts.is_empty() {
            return Err(TraceError::NoActs);
        }
        acts.sort_by_key(|a| a.cell_seq);
        Ok(acts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as the relay writes them (copied from a `scripts/trace.sh` run), with a log line
    /// of another target and a status line between them.
    const LOG: &str = r#"{"timestamp":"t","level":"TRACE","fields":{"message":"act","session":1,"seq":1,"read":100,"verified":150,"handed":151},"target":"fusioncell::timing"}
{"timestamp":"t","level":"INFO","fields":{"message":"logged in","session":2},"target":"fusioncell_relay::session"}
listening on wss://127.0.0.1:4000
{"timestamp":"t","level":"TRACE","fields":{"message":"commit","group":17,"session":1,"seq":1,"cell_seq":5},"target":"fusioncell::timing"}
{"timestamp":"t","level":"TRACE","fields":{"message":"group","group":17,"commands":1,"records":1,"first":5,"waited":90,"picked":160,"journal":170,"sync":180,"synced":400,"answered":410,"queued":420},"target":"fusioncell::timing"}
{"timestamp":"t","level":"TRACE","fields":{"message":"flush","session":1,"taken":415,"flushed":430,"delivered":"5","acked":"5"},"target":"fusioncell::timing"}
{"timestamp":"t","level":"TRACE","fields":{"message":"flush","session":2,"taken":425,"flushed":470,"delivered":"4,5","acked":""},"target":"fusioncell::timing"}
{"timestamp":"t","level":"TRACE","fields":{"message":"checkpoint","start":500,"end":900},"target":"fusioncell::timing"}"#;

    #[test]
    fn an_act_is_joined_across_its_session_group_and_recipients() {
        let trace = Trace::parse(LOG.as_bytes()).unwrap();
        let acts = trace.acts().unwrap();
        assert_eq!(acts.len(), 1);
        let act = &acts[0];
        assert_eq!((act.session, act.seq, act.cell_seq), (1, 1, 5));
        assert_eq!(trace.groups[act.group].synced, 400);
        assert_eq!(act.deliveries.len(), 2);
        assert_eq!(act.last_flushed(), Some(470));
        assert_eq!(act.ack.map(|a| a.flushed), Some(430));
        assert_eq!(
            trace.checkpoints,
            [Checkpoint {
                start: 500,
                end: 900
            }]
        );
    }

    #[test]
    fn a_timing_event_without_its_stamps_is_an_error_naming_it() {
        let log = r#"{"fields":{"message":"group","group":1},"target":"fusioncell::timing"}"#;
        let e = Trace::parse(log.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("`group`"), "{e}");
        let none = Trace::parse("not json\n".as_bytes()).unwrap();
        assert!(matches!(none.acts(), Err(TraceError::NoActs)));
    }
}
