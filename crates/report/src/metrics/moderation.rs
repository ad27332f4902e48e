//! Posts held on moderated channels, the mediator's decisions and time in queue.

use std::collections::BTreeMap;

use fusioncell_wire::act_body::DecisionBody;
use fusioncell_wire::{ActKind, ChannelId, IdentityId};

use crate::format::median;
use crate::model::Entry;

/// A decision on a held post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// Who decided.
    pub by: IdentityId,
    /// Released (or refused).
    pub approved: bool,
    /// The reason given with a refusal.
    pub reason: Option<String>,
}

/// A post held for the mediator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPost {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// Channel.
    pub channel: ChannelId,
    /// Sender.
    pub sender: IdentityId,
    /// The decision, if one was made.
    pub decision: Option<Decision>,
}

impl HeldPost {
    /// Real time in the queue, ms (until the decision).
    pub fn queue_real_ms(&self) -> Option<i64> {
        self.decision.as_ref().map(|d| d.ts.saturating_sub(self.ts))
    }

    /// Scenario time in the queue, ms.
    pub fn queue_scenario_ms(&self) -> Option<u64> {
        let d = self.decision.as_ref()?;
        Some(d.scenario_ms?.saturating_sub(self.scenario_ms?))
    }
}

/// Moderation on the cell's moderated channels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moderation {
    /// Every held post, in order.
    pub posts: Vec<HeldPost>,
}

impl Moderation {
    /// Posts held.
    pub fn held(&self) -> usize {
        self.posts.len()
    }

    /// Posts approved.
    pub fn approved(&self) -> usize {
        self.count(|d| d.approved)
    }

    /// Posts rejected.
    pub fn rejected(&self) -> usize {
        self.count(|d| !d.approved)
    }

    /// Posts never decided.
    pub fn pending(&self) -> usize {
        self.posts.iter().filter(|p| p.decision.is_none()).count()
    }

    fn count(&self, f: impl Fn(&Decision) -> bool) -> usize {
        self.posts
            .iter()
            .filter(|p| p.decision.as_ref().is_some_and(&f))
            .count()
    }

    /// Median and maximum real time in the queue, ms.
    pub fn queue_real(&self) -> Option<(i64, i64)> {
        let v: Vec<i64> = self
            .posts
            .iter()
            .filter_map(HeldPost::queue_real_ms)
            .collect();
        Some((median(&v)?, *v.iter().max()?))
    }

    /// Median and maximum scenario time in the queue, ms.
    pub fn queue_scenario(&self) -> Option<(u64, u64)> {
        let v: Vec<i64> = self
            .posts
            .iter()
            .filter_map(HeldPost::queue_scenario_ms)
            .map(|m| i64::try_from(m).unwrap_or(i64::MAX))
            .collect();
        let m = median(&v)?;
        Some((m.unsigned_abs(), (*v.iter().max()?).unsigned_abs()))
    }
}

/// Every held post, with the first decision on it.
pub(super) fn moderation(entries: &[Entry]) -> Moderation {
    let mut m = Moderation::default();
    let mut held_index: BTreeMap<u64, usize> = BTreeMap::new();
    for e in entries {
        match e.kind {
            ActKind::Post if e.held => {
                let Some(channel) = &e.channel else { continue };
                held_index.insert(e.seq, m.posts.len());
                m.posts.push(HeldPost {
                    seq: e.seq,
                    ts: e.ts,
                    scenario_ms: e.scenario_ms,
                    channel: channel.clone(),
                    sender: e.actor.clone(),
                    decision: None,
                });
            }
            ActKind::Approve | ActKind::Reject => {
                let Some(d) = e.params::<DecisionBody>() else {
                    continue;
                };
                let Some(post) = held_index.get(&d.target).map(|&i| &mut m.posts[i]) else {
                    continue;
                };
                if post.decision.is_none() {
                    post.decision = Some(Decision {
                        seq: e.seq,
                        ts: e.ts,
                        scenario_ms: e.scenario_ms,
                        by: e.actor.clone(),
                        approved: e.kind == ActKind::Approve,
                        reason: d.reason,
                    });
                }
            }
            _ => {}
        }
    }
    m
}
