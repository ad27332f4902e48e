//! Property: driven by the exercise clock through random pauses, halts and ENDEX, and polled at
//! random wall times, the scheduler fires every inject exactly once (unless ENDEX came first),
//! in scenario-time order, never before its time, and never during a pause; and the clock
//! neither loses nor gains scenario time across pauses.

use std::collections::BTreeSet;

use fusioncell_scenario::{Clock, Phase, Scenario, Schedule};
use fusioncell_wire::act_body::ClockAction;
use proptest::prelude::*;

/// How play stops between two running stretches.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Pause,
    Halt,
    PauseThenHalt,
}

#[derive(Debug, Clone)]
struct Case {
    /// (at_s, contingency) in file order.
    injects: Vec<(u64, bool)>,
    speed: u32,
    start_wall: i64,
    /// (running ms, how play stops, stopped ms), in order.
    segments: Vec<(i64, Stop, i64)>,
    /// Running ms after the last segment before ENDEX, if the exercise ends.
    end_after: Option<i64>,
    /// Poll times as millionths of the span of clock events.
    polls: Vec<u32>,
}

fn case() -> impl Strategy<Value = Case> {
    let stop = prop_oneof![
        Just(Stop::Pause),
        Just(Stop::Halt),
        Just(Stop::PauseThenHalt)
    ];
    (
        prop::collection::vec((0u64..=7200, prop::bool::weighted(0.15)), 1..=30),
        1u32..=200,
        0i64..1_000_000_000,
        prop::collection::vec((0i64..600_000, stop, 0i64..600_000), 0..8),
        prop::option::weighted(0.3, 0i64..3_600_000),
        prop::collection::vec(0u32..1_000_000, 0..60),
    )
        .prop_map(
            |(injects, speed, start_wall, segments, end_after, polls)| Case {
                injects,
                speed,
                start_wall,
                segments,
                end_after,
                polls,
            },
        )
}

fn scenario(injects: &[(u64, bool)]) -> Scenario {
    let mut text =
        String::from("[scenario]\ntitle = \"p\"\n[[move]]\nid = \"M1\"\ntitle = \"m\"\n");
    for (i, (at, contingency)) in injects.iter().enumerate() {
        text.push_str(&format!(
            "[[inject]]\nid = \"I{i}\"\nat = {at}\nmove = \"M1\"\nchannel = \"c\"\n\
             title = \"t\"\ntext = \"x\"\nexpected = []\ncontingency = {contingency}\n"
        ));
    }
    Scenario::from_toml(&text).unwrap()
}

/// A wall-time event: a clock change, or a poll.
#[derive(Debug, Clone, Copy)]
enum Ev {
    Clock(ClockAction),
    Poll,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn injects_fire_once_in_order_never_early_never_in_a_pause(c in case()) {
        let scenario = scenario(&c.injects);
        let mut schedule = Schedule::new(&scenario);
        let mut clock = Clock::default();

        // The clock's changes in wall time.
        let mut changes: Vec<(i64, ClockAction)> = vec![(c.start_wall, ClockAction::Start)];
        let mut w = c.start_wall;
        for &(run, stop, stopped) in &c.segments {
            w += run;
            match stop {
                Stop::Pause => changes.push((w, ClockAction::Pause)),
                Stop::Halt => changes.push((w, ClockAction::Halt)),
                Stop::PauseThenHalt => {
                    changes.push((w, ClockAction::Pause));
                    changes.push((w + stopped / 2, ClockAction::Halt));
                }
            }
            w += stopped;
            changes.push((w, ClockAction::Resume));
        }
        let last_change = w;
        let end_wall = c.end_after.map(|after| last_change + after);
        if let Some(e) = end_wall {
            changes.push((e, ClockAction::End));
        }

        // Polls at random wall times over the clock's events, and (without ENDEX) one late
        // enough for every inject's time; before each change the runner polls once more.
        let span = end_wall.unwrap_or(last_change) - c.start_wall;
        let mut events: Vec<(i64, u8, Ev)> = c
            .polls
            .iter()
            .map(|&p| (c.start_wall + span * i64::from(p) / 1_000_000, 1, Ev::Poll))
            .collect();
        if end_wall.is_none() {
            events.push((last_change + 7_200_000 + 1, 1, Ev::Poll));
        }
        for &(wall, action) in &changes {
            events.push((wall, 0, Ev::Poll));
            events.push((wall, 0, Ev::Clock(action)));
        }
        // By wall time; at the same time, the pre-change poll and the change come first
        // (stable sort keeps their order), then random polls.
        events.sort_by_key(|&(wall, rank, _)| (wall, rank));

        let mut fired: Vec<(u64, usize)> = Vec::new(); // (at_ms, file index)
        let mut last_now = 0u64;
        let mut running_ms: i64 = 0; // wall ms spent running, for the independent check
        let mut last_wall = c.start_wall;
        for (wall, _, ev) in events {
            if clock.phase == Phase::Running {
                running_ms += wall - last_wall;
            }
            last_wall = wall;
            match ev {
                Ev::Clock(action) => {
                    let speed = (action == ClockAction::Start).then_some(c.speed);
                    prop_assert!(clock.check(action).is_ok(), "{:?} in {:?}", action, clock.phase);
                    clock.apply(action, wall, speed);
                }
                Ev::Poll => {
                    if clock.phase == Phase::Ended {
                        continue; // control stops at ENDEX
                    }
                    let now = clock.scenario_ms_at(wall);
                    // The clock neither loses nor gains: scenario time is running time x speed.
                    prop_assert_eq!(now, u64::try_from(running_ms).unwrap() * u64::from(c.speed));
                    prop_assert!(now >= last_now, "scenario time never runs back");
                    last_now = now;
                    let due = schedule.due(now);
                    if clock.phase == Phase::Paused {
                        prop_assert!(due.is_empty(), "fired during a pause: {:?}", due);
                    }
                    for id in due {
                        let i: usize = id.as_str()[1..].parse().unwrap();
                        let at_ms = c.injects[i].0 * 1000;
                        prop_assert!(at_ms <= now, "{} fired at {} before its time {}", id, now, at_ms);
                        prop_assert!(!c.injects[i].1, "contingency {} fired on its own", id);
                        fired.push((at_ms, i));
                    }
                }
            }
        }

        // Exactly once each, in (time, file order).
        let mut sorted = fired.clone();
        sorted.sort();
        prop_assert_eq!(&fired, &sorted, "fired out of order");
        let unique: BTreeSet<usize> = fired.iter().map(|&(_, i)| i).collect();
        prop_assert_eq!(unique.len(), fired.len(), "an inject fired twice");
        let end_scenario_ms = clock.scenario_ms;
        let expected: BTreeSet<usize> = c
            .injects
            .iter()
            .enumerate()
            .filter(|(_, (at, contingency))| {
                !contingency && (end_wall.is_none() || at * 1000 <= end_scenario_ms)
            })
            .map(|(i, _)| i)
            .collect();
        prop_assert_eq!(unique, expected);
    }
}
