//! The hot wash: a playback relay tells each viewer it watches a recording, and a viewer that
//! sends its own playhead gets at once what its identity saw up to it, whatever the shared
//! pace — so a facilitator's console can pause, seek and jump in front of the room. A live
//! relay refuses a playhead.

use std::time::Duration;

use fusioncell_wire::{ErrorCode, IdentityId, ServerMsg};

use crate::harness::*;

fn ch(name: &str) -> fusioncell_wire::ChannelId {
    fusioncell_wire::ChannelId::new(name).unwrap()
}

/// The delivered record numbers (a released post: its own) until `live`, within 10 s.
async fn delivered_until_live(ws: &mut fusioncell_client::connection::Ws) -> Vec<u64> {
    let mut seqs = Vec::new();
    loop {
        match next(ws, 10).await {
            Got::Msg(ServerMsg::Deliver { record, released }) => {
                if let Some(r) = released {
                    seqs.push(r.seq);
                }
                seqs.push(record.seq);
            }
            Got::Msg(ServerMsg::Live { .. }) => return seqs,
            Got::Msg(_) => continue,
            other => panic!("the playback ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_viewer_with_its_own_playhead_gets_the_recording_at_once() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    let control = client(&cell, &relay, "control").await;
    let mut us_sub = live(&us).await;
    israel.post(&ch("diplomacy"), "first").await.unwrap();
    control
        .send(fusioncell_client::acts::clock_start(Some(60)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let held = israel.post(&ch("security"), "held").await.unwrap();
    let (post, _) = next_where(&mut us_sub, |r| r.seq == held.cell_seq).await;
    us.decide(&post, None).await.unwrap();
    israel.post(&ch("diplomacy"), "second").await.unwrap();
    israel
        .post(&ch("us-israel"), "not for syria")
        .await
        .unwrap();
    drop((israel, us, us_sub, control));
    relay.stop().await;

    let records = journal_records(&cell);
    // Speed 0: the shared playhead never leaves the first record.
    let (playback, at) = Relay::playback(&cell, records.clone(), 0.0).await;
    for who in ["syria", "control"] {
        watch_whole_recording(&cell, &at, &records, who).await;
    }
    playback.shutdown().await;
}

/// `who` logs in to the playback at `at`, is told it is a recording, and gets it whole with
/// its own playhead at the end.
async fn watch_whole_recording(
    cell: &TestCell,
    at: &Relay,
    records: &[fusioncell_wire::Record],
    who: &str,
) {
    let loaded = cell.loaded();
    let mut ws = raw_login(cell, at, who).await;
    let announced = loop {
        match next(&mut ws, 5).await {
            Got::Msg(ServerMsg::Recording {
                records: n,
                first_ts,
                last_ts,
            }) => break (n, first_ts, last_ts),
            Got::Msg(_) => continue,
            other => panic!("no recording frame: {other:?}"),
        }
    };
    let (first_ts, last_ts) = (records[0].ts, records.last().unwrap().ts);
    assert_eq!(announced, (records.len() as u64, first_ts, last_ts));

    // Subscribed at the shared pace (stopped at the first record): only what was played.
    send_text(&mut ws, r#"{"type":"subscribe","from":0}"#).await;
    let early = delivered_until_live(&mut ws).await;
    assert!(
        early.iter().all(|s| records[*s as usize].ts <= first_ts),
        "{early:?}"
    );
    // Its own playhead at the end: everything Syria saw, at once, in order, nothing twice.
    send_text(&mut ws, format!(r#"{{"type":"playhead","at":{last_ts}}}"#)).await;
    let expected: Vec<u64> =
        fusioncell_cell::seen_by(&loaded.cell, records, &IdentityId::new(who).unwrap())
            .into_iter()
            .map(|s| s.record.seq)
            .collect();
    let mut got = early;
    while got.len() < expected.len() {
        match next(&mut ws, 10).await {
            Got::Msg(ServerMsg::Deliver { record, released }) => {
                if let Some(r) = released {
                    got.push(r.seq);
                }
                got.push(record.seq)
            }
            Got::Msg(_) => continue,
            other => panic!("{who}: the playback ended after {got:?}: {other:?}"),
        }
    }
    assert_eq!(got, expected, "{who}");
    // A playhead going back sends nothing again.
    send_text(&mut ws, format!(r#"{{"type":"playhead","at":{first_ts}}}"#)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
    while let Ok(got) = tokio::time::timeout_at(deadline, next(&mut ws, 5)).await {
        assert!(
            !matches!(got, Got::Msg(ServerMsg::Deliver { .. })),
            "delivered again: {got:?}"
        );
    }
}

#[tokio::test]
async fn a_live_relay_refuses_a_playhead_and_announces_no_recording() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    send_text(&mut ws, r#"{"type":"playhead","at":0}"#).await;
    match next_reply(&mut ws).await {
        ServerMsg::Error { code, .. } => assert_eq!(code, ErrorCode::Malformed),
        other => panic!("expected an error, got {other:?}"),
    }
    relay.stop().await;
}
