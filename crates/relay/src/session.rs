//! One logged-in connection: a task that reads frames, checks and submits acts, and writes
//! what the commit thread queues for it (acknowledgements, errors, deliveries, checkpoints).
//!
//! It `select!`s, in priority order, over: being closed by someone else (too slow,
//! superseded), relay shutdown, its outbound queue, the ping/idle timer, and inbound frames.
//! Queued frames are written in batches with one flush, so a busy session costs one socket
//! write per batch rather than per frame.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fusioncell_wire::{ClientMsg, CloseCode, ErrorCode, ServerMsg};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::commit::{Command, Registered};
use crate::context::{Context, event, report};
use crate::error::Close;
use crate::fanout::{Killer, SessionHandle};
use crate::handshake::Authenticated;
use crate::resume;
use crate::upgrade::Transport;
use crate::verify::{self, Rejection};

type Sink = SplitSink<WebSocketStream<Box<dyn Transport>>, Message>;
type Stream = SplitStream<WebSocketStream<Box<dyn Transport>>>;

/// Consecutive frames over the rate limit before the session is closed with 4008.
const RATE_STRIKES: u32 = 10;
/// Most frames written before one flush.
const WRITE_BATCH: usize = 64;
/// How long a shut-down session keeps writing what the commit thread still owes it.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

struct Session {
    id: u64,
    auth: Authenticated,
    ctx: Arc<Context>,
    commands: mpsc::Sender<Command>,
    subscribed: bool,
    strikes: u32,
}

/// Runs a session until it closes. Registers it with the commit thread first.
pub async fn run(
    ws: WebSocketStream<Box<dyn Transport>>,
    auth: Authenticated,
    ctx: Arc<Context>,
    commands: mpsc::Sender<Command>,
) {
    let limits = ctx.cell.limits();
    let id = ctx.next_session();
    let (tx, mut rx) = mpsc::channel(limits.outbound_queue_messages.max(1));
    let queued = Arc::new(AtomicUsize::new(0));
    let killer = Killer::default();
    let (reply, registered) = oneshot::channel();
    let handle = SessionHandle {
        id,
        identity: auth.identity.clone(),
        role: auth.role,
        tx,
        queued_bytes: queued.clone(),
        killer: killer.clone(),
    };
    let (mut sink, mut stream) = ws.split();
    let registered = match commands.send(Command::Register { handle, reply }).await {
        Ok(()) => registered.await.ok(),
        Err(_) => None,
    };
    let Some(Registered {
        last_seq,
        size,
        channels,
        state,
    }) = registered
    else {
        Close::new(CloseCode::GoingAway, "relay shutting down")
            .send(&mut sink, &mut stream)
            .await;
        return;
    };
    tracing::info!(session = id, identity = %auth.identity, peer = %auth.peer, "logged in");
    // Serialized at once and moved into the send: nothing of it stays in the session's state
    // for the life of the connection (heaptrack: 1.7 KB per idle connection). Sent on its own,
    // so that the WebSocket write buffer, which never shrinks, grows to the welcome's size and
    // not to twice that when the state frame joins it (3 KB per connection).
    let welcome = Message::text(
        ServerMsg::Welcome {
            identity: auth.identity.clone(),
            role: auth.role,
            session: id,
            last_seq,
            size,
            channels,
            identities: ctx.cell.identity_infos(),
        }
        .to_json(),
    );
    let mut session = Session {
        id,
        auth,
        ctx,
        commands,
        subscribed: false,
        strikes: 0,
    };
    let greeted = async {
        sink.send(welcome).await?;
        sink.send(Message::Text(state)).await
    };
    let close = match greeted.await {
        Ok(()) => {
            session
                .serve(&mut sink, &mut stream, &mut rx, &queued, &killer)
                .await
        }
        Err(_) => None,
    };
    let Session {
        id,
        auth,
        ctx,
        commands,
        ..
    } = session;
    let close = match close {
        Some(c) if c.code == CloseCode::GoingAway => {
            // Shutdown: let the commit thread finish what this session submitted, and write
            // the acknowledgements it owes, before saying goodbye.
            drop(commands);
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
                while let Some(frame) = rx.recv().await {
                    if sink.send(Message::Text(frame)).await.is_err() {
                        break;
                    }
                }
            })
            .await;
            Some(c)
        }
        other => {
            let _ = commands.send(Command::Unregister { session: id }).await;
            other
        }
    };
    if let Some(close) = close {
        tracing::info!(session = id, identity = %auth.identity, code = close.code.code(), "closing: {}", close.reason);
        close.send(&mut sink, &mut stream).await;
    } else {
        tracing::info!(session = id, identity = %auth.identity, "peer went away");
    }
    drop(ctx);
}

impl Session {
    /// The main loop; returns the close to send (`None` when the peer is already gone).
    async fn serve(
        &mut self,
        sink: &mut Sink,
        stream: &mut Stream,
        rx: &mut mpsc::Receiver<Utf8Bytes>,
        queued: &AtomicUsize,
        killer: &Killer,
    ) -> Option<Close> {
        let limits = self.ctx.cell.limits();
        let idle = Duration::from_millis(limits.idle_timeout_ms);
        let mut ping = tokio::time::interval(Duration::from_millis(limits.ping_interval_ms));
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        let mut last_seen = Instant::now();
        loop {
            tokio::select! {
                biased;
                close = killer.killed() => return Some(close),
                () = self.ctx.shutdown.triggered() => {
                    return Some(Close::new(CloseCode::GoingAway, "relay shutting down; reconnect and resume"));
                }
                frame = rx.recv() => {
                    let Some(frame) = frame else {
                        return Some(Close::new(CloseCode::GoingAway, "relay shutting down"));
                    };
                    let written = tokio::select! {
                        r = write_batch(sink, rx, queued, frame) => r,
                        close = killer.killed() => return Some(close),
                    };
                    if let Err(e) = written {
                        return Some(Close::for_ws_error(&e));
                    }
                }
                _ = ping.tick() => {
                    if last_seen.elapsed() > idle {
                        return Some(Close::new(
                            CloseCode::Policy,
                            format!("nothing received for {} ms", idle.as_millis()),
                        ));
                    }
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        return None;
                    }
                }
                msg = stream.next() => {
                    let msg = match msg {
                        None => return None,
                        Some(Err(e)) => return Some(Close::for_ws_error(&e)),
                        Some(Ok(m)) => m,
                    };
                    last_seen = Instant::now();
                    match msg {
                        Message::Text(text) => {
                            // Boxed: the handler's state (parsed act, command, resume) is
                            // large and only lives while a frame is handled; inline, every
                            // idle session would reserve room for it.
                            if let Some(close) = Box::pin(self.on_text(sink, &text)).await {
                                return Some(close);
                            }
                        }
                        Message::Binary(_) => {
                            return Some(Close::new(CloseCode::Unsupported, "binary frames are not part of the protocol"));
                        }
                        Message::Close(_) => return Some(Close::new(CloseCode::Normal, "closed by the client")),
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                    }
                }
            }
        }
    }

    /// Handles one text frame; returns a close when the session must end.
    async fn on_text(&mut self, sink: &mut Sink, text: &str) -> Option<Close> {
        let limits = self.ctx.cell.limits();
        let who = &self.auth.identity;
        // Parsed before the rate check so that a refused act's error names its sequence
        // number (the client can then fail that post instead of waiting).
        let parsed = ClientMsg::from_json(text);
        let act_seq = match &parsed {
            Ok(ClientMsg::Act(a)) => Some(a.act.seq),
            _ => None,
        };
        if !self
            .ctx
            .rate
            .allow(who, text.len(), limits.max_message_bytes)
        {
            self.strikes += 1;
            if self.strikes >= RATE_STRIKES {
                let reason = format!("{RATE_STRIKES} frames in a row over the rate limit");
                let body = event("rate_limited", self.auth.peer, Some(who.as_str()), &reason);
                report(&self.commands, body, None).await;
                return Some(Close::new(CloseCode::RateLimited, reason));
            }
            let err = ServerMsg::Error {
                code: ErrorCode::RateLimited,
                reason: format!(
                    "over {} acts per minute (burst {}) or {} bytes per second",
                    limits.acts_per_minute, limits.act_burst, limits.bytes_per_second
                ),
                seq: act_seq,
                last_seq: None,
            };
            return match sink.send(Message::text(err.to_json())).await {
                Ok(()) => None,
                Err(e) => Some(Close::for_ws_error(&e)),
            };
        }
        self.strikes = 0;
        let msg = match parsed {
            Ok(m) => m,
            Err(e) => {
                self.refuse(
                    Rejection::new(ErrorCode::Malformed, format!("malformed frame: {e}")),
                    None,
                )
                .await;
                return None;
            }
        };
        match msg {
            ClientMsg::Act(signed) => {
                let act_seq = signed.act.seq;
                if signed.act.actor != *who {
                    let reason =
                        format!("session of `{who}` sent an act as `{}`", signed.act.actor);
                    let mut body =
                        event("wrong_actor", self.auth.peer, Some(who.as_str()), &reason);
                    body.act_seq = Some(act_seq);
                    report(&self.commands, body, None).await;
                    return Some(Close::new(CloseCode::Forbidden, reason));
                }
                match verify::verify(&self.ctx.cell, signed) {
                    Ok(act) => {
                        let submit = Command::Submit {
                            session: self.id,
                            peer: self.auth.peer,
                            act,
                        };
                        if self.commands.send(submit).await.is_err() {
                            return Some(Close::new(CloseCode::GoingAway, "relay shutting down"));
                        }
                    }
                    Err(rejection) => self.refuse(rejection, Some(act_seq)).await,
                }
                None
            }
            ClientMsg::Subscribe { from } => {
                if self.subscribed {
                    self.refuse(
                        Rejection::new(ErrorCode::Malformed, "already subscribed"),
                        None,
                    )
                    .await;
                    return None;
                }
                self.subscribed = true;
                self.subscribe(sink, from).await
            }
            ClientMsg::Prove { seq, size } => {
                let prove = Command::Prove {
                    session: self.id,
                    seq,
                    size,
                };
                if self.commands.send(prove).await.is_err() {
                    return Some(Close::new(CloseCode::GoingAway, "relay shutting down"));
                }
                None
            }
            ClientMsg::Login { .. } => {
                self.refuse(
                    Rejection::new(ErrorCode::Malformed, "already logged in"),
                    None,
                )
                .await;
                None
            }
            _ => {
                self.refuse(
                    Rejection::new(ErrorCode::Malformed, "unsupported frame"),
                    None,
                )
                .await;
                None
            }
        }
    }

    /// Journals a refused frame and answers it (through the commit thread, so the error
    /// never overtakes the acknowledgement of an earlier act).
    async fn refuse(&self, rejection: Rejection, act_seq: Option<u64>) {
        let mut body = event(
            rejection.code.as_str(),
            self.auth.peer,
            Some(self.auth.identity.as_str()),
            rejection.reason.clone(),
        );
        body.act_seq = act_seq;
        report(&self.commands, body, Some((self.id, rejection))).await;
    }

    /// Goes live, then sends the backlog from `from` (if asked), then `live`.
    async fn subscribe(&mut self, sink: &mut Sink, from: Option<u64>) -> Option<Close> {
        let (reply, size) = oneshot::channel();
        let cmd = Command::Subscribe {
            session: self.id,
            reply,
        };
        let Some(size) = (match self.commands.send(cmd).await {
            Ok(()) => size.await.ok(),
            Err(_) => None,
        }) else {
            return Some(Close::new(CloseCode::GoingAway, "relay shutting down"));
        };
        if let Some(from) = from
            && let Err(close) =
                resume::send_backlog(sink, &self.ctx, &self.auth.identity, from, size).await
        {
            return Some(close);
        }
        match sink
            .send(Message::text(ServerMsg::Live { size }.to_json()))
            .await
        {
            Ok(()) => None,
            Err(e) => Some(Close::for_ws_error(&e)),
        }
    }
}

/// Writes `first` and whatever else is queued (up to a batch), then flushes once.
async fn write_batch(
    sink: &mut Sink,
    rx: &mut mpsc::Receiver<Utf8Bytes>,
    queued: &AtomicUsize,
    first: Utf8Bytes,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let mut frame = first;
    for _ in 0..WRITE_BATCH {
        queued.fetch_sub(frame.len(), Ordering::Relaxed);
        sink.feed(Message::Text(frame)).await?;
        match rx.try_recv() {
            Ok(next) => frame = next,
            Err(_) => return sink.flush().await,
        }
    }
    queued.fetch_sub(frame.len(), Ordering::Relaxed);
    sink.feed(Message::Text(frame)).await?;
    sink.flush().await
}
