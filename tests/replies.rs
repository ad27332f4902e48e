//! Replies, end to end: a reply reaches the readers of its target's channel, follows the rules
//! of a post (moderation, membership), and cannot answer what the replier never received or a
//! record of another channel.

use fusioncell_client::{ClientError, acts};
use fusioncell_wire::act_body::ReplyBody;
use fusioncell_wire::{ActBody, ActKind, ChannelId, ErrorCode};

use crate::harness::*;

fn ch(name: &str) -> ChannelId {
    ChannelId::new(name).unwrap()
}

fn refused(result: Result<fusioncell_client::Ack, ClientError>) -> ErrorCode {
    match result {
        Err(ClientError::Rejected { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reply_reaches_the_channel_and_names_its_target() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    let france = client(&cell, &relay, "france").await;
    let mut syria_sub = live(&syria).await;
    let mut france_sub = live(&france).await;

    let post = israel
        .post(&ch("diplomacy"), "Proposal: a joint statement at noon.")
        .await
        .unwrap();
    let (target, _) = next_where(&mut syria_sub, |r| r.seq == post.cell_seq).await;
    let ack = syria
        .send(acts::reply(&target, "Agreed, with one change."))
        .await
        .unwrap();
    // France only reads diplomacy: it receives the reply, typed, naming its target.
    let (reply, _) = next_where(&mut france_sub, |r| r.seq == ack.cell_seq).await;
    assert_eq!(reply.act.kind, ActKind::Reply);
    assert_eq!(reply.act.channel, Some(ch("diplomacy")));
    match reply.params() {
        Some(ActBody::Reply(ReplyBody { target, text })) => {
            assert_eq!(*target, post.cell_seq);
            assert_eq!(text, "Agreed, with one change.");
        }
        other => panic!("expected a reply body, got {other:?}"),
    }
    assert_eq!(
        fusioncell_cell::describe(reply.body.as_ref()),
        format!("re #{}: Agreed, with one change.", post.cell_seq)
    );
    // The journal verifies with the reply in it, every decision re-derived.
    relay.stop().await;
    let report = fusioncell::cmd::verify_journal(&cell.journal_dir(), None).unwrap();
    assert_eq!(report.records, ack.cell_seq + 1, "open, post, reply");
}

#[tokio::test]
async fn a_reply_follows_the_rules_of_a_post() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = client(&cell, &relay, "israel").await;
    let syria = client(&cell, &relay, "syria").await;
    let france = client(&cell, &relay, "france").await;
    let us = client(&cell, &relay, "us").await;

    let post = israel
        .post(&ch("diplomacy"), "Talks at ten.")
        .await
        .unwrap();
    // An observer reads diplomacy but may not post there, so it may not reply either.
    assert_eq!(
        refused(
            france
                .send(acts::reply_to(ch("diplomacy"), post.cell_seq, "Noted."))
                .await
        ),
        ErrorCode::Forbidden
    );
    // A reply must be on its target's channel.
    assert_eq!(
        refused(
            syria
                .send(acts::reply_to(
                    ch("commerce"),
                    post.cell_seq,
                    "Wrong place."
                ))
                .await
        ),
        ErrorCode::Conflict
    );
    // A reply to a record that does not exist.
    assert_eq!(
        refused(
            syria
                .send(acts::reply_to(ch("diplomacy"), 999, "To nothing."))
                .await
        ),
        ErrorCode::Conflict
    );
    // Syria never received the mediator's back-channel post to Israel: it cannot answer it,
    // even naming its own channel.
    let back = us.post(&ch("us-israel"), "Between us.").await.unwrap();
    let err = refused(
        syria
            .send(acts::reply_to(ch("us-israel"), back.cell_seq, "I saw it."))
            .await,
    );
    assert_eq!(err, ErrorCode::Forbidden);

    // In a moderated channel a party's reply is held for the mediator like a post.
    let mut syria_sub = live(&syria).await;
    let mut us_sub = live(&us).await;
    let shared = us
        .post(&ch("security"), "Share what you have.")
        .await
        .unwrap();
    let held = israel
        .send(acts::reply_to(
            ch("security"),
            shared.cell_seq,
            "Summary follows.",
        ))
        .await
        .unwrap();
    let (pending, _) = next_where(&mut us_sub, |r| r.seq == held.cell_seq).await;
    assert_eq!(pending.act.kind, ActKind::Reply);
    let marker = syria.post(&ch("security"), "marker").await.unwrap();
    let seen = drain(&mut syria_sub, 300).await;
    assert!(
        seen.iter().any(|r| r.seq == shared.cell_seq)
            && !seen.iter().any(|r| r.seq == held.cell_seq),
        "the held reply reached syria before the mediator decided: {:?}",
        seen.iter().map(|r| r.seq).collect::<Vec<_>>()
    );
    assert!(marker.cell_seq > held.cell_seq);
    // Once approved, it is released to the channel.
    // Nothing changed the supervision state yet: epoch 0.
    us.send(acts::approve(&pending, 0)).await.unwrap();
    let (released, by) = next_where(&mut syria_sub, |r| r.seq == held.cell_seq).await;
    assert_eq!(released.act.kind, ActKind::Reply);
    assert!(by.is_some(), "released with its approval");
}
