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
//! faster when the clock runs faster. A post rule may give `variants`: other wordings of its
//! `text`. [`Persona::react`] is a pure function of one event; a persona never answers its own
//! acts. [`Bot`] adds memory: each rule answers a given event (by its sequence number) at most
//! once, so a redelivered event after a reconnect is not answered twice, and `max_times` is
//! enforced; and it varies like a person (`crate::variation`): one of the wordings, never a
//! near-duplicate of what it recently said on the channel, after a delay varied by up to a
//! quarter, all drawn from a seeded generator.

use fusioncell_wire::{ChannelId, IdentityId};
use serde::Deserialize;

pub use crate::bot::{Bot, BotAction, BotEvent};
pub use crate::defaults::MAX_AFTER_S;
use crate::error::PersonaError;
use crate::ids::InjectId;
use crate::msel::Scenario;
use crate::persona_file::PersonaFile;
use fusioncell_cell::toml_location::{self as location, line_of};

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
    /// Other wordings of the answer.
    pub variants: Vec<String>,
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
    /// Other wordings of the answer.
    pub variants: Vec<String>,
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

/// Which rule produced an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RuleRef {
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
                variants: e.variants.into_iter().map(|t| t.0).collect(),
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
                variants: e.variants.into_iter().map(|t| t.0).collect(),
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

    /// The other wordings of the rule that produced a post (none for other rules).
    pub(crate) fn variants(&self, rule: RuleRef) -> &[String] {
        match rule {
            RuleRef::Inject(i) => self.on_inject.get(i).map_or(&[], |r| &r.variants),
            RuleRef::Keyword(i) => self.on_keyword.get(i).map_or(&[], |r| &r.variants),
            RuleRef::Hotline | RuleRef::Moderation => &[],
        }
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

    pub(crate) fn reactions(&self, event: &BotEvent) -> Vec<(RuleRef, BotAction)> {
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

#[cfg(test)]
mod tests;
