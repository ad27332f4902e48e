//! Replay: what the journal says each identity received is exactly what it received live.

use fusioncell_client::{Event, Subscription};
use fusioncell_wire::act_body::{Access, GrantBody, MuteBody, RedactBody};
use fusioncell_wire::{ActKind, ChannelId, IdentityId};

use crate::harness::*;

fn ch(name: &str) -> ChannelId {
    ChannelId::new(name).unwrap()
}

/// Everything a subscription received until `last` arrived: (seq, released_by).
async fn received(sub: &mut Subscription, last: u64) -> Vec<(u64, Option<u64>)> {
    let mut got = Vec::new();
    loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), sub.next())
            .await
            .expect("the last record arrives")
            .expect("open");
        if let Event::Record {
            record,
            released_by,
            ..
        } = event
        {
            got.push((record.seq, released_by));
            if record.seq == last && released_by.is_none() {
                return got;
            }
        }
    }
}

#[tokio::test]
async fn replay_as_an_identity_matches_what_it_received_live() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    let watchers = ["syria", "france", "israel", "us", "evaluator"];
    let mut clients = Vec::new();
    let mut subs = Vec::new();
    for who in watchers {
        let c = client(&cell, &relay, who).await;
        subs.push(live(&c).await);
        clients.push(c);
    }
    let mut us_sub = live(&us).await;

    israel
        .post(&ch("diplomacy"), "open to all readers of diplomacy")
        .await
        .unwrap();
    let reader = GrantBody {
        identity: IdentityId::new("france").unwrap(),
        channel: ch("commerce"),
        access: Access::Reader,
    };
    us.act_json(ActKind::Grant, Some(ch("commerce")), &reader)
        .await
        .unwrap();
    israel
        .post(&ch("commerce"), "france may read this")
        .await
        .unwrap();
    us.act_json(ActKind::Revoke, Some(ch("commerce")), &reader)
        .await
        .unwrap();
    israel.post(&ch("commerce"), "but not this").await.unwrap();
    let held = israel
        .post(&ch("security"), "held, then released")
        .await
        .unwrap();
    let (post, _) = next_where(&mut us_sub, |r| r.seq == held.cell_seq).await;
    us.decide(&post, None).await.unwrap();
    let refused = israel
        .post(&ch("security"), "held, then refused")
        .await
        .unwrap();
    let (post, _) = next_where(&mut us_sub, |r| r.seq == refused.cell_seq).await;
    us.decide(&post, Some("no".into())).await.unwrap();
    israel.post(&ch("us-israel"), "back-channel").await.unwrap();
    let spill = israel.post(&ch("diplomacy"), "a spill").await.unwrap();
    us.act_json(
        ActKind::Redact,
        None,
        &RedactBody {
            target: spill.cell_seq,
            reason: "spill".into(),
        },
    )
    .await
    .unwrap();
    us.act_json(
        ActKind::Mute,
        None,
        &MuteBody {
            identity: IdentityId::new("syria").unwrap(),
            channel: None,
        },
    )
    .await
    .unwrap();
    let last = israel.post(&ch("diplomacy"), "the end").await.unwrap();

    let mut live_views = Vec::new();
    for sub in &mut subs {
        live_views.push(received(sub, last.cell_seq).await);
    }
    let records = journal_records(&cell);
    let cell_model = cell.loaded().cell;
    for (who, live_view) in watchers.iter().zip(live_views) {
        let first = live_view[0].0;
        let replayed: Vec<(u64, Option<u64>)> =
            fusioncell_cell::seen_by(&cell_model, &records, &IdentityId::new(*who).unwrap())
                .into_iter()
                .map(|s| (s.record.seq, s.released_by))
                .filter(|(seq, by)| by.unwrap_or(*seq) >= first && *seq <= last.cell_seq)
                .filter(|(seq, by)| by.is_some() || *seq <= last.cell_seq)
                .collect();
        let live_view: Vec<_> = live_view
            .into_iter()
            .filter(|(seq, by)| by.is_some() || *seq <= last.cell_seq)
            .collect();
        assert_eq!(replayed, live_view, "what `{who}` received");
    }
    relay.stop().await;
}

/// `audit serve`: a recording played back to an ordinary client gives it exactly what its
/// identity received live, and refuses every act.
#[tokio::test]
async fn a_played_back_recording_shows_each_identity_what_it_saw() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let us = client(&cell, &relay, "us").await;
    let mut us_sub = live(&us).await;
    israel.post(&ch("diplomacy"), "first").await.unwrap();
    let held = israel.post(&ch("security"), "held").await.unwrap();
    let (post, _) = next_where(&mut us_sub, |r| r.seq == held.cell_seq).await;
    us.decide(&post, None).await.unwrap();
    israel
        .post(&ch("us-israel"), "not for syria")
        .await
        .unwrap();
    israel.post(&ch("commerce"), "last").await.unwrap();
    drop((israel, us, us_sub));
    relay.stop().await;

    let records = journal_records(&cell);
    let loaded = cell.loaded();
    let (playback, at) = Relay::playback(&cell, records.clone(), 1000.0).await;
    let url = at.url.clone();
    let mut config = fusioncell::load::client_config(&fusioncell::load::ConnectArgs {
        config: Some(cell.config.clone()),
        relay: Some(url),
        identity: "syria".into(),
        ..Default::default()
    })
    .unwrap();
    config.reconnect = false;
    let syria = fusioncell_client::Client::connect(config).await.unwrap();
    let expected: Vec<(u64, Option<u64>)> =
        fusioncell_cell::seen_by(&loaded.cell, &records, &IdentityId::new("syria").unwrap())
            .into_iter()
            .map(|s| (s.record.seq, s.released_by))
            .collect();
    let mut sub = syria.subscribe(Some(0)).await.unwrap();
    let mut got = Vec::new();
    while got.len() < expected.len() {
        match tokio::time::timeout(std::time::Duration::from_secs(10), sub.next()).await {
            Ok(Some(Event::Record {
                record,
                released_by,
                ..
            })) => got.push((record.seq, released_by)),
            Ok(Some(_)) => continue,
            other => panic!("playback stopped after {got:?}: {other:?}"),
        }
    }
    assert_eq!(got, expected);
    let err = syria
        .post(&ch("diplomacy"), "can I change history?")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            fusioncell_client::ClientError::Rejected {
                code: fusioncell_wire::ErrorCode::Forbidden,
                ..
            }
        ),
        "{err:?}"
    );
    playback.shutdown().await;
}
