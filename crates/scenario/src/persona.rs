//! Scripted bot personas: one TOML file per identity, saying how a bot playing it answers.
//!
//! Bots stand in for delegations and the mediator in rehearsals, demos and load tests, so the
//! white cell can run the whole scenario alone. A persona has four kinds of rule:
//! - `[[on_inject]]`: when an inject arrives (by control number with `inject`, or any inject on
//!   a channel with `inject_channel`), post `text` on `channel` (default: the inject's channel);
//! - `[[on_keyword]]`: when someone else posts text containing `keyword` (case-insensitive),
//!   optionally only on `channel`, answer on the same channel; `max_times` caps how often the
//!   rule fires, so two bots whose answers mention each other's keywords cannot talk forever;
//! - `[hotline]`: acknowledge hotline posts from the other side;
//! - `[moderation]` (mediator): approve or reject held posts, rejecting those that contain any
//!   of `reject_if_contains` (case-insensitive) with `reject_reason`.
//!
//! Every answer waits `after_s` scenario seconds, so a demo reads like people typing, and
//! faster when the clock runs faster. [`Persona::react`] is a pure function of one event; a
//! persona never answers its own acts. [`Bot`] adds memory: each rule answers a given event
//! (by its sequence number) at most once, so a redelivered event after a reconnect is not
//! answered twice, and `max_times` is enforced.

use std::collections::{BTreeMap, BTreeSet};

use fusioncell_wire::{ChannelId, IdentityId};
use serde::Deserialize;
use toml::Spanned;

use crate::error::PersonaError;
use crate::ids::InjectId;
use crate::msel::{Scenario, Text};
use fusioncell_cell::toml_location::{self as location, line_of};

/// The longest delay a rule may ask for: a scenario day. Longer is a typo.
pub const MAX_AFTER_S: u64 = 86_400;

/// A validated persona.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    identity: IdentityId,
    on_inject: Vec<InjectRule>,
    on_keyword: Vec<KeywordRule>,
    hotline: Option<HotlineRule>,
    moderation: Option<ModerationRule>,
}

/// Which injects an `[[on_inject]]` rule answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InjectTrigger {
    /// The inject with this control number.
    Id(InjectId),
    /// Any inject delivered to this channel.
    Channel(ChannelId),
}

/// `[[on_inject]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InjectRule {
    /// What it answers.
    pub trigger: InjectTrigger,
    /// Where to answer; the inject's channel when absent.
    pub channel: Option<ChannelId>,
    /// Scenario seconds to wait.
    pub after_s: u64,
    /// The answer.
    pub text: String,
}

/// `[[on_keyword]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeywordRule {
    /// Matched case-insensitively as a substring; stored lowercase.
    pub keyword: String,
    /// Only posts on this channel; any channel when absent.
    pub channel: Option<ChannelId>,
    /// Scenario seconds to wait.
    pub after_s: u64,
    /// The answer, posted on the triggering post's channel.
    pub text: String,
    /// How many times the rule fires at most ([`Bot`] enforces it); unlimited when absent.
    pub max_times: Option<u32>,
}

/// `[hotline]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HotlineRule {
    /// Whether to acknowledge hotline posts of others.
    pub ack: bool,
    /// Scenario seconds to wait.
    pub after_s: u64,
}

/// What the mediator does with a held post that no rejection rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Decision {
    /// Release it.
    Approve,
    /// Refuse it, with the reason.
    Reject,
}

/// `[moderation]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModerationRule {
    /// The decision when no phrase matches.
    pub default: Decision,
    /// Phrases (stored lowercase) that make a post rejected.
    pub reject_if_contains: Vec<String>,
    /// The reason given with a rejection (present whenever a rejection is possible).
    pub reject_reason: Option<String>,
    /// Scenario seconds to wait.
    pub after_s: u64,
}

/// What a bot sees.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BotEvent {
    /// An inject arrived.
    Inject {
        /// Its control number.
        id: String,
        /// The channel it was delivered to.
        channel: ChannelId,
        /// Its record's sequence number.
        seq: u64,
    },
    /// A post was delivered (released, if the channel is moderated).
    Post {
        /// Its record's sequence number.
        seq: u64,
        /// Who posted it.
        actor: IdentityId,
        /// Where.
        channel: ChannelId,
        /// Its text.
        body: String,
    },
    /// A post is held for the mediator's decision (seen by the mediator only).
    Held {
        /// The held post's sequence number.
        seq: u64,
        /// Who posted it.
        actor: IdentityId,
        /// Where.
        channel: ChannelId,
        /// Its text.
        body: String,
    },
    /// A hotline post awaits acknowledgement. The same post also arrives as a
    /// [`BotEvent::Post`] for keyword rules.
    Hotline {
        /// The hotline post's sequence number.
        seq: u64,
        /// Who posted it.
        actor: IdentityId,
        /// Which hotline channel.
        channel: ChannelId,
    },
}

impl BotEvent {
    /// The sequence number of the record the event is about.
    pub fn seq(&self) -> u64 {
        match self {
            BotEvent::Inject { seq, .. }
            | BotEvent::Post { seq, .. }
            | BotEvent::Held { seq, .. }
            | BotEvent::Hotline { seq, .. } => *seq,
        }
    }
}

/// What a bot does, `after_s` scenario seconds later.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BotAction {
    /// Post text on a channel.
    Post {
        /// Where.
        channel: ChannelId,
        /// What.
        text: String,
        /// Scenario seconds to wait.
        after_s: u64,
    },
    /// Acknowledge a hotline post.
    Ack {
        /// The post's sequence number.
        target: u64,
        /// Scenario seconds to wait.
        after_s: u64,
    },
    /// Release a held post (mediator).
    Approve {
        /// The held post's sequence number.
        target: u64,
        /// Scenario seconds to wait.
        after_s: u64,
    },
    /// Refuse a held post (mediator).
    Reject {
        /// The held post's sequence number.
        target: u64,
        /// Why; the sender is shown it.
        reason: String,
        /// Scenario seconds to wait.
        after_s: u64,
    },
}

impl BotAction {
    /// Scenario seconds to wait before acting.
    pub fn after_s(&self) -> u64 {
        match self {
            BotAction::Post { after_s, .. }
            | BotAction::Ack { after_s, .. }
            | BotAction::Approve { after_s, .. }
            | BotAction::Reject { after_s, .. } => *after_s,
        }
    }
}

/// Which rule produced an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RuleRef {
    Inject(usize),
    Keyword(usize),
    Hotline,
    Moderation,
}

impl Persona {
    /// Parses and validates persona TOML.
    pub fn from_toml(text: &str) -> Result<Persona, PersonaError> {
        let file: PersonaFile = location::from_toml(text)?;
        let invalid =
            |span: std::ops::Range<usize>, field: String, reason: &str| PersonaError::Invalid {
                line: line_of(text, span.start),
                field,
                reason: reason.to_owned(),
            };
        let mut on_inject = Vec::with_capacity(file.on_inject.len());
        for (i, entry) in file.on_inject.into_iter().enumerate() {
            let span = entry.span();
            let e = entry.into_inner();
            let trigger = match (e.inject, e.inject_channel) {
                (Some(id), None) => InjectTrigger::Id(id),
                (None, Some(channel)) => InjectTrigger::Channel(channel),
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        span,
                        format!("on_inject[{i}]"),
                        "give either `inject` or `inject_channel`, not both",
                    ));
                }
                (None, None) => {
                    return Err(invalid(
                        span,
                        format!("on_inject[{i}]"),
                        "give `inject` (a control number) or `inject_channel` (any inject on \
                         that channel)",
                    ));
                }
            };
            on_inject.push(InjectRule {
                trigger,
                channel: e.channel,
                after_s: e.after_s.0,
                text: e.text.0,
            });
        }
        let on_keyword = file
            .on_keyword
            .into_iter()
            .map(|e| KeywordRule {
                keyword: e.keyword.0.to_lowercase(),
                channel: e.channel,
                after_s: e.after_s.0,
                text: e.text.0,
                max_times: e.max_times.map(|m| m.0),
            })
            .collect();
        let hotline = file.hotline.map(|h| HotlineRule {
            ack: h.ack,
            after_s: h.after_s.0,
        });
        let moderation = match file.moderation {
            None => None,
            Some(entry) => {
                let span = entry.span();
                let m = entry.into_inner();
                let can_reject = m.default == Decision::Reject || !m.reject_if_contains.is_empty();
                if can_reject && m.reject_reason.is_none() {
                    return Err(invalid(
                        span,
                        "moderation.reject_reason".to_owned(),
                        "required when a post can be rejected: the sender is shown why",
                    ));
                }
                Some(ModerationRule {
                    default: m.default,
                    reject_if_contains: m
                        .reject_if_contains
                        .into_iter()
                        .map(|t| t.0.to_lowercase())
                        .collect(),
                    reject_reason: m.reject_reason.map(|t| t.0),
                    after_s: m.after_s.0,
                })
            }
        };
        Ok(Persona {
            identity: file.identity,
            on_inject,
            on_keyword,
            hotline,
            moderation,
        })
    }

    /// The identity the persona plays.
    pub fn identity(&self) -> &IdentityId {
        &self.identity
    }

    /// Its `[[on_inject]]` rules, in file order.
    pub fn on_inject(&self) -> &[InjectRule] {
        &self.on_inject
    }

    /// Its `[[on_keyword]]` rules, in file order.
    pub fn on_keyword(&self) -> &[KeywordRule] {
        &self.on_keyword
    }

    /// Its `[hotline]` rule.
    pub fn hotline(&self) -> Option<&HotlineRule> {
        self.hotline.as_ref()
    }

    /// Its `[moderation]` rule.
    pub fn moderation(&self) -> Option<&ModerationRule> {
        self.moderation.as_ref()
    }

    /// Checks that every inject the persona names is in `scenario` and every channel it names
    /// is one of `channels` (the cell's).
    pub fn check(&self, scenario: &Scenario, channels: &[ChannelId]) -> Result<(), PersonaError> {
        let mismatch = |field: String, reason: String| PersonaError::Mismatch { field, reason };
        let known = |c: &ChannelId, field: String| {
            if channels.contains(c) {
                Ok(())
            } else {
                Err(mismatch(
                    field,
                    format!("`{c}` is not a channel of the cell"),
                ))
            }
        };
        for (i, r) in self.on_inject.iter().enumerate() {
            match &r.trigger {
                InjectTrigger::Id(id) if scenario.inject(id.as_str()).is_none() => {
                    return Err(mismatch(
                        format!("on_inject[{i}].inject"),
                        format!("`{id}` is not an inject of \"{}\"", scenario.title()),
                    ));
                }
                InjectTrigger::Id(_) => {}
                InjectTrigger::Channel(c) => known(c, format!("on_inject[{i}].inject_channel"))?,
            }
            if let Some(c) = &r.channel {
                known(c, format!("on_inject[{i}].channel"))?;
            }
        }
        for (i, r) in self.on_keyword.iter().enumerate() {
            if let Some(c) = &r.channel {
                known(c, format!("on_keyword[{i}].channel"))?;
            }
        }
        Ok(())
    }

    /// What the persona does about one event. Pure: every matching rule answers once.
    pub fn react(&self, event: &BotEvent) -> Vec<BotAction> {
        self.reactions(event).into_iter().map(|(_, a)| a).collect()
    }

    fn reactions(&self, event: &BotEvent) -> Vec<(RuleRef, BotAction)> {
        let mut out = Vec::new();
        match event {
            BotEvent::Inject { id, channel, .. } => {
                for (i, r) in self.on_inject.iter().enumerate() {
                    let matches = match &r.trigger {
                        InjectTrigger::Id(want) => want == id.as_str(),
                        InjectTrigger::Channel(want) => want == channel,
                    };
                    if matches {
                        let action = BotAction::Post {
                            channel: r.channel.clone().unwrap_or_else(|| channel.clone()),
                            text: r.text.clone(),
                            after_s: r.after_s,
                        };
                        out.push((RuleRef::Inject(i), action));
                    }
                }
            }
            BotEvent::Post {
                actor,
                channel,
                body,
                ..
            } if *actor != self.identity => {
                let body = body.to_lowercase();
                for (i, r) in self.on_keyword.iter().enumerate() {
                    let on_channel = r.channel.as_ref().is_none_or(|c| c == channel);
                    if on_channel && body.contains(&r.keyword) {
                        let action = BotAction::Post {
                            channel: channel.clone(),
                            text: r.text.clone(),
                            after_s: r.after_s,
                        };
                        out.push((RuleRef::Keyword(i), action));
                    }
                }
            }
            BotEvent::Held {
                seq, actor, body, ..
            } if *actor != self.identity => {
                if let Some(m) = &self.moderation {
                    out.push((RuleRef::Moderation, m.decide(*seq, body)));
                }
            }
            BotEvent::Hotline { seq, actor, .. } if *actor != self.identity => {
                if let Some(h) = self.hotline.filter(|h| h.ack) {
                    let action = BotAction::Ack {
                        target: *seq,
                        after_s: h.after_s,
                    };
                    out.push((RuleRef::Hotline, action));
                }
            }
            _ => {}
        }
        out
    }
}

impl ModerationRule {
    fn decide(&self, target: u64, body: &str) -> BotAction {
        let body = body.to_lowercase();
        let flagged = self.reject_if_contains.iter().any(|p| body.contains(p));
        let decision = if flagged {
            Decision::Reject
        } else {
            self.default
        };
        match decision {
            Decision::Approve => BotAction::Approve {
                target,
                after_s: self.after_s,
            },
            Decision::Reject => BotAction::Reject {
                target,
                reason: self.reject_reason.clone().unwrap_or_default(),
                after_s: self.after_s,
            },
        }
    }
}

/// A persona with memory: each rule answers an event at most once, and keyword rules at most
/// `max_times` in all.
#[derive(Debug, Clone)]
pub struct Bot {
    persona: Persona,
    answered: BTreeSet<(RuleRef, u64)>,
    keyword_fired: BTreeMap<usize, u32>,
}

impl Bot {
    /// A bot that has seen nothing yet.
    pub fn new(persona: Persona) -> Bot {
        Bot {
            persona,
            answered: BTreeSet::new(),
            keyword_fired: BTreeMap::new(),
        }
    }

    /// The persona it plays.
    pub fn persona(&self) -> &Persona {
        &self.persona
    }

    /// What to do about an event not answered before.
    pub fn react(&mut self, event: &BotEvent) -> Vec<BotAction> {
        let seq = event.seq();
        let mut out = Vec::new();
        for (rule, action) in self.persona.reactions(event) {
            if self.answered.contains(&(rule, seq)) {
                continue;
            }
            if let RuleRef::Keyword(i) = rule {
                let fired = self.keyword_fired.entry(i).or_insert(0);
                let max = self.persona.on_keyword.get(i).and_then(|r| r.max_times);
                if max.is_some_and(|max| *fired >= max) {
                    continue;
                }
                *fired += 1;
            }
            self.answered.insert((rule, seq));
            out.push(action);
        }
        out
    }
}

// ---- The file as written -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonaFile {
    identity: IdentityId,
    #[serde(default)]
    on_inject: Vec<Spanned<InjectEntry>>,
    #[serde(default)]
    on_keyword: Vec<KeywordEntry>,
    #[serde(default)]
    hotline: Option<HotlineEntry>,
    #[serde(default)]
    moderation: Option<Spanned<ModerationEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InjectEntry {
    #[serde(default)]
    inject: Option<InjectId>,
    #[serde(default)]
    inject_channel: Option<ChannelId>,
    #[serde(default)]
    channel: Option<ChannelId>,
    after_s: AfterS,
    text: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeywordEntry {
    keyword: Text,
    #[serde(default)]
    channel: Option<ChannelId>,
    after_s: AfterS,
    text: Text,
    #[serde(default)]
    max_times: Option<MaxTimes>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HotlineEntry {
    ack: bool,
    after_s: AfterS,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModerationEntry {
    default: Decision,
    #[serde(default)]
    reject_if_contains: Vec<Text>,
    #[serde(default)]
    reject_reason: Option<Text>,
    after_s: AfterS,
}

/// A delay, 0 to [`MAX_AFTER_S`].
#[derive(Deserialize)]
#[serde(try_from = "u64")]
struct AfterS(u64);

impl TryFrom<u64> for AfterS {
    type Error = String;
    fn try_from(s: u64) -> Result<Self, String> {
        if s <= MAX_AFTER_S {
            Ok(AfterS(s))
        } else {
            Err(format!(
                "after_s must be at most {MAX_AFTER_S} (a day), got {s}"
            ))
        }
    }
}

/// A cap of at least 1.
#[derive(Deserialize)]
#[serde(try_from = "u32")]
struct MaxTimes(u32);

impl TryFrom<u32> for MaxTimes {
    type Error = String;
    fn try_from(n: u32) -> Result<Self, String> {
        if n >= 1 {
            Ok(MaxTimes(n))
        } else {
            Err("max_times must be at least 1 (remove the rule to disable it)".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISRAEL: &str = r#"
identity = "israel"

[[on_inject]]
inject = "M1-02"
channel = "security"
after_s = 120
text = "Assessment follows."

[[on_inject]]
inject_channel = "commerce"
after_s = 10
text = "Noted on commerce."

[[on_keyword]]
keyword = "Ceasefire"
channel = "diplomacy"
after_s = 60
text = "We support a ceasefire."
max_times = 2

[[on_keyword]]
keyword = "water"
after_s = 5
text = "Water is on our list."

[hotline]
ack = true
after_s = 30
"#;

    const US: &str = r#"
identity = "us"

[moderation]
default = "approve"
reject_if_contains = ["Coordinates"]
reject_reason = "Share assessments, not raw targeting data."
after_s = 45
"#;

    fn ch(s: &str) -> ChannelId {
        ChannelId::new(s).unwrap()
    }

    fn who(s: &str) -> IdentityId {
        IdentityId::new(s).unwrap()
    }

    fn post(seq: u64, actor: &str, channel: &str, body: &str) -> BotEvent {
        BotEvent::Post {
            seq,
            actor: who(actor),
            channel: ch(channel),
            body: body.into(),
        }
    }

    #[test]
    fn on_inject_by_id_and_by_channel() {
        let p = Persona::from_toml(ISRAEL).unwrap();
        let inject = |id: &str, channel: &str| BotEvent::Inject {
            id: id.into(),
            channel: ch(channel),
            seq: 7,
        };
        assert_eq!(
            p.react(&inject("M1-02", "diplomacy")),
            [BotAction::Post {
                channel: ch("security"),
                text: "Assessment follows.".into(),
                after_s: 120
            }]
        );
        assert_eq!(
            p.react(&inject("M3-01", "commerce")),
            [BotAction::Post {
                channel: ch("commerce"),
                text: "Noted on commerce.".into(),
                after_s: 10
            }],
            "answers on the inject's channel by default"
        );
        assert!(p.react(&inject("M9-99", "diplomacy")).is_empty());
    }

    #[test]
    fn on_keyword_is_case_insensitive_channel_bound_and_ignores_self() {
        let p = Persona::from_toml(ISRAEL).unwrap();
        let a = p.react(&post(3, "syria", "diplomacy", "A CEASEFIRE now"));
        assert_eq!(
            a,
            [BotAction::Post {
                channel: ch("diplomacy"),
                text: "We support a ceasefire.".into(),
                after_s: 60
            }]
        );
        assert!(
            p.react(&post(4, "syria", "commerce", "ceasefire"))
                .is_empty()
        );
        assert!(
            p.react(&post(5, "israel", "diplomacy", "ceasefire"))
                .is_empty(),
            "own post"
        );
        let both = p.react(&post(6, "us", "diplomacy", "ceasefire and water, water"));
        assert_eq!(both.len(), 2, "each rule once per post: {both:?}");
        assert!(matches!(&p.react(&post(7, "us", "commerce", "Water"))[..],
            [BotAction::Post { channel, .. }] if channel == "commerce"));
    }

    #[test]
    fn bot_answers_each_event_once_and_caps_keyword_rules() {
        let mut bot = Bot::new(Persona::from_toml(ISRAEL).unwrap());
        let e = post(3, "syria", "diplomacy", "ceasefire");
        assert_eq!(bot.react(&e).len(), 1);
        assert!(bot.react(&e).is_empty(), "redelivered: not answered twice");
        assert_eq!(
            bot.react(&post(4, "syria", "diplomacy", "ceasefire")).len(),
            1
        );
        assert!(
            bot.react(&post(5, "syria", "diplomacy", "ceasefire"))
                .is_empty(),
            "max_times"
        );
        for seq in 10..20 {
            assert_eq!(
                bot.react(&post(seq, "syria", "commerce", "water")).len(),
                1,
                "no cap"
            );
        }
    }

    #[test]
    fn hotline_acknowledges_the_other_side() {
        let p = Persona::from_toml(ISRAEL).unwrap();
        let hot = |actor: &str| BotEvent::Hotline {
            seq: 9,
            actor: who(actor),
            channel: ch("deescalation"),
        };
        assert_eq!(
            p.react(&hot("syria")),
            [BotAction::Ack {
                target: 9,
                after_s: 30
            }]
        );
        assert!(p.react(&hot("israel")).is_empty());
        let off = Persona::from_toml(&ISRAEL.replace("ack = true", "ack = false")).unwrap();
        assert!(off.react(&hot("syria")).is_empty());
    }

    #[test]
    fn moderation_approves_or_rejects() {
        let p = Persona::from_toml(US).unwrap();
        let held = |body: &str| BotEvent::Held {
            seq: 11,
            actor: who("syria"),
            channel: ch("security"),
            body: body.into(),
        };
        assert_eq!(
            p.react(&held("Summary: patrol activity, low threat.")),
            [BotAction::Approve {
                target: 11,
                after_s: 45
            }]
        );
        assert_eq!(
            p.react(&held("Group at COORDINATES 12, 34")),
            [BotAction::Reject {
                target: 11,
                reason: "Share assessments, not raw targeting data.".into(),
                after_s: 45
            }]
        );
        assert!(
            p.react(&post(1, "syria", "security", "coordinates"))
                .is_empty(),
            "not held"
        );
        let strict = Persona::from_toml(&US.replace("\"approve\"", "\"reject\"")).unwrap();
        assert!(matches!(
            &strict.react(&held("fine"))[..],
            [BotAction::Reject { .. }]
        ));
        let own = BotEvent::Held {
            seq: 1,
            actor: who("us"),
            channel: ch("security"),
            body: "x".into(),
        };
        assert!(p.react(&own).is_empty());
    }

    #[test]
    fn errors_name_line_and_field() {
        let err = |t: &str| Persona::from_toml(t).unwrap_err().to_string();
        let e = err(&ISRAEL.replace(
            "inject_channel = \"commerce\"",
            "inject = \"x\"\ninject_channel = \"commerce\"",
        ));
        assert_eq!(
            e,
            "line 10: on_inject[1]: give either `inject` or `inject_channel`, not both"
        );
        let e = err(&ISRAEL.replace("inject_channel = \"commerce\"\n", ""));
        assert!(e.starts_with("line 10: on_inject[1]: give `inject`"), "{e}");
        let e = err(&ISRAEL.replace("after_s = 60", "after_s = 100000"));
        assert!(
            e.starts_with("line 18, column 11: on_keyword[0].after_s: after_s must be"),
            "{e}"
        );
        let e = err(&ISRAEL.replace("max_times = 2", "max_times = 0"));
        assert!(
            e.contains("on_keyword[0].max_times: max_times must be at least 1"),
            "{e}"
        );
        let e = err(&ISRAEL.replace("after_s = 30", "after_s = 30\nnack = 1"));
        assert!(
            e.contains("hotline.nack") && e.contains("unknown field"),
            "{e}"
        );
        let e = err(&US.replace(
            "reject_reason = \"Share assessments, not raw targeting data.\"\n",
            "",
        ));
        assert_eq!(
            e,
            "line 4: moderation.reject_reason: required when a post can be rejected: the sender is shown why"
        );
        let e = err(&US.replace("\"approve\"", "\"maybe\""));
        assert!(
            e.starts_with("line 5, column 11: moderation.default: unknown variant"),
            "{e}"
        );
        let e = err(&US.replace("identity = \"us\"", "identity = \"US\""));
        assert!(e.starts_with("line 2, column 12: identity:"), "{e}");
    }

    #[test]
    fn check_against_scenario_and_cell() {
        let scenario = Scenario::from_toml(
            "[scenario]\ntitle = \"s\"\n[[move]]\nid = \"M1\"\ntitle = \"m\"\n[[inject]]\n\
             id = \"M1-02\"\nat = 1\nmove = \"M1\"\nchannel = \"security\"\ntitle = \"t\"\n\
             text = \"x\"\nexpected = []\n",
        )
        .unwrap();
        let p = Persona::from_toml(ISRAEL).unwrap();
        let chans: Vec<ChannelId> = ["security", "commerce", "diplomacy"].map(ch).to_vec();
        assert!(p.check(&scenario, &chans).is_ok());
        let e = p.check(&scenario, &chans[..2]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "on_keyword[0].channel: `diplomacy` is not a channel of the cell"
        );
        let other = Persona::from_toml(&ISRAEL.replace("M1-02", "M1-03")).unwrap();
        let e = other.check(&scenario, &chans).unwrap_err();
        assert_eq!(
            e.to_string(),
            "on_inject[0].inject: `M1-03` is not an inject of \"s\""
        );
    }
}
