//! The sequencer's decisions: whether a verified act is accepted, is an exact retry of one
//! already accepted, or is refused — and, if accepted, its place in the cell.
//!
//! It is plain state with no I/O, owned by the commit thread, so decisions are made one at a
//! time in journal order. The same state is rebuilt on restart by [`Sequencer::observe`]-ing
//! every journaled record: a per-actor high-water mark survives restarts.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use fusioncell_cell::{Cell, State};
use fusioncell_keys::{SigningKey, sha256};
use fusioncell_wire::act_body::{CosignBody, EscalateBody};
use fusioncell_wire::{
    Act, ActBody, Body, ChannelId, Digest, ErrorCode, IdentityId, Record, SignatureBytes, canonical,
};

use crate::verify::{Rejection, VerifiedAct};

/// What the sequencer remembers of one accepted act, to answer an exact retry with the
/// original acknowledgement and to recognise equivocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// The record's cell sequence number.
    pub cell_seq: u64,
    /// The relay's time of sequencing.
    pub ts: i64,
    /// SHA-256 of the act's canonical bytes.
    pub digest: [u8; 32],
    /// The session that sent it (`None` for a record read back from the journal).
    pub session: Option<u64>,
}

/// Per-actor memory: the highest sequence number used, every accepted act by number, and the
/// highest number each session had accepted (to tell a session that goes back on its own
/// numbers from two sessions of one identity that race, PROTOCOL.md §3.2).
#[derive(Debug, Default)]
struct Marks {
    last: u64,
    accepted: HashMap<u64, Accepted>,
    by_session: HashMap<Option<u64>, u64>,
}

/// The outcome of [`Sequencer::decide`].
#[derive(Debug)]
pub enum Decision {
    /// A new record, already numbered; it must be journaled before anyone hears of it.
    Accept(Record),
    /// The exact act was accepted before: answer with the original acknowledgement.
    Retry(Accepted),
    /// Refused.
    Reject(Rejection),
}

/// The cell's supervision state, shared: the commit thread writes it (through the
/// sequencer, one record at a time), sessions read it to filter and redact a resume.
///
/// A `std` lock suffices: writes are a few map updates per record and never await.
#[derive(Clone, Default)]
pub struct SharedState(Arc<RwLock<State>>);

impl SharedState {
    /// Reads the state.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn apply(&self, cell: &Cell, record: &Record) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .apply(cell, record);
    }
}

/// The sequencer state.
pub struct Sequencer {
    cell: Arc<Cell>,
    next: u64,
    actors: HashMap<IdentityId, Marks>,
    skew_ms: i64,
    state: SharedState,
}

impl Sequencer {
    /// An empty sequencer for the cell.
    pub fn new(cell: Arc<Cell>) -> Self {
        let skew_ms = i64::try_from(cell.limits().clock_skew_ms).unwrap_or(i64::MAX);
        Sequencer {
            cell,
            next: 0,
            actors: HashMap::new(),
            skew_ms,
            state: SharedState::default(),
        }
    }

    /// The supervision state this sequencer decides against.
    pub fn state(&self) -> &SharedState {
        &self.state
    }

    /// Takes a journaled record into account (recovery on restart, and after each decision).
    pub fn observe(&mut self, record: &Record) {
        let digest = || sha256(&canonical::act_bytes(&record.act));
        self.remember(record, digest, None);
    }

    /// [`Self::observe`] with the act's digest computed only if it is needed (a record of the
    /// relay's own needs none; a just-verified act already has it), and the session that sent
    /// it.
    fn remember(
        &mut self,
        record: &Record,
        digest: impl FnOnce() -> [u8; 32],
        session: Option<u64>,
    ) {
        self.next = self.next.max(record.seq + 1);
        self.state.apply(&self.cell, record);
        if record.act.actor.is_relay() {
            return;
        }
        let marks = self.actors.entry(record.act.actor.clone()).or_default();
        marks.last = marks.last.max(record.act.seq);
        let own = marks.by_session.entry(session).or_default();
        *own = (*own).max(record.act.seq);
        marks.accepted.insert(
            record.act.seq,
            Accepted {
                cell_seq: record.seq,
                ts: record.ts,
                digest: digest(),
                session,
            },
        );
    }

    /// The cell sequence number the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// The highest act sequence number `who` has used (0 if none).
    pub fn last_seq(&self, who: &IdentityId) -> u64 {
        self.actors.get(who).map_or(0, |m| m.last)
    }

    /// Decides on a verified act at relay time `now`. An accepted act is numbered and
    /// remembered at once, so the next decision sees it. `roots` gives the journal's Merkle
    /// root at a size, which a cosignature must name.
    pub fn decide(
        &mut self,
        act: VerifiedAct,
        now: i64,
        roots: &dyn Fn(u64) -> Option<[u8; 32]>,
    ) -> Decision {
        let a = act.act();
        let session = act.session();
        if let Some(marks) = self.actors.get(&a.actor)
            && a.seq > 0
        {
            if let Some(prev) = marks.accepted.get(&a.seq) {
                if prev.digest == act.digest() {
                    return Decision::Retry(*prev);
                }
                // Two sessions of one identity that both numbered from the same `last_seq`
                // (a listener's cosignature beside a one-shot command): the act was not
                // accepted, the client signs it again above the mark. The same session reusing
                // a number of its own is equivocation.
                if prev.session != session {
                    return Decision::Reject(renumber(a.seq, marks.last));
                }
                return Decision::Reject(
                    Rejection::new(
                        ErrorCode::Equivocation,
                        format!(
                            "`{}` already used sequence number {} for a different act (record {})",
                            a.actor, a.seq, prev.cell_seq
                        ),
                    )
                    .with_last_seq(marks.last),
                );
            }
            if a.seq <= marks.last {
                let own = marks.by_session.get(&session).copied().unwrap_or(0);
                if own < a.seq {
                    // Only other sessions used numbers at or above this one.
                    return Decision::Reject(renumber(a.seq, marks.last));
                }
                return Decision::Reject(
                    Rejection::new(
                        ErrorCode::StaleSeq,
                        format!("sequence number {} is not above {}", a.seq, marks.last),
                    )
                    .with_last_seq(marks.last),
                );
            }
        }
        if a.seq == 0 {
            return Decision::Reject(
                Rejection::new(ErrorCode::StaleSeq, "sequence numbers start at 1").with_last_seq(0),
            );
        }
        if (a.ts - now).abs() > self.skew_ms {
            return Decision::Reject(Rejection::new(
                ErrorCode::ClockSkew,
                format!(
                    "timestamp is {} ms from the relay's clock; the window is ±{} ms",
                    a.ts - now,
                    self.skew_ms
                ),
            ));
        }
        let body = match act.body() {
            Ok(body) => body,
            Err(e) => return Decision::Reject(Rejection::new(ErrorCode::Malformed, e.to_string())),
        };
        let params = Some(body.value());
        if let ActBody::Cosign(cosign) = body.value()
            && let Some(rejection) = self.already_cosigned(a, cosign, roots)
        {
            return Decision::Reject(rejection);
        }
        if let Err(denied) = fusioncell_cell::authorize(&self.cell, &self.state.read(), a, params) {
            return Decision::Reject(Rejection::new(denied.code, denied.reason));
        }
        if let ActBody::Cosign(cosign) = body.value()
            && let Some(rejection) = cosign_mismatch(a, cosign, roots)
        {
            return Decision::Reject(rejection);
        }
        // The digest was computed when the signature was verified: not again here.
        let digest = act.digest();
        let record = match act.into_record(self.next, now) {
            Ok(record) => record,
            Err(e) => return Decision::Reject(Rejection::new(ErrorCode::Malformed, e.to_string())),
        };
        self.remember(&record, || digest, session);
        Decision::Accept(record)
    }

    /// A cosignature of a checkpoint that the witness (in another session, usually) already
    /// covered with one of the same or a larger size, naming the journal's own root: nothing
    /// to record, and nothing suspicious. Refused as `conflict`, not journaled.
    fn already_cosigned(
        &self,
        act: &Act,
        body: &CosignBody,
        roots: &dyn Fn(u64) -> Option<[u8; 32]>,
    ) -> Option<Rejection> {
        let before = self
            .state
            .read()
            .witnessed()
            .get(&act.actor)
            .copied()
            .unwrap_or(0);
        let covered = body.size > 0 && body.size <= before;
        (covered && roots(body.size) == Some(body.root.0)).then(|| {
            Rejection::new(
                ErrorCode::Conflict,
                format!("`{}` already cosigned size {before}", act.actor),
            )
            .routine()
        })
    }

    /// Numbers and signs a record of the relay's own (its actor sequence number is its cell
    /// sequence number, so it strictly increases too).
    pub fn relay_record(
        &mut self,
        key: &SigningKey,
        channel: Option<ChannelId>,
        body: ActBody,
        now: i64,
    ) -> Record {
        let body = Body::new(body);
        let act = Act {
            kind: body.kind(),
            cell: self.cell.id().clone(),
            channel,
            actor: IdentityId::relay(),
            seq: self.next,
            ts: now,
            body_sha256: Digest(sha256(body.text().as_bytes())),
        };
        let sig = SignatureBytes(key.sign(&canonical::act_bytes(&act)));
        let record = Record::new(self.next, now, act, body, sig);
        self.observe(&record);
        record
    }

    /// `escalate` records for every hotline post unacknowledged past its deadline at `now`.
    pub fn escalations(&mut self, key: &SigningKey, now: i64) -> Vec<Record> {
        let overdue: Vec<(u64, EscalateBody, ChannelId)> = self
            .state
            .read()
            .overdue(now)
            .into_iter()
            .map(|(target, a)| {
                let body = EscalateBody {
                    target,
                    sender: a.sender.clone(),
                    ack_seconds: a.ack_seconds,
                };
                (target, body, a.channel.clone())
            })
            .collect();
        overdue
            .into_iter()
            .map(|(_, body, channel)| {
                self.relay_record(key, Some(channel), ActBody::Escalate(body), now)
            })
            .collect()
    }
}

/// The answer to an act whose sequence number another session of the same identity used.
fn renumber(seq: u64, last: u64) -> Rejection {
    Rejection::new(
        ErrorCode::Renumber,
        format!(
            "sequence number {seq} was used by another session of this identity: sign the act again above {last}"
        ),
    )
    .with_last_seq(last)
    .routine()
}

/// A cosignature must name the root of this journal's own tree at that size: anything else
/// is a witness that saw another history (a fork) or a forgery.
fn cosign_mismatch(
    act: &Act,
    body: &CosignBody,
    roots: &dyn Fn(u64) -> Option<[u8; 32]>,
) -> Option<Rejection> {
    match roots(body.size) {
        Some(root) if root == body.root.0 => None,
        Some(_) => {
            tracing::error!(
                witness = %act.actor,
                size = body.size,
                "a witness cosigned a root this relay never had: a fork or a forgery"
            );
            Some(Rejection::new(
                ErrorCode::Conflict,
                format!(
                    "the journal's root at size {} is not {}",
                    body.size, body.root
                ),
            ))
        }
        None => Some(Rejection::new(
            ErrorCode::Conflict,
            format!("no checkpoint of size {} has been published", body.size),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{example_cell, key, verified};

    const NOW: i64 = 1_764_115_200_000;

    fn rejected(d: Decision) -> ErrorCode {
        match d {
            Decision::Reject(r) => r.code,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn accepts_in_order_and_answers_retries() {
        let cell = example_cell();
        let mut s = Sequencer::new(cell.clone());
        let open = s.relay_record(
            &key("relay"),
            None,
            ActBody::Open(cell.open_body([0; 32])),
            NOW,
        );
        assert_eq!(open.seq, 0);
        let Decision::Accept(r1) = s.decide(
            verified(&cell, "israel", "diplomacy", 1, NOW, "a"),
            NOW,
            &|_| None,
        ) else {
            panic!()
        };
        assert_eq!(r1.seq, 1);
        let Decision::Accept(r2) = s.decide(
            verified(&cell, "syria", "diplomacy", 7, NOW, "b"),
            NOW,
            &|_| None,
        ) else {
            panic!()
        };
        assert_eq!(r2.seq, 2);
        // The exact act again: the original answer, nothing new.
        match s.decide(
            verified(&cell, "israel", "diplomacy", 1, NOW, "a"),
            NOW + 5,
            &|_| None,
        ) {
            Decision::Retry(prev) => assert_eq!((prev.cell_seq, prev.ts), (1, NOW)),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.next_seq(), 3);
        assert_eq!(s.last_seq(&IdentityId::new("syria").unwrap()), 7);
    }

    #[test]
    fn refuses_equivocation_stale_zero_skew_and_forbidden() {
        let cell = example_cell();
        let mut s = Sequencer::new(cell.clone());
        assert!(matches!(
            s.decide(
                verified(&cell, "israel", "diplomacy", 5, NOW, "a"),
                NOW,
                &|_| None
            ),
            Decision::Accept(_)
        ));
        let d = s.decide(
            verified(&cell, "israel", "diplomacy", 5, NOW, "other"),
            NOW,
            &|_| None,
        );
        assert_eq!(rejected(d), ErrorCode::Equivocation);
        let d = s.decide(
            verified(&cell, "israel", "diplomacy", 4, NOW, "old"),
            NOW,
            &|_| None,
        );
        assert_eq!(rejected(d), ErrorCode::StaleSeq);
        let d = s.decide(
            verified(&cell, "syria", "diplomacy", 0, NOW, "zero"),
            NOW,
            &|_| None,
        );
        assert_eq!(rejected(d), ErrorCode::StaleSeq);
        let skew = 120_001;
        let d = s.decide(
            verified(&cell, "syria", "diplomacy", 1, NOW - skew, "late"),
            NOW,
            &|_| None,
        );
        assert_eq!(rejected(d), ErrorCode::ClockSkew);
        let d = s.decide(
            verified(&cell, "syria", "diplomacy", 1, NOW + skew, "early"),
            NOW,
            &|_| None,
        );
        assert_eq!(rejected(d), ErrorCode::ClockSkew);
        let d = s.decide(
            verified(&cell, "france", "diplomacy", 1, NOW, "no"),
            NOW,
            &|_| None,
        );
        assert_eq!(rejected(d), ErrorCode::Forbidden);
        let d = s.decide(
            verified(&cell, "syria", "us-israel", 1, NOW, "no"),
            NOW,
            &|_| None,
        );
        assert_eq!(rejected(d), ErrorCode::Forbidden);
        // Refusals consume no sequence number.
        assert_eq!(s.next_seq(), 1);
    }

    /// Two sessions of one identity: a number only the other session used is `renumber`
    /// (answered, not a security event); a session's own number reused is still equivocation.
    #[test]
    fn another_session_s_numbers_are_renumbered_own_numbers_are_not() {
        let cell = example_cell();
        let mut s = Sequencer::new(cell.clone());
        let post = |seq, body, session| {
            verified(&cell, "israel", "diplomacy", seq, NOW, body).sent_by(session)
        };
        assert!(matches!(
            s.decide(post(1, "a", 1), NOW, &|_| None),
            Decision::Accept(_)
        ));
        for seq in [1, 0] {
            let d = s.decide(post(seq, "b", 2), NOW, &|_| None);
            let Decision::Reject(r) = d else { panic!() };
            let expected = if seq == 0 {
                ErrorCode::StaleSeq
            } else {
                ErrorCode::Renumber
            };
            assert_eq!(r.code, expected);
            assert_eq!(r.security, seq == 0);
        }
        assert!(matches!(
            s.decide(post(2, "b", 2), NOW, &|_| None),
            Decision::Accept(_)
        ));
        let d = s.decide(post(1, "c", 1), NOW, &|_| None);
        let Decision::Reject(r) = d else { panic!() };
        assert_eq!(
            (r.code, r.security, r.last_seq),
            (ErrorCode::Equivocation, true, Some(2))
        );
        // Session 1 goes below 2 but not below its own 1: renumber; session 2 below its own 2:
        // stale.
        let d = s.decide(post(2, "d", 1), NOW, &|_| None);
        assert_eq!(rejected(d), ErrorCode::Renumber);
        assert!(matches!(
            s.decide(post(5, "e", 1), NOW, &|_| None),
            Decision::Accept(_)
        ));
        let d = s.decide(post(4, "f", 1), NOW, &|_| None);
        assert_eq!(rejected(d), ErrorCode::StaleSeq);
    }

    /// A sequencer rebuilt from the journal's records makes the same decisions: the
    /// high-water marks survive a restart.
    #[test]
    fn state_is_rebuilt_from_records() {
        let cell = example_cell();
        let mut live = Sequencer::new(cell.clone());
        let mut records = vec![live.relay_record(
            &key("relay"),
            None,
            ActBody::Open(cell.open_body([0; 32])),
            NOW,
        )];
        for (actor, seq) in [("israel", 1), ("syria", 3), ("israel", 2)] {
            match live.decide(
                verified(&cell, actor, "commerce", seq, NOW, "x"),
                NOW,
                &|_| None,
            ) {
                Decision::Accept(r) => records.push(r),
                other => panic!("{other:?}"),
            }
        }
        let mut rebuilt = Sequencer::new(cell.clone());
        records.iter().for_each(|r| rebuilt.observe(r));
        assert_eq!(rebuilt.next_seq(), live.next_seq());
        for who in ["israel", "syria", "us"] {
            let id = IdentityId::new(who).unwrap();
            assert_eq!(rebuilt.last_seq(&id), live.last_seq(&id));
        }
        let d = rebuilt.decide(
            verified(&cell, "israel", "commerce", 2, NOW, "changed"),
            NOW,
            &|_| None,
        );
        assert_eq!(rejected(d), ErrorCode::Equivocation);
        assert!(matches!(
            rebuilt.decide(
                verified(&cell, "israel", "commerce", 2, NOW, "x"),
                NOW,
                &|_| None
            ),
            Decision::Retry(Accepted { cell_seq: 3, .. })
        ));
    }
}
