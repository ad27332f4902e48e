//! Two sessions of one identity (a laptop and a browser tab, or `listen` beside one-shot
//! commands) race for sequence numbers and cosignatures: the loser signs again, and nothing is
//! journaled as an attack. A session that goes back on its own numbers is still refused and
//! journaled (PROTOCOL.md §3.2).

use fusioncell_client::Event;
use fusioncell_wire::act_body::MuteBody;
use fusioncell_wire::{ActKind, ChannelId, ErrorCode, IdentityId, ServerMsg};

use crate::harness::*;

fn ch(name: &str) -> ChannelId {
    ChannelId::new(name).unwrap()
}

fn refusal(msg: ServerMsg) -> (ErrorCode, Option<u64>, Option<u64>) {
    match msg {
        ServerMsg::Error {
            code,
            seq,
            last_seq,
            ..
        } => (code, seq, last_seq),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn another_session_s_numbers_get_renumber_and_no_security_record() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut laptop = raw_login(&cell, &relay, "israel").await;
    let mut tab = raw_login(&cell, &relay, "israel").await;
    let first = act_frame(&cell, "israel", "diplomacy", 1, "from the laptop");
    send_act(&mut laptop, &first).await;
    let first_ack = next_reply(&mut laptop).await;
    assert!(matches!(first_ack, ServerMsg::Ack { seq: 1, .. }));
    send_act(
        &mut laptop,
        &act_frame(&cell, "israel", "diplomacy", 3, "laptop again"),
    )
    .await;
    assert!(matches!(
        next_reply(&mut laptop).await,
        ServerMsg::Ack { seq: 3, .. }
    ));

    // The tab numbered from the same welcome: the laptop's number, and one below the
    // laptop's mark, are for signing again, not attacks.
    send_act(&mut tab, &act_frame(&cell, "israel", "diplomacy", 1, "tab")).await;
    assert_eq!(
        refusal(next_reply(&mut tab).await),
        (ErrorCode::Renumber, Some(1), Some(3))
    );
    send_act(&mut tab, &act_frame(&cell, "israel", "diplomacy", 2, "tab")).await;
    assert_eq!(
        refusal(next_reply(&mut tab).await),
        (ErrorCode::Renumber, Some(2), Some(3))
    );
    let tab_act = act_frame(&cell, "israel", "diplomacy", 4, "tab");
    send_act(&mut tab, &tab_act).await;
    assert!(matches!(
        next_reply(&mut tab).await,
        ServerMsg::Ack { seq: 4, .. }
    ));
    // The laptop's own act, resent from the tab: its original acknowledgement.
    send_act(&mut tab, &first).await;
    assert_eq!(next_reply(&mut tab).await, first_ack);
    assert_eq!(security_events(&cell), Vec::<(String, String)>::new());

    // A session that goes back on its own numbers is caught as before.
    send_act(
        &mut laptop,
        &act_frame(&cell, "israel", "diplomacy", 2, "below my own 3"),
    )
    .await;
    assert_eq!(
        refusal(next_reply(&mut laptop).await).0,
        ErrorCode::StaleSeq
    );
    send_act(
        &mut laptop,
        &act_frame(&cell, "israel", "diplomacy", 3, "another three"),
    )
    .await;
    assert_eq!(
        refusal(next_reply(&mut laptop).await).0,
        ErrorCode::Equivocation
    );
    send_act(
        &mut tab,
        &act_frame(&cell, "israel", "diplomacy", 4, "another four"),
    )
    .await;
    assert_eq!(
        refusal(next_reply(&mut tab).await).0,
        ErrorCode::Equivocation
    );
    let events: Vec<String> = security_events(&cell).into_iter().map(|(e, _)| e).collect();
    assert_eq!(events, ["stale_seq", "equivocation", "equivocation"]);
    let israel_records = journal_records(&cell)
        .into_iter()
        .filter(|r| r.act.actor.as_str() == "israel")
        .map(|r| r.act.seq)
        .collect::<Vec<_>>();
    assert_eq!(israel_records, [1, 3, 4]);
    relay.stop().await;
}

/// `fut`'s output, failing the test if it takes more than 20 s (a lost answer).
async fn within<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(20), fut)
        .await
        .expect("an answer within 20 s")
}

/// Waits for the next checkpoint on `sub`.
async fn checkpoint(sub: &mut fusioncell_client::Subscription) -> u64 {
    loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), sub.next())
            .await
            .expect("a checkpoint within 10 s")
            .expect("subscription open");
        if let Event::Checkpoint(cp) = event {
            return cp.size;
        }
    }
}

#[tokio::test]
async fn a_listener_beside_one_shot_commands_raises_no_alarm() {
    let cell = TestCell::busy_with(&[("checkpoint_every_records", "2")]);
    let relay = Relay::start(&cell).await;
    // The mediator's laptop and browser tab both listen, and both witness.
    let laptop = client(&cell, &relay, "us").await;
    let tab = client(&cell, &relay, "us").await;
    let mut laptop_sub = live(&laptop).await;
    let mut tab_sub = live(&tab).await;
    for round in 0..3 {
        // A one-shot command, logged in while the listeners post and cosign.
        let one_shot = client(&cell, &relay, "us").await;
        within(laptop.post(&ch("diplomacy"), &format!("laptop {round}")))
            .await
            .expect("the laptop's post");
        within(tab.post(&ch("commerce"), &format!("tab {round}")))
            .await
            .expect("the tab's post");
        let mute = MuteBody {
            identity: IdentityId::new("syria").unwrap(),
            channel: Some(ch("commerce")),
        };
        let kind = if round % 2 == 0 {
            ActKind::Mute
        } else {
            ActKind::Unmute
        };
        within(one_shot.act_json(kind, Some(ch("commerce")), &mute))
            .await
            .expect("the one-shot mute");
        within(one_shot.close()).await;
        // Both listeners see a checkpoint and cosign it; the next post of each is answered
        // after its cosignature.
        checkpoint(&mut laptop_sub).await;
        checkpoint(&mut tab_sub).await;
    }
    within(laptop.post(&ch("diplomacy"), "laptop done"))
        .await
        .unwrap();
    within(tab.post(&ch("diplomacy"), "tab done"))
        .await
        .unwrap();
    let cosigns = journal_records(&cell)
        .into_iter()
        .filter(|r| r.act.kind == ActKind::Cosign && r.act.actor.as_str() == "us")
        .count();
    assert!(cosigns >= 1, "the mediator cosigned");
    assert_eq!(security_events(&cell), Vec::<(String, String)>::new());
    relay.stop().await;
}
