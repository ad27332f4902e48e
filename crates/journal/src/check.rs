//! The rules every record and checkpoint must keep, written once: recovery, the offline audit
//! and [`Journal::append`](crate::Journal::append) all feed records through a [`Checker`], so
//! the writer can never write a journal that recovery would then refuse.

use std::collections::HashMap;
use std::sync::Arc;

use fusioncell_keys::{PublicKey, sha256};
use fusioncell_wire::canonical::act_bytes;
use fusioncell_wire::{ActBody, ActKind, CellId, Checkpoint, IdentityId, OpenBody, Record};

use crate::error::DefectKind;
use crate::merkle::Tree;

/// Whether to verify act signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signatures {
    /// Verify each one (recovery and audit: the bytes come from disk).
    Verify,
    /// Skip them. Append: the relay verified each act before sequencing it, and an Ed25519
    /// check per record on the single writer would cap throughput. Recovery: for the records a
    /// relay-signed checkpoint covers (`scan`), whose tree must still give its root.
    Trust,
}

/// What record 0 established: the cell and every key. Shared, so staging a batch is cheap and
/// the threads that check signatures in parallel can hold it.
#[derive(Debug)]
struct Opened {
    body: OpenBody,
    relay: PublicKey,
    keys: HashMap<IdentityId, PublicKey>,
}

/// The verdicts of the checks of one record that need nothing but the record and the keys of
/// record 0: made ahead of time on any thread ([`Keys::precheck`]), consulted in order by
/// [`Checker::record_prechecked`] exactly where [`Checker::record`] would make them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prechecked {
    /// The body is redacted or matches `act.body_sha256`.
    body: bool,
    /// The signature verifies under the key the checker would pick for the actor (false if
    /// there is none: the checker then refuses the actor before it asks).
    sig: bool,
}

/// The keys of an opened journal, for checking signatures away from the [`Checker`].
#[derive(Debug, Clone)]
pub(crate) struct Keys(Arc<Opened>);

impl Keys {
    /// The state-free checks of record `r`: its body hash and its signature.
    pub(crate) fn precheck(&self, r: &Record, signatures: Signatures) -> Prechecked {
        let act = &r.act;
        // The same choice of key as `Checker::check`.
        let key = if act.actor.is_relay() {
            Some(&self.0.relay)
        } else {
            self.0.keys.get(&act.actor)
        };
        Prechecked {
            body: body_matches(r),
            sig: key.is_some_and(|k| {
                signatures == Signatures::Trust || k.verify(&act_bytes(act), &r.sig.0).is_ok()
            }),
        }
    }

    /// The journal's cell: a checkpoint of another cell vouches for nothing here.
    pub(crate) fn cell(&self) -> &CellId {
        &self.0.body.cell
    }

    /// Whether the relay's signature on `cp` verifies, whatever its cell: the costly part of
    /// [`Checker::checkpoint`], made ahead of it on every core.
    pub(crate) fn relay_signed(&self, cp: &Checkpoint) -> bool {
        self.0.relay.verify(&cp.signed_bytes(), &cp.sig.0).is_ok()
    }
}

/// Whether the record's body is redacted or hashes to its act's `body_sha256`.
fn body_matches(r: &Record) -> bool {
    r.body
        .as_ref()
        .is_none_or(|body| sha256(body.text().as_bytes()) == r.act.body_sha256.0)
}

/// Checks records in order, remembering what later records are checked against.
#[derive(Debug, Clone, Default)]
pub(crate) struct Checker {
    opened: Option<Arc<Opened>>,
    /// Records accepted so far: the seq the next one must hold.
    next: u64,
    /// Last act seq of each non-relay actor.
    actor_seq: HashMap<IdentityId, u64>,
}

impl Checker {
    /// The open record's body, once record 0 is accepted.
    pub(crate) fn open_body(&self) -> Option<&OpenBody> {
        self.opened.as_ref().map(|o| &o.body)
    }

    /// The journal's cell, once record 0 is accepted.
    pub(crate) fn cell(&self) -> Option<&CellId> {
        self.open_body().map(|b| &b.cell)
    }

    /// The relay key of the open record.
    pub(crate) fn relay_key(&self) -> Option<&PublicKey> {
        self.opened.as_ref().map(|o| &o.relay)
    }

    /// The keys of record 0, once it is accepted, for [`Keys::precheck`].
    pub(crate) fn keys(&self) -> Option<Keys> {
        self.opened.clone().map(Keys)
    }

    /// Checks the next record and, if it keeps every rule, accepts it.
    pub(crate) fn record(&mut self, r: &Record, sigs: Signatures) -> Result<(), DefectKind> {
        let body = body_matches(r);
        match sigs {
            Signatures::Verify => self.check(r, body, |key| {
                key.verify(&act_bytes(&r.act), &r.sig.0).is_ok()
            }),
            Signatures::Trust => self.check(r, body, |_| true),
        }
    }

    /// [`record`](Self::record) with the body and signature verdicts made ahead of time by
    /// [`Keys::precheck`] from this checker's keys: the same rules in the same order, so the
    /// same first defect.
    pub(crate) fn record_prechecked(
        &mut self,
        r: &Record,
        pre: Prechecked,
    ) -> Result<(), DefectKind> {
        self.check(r, pre.body, |_| pre.sig)
    }

    /// Every rule, in order; `body` is the body-hash verdict, `sig_ok` gives the signature's
    /// under the key the rules pick (asked at most once, after the actor is known).
    fn check(
        &mut self,
        r: &Record,
        body: bool,
        sig_ok: impl FnOnce(&PublicKey) -> bool,
    ) -> Result<(), DefectKind> {
        if r.seq != self.next {
            return Err(DefectKind::SeqGap {
                expected: self.next,
                found: r.seq,
            });
        }
        if !body {
            return Err(DefectKind::BodyHash);
        }
        match &self.opened {
            None => self.opened = Some(Arc::new(open(r, sig_ok)?)),
            Some(opened) => {
                let act = &r.act;
                if act.cell != opened.body.cell {
                    return Err(DefectKind::WrongCell {
                        expected: opened.body.cell.clone(),
                        found: act.cell.clone(),
                    });
                }
                if act.kind == ActKind::Open {
                    return Err(DefectKind::NotOpen(
                        "only record 0 may be an `open` act".into(),
                    ));
                }
                let is_relay = act.actor.is_relay();
                if is_relay != act.kind.is_relay_kind() {
                    return Err(DefectKind::WrongActor {
                        kind: act.kind,
                        actor: act.actor.clone(),
                    });
                }
                let key = if is_relay {
                    &opened.relay
                } else {
                    opened
                        .keys
                        .get(&act.actor)
                        .ok_or_else(|| DefectKind::UnknownActor(act.actor.clone()))?
                };
                if !sig_ok(key) {
                    return Err(DefectKind::BadSignature(act.actor.clone()));
                }
                if !is_relay {
                    // Act seqs start at 1: a session's `last_seq` is 0 before its first act.
                    let last = self.actor_seq.get(&act.actor).copied().unwrap_or(0);
                    if act.seq <= last {
                        return Err(DefectKind::ActorSeq {
                            actor: act.actor.clone(),
                            last,
                            found: act.seq,
                        });
                    }
                    self.actor_seq.insert(act.actor.clone(), act.seq);
                }
            }
        }
        self.next += 1;
        Ok(())
    }

    /// Checks a checkpoint against the tree of the records accepted so far (`tree` must hold
    /// exactly those) and the size of the checkpoint before it; `relay_signed` is
    /// [`Keys::relay_signed`]'s verdict on it, made ahead on every core.
    pub(crate) fn checkpoint(
        &self,
        cp: &Checkpoint,
        tree: &Tree,
        previous: Option<u64>,
        relay_signed: bool,
    ) -> Result<(), DefectKind> {
        let records = tree.len();
        let (Some(opened), true) = (&self.opened, cp.size >= 1 && cp.size <= records) else {
            return Err(DefectKind::CheckpointSize {
                size: cp.size,
                records,
            });
        };
        if let Some(previous) = previous
            && cp.size <= previous
        {
            return Err(DefectKind::CheckpointOrder {
                previous,
                size: cp.size,
            });
        }
        if cp.cell != opened.body.cell {
            return Err(DefectKind::WrongCell {
                expected: opened.body.cell.clone(),
                found: cp.cell.clone(),
            });
        }
        if !relay_signed {
            return Err(DefectKind::CheckpointSignature);
        }
        if tree.root_at(cp.size) != Some(cp.root.0) {
            return Err(DefectKind::CheckpointRoot { size: cp.size });
        }
        Ok(())
    }
}

/// Checks record 0 (its seq and body hash already checked) and takes the keys from it.
fn open(r: &Record, sig_ok: impl FnOnce(&PublicKey) -> bool) -> Result<Opened, DefectKind> {
    let bad = |why: String| DefectKind::NotOpen(why);
    let act = &r.act;
    if act.kind != ActKind::Open || !act.actor.is_relay() {
        return Err(bad(format!(
            "record 0 must be an `open` act by `relay`, found `{}` by `{}`",
            act.kind.as_str(),
            act.actor
        )));
    }
    let body = match r.params() {
        Some(ActBody::Open(body)) => body.clone(),
        Some(_) => return Err(bad("its body is not an open body".into())),
        None => return Err(bad("its body is redacted, so no key can be checked".into())),
    };
    if body.cell != act.cell {
        return Err(DefectKind::WrongCell {
            expected: body.cell,
            found: act.cell.clone(),
        });
    }
    let relay = PublicKey::from_bytes(body.relay_key.0)
        .map_err(|e| bad(format!("relay key refused: {e}")))?;
    let mut keys = HashMap::with_capacity(body.identities.len());
    for id in &body.identities {
        if id.id.is_relay() {
            return Err(bad("the identity name `relay` is reserved".into()));
        }
        let key = PublicKey::from_bytes(id.public_key.0)
            .map_err(|e| bad(format!("key of `{}` refused: {e}", id.id)))?;
        if keys.insert(id.id.clone(), key).is_some() {
            return Err(bad(format!("identity `{}` is listed twice", id.id)));
        }
    }
    if !sig_ok(&relay) {
        return Err(DefectKind::BadSignature(act.actor.clone()));
    }
    Ok(Opened { body, relay, keys })
}

#[cfg(test)]
mod tests {
    use fusioncell_wire::{Body, SignatureBytes};

    use super::*;
    use crate::fixture::Fixture;

    /// A well-formed `security` body.
    const SECURITY: &str = r#"{"event":"test","reason":"test"}"#;

    fn accept_all(c: &mut Checker, records: &[Record]) {
        for r in records {
            c.record(r, Signatures::Verify).unwrap();
        }
    }

    #[test]
    fn a_well_formed_journal_passes() {
        let f = Fixture::new();
        let mut c = Checker::default();
        accept_all(&mut c, &f.records(6));
        assert_eq!(c.next, 7);
        assert_eq!(c.cell(), Some(&f.cell));
        assert_eq!(c.open_body(), Some(&f.open_body()));
    }

    #[test]
    fn record_zero_must_be_a_valid_open() {
        let f = Fixture::new();
        let post = f.post(0, "alpha", 1, "hi");
        assert!(matches!(
            Checker::default().record(&post, Signatures::Verify),
            Err(DefectKind::NotOpen(_))
        ));
        let mut redacted = f.open_record();
        redacted.body = None;
        assert!(matches!(
            Checker::default().record(&redacted, Signatures::Verify),
            Err(DefectKind::NotOpen(_))
        ));
        let mut bad_sig = f.open_record();
        bad_sig.sig = SignatureBytes([1; 64]);
        assert_eq!(
            Checker::default().record(&bad_sig, Signatures::Verify),
            Err(DefectKind::BadSignature(IdentityId::relay()))
        );
        // Trusted mode skips only signatures.
        assert_eq!(
            Checker::default().record(&bad_sig, Signatures::Trust),
            Ok(())
        );
    }

    #[test]
    fn each_rule_names_its_defect() {
        let f = Fixture::new();
        let base = || {
            let mut c = Checker::default();
            accept_all(&mut c, &f.records(2));
            c
        };
        let check = |r: &Record| base().record(r, Signatures::Verify);

        assert_eq!(check(&f.post(3, "alpha", 9, "x")), Ok(()));
        assert_eq!(
            check(&f.post(4, "alpha", 9, "x")),
            Err(DefectKind::SeqGap {
                expected: 3,
                found: 4
            })
        );
        let mut body = f.post(3, "alpha", 9, "x");
        body.body = Some(Body::post("y"));
        assert_eq!(check(&body), Err(DefectKind::BodyHash));
        let mut redacted = f.post(3, "alpha", 9, "x");
        redacted.body = None;
        assert_eq!(check(&redacted), Ok(()));
        assert_eq!(
            check(&f.signed(3, ActKind::Post, "mallory", 1, "x", &f.alpha)),
            Err(DefectKind::UnknownActor(
                IdentityId::new("mallory").unwrap()
            ))
        );
        assert_eq!(
            check(&f.signed(3, ActKind::Post, "alpha", 9, "x", &f.bravo)),
            Err(DefectKind::BadSignature(IdentityId::new("alpha").unwrap()))
        );
        assert!(matches!(
            check(&f.signed(3, ActKind::Security, "alpha", 9, SECURITY, &f.alpha)),
            Err(DefectKind::WrongActor { .. })
        ));
        assert!(matches!(
            check(&f.signed(3, ActKind::Post, "relay", 9, "x", &f.relay)),
            Err(DefectKind::WrongActor { .. })
        ));
        let open = serde_json::to_string(&f.open_body()).unwrap();
        assert!(matches!(
            check(&f.signed(3, ActKind::Open, "relay", 9, &open, &f.relay)),
            Err(DefectKind::NotOpen(_))
        ));
        // records(2) gave alpha act seq 1: a replay of seq 1 is refused, and seq 0 never works.
        assert_eq!(
            check(&f.post(3, "alpha", 1, "again")),
            Err(DefectKind::ActorSeq {
                actor: IdentityId::new("alpha").unwrap(),
                last: 1,
                found: 1
            })
        );
        let mut fresh = Checker::default();
        accept_all(&mut fresh, &f.records(0));
        assert_eq!(
            fresh.record(&f.post(1, "bravo", 0, "x"), Signatures::Verify),
            Err(DefectKind::ActorSeq {
                actor: IdentityId::new("bravo").unwrap(),
                last: 0,
                found: 0
            })
        );
        // The relay's own act seq is free.
        assert_eq!(
            check(&f.signed(3, ActKind::Security, "relay", 0, SECURITY, &f.relay)),
            Ok(())
        );
        let elsewhere = CellId::new("elsewhere").unwrap();
        let foreign = f.act(3, ActKind::Post, &elsewhere, "alpha", 9, "x", &f.alpha);
        assert_eq!(
            check(&foreign),
            Err(DefectKind::WrongCell {
                expected: f.cell.clone(),
                found: elsewhere
            })
        );
    }
}
