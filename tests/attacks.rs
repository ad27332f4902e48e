//! Hostile clients (SECURITY.md, §4): each attack is refused with its code, journaled as a
//! security event, and leaves the other participants undisturbed.

use fusioncell_client::connection::{self, Expect};
use fusioncell_wire::{
    ClientMsg, ErrorCode, IdentityId, Nonce, PublicKeyBytes, ServerMsg, SignatureBytes, canonical,
};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::*;

/// A bystander pair: after every attack, israel still reaches syria.
struct Bystanders {
    israel: fusioncell_client::Client,
    syria_sub: fusioncell_client::Subscription,
    _syria: fusioncell_client::Client,
}

impl Bystanders {
    async fn new(cell: &TestCell, relay: &Relay) -> Self {
        let israel = client(cell, relay, "israel").await;
        let syria = client(cell, relay, "syria").await;
        let syria_sub = live(&syria).await;
        Bystanders {
            israel,
            syria_sub,
            _syria: syria,
        }
    }

    async fn still_talk(&mut self) {
        let ch = fusioncell_wire::ChannelId::new("diplomacy").unwrap();
        let ack = self
            .israel
            .post(&ch, "are we still talking?")
            .await
            .unwrap();
        loop {
            let (r, verified) = self.syria_sub.next_record().await.unwrap();
            if r.seq == ack.cell_seq {
                assert!(verified);
                break;
            }
        }
    }
}

fn error_code(msg: ServerMsg) -> ErrorCode {
    match msg {
        ServerMsg::Error { code, .. } => code,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn forged_signature_is_refused_and_journaled() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut by = Bystanders::new(&cell, &relay).await;
    let mut ws = raw_login(&cell, &relay, "us").await;
    let mut act = act_frame(&cell, "us", "diplomacy", 1, "genuine");
    act.sig = sign_act(&cell.key("syria"), act.act.clone(), "genuine").sig;
    send_act(&mut ws, &act).await;
    assert_eq!(
        error_code(next_reply(&mut ws).await),
        ErrorCode::BadSignature
    );
    // A flipped bit in the body is caught by the body hash.
    let mut act = act_frame(&cell, "us", "diplomacy", 1, "genuine");
    act.body = "genuinf".into();
    send_act(&mut ws, &act).await;
    assert_eq!(
        error_code(next_reply(&mut ws).await),
        ErrorCode::BodyHashMismatch
    );
    // The session stays usable: a correct act goes through.
    send_act(&mut ws, &act_frame(&cell, "us", "diplomacy", 1, "genuine")).await;
    assert!(matches!(
        next_reply(&mut ws).await,
        ServerMsg::Ack { seq: 1, .. }
    ));
    let events = security_events(&cell);
    assert!(
        events.iter().any(|(e, _)| e == "bad_signature"),
        "{events:?}"
    );
    assert!(
        events.iter().any(|(e, _)| e == "body_hash_mismatch"),
        "{events:?}"
    );
    by.still_talk().await;
    relay.stop().await;
}

#[tokio::test]
async fn login_with_the_wrong_key_is_closed_4001() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut by = Bystanders::new(&cell, &relay).await;
    let mut ws = raw(&cell, &relay).await;
    let israel = IdentityId::new("israel").unwrap();
    let err = connection::login(&mut ws, &israel, &cell.key("syria"), &Expect::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, fusioncell_client::ClientError::Closed { code: 4001, reason } if reason.contains("does not verify")),
        "{err:?}"
    );
    assert!(
        eventually(5, || security_events(&cell)
            .iter()
            .any(|(e, r)| e == "bad_login" && r.contains("israel")))
        .await
    );
    by.still_talk().await;
    relay.stop().await;
}

#[tokio::test]
async fn a_replayed_login_answer_is_refused() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let israel = IdentityId::new("israel").unwrap();
    let key = cell.key("israel");
    // Capture a valid answer on one connection...
    let mut first = raw(&cell, &relay).await;
    let ServerMsg::Challenge {
        cell: cell_id,
        nonce,
        relay_key,
        ..
    } = expect_msg(&mut first).await
    else {
        panic!("no challenge")
    };
    let answer = ClientMsg::Login {
        identity: israel.clone(),
        sig: SignatureBytes(key.sign(&canonical::login_bytes(
            &cell_id, &nonce, &relay_key, &israel,
        ))),
        directory: None,
        presence: Default::default(),
    }
    .to_json();
    // ...and replay it on another, which has a fresh nonce.
    let mut second = raw(&cell, &relay).await;
    let _challenge = expect_msg(&mut second).await;
    send_text(&mut second, answer.clone()).await;
    let (code, _) = expect_close(&mut second, 5).await;
    assert_eq!(code, 4001);
    // The original is still good on its own connection.
    send_text(&mut first, answer).await;
    assert!(matches!(
        expect_msg(&mut first).await,
        ServerMsg::Welcome { .. }
    ));
    relay.stop().await;
}

async fn expect_msg(ws: &mut connection::Ws) -> ServerMsg {
    match next(ws, 5).await {
        Got::Msg(m) => m,
        other => panic!("expected a frame, got {other:?}"),
    }
}

#[tokio::test]
async fn exact_retry_returns_the_original_ack_and_writes_nothing() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    let act = act_frame(&cell, "israel", "diplomacy", 1, "once only");
    send_act(&mut ws, &act).await;
    let first = next_reply(&mut ws).await;
    let before = journal_records(&cell).len();
    send_act(&mut ws, &act).await;
    let second = next_reply(&mut ws).await;
    assert_eq!(first, second, "same acknowledgement");
    assert!(matches!(first, ServerMsg::Ack { seq: 1, .. }));
    assert_eq!(journal_records(&cell).len(), before, "nothing written");
    relay.stop().await;
}

#[tokio::test]
async fn reordered_and_equivocating_acts_are_refused() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut by = Bystanders::new(&cell, &relay).await;
    let mut ws = raw_login(&cell, &relay, "us").await;
    send_act(&mut ws, &act_frame(&cell, "us", "diplomacy", 5, "five")).await;
    assert!(matches!(
        next_reply(&mut ws).await,
        ServerMsg::Ack { seq: 5, .. }
    ));
    // An older number, never used: stale.
    send_act(&mut ws, &act_frame(&cell, "us", "diplomacy", 3, "three")).await;
    assert_eq!(error_code(next_reply(&mut ws).await), ErrorCode::StaleSeq);
    // The same number with other content: equivocation.
    send_act(
        &mut ws,
        &act_frame(&cell, "us", "diplomacy", 5, "a different five"),
    )
    .await;
    assert_eq!(
        error_code(next_reply(&mut ws).await),
        ErrorCode::Equivocation
    );
    let events = security_events(&cell);
    assert!(
        events
            .iter()
            .any(|(e, r)| e == "equivocation" && r.contains("`us`")),
        "{events:?}"
    );
    assert!(events.iter().any(|(e, _)| e == "stale_seq"));
    // Only the first "five" is in the journal.
    let fives = journal_records(&cell)
        .into_iter()
        .filter(|r| r.act.actor.as_str() == "us" && r.act.seq == 5)
        .count();
    assert_eq!(fives, 1);
    by.still_talk().await;
    relay.stop().await;
}

#[tokio::test]
async fn an_act_moved_to_another_channel_or_cell_fails() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    let original = act_frame(&cell, "israel", "diplomacy", 1, "for diplomacy only");
    let mut moved = original.clone();
    moved.act.channel = Some(fusioncell_wire::ChannelId::new("commerce").unwrap());
    send_act(&mut ws, &moved).await;
    assert_eq!(
        error_code(next_reply(&mut ws).await),
        ErrorCode::BadSignature
    );
    let mut other_cell = original.clone();
    other_cell.act.cell = fusioncell_wire::CellId::new("another-cell").unwrap();
    send_act(&mut ws, &other_cell).await;
    assert_eq!(error_code(next_reply(&mut ws).await), ErrorCode::WrongCell);
    let mut skewed = act_frame(&cell, "israel", "diplomacy", 2, "from the future");
    skewed.act.ts += 10 * 60 * 1000;
    let skewed = sign_act(&cell.key("israel"), skewed.act, "from the future");
    send_act(&mut ws, &skewed).await;
    assert_eq!(error_code(next_reply(&mut ws).await), ErrorCode::ClockSkew);
    relay.stop().await;
}

#[tokio::test]
async fn acting_as_someone_else_closes_4003() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut by = Bystanders::new(&cell, &relay).await;
    let mut ws = raw_login(&cell, &relay, "syria").await;
    // A perfectly signed act of israel's, sent on syria's session.
    send_act(
        &mut ws,
        &act_frame(&cell, "israel", "diplomacy", 1, "not mine"),
    )
    .await;
    let (code, reason) = expect_close(&mut ws, 5).await;
    assert_eq!(code, 4003, "{reason}");
    assert!(
        eventually(5, || security_events(&cell)
            .iter()
            .any(|(e, _)| e == "wrong_actor"))
        .await
    );
    by.still_talk().await;
    relay.stop().await;
}

#[tokio::test]
async fn malformed_frames_get_errors_and_change_nothing() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    let good = ClientMsg::Act(act_frame(&cell, "israel", "diplomacy", 1, "x")).to_json();
    let duplicate_key = good.replacen(r#""seq":1"#, r#""seq":1,"seq":2"#, 1);
    let unknown_field = good.replacen(r#""body":"x""#, r#""body":"x","priority":"high""#, 1);
    let float_seq = good.replacen(r#""seq":1"#, r#""seq":1.0"#, 1);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut number_sig: serde_json::Value = serde_json::from_str(&good).expect("json");
    number_sig["sig"] = 7.into();
    // Each reason says what was wrong, and where when serde does not.
    for (bad, said) in [
        ("{not json".to_owned(), "key must be a string"),
        (duplicate_key, "duplicate field `seq`"),
        (unknown_field, "unknown field `priority`"),
        (float_seq, "act.seq: invalid type: floating point"),
        (format!("{good} trailing"), "trailing characters"),
        (deep, "invalid type: sequence"),
        (r#"{"type":"act"}"#.to_owned(), "missing field `act`"),
        (number_sig.to_string(), "sig: invalid type: integer `7`"),
    ] {
        send_text(&mut ws, bad.clone()).await;
        let ServerMsg::Error { code, reason, .. } = next_reply(&mut ws).await else {
            panic!("{bad:.80}: not an error")
        };
        assert_eq!(code, ErrorCode::Malformed, "{bad:.80}");
        assert!(reason.contains(said), "{bad:.80}: {reason}");
    }
    assert!(
        journal_records(&cell)
            .iter()
            .all(|r| r.act.actor.as_str() != "israel")
    );
    send_text(&mut ws, good).await;
    assert!(matches!(next_reply(&mut ws).await, ServerMsg::Ack { .. }));
    relay.stop().await;
}

#[tokio::test]
async fn binary_and_invalid_utf8_frames_close_with_their_codes() {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(expect_close(&mut ws, 5).await.0, 1003);

    let mut ws = raw_login(&cell, &relay, "israel").await;
    let frame = Frame::message(vec![0xc3u8, 0x28], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(frame)).await.unwrap();
    assert_eq!(expect_close(&mut ws, 5).await.0, 1007);
    relay.stop().await;
}

#[tokio::test]
async fn the_relay_key_in_the_challenge_is_the_configured_one() {
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut ws = raw(&cell, &relay).await;
    let ServerMsg::Challenge {
        relay_key, nonce, ..
    } = expect_msg(&mut ws).await
    else {
        panic!("no challenge");
    };
    let loaded = cell.loaded();
    assert_eq!(
        relay_key,
        PublicKeyBytes(*loaded.cell.relay().public_key.bytes())
    );
    assert_ne!(nonce, Nonce([0; 32]));
    // A client that expects another relay key refuses to log in.
    let mut ws = raw(&cell, &relay).await;
    let expect = Expect {
        cell: None,
        relay_key: Some(PublicKeyBytes([9; 32])),
        ..Expect::default()
    };
    let err = connection::login(
        &mut ws,
        &IdentityId::new("israel").unwrap(),
        &cell.key("israel"),
        &expect,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, fusioncell_client::ClientError::WrongRelay(_)));
    relay.stop().await;
}

#[tokio::test]
async fn an_unmasked_frame_closes_1002() {
    use tokio::io::AsyncWriteExt;
    let cell = TestCell::busy();
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    // A text frame "hi" without the mask bit, written under the WebSocket layer.
    ws.get_mut()
        .write_all(&[0x81, 0x02, b'h', b'i'])
        .await
        .unwrap();
    ws.get_mut().flush().await.unwrap();
    let (code, reason) = expect_close(&mut ws, 5).await;
    assert_eq!(code, 1002, "{reason}");
    relay.stop().await;
}
