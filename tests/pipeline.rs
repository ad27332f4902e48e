//! The everyday path: post → durable → delivered to exactly those who may read it; resume.

use std::time::Duration;

use fusioncell_client::{ClientError, Event};
use fusioncell_wire::{ChannelId, ErrorCode};

use crate::harness::*;

fn ch(name: &str) -> ChannelId {
    ChannelId::new(name).unwrap()
}

#[tokio::test]
async fn post_is_delivered_to_every_reader_and_verified() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let syria = client(&cell, &relay, "syria").await;
    let france = client(&cell, &relay, "france").await;
    let us = client(&cell, &relay, "us").await;
    let mut syria_sub = live(&syria).await;
    let mut france_sub = live(&france).await;
    let mut us_sub = live(&us).await;

    let israel = client(&cell, &relay, "israel").await;
    let body = "Proposal: reactivate the 1974 disengagement agreement.";
    let ack = israel.post(&ch("diplomacy"), body).await.unwrap();
    assert_eq!(ack.seq, 1);

    for sub in [&mut syria_sub, &mut france_sub, &mut us_sub] {
        let (record, verified) = sub.next_record().await.unwrap();
        assert!(verified, "signature verifies against the cell's keys");
        assert_eq!(record.seq, ack.cell_seq);
        assert_eq!(record.act.actor.as_str(), "israel");
        assert_eq!(record.act.channel, Some(ch("diplomacy")));
        assert_eq!(record.text(), Some(body));
    }
    // It is in the journal at the acknowledged position.
    let records = journal_records(&cell);
    assert_eq!(records[ack.cell_seq as usize].text(), Some(body));
    relay.stop().await;
}

#[tokio::test]
async fn an_observer_cannot_post_and_the_attempt_is_journaled() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let france = client(&cell, &relay, "france").await;
    let err = france
        .post(&ch("diplomacy"), "we object")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Rejected {
                code: ErrorCode::Forbidden,
                ..
            }
        ),
        "{err:?}"
    );
    let events = security_events(&cell);
    assert!(
        events
            .iter()
            .any(|(e, r)| e == "forbidden" && r.contains("observer")),
        "{events:?}"
    );
    // Nothing from france was journaled as a message.
    assert!(
        journal_records(&cell)
            .iter()
            .all(|r| r.act.actor.as_str() != "france")
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_party_neither_reads_nor_posts_where_it_is_not_a_member() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let syria = client(&cell, &relay, "syria").await;
    assert!(
        !syria
            .welcome()
            .channels
            .iter()
            .any(|c| c.id == ch("us-israel"))
    );
    let mut sub = live(&syria).await;
    let israel = client(&cell, &relay, "israel").await;
    israel
        .post(&ch("us-israel"), "private to the mediator")
        .await
        .unwrap();
    let visible = israel
        .post(&ch("commerce"), "joint economic zone?")
        .await
        .unwrap();
    // The back-channel message is skipped: the next record syria sees is the commerce one.
    let (record, _) = sub.next_record().await.unwrap();
    assert_eq!(record.seq, visible.cell_seq);
    let err = syria.post(&ch("us-israel"), "let me in").await.unwrap_err();
    assert!(matches!(
        err,
        ClientError::Rejected {
            code: ErrorCode::Forbidden,
            ..
        }
    ));
    // A resume from the start does not reveal it either.
    let syria2 = client(&cell, &relay, "syria").await;
    let mut all = syria2.subscribe(Some(0)).await.unwrap();
    loop {
        match all.next().await.unwrap() {
            Event::Record { record, .. } => {
                assert_ne!(record.act.channel, Some(ch("us-israel")));
                assert!(
                    record.act.channel.is_some(),
                    "relay records are for supervisors"
                );
            }
            Event::Live { .. } => break,
            _ => {}
        }
    }
    relay.stop().await;
}

#[tokio::test]
async fn resume_returns_exactly_what_was_missed() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    let mut sub = live(&syria).await;
    let mut seen = Vec::new();
    for i in 0..3 {
        israel
            .post(&ch("diplomacy"), &format!("before {i}"))
            .await
            .unwrap();
        seen.push(sub.next_record().await.unwrap().0.seq);
    }
    syria.close().await;
    let mut missed = Vec::new();
    for i in 0..5 {
        missed.push(
            israel
                .post(&ch("diplomacy"), &format!("while away {i}"))
                .await
                .unwrap()
                .cell_seq,
        );
    }
    let syria = client(&cell, &relay, "syria").await;
    let mut sub = syria.subscribe(Some(seen[2] + 1)).await.unwrap();
    let mut got = Vec::new();
    loop {
        match sub.next().await.unwrap() {
            Event::Record {
                record, verified, ..
            } => {
                assert!(verified);
                got.push(record.seq);
            }
            Event::Live { .. } => break,
            _ => {}
        }
    }
    assert_eq!(got, missed, "no gap, no duplicate, in order");
    relay.stop().await;
}

#[tokio::test]
async fn the_client_reconnects_and_resumes_across_a_relay_restart() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let addr = relay.server().local_addr();
    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    let mut sub = live(&syria).await;
    let mut posted = Vec::new();
    for i in 0..3 {
        posted.push(
            israel
                .post(&ch("diplomacy"), &format!("one {i}"))
                .await
                .unwrap()
                .cell_seq,
        );
    }
    relay.stop().await;
    let relay = Relay::start_at(&cell, addr).await;
    // The same client handles keep working: they reconnect by themselves.
    for i in 0..3 {
        let ack = tokio::time::timeout(
            Duration::from_secs(20),
            israel.post(&ch("diplomacy"), &format!("two {i}")),
        )
        .await
        .expect("posted after reconnect")
        .unwrap();
        posted.push(ack.cell_seq);
    }
    let mut got = Vec::new();
    while got.len() < posted.len() {
        if let Event::Record { record, .. } =
            tokio::time::timeout(Duration::from_secs(20), sub.next())
                .await
                .unwrap()
                .unwrap()
            && record.act.actor.as_str() == "israel"
        {
            got.push(record.seq);
        }
    }
    assert_eq!(got, posted);
    relay.stop().await;
}

#[tokio::test]
async fn one_identity_may_hold_several_sessions() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let laptop = client(&cell, &relay, "syria").await;
    let phone = client(&cell, &relay, "syria").await;
    let mut a = live(&laptop).await;
    let mut b = live(&phone).await;
    let first = laptop
        .post(&ch("diplomacy"), "from the laptop")
        .await
        .unwrap();
    let israel = client(&cell, &relay, "israel").await;
    israel.post(&ch("diplomacy"), "to both").await.unwrap();
    for sub in [&mut a, &mut b] {
        let (r1, _) = sub.next_record().await.unwrap();
        assert_eq!(r1.seq, first.cell_seq);
        let (r2, _) = sub.next_record().await.unwrap();
        assert_eq!(r2.text(), Some("to both"));
    }
    // Both devices numbered from the same mark: the phone's act collides with the laptop's
    // number, is refused unaccepted, and the client signs it again above the mark.
    let commerce = ch("commerce");
    let (x, y) = tokio::join!(
        laptop.post(&commerce, "laptop again"),
        phone.post(&commerce, "from the phone"),
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_ne!(x.seq, y.seq);
    let posted: Vec<_> = journal_records(&cell)
        .into_iter()
        .filter(|r| r.act.actor.as_str() == "syria")
        .map(|r| r.body.unwrap())
        .collect();
    assert_eq!(posted.len(), 3, "each act exactly once: {posted:?}");
    relay.stop().await;
}

#[tokio::test]
async fn shutdown_writes_a_final_checkpoint_and_verify_passes() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    for i in 0..7 {
        israel
            .post(&ch("security"), &format!("report {i}"))
            .await
            .unwrap();
    }
    israel.close().await;
    let records = relay.stop().await;
    let report = fusioncell_journal::verify(&cell.journal_dir(), None).expect("journal verifies");
    assert_eq!(report.records, records);
    assert_eq!(
        report.unsigned_tail, 0,
        "the final checkpoint covers everything"
    );
}

/// The `presence` frame follows the welcome, and every session gets a new one when an
/// identity logs in or out.
#[tokio::test]
async fn presence_follows_logins_and_logouts() {
    use fusioncell_wire::ServerMsg;

    async fn next_presence(ws: &mut fusioncell_client::connection::Ws) -> Vec<String> {
        loop {
            match next(ws, 5).await {
                Got::Msg(ServerMsg::Presence {
                    online: Some(online),
                    ..
                }) => {
                    return online.iter().map(|i| i.to_string()).collect();
                }
                Got::Msg(_) => continue,
                other => panic!("expected presence, got {other:?}"),
            }
        }
    }

    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut syria = raw_login(&cell, &relay, "syria").await;
    assert_eq!(next_presence(&mut syria).await, ["syria"]);

    let mut israel = raw_login(&cell, &relay, "israel").await;
    assert_eq!(next_presence(&mut israel).await, ["israel", "syria"]);
    assert_eq!(next_presence(&mut syria).await, ["israel", "syria"]);

    // A second session of an online identity changes nothing for the others, but is told.
    let mut israel2 = raw_login(&cell, &relay, "israel").await;
    assert_eq!(next_presence(&mut israel2).await, ["israel", "syria"]);

    drop(israel);
    drop(israel2);
    assert_eq!(next_presence(&mut syria).await, ["syria"]);
    relay.stop().await;
}
