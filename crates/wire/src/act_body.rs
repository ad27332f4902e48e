//! The bodies of acts other than `post`: their parameters, as strict JSON. A body is signed
//! through its hash like every body, so these parameters are as authentic as the act.
//!
//! A `post` body is free text. The others are JSON objects of the types below; the relay
//! refuses a body that does not parse into the type of its act's kind (`malformed`).

use serde::{Deserialize, Serialize};

use crate::bytes::Digest;
use crate::ids::{ChannelId, IdentityId};

/// `reply` (anyone who may post to the channel): a message that answers an earlier record.
/// Clients show it threaded under the record it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// The cell sequence number of the record answered: a post, reply or inject of the same
    /// channel that the replier received.
    pub target: u64,
    /// The message.
    pub text: String,
}

/// `approve` and `reject` (mediator): a decision on a held post in a moderated channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// The cell sequence number of the held post.
    pub target: u64,
    /// SHA-256 of the held post's canonical act bytes: the decision is bound to that exact act.
    pub target_digest: Digest,
    /// The cell's supervision epoch the mediator decided in; a decision made before a later
    /// change (a mute, a membership change, a clock change) is refused as stale.
    pub epoch: u64,
    /// Why (required for a rejection, which the sender is shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `mute` and `unmute` (mediator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MuteBody {
    /// Who.
    pub identity: IdentityId,
    /// On one channel; everywhere when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelId>,
}

/// What a `grant` gives or a `revoke` takes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Read and write.
    Member,
    /// Read only.
    Reader,
}

/// `grant` and `revoke` (mediator): channel membership changed at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// Who.
    pub identity: IdentityId,
    /// Which channel (also the act's channel).
    pub channel: ChannelId,
    /// Member or reader.
    pub access: Access,
}

/// `redact` (mediator): a record's body disappears from every delivery, resume and export;
/// its hash stays, so the journal still verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactBody {
    /// The record whose body goes.
    pub target: u64,
    /// Why.
    pub reason: String,
}

/// What a `clock` act does to the exercise clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockAction {
    /// STARTEX: the clock starts running from scenario time 0.
    Start,
    /// Play stops; the scenario clock stands still.
    Pause,
    /// Play continues from where it paused (also lifts a halt).
    Resume,
    /// ENDEX: the exercise is over.
    End,
    /// Real-world emergency: play stops on every channel at once.
    Halt,
}

impl ClockAction {
    /// The action's name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockAction::Start => "start",
            ClockAction::Pause => "pause",
            ClockAction::Resume => "resume",
            ClockAction::End => "end",
            ClockAction::Halt => "halt",
        }
    }
}

/// `clock` (control; the mediator may pause, resume and halt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    /// What to do.
    pub action: ClockAction,
    /// Scenario seconds per real second (start only; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<u32>,
    /// Why (shown with a halt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `inject` (control): a scripted event from the scenario (MSEL), delivered to a channel.
/// Controller notes are not part of it: players never see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectBody {
    /// The inject's control number, e.g. `M1-03`.
    pub id: String,
    /// Its move or phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The simulated originator (who the inject claims to come from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The intended audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Short title.
    pub title: String,
    /// The text players read.
    pub text: String,
    /// Its planned scenario time, in seconds from STARTEX.
    pub at_s: u64,
}

/// How well an objective's capability was performed: the four ratings of HSEEP's Exercise
/// Evaluation Guide. On the wire, the rating's letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rating {
    /// `P`: performed without challenges.
    #[serde(rename = "P")]
    Performed,
    /// `S`: performed with some challenges.
    #[serde(rename = "S")]
    SomeChallenges,
    /// `M`: performed with major challenges.
    #[serde(rename = "M")]
    MajorChallenges,
    /// `U`: unable to be performed.
    #[serde(rename = "U")]
    Unable,
}

impl Rating {
    /// Every rating, best first.
    pub const ALL: [Rating; 4] = [
        Rating::Performed,
        Rating::SomeChallenges,
        Rating::MajorChallenges,
        Rating::Unable,
    ];

    /// The rating's letter, as on the wire.
    pub fn letter(self) -> &'static str {
        match self {
            Rating::Performed => "P",
            Rating::SomeChallenges => "S",
            Rating::MajorChallenges => "M",
            Rating::Unable => "U",
        }
    }

    /// What the letter means, in HSEEP's words.
    pub fn meaning(self) -> &'static str {
        match self {
            Rating::Performed => "performed without challenges",
            Rating::SomeChallenges => "performed with some challenges",
            Rating::MajorChallenges => "performed with major challenges",
            Rating::Unable => "unable to be performed",
        }
    }
}

/// What a controller does to an inject of the timeline with an `msel` act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MselAction {
    /// Drop it: it will not fire by itself (it can still be fired on demand).
    Skip,
    /// Keep it back until released.
    Hold,
    /// Put a held inject back on the timeline.
    Release,
}

impl MselAction {
    /// The action's name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            MselAction::Skip => "skip",
            MselAction::Hold => "hold",
            MselAction::Release => "release",
        }
    }
}

/// A rating that is not one of HSEEP's four letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "rating `{0}`: expected P, S, M or U (performed without challenges, with some challenges, with major challenges, unable to be performed)"
)]
pub struct UnknownRating(pub String);

impl std::str::FromStr for Rating {
    type Err = UnknownRating;

    /// The rating of a letter (either case).
    fn from_str(s: &str) -> Result<Rating, UnknownRating> {
        Rating::ALL
            .into_iter()
            .find(|r| r.letter().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRating(s.to_owned()))
    }
}

/// `msel` (control): a controller's decision on an inject of the timeline. Journaled, so that
/// where every inject stands is derived from the journal alone; seen by the white cell only
/// (players never learn which injects are coming, held or dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MselBody {
    /// The inject's control number, e.g. `M1-03`.
    pub id: String,
    /// What to do with it.
    pub action: MselAction,
}

/// `observe` (evaluator): a private observation, seen by evaluators and control only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObserveBody {
    /// The records it is about.
    pub refs: Vec<u64>,
    /// The observation.
    pub text: String,
    /// Free-text subject (an inject or objective named in words), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// The id of the scenario objective it evaluates (`[[objective]]` of the scenario).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<String>,
    /// The evaluator's rating of that objective; only with `objective`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
}

/// What a receipt says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// The client received the record.
    Delivered,
    /// A person displayed it.
    Read,
}

/// Most records one receipt may cover: `target` and up to this many `also`.
pub const MAX_RECEIPT_ALSO: usize = 255;

/// `receipt` (anyone who could see the target): signed proof of delivery or reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    /// The record received (the latest, when the receipt covers several).
    pub target: u64,
    /// Delivered or read.
    pub kind: ReceiptKind,
    /// Other records the same receipt covers, so that a console reading a busy channel signs
    /// one act for a batch and stays within its rate limit. Empty in a single receipt.
    #[serde(
        default,
        deserialize_with = "crate::optional::null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub also: Vec<u64>,
}

impl ReceiptBody {
    /// Every record the receipt covers: `target` first, then `also`.
    pub fn targets(&self) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(self.target).chain(self.also.iter().copied())
    }
}

/// `ack` (the other party on a hotline channel): the message was acknowledged in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    /// The hotline post acknowledged.
    pub target: u64,
}

/// `cosign` (a party or the mediator): "I saw the relay's checkpoint of this size and root".
/// With the parties' cosignatures in the journal, nobody — the relay operator included — can
/// later show one side a rewritten or forked record without it being detected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosignBody {
    /// The checkpoint's tree size.
    pub size: u64,
    /// Its root.
    pub root: Digest,
}

/// `escalate` (relay): a hotline post was not acknowledged within its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    /// The hotline post.
    pub target: u64,
    /// Who posted it.
    pub sender: IdentityId,
    /// The deadline it missed, in seconds.
    pub ack_seconds: u32,
}
