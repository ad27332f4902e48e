//! Hotline deadlines on the exercise clock: a deadline counts only while play is on, in wall
//! or scenario seconds as the channel says ([`AckClock`]), so nothing escalates while play is
//! paused, halted or ended, and a paused countdown resumes where it stood. The relay, the
//! clients and the console compute the same deadline from the same journaled clock.

use fusioncell_wire::clock::{Clock, Phase};

use crate::file::AckClock;

/// When a hotline post's acknowledgement deadline passes, on the clock it counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// At this play time ([`Clock::play_ms`]).
    Play(i64),
    /// At this scenario time.
    Scenario(u64),
}

impl Due {
    /// The deadline of a post made at relay time `ts` under `clock`: `ack_seconds` of
    /// `ack_clock` from then.
    pub fn of(clock: &Clock, ts: i64, ack_seconds: u32, ack_clock: AckClock) -> Due {
        let ack_ms = u64::from(ack_seconds) * 1000;
        match ack_clock {
            AckClock::Scenario => Due::Scenario(clock.scenario_ms_at(ts).saturating_add(ack_ms)),
            _ => Due::Play(
                clock
                    .play_ms_at(ts)
                    .saturating_add(i64::try_from(ack_ms).unwrap_or(i64::MAX)),
            ),
        }
    }

    /// Whether the deadline has passed at relay time `now_ms` under `clock`.
    pub fn passed(&self, clock: &Clock, now_ms: i64) -> bool {
        match *self {
            Due::Play(due) => clock.play_ms_at(now_ms) >= due,
            Due::Scenario(due) => clock.scenario_ms_at(now_ms) >= due,
        }
    }

    /// Whether the deadline is counting down now (play is on; for scenario seconds, the clock
    /// runs).
    pub fn counting(&self, clock: &Clock) -> bool {
        match self {
            Due::Play(_) => clock.play_allowed(),
            Due::Scenario(_) => clock.phase == Phase::Running,
        }
    }

    /// Relay milliseconds left at `now_ms` if play goes on at the clock's speed (0 once
    /// passed): what a countdown shows.
    pub fn remaining_ms(&self, clock: &Clock, now_ms: i64) -> u64 {
        match *self {
            Due::Play(due) => {
                u64::try_from(due.saturating_sub(clock.play_ms_at(now_ms))).unwrap_or(0)
            }
            Due::Scenario(due) => due
                .saturating_sub(clock.scenario_ms_at(now_ms))
                .div_ceil(u64::from(clock.speed.max(1))),
        }
    }
}

#[cfg(test)]
mod tests;
