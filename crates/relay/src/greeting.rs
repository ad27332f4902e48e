//! The frames a session is greeted with after login (`welcome`, `state`, `scenario` for the
//! white cell, and `presence`), written past tungstenite's write buffer.
//!
//! Why: tungstenite keeps its write buffer at the largest size it ever held, for the life of
//! the connection, and the greeting is the largest thing an idle session is ever sent (the
//! `welcome` may list every identity of the cell, about 3 KB in the bench's cell, and the
//! first `presence` names everyone online: 130 KB in a cell of 10,000). Written
//! through the sink, every idle connection kept a buffer of the welcome's size (BENCHMARKS.md,
//! "Idle memory"). So the greeting is framed by tungstenite's own [`Frame`] (one final,
//! unmasked text frame per message: the same bytes the sink would write) into a buffer of our
//! own, written to the transport, and freed. The sink is flushed first, so nothing tungstenite
//! buffered can be interleaved with it.

use futures_util::SinkExt;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Bytes, Error};

use crate::upgrade::Transport;

/// Writes `messages` as text messages, in order, one frame each, and flushes them.
pub async fn greet(
    ws: &mut WebSocketStream<Box<dyn Transport>>,
    messages: impl IntoIterator<Item = Bytes>,
) -> Result<(), Error> {
    ws.flush().await?;
    let frames = framed(messages)?;
    let transport = ws.get_mut();
    transport.write_all(&frames).await?;
    transport.flush().await?;
    Ok(())
}

/// The messages as unfragmented, unmasked text frames (a server's), back to back.
fn framed(messages: impl IntoIterator<Item = Bytes>) -> Result<Vec<u8>, Error> {
    let frames: Vec<Frame> = messages
        .into_iter()
        .map(|text| Frame::message(text, OpCode::Data(Data::Text), true))
        .collect();
    let mut out = Vec::with_capacity(frames.iter().map(Frame::len).sum());
    for frame in frames {
        frame.format(&mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::Role;

    use super::*;

    /// A client reads the greeting as ordinary text messages, in order, also when tungstenite
    /// had something of its own buffered before it (written first), and the socket stays
    /// usable through the sink afterwards.
    #[tokio::test]
    async fn a_client_reads_the_greeting_as_ordinary_messages() {
        let (server, client) = tokio::io::duplex(1 << 20);
        let server: Box<dyn Transport> = Box::new(server);
        let mut server = WebSocketStream::from_raw_socket(server, Role::Server, None).await;
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        // Lengths of each of the three encodings: 7 bits, 16 bits, 64 bits (over 64 KiB).
        let (medium, long) = ("m".repeat(300), "é".repeat(40_000));
        server
            .feed(Message::text("buffered before"))
            .await
            .expect("feed");
        greet(
            &mut server,
            [
                "{\"type\":\"welcome\"}".to_owned(),
                String::new(),
                medium.clone(),
                long.clone(),
            ]
            .into_iter()
            .map(Bytes::from),
        )
        .await
        .expect("greet");
        server.send(Message::text("after")).await.expect("send");
        let expected = [
            "buffered before",
            "{\"type\":\"welcome\"}",
            "",
            &medium,
            &long,
            "after",
        ];
        for expected in expected {
            match client.next().await {
                Some(Ok(Message::Text(t))) => assert_eq!(t.as_str(), expected),
                other => panic!("expected {expected:.20}, got {other:?}"),
            }
        }
    }
}
