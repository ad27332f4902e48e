//! Exercise control over a real relay: the controller's commands are carried out and answered
//! in sentences, and `status` says where play and every inject stand.

use std::time::Duration;

use fusioncell_exercise::{ControlCommand, ControlEvent, ControlOptions, run_control};
use fusioncell_scenario::Scenario;
use tokio::sync::mpsc;

use crate::harness::*;

fn paris() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../config/scenarios/paris-talks.toml"
    );
    Scenario::from_toml(&std::fs::read_to_string(path).expect("scenario")).expect("parses")
}

/// The next event, within 10 s.
async fn next(events: &mut mpsc::Receiver<ControlEvent>) -> ControlEvent {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("control still running")
}

/// Events until one matches `pred`; every event on the way must read as words.
async fn until(
    events: &mut mpsc::Receiver<ControlEvent>,
    pred: impl Fn(&ControlEvent) -> bool,
) -> String {
    loop {
        let event = next(events).await;
        let text = event.to_string();
        for debug in ["Some(", "Hold(", "Pause", "Status(", "Done(", "Refused("] {
            assert!(!text.contains(debug), "debug output: {text}");
        }
        if pred(&event) {
            return text;
        }
    }
}

#[tokio::test]
async fn control_answers_its_commands_in_sentences_and_reports_status() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let control = client(&cell, &relay, "control").await;
    let scenario = paris();
    let last = scenario
        .timeline()
        .last()
        .expect("an inject")
        .id
        .to_string();
    let options = ControlOptions {
        speed: 1,
        start: true,
        end_when_done: false,
        grace_s: 0,
    };
    let (commands, command_rx) = mpsc::channel(8);
    let (events_tx, mut events) = mpsc::channel(64);
    let running = {
        let scenario = scenario.clone();
        tokio::spawn(async move {
            run_control(&control, &scenario, &options, command_rx, events_tx).await
        })
    };
    until(&mut events, |e| matches!(e, ControlEvent::Started { .. })).await;

    commands
        .send(ControlCommand::Hold(last.clone()))
        .await
        .unwrap();
    let held = until(&mut events, |e| matches!(e, ControlEvent::Done(_))).await;
    assert_eq!(held, format!("{last} held: it waits until released."));
    commands.send(ControlCommand::Pause).await.unwrap();
    let paused = until(&mut events, |e| matches!(e, ControlEvent::Done(_))).await;
    assert!(paused.starts_with("Play paused"), "{paused}");

    commands.send(ControlCommand::Status).await.unwrap();
    let status = until(&mut events, |e| matches!(e, ControlEvent::Status(_))).await;
    assert!(
        status.starts_with("Play is paused at scenario time "),
        "{status}"
    );
    let line = status
        .lines()
        .find(|l| l.trim_start().starts_with(&last))
        .expect("the held inject's line");
    assert!(line.contains(" held "), "{line}");
    assert!(status.contains("once play runs"), "{status}");
    assert_eq!(
        status.lines().count(),
        scenario.injects().len() + 3,
        "a line per inject, two sentences and the totals: {status}"
    );

    // Pausing again is refused by the relay, and said so.
    commands.send(ControlCommand::Pause).await.unwrap();
    let refused = until(&mut events, |e| matches!(e, ControlEvent::Refused(_))).await;
    assert!(
        refused.starts_with("Refused: could not pause play: "),
        "{refused}"
    );
    commands.send(ControlCommand::End).await.unwrap();
    until(&mut events, |e| matches!(e, ControlEvent::Ended)).await;
    running.await.unwrap().unwrap();
    relay.stop().await;
}
