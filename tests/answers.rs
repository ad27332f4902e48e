//! Answers come in the order the frames were sent, whatever they are: a `rate_limited` error
//! never overtakes the acknowledgement of an earlier act, names the act's `seq`, and a `4008`
//! close comes only after every answer the session is owed (PROTOCOL.md §3.2).

use fusioncell_wire::{ClientMsg, ErrorCode, ServerMsg};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::*;

/// The next `ack`, `error` or close, skipping deliveries and the like.
async fn answer(ws: &mut fusioncell_client::connection::Ws) -> Got {
    loop {
        match next(ws, 10).await {
            Got::Msg(m @ (ServerMsg::Ack { .. } | ServerMsg::Error { .. })) => {
                return Got::Msg(m);
            }
            Got::Msg(_) => continue,
            other => return other,
        }
    }
}

#[tokio::test]
async fn rate_limited_follows_the_earlier_ack_then_4008_after_all_answers() {
    // One act of burst, and the bucket refills far slower than the test runs.
    let cell = TestCell::new(&[("acts_per_minute", "1"), ("act_burst", "1")]);
    let relay = Relay::start(&cell).await;
    let mut ws = raw_login(&cell, &relay, "israel").await;
    // Eleven acts in one flush: the first is accepted, the next ten are over the limit.
    for seq in 1..=11 {
        let frame = ClientMsg::Act(act_frame(&cell, "israel", "diplomacy", seq, "burst"));
        ws.feed(Message::text(frame.to_json())).await.unwrap();
    }
    ws.flush().await.unwrap();
    match answer(&mut ws).await {
        Got::Msg(ServerMsg::Ack { seq: 1, .. }) => {}
        other => panic!("the first answer must be the first act's ack, got {other:?}"),
    }
    for seq in 2..=11 {
        match answer(&mut ws).await {
            Got::Msg(ServerMsg::Error {
                code: ErrorCode::RateLimited,
                seq: Some(s),
                ..
            }) => assert_eq!(s, seq),
            other => panic!("act {seq}: expected rate_limited, got {other:?}"),
        }
    }
    match answer(&mut ws).await {
        Got::Close(code, _) => assert_eq!(code, 4008),
        other => panic!("expected the 4008 close, got {other:?}"),
    }
    let events: Vec<String> = security_events(&cell).into_iter().map(|(e, _)| e).collect();
    assert_eq!(events, ["rate_limited"]);
    relay.stop().await;
}
