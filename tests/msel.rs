//! Control's MSEL over a real relay: the scenario reaches control and evaluators after login and
//! no one else, whatever they try; skip, hold and release are journaled white-cell records that
//! players never receive; and exercise control's timeline is the journal's, so a hold made by
//! another controller (a console) keeps the inject back.

use std::time::Duration;

use fusioncell_client::acts;
use fusioncell_exercise::{ControlEvent, ControlOptions, run_control};
use fusioncell_scenario::Scenario;
use fusioncell_wire::act_body::{MselAction, MselBody};
use fusioncell_wire::{ActKind, ServerMsg};
use tokio::sync::mpsc;

use crate::harness::*;

fn paris() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../config/scenarios/paris-talks.toml"
    );
    Scenario::from_toml(&std::fs::read_to_string(path).expect("scenario")).expect("parses")
}

/// Every frame a fresh login of `id` receives in its first second (nothing asked for).
async fn first_frames(cell: &TestCell, relay: &Relay, id: &str) -> Vec<ServerMsg> {
    let mut ws = raw_login(cell, relay, id).await;
    let mut frames = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while let Ok(got) = tokio::time::timeout_at(deadline, next(&mut ws, 5)).await {
        match got {
            Got::Msg(m) => frames.push(m),
            other => panic!("{id}: connection ended: {other:?}"),
        }
    }
    frames
}

#[tokio::test]
async fn the_scenario_reaches_control_and_evaluators_only() {
    let cell = TestCell::busy();
    let scenario = paris();
    let notes = scenario
        .injects()
        .iter()
        .find_map(|i| i.notes.clone())
        .expect("a controller note");
    let relay =
        Relay::start_with_scenario(&cell, Some(serde_json::to_value(&scenario).expect("json")))
            .await;
    for id in ["control", "evaluator"] {
        let frames = first_frames(&cell, &relay, id).await;
        let got = frames
            .iter()
            .find_map(|f| match f {
                ServerMsg::Scenario { scenario } => Some(scenario),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{id} got no scenario: {frames:?}"));
        assert_eq!(
            got["injects"].as_array().map(Vec::len),
            Some(scenario.injects().len())
        );
        assert!(got.to_string().contains(&notes), "{id}: notes included");
    }
    // Players, the mediator and the observer: not in the greeting, not on asking.
    for id in ["israel", "syria", "us", "france"] {
        let mut ws = raw_login(&cell, &relay, id).await;
        // Ask as a client might: every frame type a client sends, and a resume from 0.
        send_text(&mut ws, r#"{"type":"subscribe","from":0}"#).await;
        send_text(&mut ws, r#"{"type":"scenario"}"#).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while let Ok(got) = tokio::time::timeout_at(deadline, next(&mut ws, 5)).await {
            if let Got::Msg(m) = &got {
                let text = m.to_json();
                assert!(
                    !matches!(m, ServerMsg::Scenario { .. }) && !text.contains(&notes),
                    "{id} received the scenario: {text}"
                );
            } else {
                break; // the unknown frame may close the session: still nothing leaked
            }
        }
    }
}

#[tokio::test]
async fn msel_decisions_are_controls_and_reach_the_white_cell_only() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let control = client(&cell, &relay, "control").await;
    let evaluator = client(&cell, &relay, "evaluator").await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    let mut evaluator_sub = live(&evaluator).await;

    let held = control
        .send(acts::msel("M1-02", MselAction::Hold))
        .await
        .expect("control holds an inject");
    let (record, _) = next_where(&mut evaluator_sub, |r| r.act.kind == ActKind::Msel).await;
    assert_eq!(record.seq, held.cell_seq);

    // A party or the mediator may not make one.
    for who in [&israel, &us] {
        let err = who
            .send(acts::msel("M1-02", MselAction::Release))
            .await
            .expect_err("only control decides on the timeline");
        assert!(err.to_string().contains("forbidden"), "{err}");
    }
    // Malformed: a channel, or no inject named.
    let refused = control
        .act_json(
            ActKind::Msel,
            Some(fusioncell_wire::ChannelId::new("diplomacy").unwrap()),
            &MselBody {
                id: "M1-02".into(),
                action: MselAction::Skip,
            },
        )
        .await
        .expect_err("cell-wide only");
    assert!(
        refused.to_string().contains("takes no channel"),
        "{refused}"
    );
    let refused = control
        .send(acts::msel(" ", MselAction::Skip))
        .await
        .expect_err("an inject is named");
    assert!(refused.to_string().contains("`id` is empty"), "{refused}");

    // Neither a party nor the mediator receives it, live or on a resume from the start.
    for who in [&israel, &us] {
        let mut sub = who.subscribe(Some(0)).await.expect("subscribe");
        loop {
            match tokio::time::timeout(Duration::from_secs(5), sub.next())
                .await
                .expect("the backlog arrives")
                .expect("subscribed")
            {
                fusioncell_client::Event::Record { record, .. } => {
                    assert_ne!(
                        record.act.kind,
                        ActKind::Msel,
                        "a player got an msel record"
                    )
                }
                fusioncell_client::Event::Live { .. } => break,
                _ => {}
            }
        }
    }
}

#[tokio::test]
async fn control_keeps_back_an_inject_another_controller_held() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let console = client(&cell, &relay, "control").await;
    let runner = client(&cell, &relay, "control").await;
    let scenario = paris();
    let timed: Vec<_> = scenario
        .timeline()
        .into_iter()
        .filter(|i| !i.contingency)
        .collect();
    let (first, second) = (timed[0].id.to_string(), timed[1].id.to_string());
    // Another controller (a console) held the first inject before this control started.
    console
        .send(acts::msel(&first, MselAction::Hold))
        .await
        .expect("hold");
    let options = ControlOptions {
        speed: 100_000,
        start: true,
        end_when_done: false,
        grace_s: 0,
    };
    let (commands, command_rx) = mpsc::channel(4);
    let (events_tx, mut events) = mpsc::channel(64);
    let run = tokio::spawn(async move {
        run_control(&runner, &paris(), &options, command_rx, events_tx).await
    });
    // At ×100000 the second inject is due within a second; the held first one never fires.
    let mut fired = Vec::new();
    while !fired.contains(&second) {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event")
            .expect("running");
        if let ControlEvent::Fired { id, .. } = event {
            fired.push(id);
        }
    }
    assert!(!fired.contains(&first), "a held inject fired: {fired:?}");
    // The console releases it: control fires it (its time has long passed).
    console
        .send(acts::msel(&first, MselAction::Release))
        .await
        .expect("release");
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event")
            .expect("running");
        if matches!(&event, ControlEvent::Fired { id, .. } if *id == first) {
            break;
        }
    }
    drop(commands);
    run.await.expect("joins").expect("control ends cleanly");
}
