//! Builders for every act a participant can make, one per power: what to sign and send,
//! ready for [`crate::Client::send`]. Each builder picks the act's channel and its typed body
//! (whose variant is the act's kind), so the CLI, the bots and exercise control send identical
//! acts.

use fusioncell_keys::sha256;
use fusioncell_wire::act_body::{
    Access, AckBody, ClockAction, ClockBody, CosignBody, DecisionBody, GrantBody, InjectBody,
    MselAction, MselBody, MuteBody, ObserveBody, ReceiptBody, ReceiptKind, RedactBody, ReplyBody,
};
use fusioncell_wire::{ActBody, ActKind, Body, ChannelId, Digest, IdentityId, Record, canonical};

/// An act not yet signed: its channel and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActDraft {
    /// The channel it is on, for the kinds that have one.
    pub channel: Option<ChannelId>,
    /// The body, as signed; its variant is the act's kind.
    pub body: Body,
}

impl ActDraft {
    fn new(channel: Option<ChannelId>, body: ActBody) -> ActDraft {
        ActDraft {
            channel,
            body: Body::new(body),
        }
    }

    /// What kind of act.
    pub fn kind(&self) -> ActKind {
        self.body.kind()
    }
}

/// A message to a channel; the body is the text itself.
pub fn post(channel: ChannelId, text: impl Into<String>) -> ActDraft {
    ActDraft {
        channel: Some(channel),
        body: Body::post(text),
    }
}

/// A message answering record `target` (a post, reply or inject), on the target's channel.
pub fn reply(target: &Record, text: impl Into<String>) -> ActDraft {
    reply_on(target.act.channel.clone(), target.seq, text.into())
}

/// A message answering record number `target`, which is on `channel`.
pub fn reply_to(channel: ChannelId, target: u64, text: impl Into<String>) -> ActDraft {
    reply_on(Some(channel), target, text.into())
}

fn reply_on(channel: Option<ChannelId>, target: u64, text: String) -> ActDraft {
    ActDraft::new(channel, ActBody::Reply(ReplyBody { target, text }))
}

/// Releases a held post (mediator). Bound to that exact act, and to the supervision `epoch`
/// the mediator decided in, so that a decision made before a later change is refused.
pub fn approve(held: &Record, epoch: u64) -> ActDraft {
    decide(held, epoch, None)
}

/// Refuses a held post; its sender is shown `reason` (mediator).
pub fn reject(held: &Record, epoch: u64, reason: impl Into<String>) -> ActDraft {
    decide(held, epoch, Some(reason.into()))
}

/// [`approve`] without a reason, [`reject`] with one.
pub fn decide(held: &Record, epoch: u64, reason: Option<String>) -> ActDraft {
    let rejected = reason.is_some();
    let body = DecisionBody {
        target: held.seq,
        target_digest: Digest(sha256(&canonical::act_bytes(&held.act))),
        epoch,
        reason,
    };
    let body = if rejected {
        ActBody::Reject(body)
    } else {
        ActBody::Approve(body)
    };
    ActDraft::new(held.act.channel.clone(), body)
}

/// Silences `identity` on `channel`, or everywhere when `None` (mediator).
pub fn mute(identity: IdentityId, channel: Option<ChannelId>) -> ActDraft {
    let body = MuteBody {
        identity,
        channel: channel.clone(),
    };
    ActDraft::new(channel, ActBody::Mute(body))
}

/// Lifts a mute (mediator).
pub fn unmute(identity: IdentityId, channel: Option<ChannelId>) -> ActDraft {
    let body = MuteBody {
        identity,
        channel: channel.clone(),
    };
    ActDraft::new(channel, ActBody::Unmute(body))
}

/// Gives `identity` member or reader access to `channel` (mediator).
pub fn grant(identity: IdentityId, channel: ChannelId, access: Access) -> ActDraft {
    let body = GrantBody {
        identity,
        channel: channel.clone(),
        access,
    };
    ActDraft::new(Some(channel), ActBody::Grant(body))
}

/// Takes that access away (mediator).
pub fn revoke(identity: IdentityId, channel: ChannelId, access: Access) -> ActDraft {
    let body = GrantBody {
        identity,
        channel: channel.clone(),
        access,
    };
    ActDraft::new(Some(channel), ActBody::Revoke(body))
}

/// Removes record `target`'s body from every delivery (mediator).
pub fn redact(target: u64, reason: impl Into<String>) -> ActDraft {
    let body = RedactBody {
        target,
        reason: reason.into(),
    };
    ActDraft::new(None, ActBody::Redact(body))
}

/// Changes the exercise clock (control; the mediator may pause, resume and halt). `speed`
/// counts for a start only, `reason` is shown with a halt.
pub fn clock(action: ClockAction, speed: Option<u32>, reason: Option<String>) -> ActDraft {
    let body = ClockBody {
        action,
        speed,
        reason,
    };
    ActDraft::new(None, ActBody::Clock(body))
}

/// STARTEX, at `speed` scenario seconds per real second (default 1).
pub fn clock_start(speed: Option<u32>) -> ActDraft {
    clock(ClockAction::Start, speed, None)
}

/// Play stops; the scenario clock stands still.
pub fn clock_pause() -> ActDraft {
    clock(ClockAction::Pause, None, None)
}

/// Play continues (also lifts a halt).
pub fn clock_resume() -> ActDraft {
    clock(ClockAction::Resume, None, None)
}

/// ENDEX.
pub fn clock_end() -> ActDraft {
    clock(ClockAction::End, None, None)
}

/// Real-world emergency: play stops on every channel at once.
pub fn clock_halt(reason: Option<String>) -> ActDraft {
    clock(ClockAction::Halt, None, reason)
}

/// Control's decision on an inject of the timeline: skip, hold or release it (cell-wide).
pub fn msel(id: &str, action: MselAction) -> ActDraft {
    ActDraft::new(
        None,
        ActBody::Msel(MselBody {
            id: id.to_owned(),
            action,
        }),
    )
}

/// A scenario inject delivered to `channel` (control).
pub fn inject(channel: ChannelId, inject: &InjectBody) -> ActDraft {
    ActDraft::new(Some(channel), ActBody::Inject(inject.clone()))
}

/// A private observation (evaluator): on records, perhaps rating a scenario objective.
pub fn observe(body: ObserveBody) -> ActDraft {
    ActDraft::new(None, ActBody::Observe(body))
}

/// Signed proof that record `target` was delivered or read.
pub fn receipt(target: u64, kind: ReceiptKind) -> ActDraft {
    ActDraft::new(
        None,
        ActBody::Receipt(ReceiptBody {
            target,
            kind,
            also: Vec::new(),
        }),
    )
}

/// Acknowledges a hotline post, on the post's own channel (the other party).
pub fn ack(post: &Record) -> ActDraft {
    let body = AckBody { target: post.seq };
    ActDraft::new(post.act.channel.clone(), ActBody::Ack(body))
}

/// Countersigns a relay checkpoint of `size` records and `root` (a party or the mediator).
pub fn cosign(size: u64, root: Digest) -> ActDraft {
    ActDraft::new(None, ActBody::Cosign(CosignBody { size, root }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{ch, id, record};
    use fusioncell_wire::act_body::{
        AckBody, ClockBody, CosignBody, DecisionBody, GrantBody, MuteBody, ObserveBody, Rating,
        ReceiptBody, RedactBody,
    };
    use serde::de::DeserializeOwned;

    fn body<T: DeserializeOwned>(draft: &ActDraft) -> T {
        serde_json::from_str(draft.body.text()).unwrap()
    }

    #[test]
    fn a_post_is_its_text() {
        let d = post(ch("diplomacy"), "Talks at 10.");
        assert_eq!(
            (d.kind(), d.channel, d.body.text()),
            (ActKind::Post, Some(ch("diplomacy")), "Talks at 10.")
        );
    }

    #[test]
    fn decisions_are_bound_to_the_held_act_and_the_epoch() {
        let held = record(8, ActKind::Post, "israel", Some("security"), "Quiet night.");
        let digest = Digest(sha256(&canonical::act_bytes(&held.act)));
        let a = approve(&held, 3);
        assert_eq!(
            (a.kind(), a.channel.clone()),
            (ActKind::Approve, Some(ch("security")))
        );
        assert_eq!(
            body::<DecisionBody>(&a),
            DecisionBody {
                target: 8,
                target_digest: digest,
                epoch: 3,
                reason: None
            }
        );
        let r = reject(&held, 4, "too specific");
        assert_eq!(r.kind(), ActKind::Reject);
        let d: DecisionBody = body(&r);
        assert_eq!(
            (d.target, d.target_digest, d.epoch, d.reason.as_deref()),
            (8, digest, 4, Some("too specific"))
        );
        let mut other = held.clone();
        other.act.seq += 1;
        assert_ne!(
            body::<DecisionBody>(&approve(&other, 3)).target_digest,
            digest
        );
    }

    #[test]
    fn mutes_are_on_their_channel_or_everywhere() {
        let m = mute(id("syria"), Some(ch("commerce")));
        assert_eq!(
            (m.kind(), m.channel.clone()),
            (ActKind::Mute, Some(ch("commerce")))
        );
        assert_eq!(
            body::<MuteBody>(&m),
            MuteBody {
                identity: id("syria"),
                channel: Some(ch("commerce"))
            }
        );
        let u = unmute(id("syria"), None);
        assert_eq!((u.kind(), u.channel.clone()), (ActKind::Unmute, None));
        assert_eq!(body::<MuteBody>(&u).channel, None);
    }

    #[test]
    fn grants_and_revokes_are_on_the_channel_they_change() {
        let g = grant(id("france"), ch("diplomacy"), Access::Reader);
        assert_eq!(
            (g.kind(), g.channel.clone()),
            (ActKind::Grant, Some(ch("diplomacy")))
        );
        assert_eq!(
            body::<GrantBody>(&g),
            GrantBody {
                identity: id("france"),
                channel: ch("diplomacy"),
                access: Access::Reader
            }
        );
        let r = revoke(id("france"), ch("diplomacy"), Access::Member);
        assert_eq!(r.kind(), ActKind::Revoke);
        assert_eq!(body::<GrantBody>(&r).access, Access::Member);
    }

    #[test]
    fn redactions_name_the_record_and_why() {
        let r = redact(5, "a spill");
        assert_eq!((r.kind(), r.channel.clone()), (ActKind::Redact, None));
        assert_eq!(
            body::<RedactBody>(&r),
            RedactBody {
                target: 5,
                reason: "a spill".into()
            }
        );
    }

    #[test]
    fn clock_acts_carry_their_action() {
        let cases = [
            (clock_start(Some(60)), ClockAction::Start, Some(60), None),
            (clock_pause(), ClockAction::Pause, None, None),
            (clock_resume(), ClockAction::Resume, None, None),
            (clock_end(), ClockAction::End, None, None),
            (
                clock_halt(Some("fire".into())),
                ClockAction::Halt,
                None,
                Some("fire".to_owned()),
            ),
        ];
        for (draft, action, speed, reason) in cases {
            assert_eq!(
                (draft.kind(), draft.channel.clone()),
                (ActKind::Clock, None)
            );
            assert_eq!(
                body::<ClockBody>(&draft),
                ClockBody {
                    action,
                    speed,
                    reason
                }
            );
        }
    }

    #[test]
    fn injects_go_to_their_channel_whole() {
        let i = InjectBody {
            id: "M1-02".into(),
            phase: Some("Move 1".into()),
            from: None,
            to: None,
            title: "Drone sighted".into(),
            text: "A drone crossed.".into(),
            at_s: 60,
        };
        let d = inject(ch("security"), &i);
        assert_eq!(
            (d.kind(), d.channel.clone()),
            (ActKind::Inject, Some(ch("security")))
        );
        assert_eq!(body::<InjectBody>(&d), i);
    }

    #[test]
    fn observations_receipts_acks_and_cosignatures() {
        let note = ObserveBody {
            refs: vec![3, 4],
            text: "Timely.".into(),
            about: Some("M1-02".into()),
            objective: Some("O2".into()),
            rating: Some(Rating::SomeChallenges),
        };
        let o = observe(note.clone());
        assert_eq!((o.kind(), o.channel.clone()), (ActKind::Observe, None));
        assert_eq!(body::<ObserveBody>(&o), note);
        let r = receipt(7, ReceiptKind::Read);
        assert_eq!((r.kind(), r.channel.clone()), (ActKind::Receipt, None));
        assert_eq!(
            body::<ReceiptBody>(&r),
            ReceiptBody {
                target: 7,
                kind: ReceiptKind::Read,
                also: Vec::new()
            }
        );
        let hot = record(4, ActKind::Post, "israel", Some("deescalation"), "Patrol.");
        let a = ack(&hot);
        assert_eq!(
            (a.kind(), a.channel.clone()),
            (ActKind::Ack, Some(ch("deescalation")))
        );
        assert_eq!(body::<AckBody>(&a), AckBody { target: 4 });
        let c = cosign(12, Digest([7; 32]));
        assert_eq!((c.kind(), c.channel.clone()), (ActKind::Cosign, None));
        assert_eq!(
            body::<CosignBody>(&c),
            CosignBody {
                size: 12,
                root: Digest([7; 32])
            }
        );
    }
}
