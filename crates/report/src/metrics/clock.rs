//! Changes of the exercise clock, and the pauses and halts they bracket.

use fusioncell_wire::act_body::{ClockAction, ClockBody};
use fusioncell_wire::{ActKind, IdentityId};

use crate::model::Entry;

/// A change of the exercise clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockEvent {
    /// Its seq.
    pub seq: u64,
    /// Relay time.
    pub ts: i64,
    /// Scenario time after it.
    pub scenario_ms: Option<u64>,
    /// Who.
    pub actor: IdentityId,
    /// What.
    pub action: ClockAction,
    /// Speed set (start).
    pub speed: Option<u32>,
    /// Reason given.
    pub reason: Option<String>,
}

/// A pause or a halt, and what ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stoppage {
    /// The clock act that stopped play.
    pub start: ClockEvent,
    /// A real-world-emergency halt (else a pause).
    pub halted: bool,
    /// The clock act that ended it (resume, end, or a halt during a pause); `None` when play
    /// was still stopped at the end of the journal.
    pub end: Option<ClockEvent>,
}

impl Stoppage {
    /// Real time stopped, ms.
    pub fn real_ms(&self) -> Option<i64> {
        self.end
            .as_ref()
            .map(|e| e.ts.saturating_sub(self.start.ts))
    }
}

/// Every change of the exercise clock, in order.
pub(super) fn clock_events(entries: &[Entry]) -> Vec<ClockEvent> {
    entries
        .iter()
        .filter(|e| e.kind == ActKind::Clock)
        .filter_map(|e| {
            let c = e.params::<ClockBody>()?;
            Some(ClockEvent {
                seq: e.seq,
                ts: e.ts,
                scenario_ms: e.scenario_ms,
                actor: e.actor.clone(),
                action: c.action,
                speed: c.speed,
                reason: c.reason,
            })
        })
        .collect()
}

/// Pauses and halts from the clock changes: each ends at the next resume, end, or stop (a
/// halt during a pause ends the pause and starts the halt).
pub(super) fn stoppages(events: &[ClockEvent]) -> Vec<Stoppage> {
    let mut out = Vec::new();
    let mut open: Option<Stoppage> = None;
    for event in events {
        match event.action {
            ClockAction::Pause | ClockAction::Halt => {
                if let Some(mut stop) = open.take() {
                    stop.end = Some(event.clone());
                    out.push(stop);
                }
                open = Some(Stoppage {
                    start: event.clone(),
                    halted: event.action == ClockAction::Halt,
                    end: None,
                });
            }
            ClockAction::Resume | ClockAction::End => {
                if let Some(mut stop) = open.take() {
                    stop.end = Some(event.clone());
                    out.push(stop);
                }
            }
            ClockAction::Start => {}
        }
    }
    out.extend(open);
    out
}
