//! The exercise clock: scenario time that runs at a speed while play is on, stands still while
//! paused or halted, and never jumps. It is journaled state: every change is a signed `clock`
//! act, so the relay, every client and an offline verifier compute the same scenario time.

use crate::act_body::ClockAction;
use serde::{Deserialize, Serialize};

/// Where the exercise is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Phase {
    /// Before STARTEX.
    NotStarted,
    /// Play is on; scenario time runs.
    Running,
    /// Play is stopped; scenario time stands still.
    Paused,
    /// After ENDEX.
    Ended,
}

/// The clock's state, as the relay sends it to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// Where the exercise is.
    pub phase: Phase,
    /// A real-world emergency halted play (the phase is then `paused`).
    pub halted: bool,
    /// Scenario milliseconds per real millisecond.
    pub speed: u32,
    /// Scenario time at the last change, in milliseconds from STARTEX.
    pub scenario_ms: u64,
    /// Relay time of the last change, in milliseconds since the Unix epoch.
    pub since_ms: i64,
    /// Play time at the last change: relay milliseconds counted while play is on (before
    /// STARTEX and while running; not while paused, halted or ended). Hotline deadlines count
    /// in it, so they stand still whenever play does. Until the first stop it equals relay
    /// time.
    #[serde(default)]
    pub play_ms: i64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            phase: Phase::NotStarted,
            halted: false,
            speed: 1,
            scenario_ms: 0,
            since_ms: 0,
            play_ms: 0,
        }
    }
}

impl Clock {
    /// Scenario time at relay time `wall_ms`.
    pub fn scenario_ms_at(&self, wall_ms: i64) -> u64 {
        match self.phase {
            Phase::Running => {
                let elapsed = u64::try_from(wall_ms.saturating_sub(self.since_ms)).unwrap_or(0);
                self.scenario_ms
                    .saturating_add(elapsed.saturating_mul(u64::from(self.speed)))
            }
            _ => self.scenario_ms,
        }
    }

    /// Play time at relay time `wall_ms` ([`Clock::play_ms`]).
    pub fn play_ms_at(&self, wall_ms: i64) -> i64 {
        if self.play_allowed() {
            self.play_ms
                .saturating_add(wall_ms.saturating_sub(self.since_ms).max(0))
        } else {
            self.play_ms
        }
    }

    /// Whether `action` is possible now; the reason when not.
    pub fn check(&self, action: ClockAction) -> Result<(), String> {
        use ClockAction as A;
        use Phase as P;
        let ok = match (action, self.phase) {
            (A::Start, P::NotStarted) => true,
            (A::Pause, P::Running) => true,
            (A::Resume, P::Paused) => true,
            (A::End, P::Running | P::Paused) => true,
            (A::Halt, P::Running | P::Paused) => !self.halted,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "cannot {} the exercise clock: it is {}{}",
                action.as_str(),
                phase_name(self.phase),
                if self.halted { " (halted)" } else { "" }
            ))
        }
    }

    /// Applies a checked action at relay time `wall_ms`. Scenario time is carried across every
    /// change, so a pause neither loses nor gains any.
    pub fn apply(&mut self, action: ClockAction, wall_ms: i64, speed: Option<u32>) {
        self.scenario_ms = self.scenario_ms_at(wall_ms);
        self.play_ms = self.play_ms_at(wall_ms);
        self.since_ms = wall_ms;
        match action {
            ClockAction::Start => {
                self.phase = Phase::Running;
                self.speed = speed.unwrap_or(1).max(1);
                self.scenario_ms = 0;
            }
            ClockAction::Pause => self.phase = Phase::Paused,
            ClockAction::Resume => {
                self.phase = Phase::Running;
                self.halted = false;
            }
            ClockAction::End => {
                self.phase = Phase::Ended;
                self.halted = false;
            }
            ClockAction::Halt => {
                self.phase = Phase::Paused;
                self.halted = true;
            }
        }
    }

    /// Whether play is on: parties may post, and hotline deadlines count. Not while paused,
    /// halted or ended.
    pub fn play_allowed(&self) -> bool {
        matches!(self.phase, Phase::NotStarted | Phase::Running)
    }
}

/// The phase's name, as on the wire.
pub fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::NotStarted => "not started",
        Phase::Running => "running",
        Phase::Paused => "paused",
        Phase::Ended => "ended",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_neither_loses_nor_gains_time() {
        let mut c = Clock::default();
        c.apply(ClockAction::Start, 1_000, Some(60));
        assert_eq!(c.scenario_ms_at(2_000), 60_000);
        c.apply(ClockAction::Pause, 2_000, None);
        assert_eq!(
            c.scenario_ms_at(50_000),
            60_000,
            "stands still while paused"
        );
        c.apply(ClockAction::Resume, 50_000, None);
        assert_eq!(c.scenario_ms_at(51_000), 120_000);
        c.apply(ClockAction::Halt, 51_000, None);
        assert!(c.halted && !c.play_allowed());
        assert_eq!(c.scenario_ms_at(99_000), 120_000);
        c.apply(ClockAction::Resume, 99_000, None);
        assert!(!c.halted && c.play_allowed());
        c.apply(ClockAction::End, 100_000, None);
        assert_eq!(c.scenario_ms_at(200_000), 180_000);
    }

    #[test]
    fn play_time_is_relay_time_until_play_stops_and_then_stands_still() {
        let mut c = Clock::default();
        assert_eq!(c.play_ms_at(5_000), 5_000, "before STARTEX play is on");
        c.apply(ClockAction::Start, 10_000, Some(60));
        assert_eq!(c.play_ms_at(12_000), 12_000);
        c.apply(ClockAction::Pause, 12_000, None);
        assert_eq!(c.play_ms_at(40_000), 12_000, "stands still while paused");
        c.apply(ClockAction::Resume, 40_000, None);
        assert_eq!(c.play_ms_at(41_000), 13_000);
        c.apply(ClockAction::Halt, 41_000, None);
        assert_eq!(c.play_ms_at(90_000), 13_000, "and while halted");
        c.apply(ClockAction::Resume, 90_000, None);
        c.apply(ClockAction::End, 91_000, None);
        assert_eq!(c.play_ms_at(500_000), 14_000, "and after ENDEX");
    }

    #[test]
    fn transitions_are_checked() {
        let mut c = Clock::default();
        assert!(c.check(ClockAction::Pause).is_err());
        assert!(c.check(ClockAction::Start).is_ok());
        c.apply(ClockAction::Start, 0, None);
        assert!(c.check(ClockAction::Start).is_err());
        assert!(c.check(ClockAction::Resume).is_err());
        c.apply(ClockAction::Halt, 0, None);
        assert!(c.check(ClockAction::Halt).is_err());
        assert!(c.check(ClockAction::Resume).is_ok());
        c.apply(ClockAction::End, 0, None);
        for a in [
            ClockAction::Start,
            ClockAction::Pause,
            ClockAction::Resume,
            ClockAction::Halt,
            ClockAction::End,
        ] {
            assert!(c.check(a).is_err());
        }
    }
}
