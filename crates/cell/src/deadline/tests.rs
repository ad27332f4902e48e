//! Hotline deadlines against an independent oracle over random clock schedules: the counted
//! time is integrated step by step from the schedule itself (wall time while play is on, or
//! scenario time at the clock's speed while it runs), and the deadline must pass exactly when
//! that integral reaches it — never while the clock stands still, once, and on time.

use fusioncell_wire::act_body::ClockAction;
use fusioncell_wire::clock::{Clock, Phase};
use proptest::prelude::*;

use super::Due;
use crate::file::AckClock;

/// One step of a schedule: wait `gap_ms`, then try `action` (skipped if the clock refuses it).
#[derive(Debug, Clone)]
struct Step {
    gap_ms: i64,
    action: ClockAction,
    speed: u32,
}

fn step() -> impl Strategy<Value = Step> {
    (
        1..5_000i64,
        prop_oneof![
            Just(ClockAction::Start),
            Just(ClockAction::Pause),
            Just(ClockAction::Resume),
            Just(ClockAction::Halt),
            Just(ClockAction::End),
        ],
        1..120u32,
    )
        .prop_map(|(gap_ms, action, speed)| Step {
            gap_ms,
            action,
            speed,
        })
}

/// Counted milliseconds gained over `dt` wall milliseconds in `clock`'s current phase.
fn gained(clock: &Clock, ack_clock: AckClock, dt: i64) -> i64 {
    match ack_clock {
        AckClock::Scenario if clock.phase == Phase::Running => dt * i64::from(clock.speed),
        AckClock::Scenario => 0,
        _ if matches!(clock.phase, Phase::NotStarted | Phase::Running) => dt,
        _ => 0,
    }
}

const T0: i64 = 1_700_000_000_000;
/// The relay looks for overdue posts this often.
const TICK_MS: i64 = 100;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_deadline_passes_once_when_the_counted_time_reaches_it_and_never_while_stopped(
        steps in proptest::collection::vec(step(), 0..12),
        post_after in 0usize..12,
        ack_seconds in 1u32..20,
        scenario in any::<bool>(),
    ) {
        let ack_clock = if scenario { AckClock::Scenario } else { AckClock::Wall };
        let mut clock = Clock::default();
        let mut now = T0;
        let mut due = None;
        let mut counted = 0i64;
        let mut fired = 0;
        let ack_ms = i64::from(ack_seconds) * 1000;
        // Each step's gap is walked tick by tick, as the relay's commit loop does.
        for (i, s) in steps.iter().chain(std::iter::once(&Step {
            gap_ms: 200_000,
            action: ClockAction::End,
            speed: 1,
        })).enumerate() {
            if i == post_after.min(steps.len()) && due.is_none() {
                due = Some(Due::of(&clock, now, ack_seconds, ack_clock));
            }
            let mut left = s.gap_ms;
            while left > 0 {
                let dt = left.min(TICK_MS);
                left -= dt;
                let before = counted;
                if due.is_some() {
                    counted += gained(&clock, ack_clock, dt);
                }
                now += dt;
                let Some(d) = due else { continue };
                let passed = d.passed(&clock, now);
                prop_assert_eq!(passed, counted >= ack_ms, "at {} ms counted {}", now - T0, counted);
                if passed && before < ack_ms {
                    fired += 1;
                }
                let left_ms = d.remaining_ms(&clock, now);
                prop_assert_eq!(left_ms == 0, passed);
                if !d.counting(&clock) {
                    prop_assert_eq!(counted, before, "counted while the clock stood still");
                }
            }
            if clock.check(s.action).is_ok() {
                clock.apply(s.action, now, Some(s.speed));
            }
        }
        prop_assert!(fired <= 1);
        if due.is_some() {
            prop_assert_eq!(fired == 1, counted >= ack_ms);
        }
    }
}

#[test]
fn a_pause_holds_a_wall_deadline_and_a_resume_picks_it_up() {
    let mut clock = Clock::default();
    clock.apply(ClockAction::Start, T0, Some(60));
    let due = Due::of(&clock, T0 + 1_000, 10, AckClock::Wall);
    assert_eq!(due.remaining_ms(&clock, T0 + 4_000), 7_000);
    clock.apply(ClockAction::Pause, T0 + 4_000, None);
    assert!(!due.passed(&clock, T0 + 600_000) && !due.counting(&clock));
    assert_eq!(due.remaining_ms(&clock, T0 + 600_000), 7_000);
    clock.apply(ClockAction::Resume, T0 + 600_000, None);
    assert!(!due.passed(&clock, T0 + 606_999));
    assert!(due.passed(&clock, T0 + 607_000));
}

#[test]
fn a_scenario_deadline_runs_at_the_clock_speed_and_only_from_startex() {
    let mut clock = Clock::default();
    let due = Due::of(&clock, T0, 120, AckClock::Scenario);
    assert!(!due.counting(&clock));
    assert!(!due.passed(&clock, T0 + 3_600_000), "not before STARTEX");
    clock.apply(ClockAction::Start, T0 + 10_000, Some(60));
    assert_eq!(
        due.remaining_ms(&clock, T0 + 10_000),
        2_000,
        "120 scenario s at 60x"
    );
    assert!(due.passed(&clock, T0 + 12_000));
}
