//! A bot's vocabulary and memory: the events it is shown ([`BotEvent`]), the acts it decides
//! on ([`BotAction`]), and [`Bot`], a persona that answers each event once and varies like a
//! person ([`crate::variation`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use fusioncell_wire::{ChannelId, IdentityId};

use crate::persona::{Persona, RuleRef};
use crate::variation::{Variation, near_duplicate};

/// How many of its own posts per channel a bot remembers, so as not to repeat them.
pub const RECENT_POSTS: usize = 32;

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
    /// The same action after `s` scenario seconds instead.
    fn after(mut self, s: u64) -> BotAction {
        match &mut self {
            BotAction::Post { after_s, .. }
            | BotAction::Ack { after_s, .. }
            | BotAction::Approve { after_s, .. }
            | BotAction::Reject { after_s, .. } => *after_s = s,
        }
        self
    }

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

/// A persona with memory: each rule answers an event at most once, keyword rules at most
/// `max_times` in all, and no post repeats (or nearly repeats) one of the bot's recent posts on
/// the same channel — several injects answered at once by one rule get different wordings, or
/// one answer when the rule has no other.
#[derive(Debug, Clone)]
pub struct Bot {
    persona: Persona,
    answered: BTreeSet<(RuleRef, u64)>,
    keyword_fired: BTreeMap<usize, u32>,
    said: BTreeMap<ChannelId, VecDeque<String>>,
    variation: Variation,
}

impl Bot {
    /// A bot that has seen nothing yet, seeded from its identity: the same persona varies the
    /// same way on every run.
    pub fn new(persona: Persona) -> Bot {
        let seed = Variation::seed_of(persona.identity().as_str());
        Bot::seeded(persona, seed)
    }

    /// A bot whose choices are drawn from `seed`.
    pub fn seeded(persona: Persona, seed: u64) -> Bot {
        Bot {
            persona,
            answered: BTreeSet::new(),
            keyword_fired: BTreeMap::new(),
            said: BTreeMap::new(),
            variation: Variation::seeded(seed),
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
                let max = self.persona.on_keyword().get(i).and_then(|r| r.max_times);
                if max.is_some_and(|max| *fired >= max) {
                    continue;
                }
                *fired += 1;
            }
            self.answered.insert((rule, seq));
            if let Some(action) = self.vary(rule, action) {
                out.push(action);
            }
        }
        out
    }

    /// The action as this bot carries it out: a varied delay and, for a post, a wording that
    /// is no near-duplicate of its recent posts on the channel (`None`: every wording is).
    fn vary(&mut self, rule: RuleRef, action: BotAction) -> Option<BotAction> {
        let after_s = self.variation.jitter_s(action.after_s());
        let BotAction::Post { channel, text, .. } = action else {
            return Some(action.after(after_s));
        };
        let mut wordings = vec![text];
        wordings.extend(self.persona.variants(rule).iter().cloned());
        let start = self.variation.below(wordings.len());
        let said = self.said.entry(channel.clone()).or_default();
        let text = (0..wordings.len())
            .map(|k| &wordings[(start + k) % wordings.len()])
            .find(|w| !said.iter().any(|s| near_duplicate(s, w)))?
            .clone();
        said.push_back(text.clone());
        if said.len() > RECENT_POSTS {
            said.pop_front();
        }
        Some(BotAction::Post {
            channel,
            text,
            after_s,
        })
    }
}
