//! The console's clock (`web/clock.js`) computes what the relay computes: scenario time, play
//! time and every hotline deadline (`fusioncell_wire::clock::Clock`, `fusioncell_cell::Due`),
//! over a few hundred random clock schedules — starts at any speed, pauses, resumes, halts,
//! ENDEX, hotline posts in wall and scenario seconds — each probed between its steps. `node`
//! is required: the browser tests need it too (README.md).

mod support;

use fusioncell_cell::{AckClock, Due};
use fusioncell_wire::act_body::ClockAction;
use fusioncell_wire::clock::Clock;
use serde_json::{Value, json};
use support::{Rng, run_in_node};

const ACTIONS: [ClockAction; 5] = [
    ClockAction::Start,
    ClockAction::Pause,
    ClockAction::Resume,
    ClockAction::Halt,
    ClockAction::End,
];

/// What Rust computes at `now` for deadline `due` under `clock`.
fn probe(clock: &Clock, due: &Due, now: i64) -> Value {
    json!({
        "scenario": clock.scenario_ms_at(now),
        "play": clock.play_ms_at(now),
        "remaining": due.remaining_ms(clock, now),
        "counting": due.counting(clock),
    })
}

/// One schedule: its steps for node, and Rust's probes.
fn schedule(rng: &mut Rng) -> Value {
    let mut clock = Clock::default();
    let mut now = 1_764_115_200_000i64 + rng.next(10_000) as i64;
    let mut steps = Vec::new();
    let mut expected = Vec::new();
    let mut dues: Vec<(Due, i64, u32, AckClock)> = Vec::new();
    for _ in 0..rng.next(14) {
        now += 1 + rng.next(90_000) as i64;
        if rng.next(3) == 0 {
            let ack_seconds = 1 + rng.next(300) as u32;
            let ack_clock = if rng.next(2) == 0 {
                AckClock::Wall
            } else {
                AckClock::Scenario
            };
            dues.push((
                Due::of(&clock, now, ack_seconds, ack_clock),
                now,
                ack_seconds,
                ack_clock,
            ));
            steps.push(json!({"post": {"ts": now, "ack_seconds": ack_seconds, "ack_clock": ack_clock.as_str()}}));
        } else {
            let action = ACTIONS[rng.next(5) as usize];
            let speed = 1 + rng.next(120) as u32;
            if clock.check(action).is_ok() {
                clock.apply(action, now, Some(speed));
                steps
                    .push(json!({"clock": {"action": action.as_str(), "ts": now, "speed": speed}}));
            }
        }
        let at = now + rng.next(400_000) as i64;
        let probes: Vec<Value> = dues
            .iter()
            .map(|(due, ..)| probe(&clock, due, at))
            .collect();
        steps.push(json!({"probe": at}));
        expected.push(json!(probes));
    }
    json!({"steps": steps, "expected": expected})
}

const SCRIPT: &str = r#"
    const K = M;
    const out = cases.map(({ steps }) => {
        let clock = K.initialClock();
        const dues = [];
        const probes = [];
        for (const s of steps) {
            if (s.clock) clock = K.applyClock(clock, s.clock.action, s.clock.ts, s.clock.speed);
            else if (s.post) dues.push(K.dueOf(clock, s.post.ts, s.post.ack_seconds, s.post.ack_clock));
            else probes.push(dues.map((d) => ({
                scenario: K.scenarioAt(clock, s.probe),
                play: K.playAt(clock, s.probe),
                remaining: K.remainingMs(d, clock, s.probe),
                counting: K.counting(d, clock),
            })));
        }
        return probes;
    });
    process.stdout.write(JSON.stringify(out));
"#;

#[test]
fn the_console_clock_computes_what_the_relay_computes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let schedules: Vec<Value> = (0..300).map(|_| schedule(&mut rng)).collect();
    let got = run_in_node("clock.js", &json!(schedules), SCRIPT);
    let got = got.as_array().expect("an array per schedule");
    let probes: usize = schedules
        .iter()
        .map(|s| s["expected"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(probes > 1000, "only {probes} probes");
    for (i, (s, got)) in schedules.iter().zip(got.iter()).enumerate() {
        assert_eq!(&s["expected"], got, "schedule {i}: {}", s["steps"]);
    }
}
