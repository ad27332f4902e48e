//! Injects as delivered, the posts that answered them, evaluator observations linked to them,
//! and the scenario's injects that never fired.

use std::collections::{BTreeMap, BTreeSet};

use fusioncell_scenario::Scenario;
use fusioncell_wire::act_body::{InjectBody, ObserveBody, Rating};
use fusioncell_wire::{ActKind, ChannelId, IdentityId, Role};

use crate::model::Entry;

/// A scenario inject as planned (controller material included: this is for the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Control number.
    pub id: String,
    /// Planned scenario time, seconds from STARTEX.
    pub at_s: u64,
    /// Move.
    pub move_id: String,
    /// Channel.
    pub channel: ChannelId,
    /// Title.
    pub title: String,
    /// Expected player actions.
    pub expected: Vec<String>,
    /// Objective or capability.
    pub objective: Option<String>,
    /// A contingency inject.
    pub contingency: bool,
}

impl Planned {
    fn of(i: &fusioncell_scenario::Inject) -> Planned {
        Planned {
            id: i.id.to_string(),
            at_s: i.at_s,
            move_id: i.move_id.to_string(),
            channel: i.channel.clone(),
            title: i.title.clone(),
            expected: i.expected.clone(),
            objective: i.objective.clone(),
            contingency: i.contingency,
        }
    }
}

/// A post that answered an inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Its seq.
    pub seq: u64,
    /// Who.
    pub actor: IdentityId,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// Held for the mediator.
    pub held: bool,
}

/// A delivered inject and what it drew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectReport {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time of delivery.
    pub scenario_ms: Option<u64>,
    /// Channel.
    pub channel: ChannelId,
    /// Control number (`None` if the body was redacted).
    pub id: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Planned scenario time, seconds, as the inject carried it.
    pub at_s: Option<u64>,
    /// The scenario's entry for it.
    pub planned: Option<Planned>,
    /// Posts on its channel after it, until the next inject there (not by control).
    pub responses: Vec<Response>,
    /// Indices into [`Metrics::observations`](super::Metrics::observations) about it.
    pub observations: Vec<usize>,
}

impl InjectReport {
    /// The first response.
    pub fn first(&self) -> Option<&Response> {
        self.responses.first()
    }

    /// Real time to the first response, ms.
    pub fn first_real_ms(&self) -> Option<i64> {
        self.first().map(|r| r.ts.saturating_sub(self.ts))
    }

    /// Scenario time to the first response, ms.
    pub fn first_scenario_ms(&self) -> Option<u64> {
        let r = self.first()?;
        Some(r.scenario_ms?.saturating_sub(self.scenario_ms?))
    }

    /// Distinct responders, in order of first response.
    pub fn responders(&self) -> Vec<&IdentityId> {
        let mut out: Vec<&IdentityId> = Vec::new();
        for r in &self.responses {
            if !out.contains(&&r.actor) {
                out.push(&r.actor);
            }
        }
        out
    }

    /// The control number, or `#seq` when unknown.
    pub fn name(&self) -> String {
        self.id.clone().unwrap_or_else(|| format!("#{}", self.seq))
    }
}

/// An evaluator observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time.
    pub scenario_ms: Option<u64>,
    /// The evaluator.
    pub actor: IdentityId,
    /// Records referenced.
    pub refs: Vec<u64>,
    /// Its free-text subject.
    pub about: Option<String>,
    /// The id of the scenario objective it evaluates.
    pub objective: Option<String>,
    /// The evaluator's rating of that objective.
    pub rating: Option<Rating>,
    /// The text; `None` when redacted.
    pub text: Option<String>,
    /// Seqs of the injects it is about.
    pub injects: Vec<u64>,
}

/// Each delivered inject with the posts that answered it: the posts on its channel after it,
/// until the next inject there, exercise control's own excluded.
pub(super) fn injects(entries: &[Entry], scenario: Option<&Scenario>) -> Vec<InjectReport> {
    let mut injects: Vec<InjectReport> = Vec::new();
    // The inject currently drawing responses on each channel (index into `injects`).
    let mut current: BTreeMap<ChannelId, usize> = BTreeMap::new();
    for e in entries {
        let Some(channel) = &e.channel else { continue };
        match e.kind {
            ActKind::Inject => {
                let body = e.params::<InjectBody>();
                let planned = body
                    .as_ref()
                    .and_then(|b| scenario?.inject(&b.id))
                    .map(Planned::of);
                current.insert(channel.clone(), injects.len());
                injects.push(InjectReport {
                    seq: e.seq,
                    ts: e.ts,
                    scenario_ms: e.scenario_ms,
                    channel: channel.clone(),
                    id: body.as_ref().map(|b| b.id.clone()),
                    title: body.as_ref().map(|b| b.title.clone()),
                    at_s: body.as_ref().map(|b| b.at_s),
                    planned,
                    responses: Vec::new(),
                    observations: Vec::new(),
                });
            }
            ActKind::Post if e.role != Some(Role::Control) => {
                if let Some(&i) = current.get(channel) {
                    injects[i].responses.push(Response {
                        seq: e.seq,
                        actor: e.actor.clone(),
                        ts: e.ts,
                        scenario_ms: e.scenario_ms,
                        held: e.held,
                    });
                }
            }
            _ => {}
        }
    }
    injects
}

/// Every evaluator observation, not yet linked to injects.
pub(super) fn observations(entries: &[Entry]) -> Vec<Observation> {
    entries
        .iter()
        .filter(|e| e.kind == ActKind::Observe)
        .map(|e| {
            let body = e.params::<ObserveBody>();
            Observation {
                seq: e.seq,
                ts: e.ts,
                scenario_ms: e.scenario_ms,
                actor: e.actor.clone(),
                refs: body.as_ref().map(|o| o.refs.clone()).unwrap_or_default(),
                about: body.as_ref().and_then(|o| o.about.clone()),
                objective: body.as_ref().and_then(|o| o.objective.clone()),
                rating: body.as_ref().and_then(|o| o.rating),
                text: body.map(|o| o.text),
                injects: Vec::new(),
            }
        })
        .collect()
}

/// The scenario's injects, in time order, that the journal never delivered.
pub(super) fn unfired(injects: &[InjectReport], scenario: Option<&Scenario>) -> Vec<Planned> {
    let Some(s) = scenario else {
        return Vec::new();
    };
    let fired: BTreeSet<&str> = injects.iter().filter_map(|i| i.id.as_deref()).collect();
    s.timeline()
        .into_iter()
        .filter(|i| !fired.contains(i.id.as_str()))
        .map(Planned::of)
        .collect()
}

/// An observation is about an inject when it references the inject's record or one of its
/// responses, names it in `about`, or mentions its control number in its text.
pub(super) fn link_observations(injects: &mut [InjectReport], observations: &mut [Observation]) {
    for (oi, o) in observations.iter_mut().enumerate() {
        for inject in injects.iter_mut() {
            let refs = o
                .refs
                .iter()
                .any(|r| *r == inject.seq || inject.responses.iter().any(|resp| resp.seq == *r));
            let named = inject.id.as_deref().is_some_and(|id| {
                o.about.as_deref() == Some(id) || o.text.as_deref().is_some_and(|t| mentions(t, id))
            });
            if refs || named {
                inject.observations.push(oi);
                o.injects.push(inject.seq);
            }
        }
    }
}

/// Whether `text` names `id` as a whole word (`M1-1` is not mentioned by `M1-10`).
pub(crate) fn mentions(text: &str, id: &str) -> bool {
    if id.is_empty() {
        return false;
    }
    let word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    text.match_indices(id).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_whole_control_numbers_only() {
        assert!(mentions("M1-01: answered late", "M1-01"));
        assert!(mentions("see (M1-01).", "M1-01"));
        assert!(!mentions("see M1-010", "M1-01"));
        assert!(!mentions("XM1-01", "M1-01"));
        assert!(mentions("XM1-01 and M1-01", "M1-01"));
        assert!(!mentions("anything", ""));
    }
}
