//! What the exercise measured, derived from the placed records: each inject with the responses
//! it drew, evaluator observations against expected actions, moderation decisions and time in
//! queue, pauses and halts, hotline acknowledgements and escalations, participation per
//! identity, security events, redactions (never their text) and witness cosignatures.
//!
//! One file per metric; each derives its value from the records on its own.

mod clock;
mod hotline;
mod injects;
mod moderation;
mod objectives;
mod participation;
mod redactions;
mod security;
mod witnesses;

use fusioncell_scenario::Scenario;
use fusioncell_wire::ActKind;
use fusioncell_wire::act_body::{ReceiptBody, ReceiptKind};

pub use clock::{ClockEvent, Stoppage};
pub use hotline::{HotlineMessage, Reply};
pub use injects::{InjectReport, Observation, Planned, Response};
pub use moderation::{Decision, HeldPost, Moderation};
pub use objectives::ObjectiveReport;
pub use participation::{CATEGORIES, Participation};
pub use redactions::Redaction;
pub use security::{Recovery, SecurityEvent};
pub use witnesses::Witness;

use crate::model::{ChannelInfo, Entry, Participant};

/// Everything measured.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Injects delivered, in journal order.
    pub injects: Vec<InjectReport>,
    /// Scenario injects never delivered (skipped, held back, contingency not needed).
    pub unfired: Vec<Planned>,
    /// Evaluator observations.
    pub observations: Vec<Observation>,
    /// The objectives, each with its injects, observations and ratings.
    pub objectives: Vec<ObjectiveReport>,
    /// Moderated posts and decisions.
    pub moderation: Moderation,
    /// Every change of the exercise clock.
    pub clock_events: Vec<ClockEvent>,
    /// Pauses and halts.
    pub stoppages: Vec<Stoppage>,
    /// Hotline posts.
    pub hotline: Vec<HotlineMessage>,
    /// Acts per identity, in config order.
    pub participation: Vec<Participation>,
    /// Refused logins and acts.
    pub security: Vec<SecurityEvent>,
    /// Relay restarts.
    pub recoveries: Vec<Recovery>,
    /// Redactions (what and by whom, never the text).
    pub redactions: Vec<Redaction>,
    /// Mutes, unmutes, grants and revocations: their seqs.
    pub supervision: Vec<u64>,
    /// Per witness, the largest checkpoint it cosigned.
    pub witnesses: Vec<Witness>,
    /// Receipts: delivered, read.
    pub receipts: (u64, u64),
}

/// Derives every metric from the placed records.
pub fn compute(
    entries: &[Entry],
    identities: &[Participant],
    channels: &[ChannelInfo],
    scenario: Option<&Scenario>,
) -> Metrics {
    let mut injects = injects::injects(entries, scenario);
    let mut observations = injects::observations(entries);
    injects::link_observations(&mut injects, &mut observations);
    let clock_events = clock::clock_events(entries);
    let unfired = injects::unfired(&injects, scenario);
    Metrics {
        objectives: objectives::objectives(scenario, &injects, &unfired, &observations),
        unfired,
        injects,
        observations,
        moderation: moderation::moderation(entries),
        stoppages: clock::stoppages(&clock_events),
        clock_events,
        hotline: hotline::hotline(entries, channels),
        participation: participation::participation(entries, identities),
        security: security::security(entries),
        recoveries: security::recoveries(entries),
        redactions: redactions::redactions(entries),
        supervision: supervision(entries),
        witnesses: witnesses::witnesses(entries),
        receipts: receipts(entries),
    }
}

/// The seqs of mutes, unmutes, grants and revocations.
fn supervision(entries: &[Entry]) -> Vec<u64> {
    entries
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                ActKind::Mute | ActKind::Unmute | ActKind::Grant | ActKind::Revoke
            )
        })
        .map(|e| e.seq)
        .collect()
}

/// Records receipted: delivered, read (a batch receipt counts every record it covers).
fn receipts(entries: &[Entry]) -> (u64, u64) {
    let mut counts = (0, 0);
    for e in entries.iter().filter(|e| e.kind == ActKind::Receipt) {
        let Some(r) = e.params::<ReceiptBody>() else {
            continue;
        };
        let covered = r.targets().count() as u64;
        match r.kind {
            ReceiptKind::Delivered => counts.0 += covered,
            ReceiptKind::Read => counts.1 += covered,
        }
    }
    counts
}
