//! One logged-in connection: a task that reads frames, checks and submits acts, and writes
//! what the commit thread queues for it (acknowledgements, errors, deliveries, checkpoints).
//!
//! It `select!`s, in priority order, over: being closed by someone else (too slow,
//! superseded), relay shutdown, its outbound queue, the ping/idle timer, and inbound frames.
//! Queued frames are written in batches with one flush, so a busy session costs one socket
//! write per batch rather than per frame.
//!
//! A resume's backlog is one more source in the same loop, read a page at a time
//! ([`resume::Backlog`](crate::resume::Backlog)); live frames wait in the queue until it is sent, so records arrive in
//! order. Every write (live batch, backlog page) races the kill signal and the idle deadline:
//! a peer that stops reading is closed (4009 when its queue fills, 4010 when superseded, 1008
//! when it has sent nothing for the idle timeout) instead of holding the task for ever.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fusioncell_wire::{ClientMsg, ErrorCode, ServerMsg};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};

use crate::commit::{Command, Registered};
use crate::context::{Context, event, report};
use crate::defaults::{DRAIN_TIMEOUT, RATE_STRIKES, WRITE_BATCH};
use crate::fanout::{Killer, SessionHandle};
use crate::greeting;
use crate::handshake::Authenticated;
use crate::metrics::Metrics;
use crate::outbound::{self, Inbox};
use crate::resume::Backlog;
use crate::session_end::SessionEnd;
use crate::timing;
use crate::upgrade::Transport;
use crate::verify::{self, Rejection};

type Sink = SplitSink<WebSocketStream<Box<dyn Transport>>, Message>;
type Stream = SplitStream<WebSocketStream<Box<dyn Transport>>>;

struct Session {
    id: u64,
    auth: Authenticated,
    ctx: Arc<Context>,
    commands: mpsc::Sender<Command>,
    subscribed: bool,
    strikes: u32,
    /// What a resume still has to send; live frames wait until it is done.
    backlog: Option<Backlog>,
}

/// Runs a session until it closes. Registers it with the commit thread first.
///
/// Registering and greeting, and the drain and close at the end, are boxed: each runs once,
/// and inline their state would be reserved beside the main loop's for the life of the
/// connection (BENCHMARKS.md, "Idle memory").
pub fn run(
    ws: Box<WebSocketStream<Box<dyn Transport>>>,
    auth: Authenticated,
    ctx: Arc<Context>,
    commands: mpsc::Sender<Command>,
) -> impl Future<Output = ()> + Send {
    // Not an async fn, which would keep room for its arguments for the session's life: they
    // go into the boxed start, freed once the session is greeted.
    let start = Box::pin(start(ws, auth, ctx, commands));
    async move {
        let Some(Started {
            mut session,
            mut sink,
            mut stream,
            mut rx,
            killer,
            online,
            greeted,
        }) = start.await
        else {
            return;
        };
        let end = if greeted {
            session
                .serve(&mut sink, &mut stream, &mut rx, &killer)
                .await
        } else {
            // The peer is already gone.
            None
        };
        Box::pin(finish(session, sink, stream, rx, end)).await;
        drop(online);
    }
}

/// A registered, greeted session, ready for its main loop.
struct Started {
    session: Session,
    sink: Sink,
    stream: Stream,
    rx: Inbox,
    killer: Killer,
    /// Counts the session among those online while it lives.
    online: crate::metrics::Counted,
    /// Whether the greeting was written.
    greeted: bool,
}

/// Registers the session with the commit thread and greets it (`welcome`, `state`, the
/// scenario for the white cell, and who is online); `None` when the relay is shutting down
/// (the session was told).
async fn start(
    mut ws: Box<WebSocketStream<Box<dyn Transport>>>,
    auth: Authenticated,
    ctx: Arc<Context>,
    commands: mpsc::Sender<Command>,
) -> Option<Started> {
    let limits = ctx.cell.limits();
    let id = ctx.next_session();
    let (tx, rx) = outbound::queue(limits.outbound_queue_messages, limits.outbound_queue_bytes);
    let killer = Killer::default();
    let (reply, registered) = oneshot::channel();
    let handle = SessionHandle {
        id,
        identity: auth.identity.clone(),
        role: auth.role,
        tx,
        killer: killer.clone(),
        presence: auth.presence,
    };
    let registered = match commands.send(Command::Register { handle, reply }).await {
        Ok(()) => registered.await.ok(),
        Err(_) => None,
    };
    let Some(Registered {
        last_seq,
        size,
        channels,
        state,
        presence,
    }) = registered
    else {
        ctx.metrics.closed(SessionEnd::ShuttingDown.close_code());
        let (mut sink, mut stream) = (*ws).split();
        SessionEnd::ShuttingDown.send(&mut sink, &mut stream).await;
        return None;
    };
    tracing::info!(session = id, identity = %auth.identity, peer = %auth.peer, "logged in");
    let online = ctx.metrics.session(auth.role);
    // Serialized at once and moved into the greeting: nothing of it stays in the session's
    // state for the life of the connection (heaptrack: 1.7 KB per idle connection). Written
    // past tungstenite's write buffer, which would otherwise keep the greeting's size for the
    // connection's life (`greeting`).
    let welcome = Bytes::from(
        ServerMsg::Welcome {
            identity: auth.identity.clone(),
            role: auth.role,
            session: id,
            last_seq,
            size,
            channels,
            directory: ctx.directory,
            identities: auth.identities_to_send(&ctx.cell, &ctx.directory),
        }
        .to_json(),
    );
    let scenario = match &ctx.scenario_frame {
        Some(frame) if Context::may_read_scenario(auth.role) => Some(Bytes::from(frame.clone())),
        _ => None,
    };
    let greeted = greeting::greet(
        &mut ws,
        [welcome, state.into()]
            .into_iter()
            .chain(scenario)
            .chain([presence.into()]),
    )
    .await;
    let (sink, stream) = (*ws).split();
    Some(Started {
        session: Session {
            id,
            auth,
            ctx,
            commands,
            subscribed: false,
            strikes: 0,
            backlog: None,
        },
        sink,
        stream,
        rx,
        killer,
        online,
        greeted: greeted.is_ok(),
    })
}

/// Ends a session that `end`s (`None`: the peer is already gone): takes it out of the commit
/// thread (or, at shutdown, writes the acknowledgements still owed), closes, and empties its
/// queue.
async fn finish(
    session: Session,
    mut sink: Sink,
    mut stream: Stream,
    mut rx: Inbox,
    end: Option<SessionEnd>,
) {
    let Session {
        id,
        auth,
        ctx,
        commands,
        ..
    } = session;
    let metrics = &ctx.metrics;
    let end = match end {
        Some(end) if end.is_shutdown() => {
            // Shutdown: let the commit thread finish what this session submitted, and write
            // the acknowledgements it owes, before saying goodbye.
            drop(commands);
            write_owed(&mut rx, &mut sink, metrics).await;
            Some(end)
        }
        other => {
            let _ = commands.send(Command::Unregister { session: id }).await;
            if let Some(SessionEnd::RateLimited(_)) = &other {
                // The answers owed for earlier frames (the last one the refusal that ended the
                // session) come before the close: the commit thread queued them before it
                // took the session out, which ends the queue (PROTOCOL.md §3.2).
                write_owed(&mut rx, &mut sink, metrics).await;
            }
            other
        }
    };
    if let Some(end) = end {
        tracing::info!(session = id, identity = %auth.identity, code = end.close_code().code(), "closing: {end}");
        metrics.closed(end.close_code());
        end.send(&mut sink, &mut stream).await;
    } else {
        tracing::info!(session = id, identity = %auth.identity, "peer went away");
    }
    // What was queued and will never be written leaves the queue gauge; once the queue is
    // closed, nothing more can be queued to it.
    rx.close();
    let mut unwritten = 0;
    while rx.try_recv().is_some() {
        unwritten += 1;
    }
    metrics.dequeued(unwritten);
}

/// Writes what the queue still holds until it ends (the commit thread dropped its end), for at
/// most [`DRAIN_TIMEOUT`].
async fn write_owed(rx: &mut Inbox, sink: &mut Sink, metrics: &Metrics) {
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(frame) = rx.recv().await {
            metrics.dequeued(1);
            if sink.send(Message::Text(frame)).await.is_err() {
                break;
            }
        }
    })
    .await;
}

impl Session {
    /// The main loop; returns how the session ends (`None` when the peer is already gone).
    async fn serve(
        &mut self,
        sink: &mut Sink,
        stream: &mut Stream,
        rx: &mut Inbox,
        killer: &Killer,
    ) -> Option<SessionEnd> {
        let limits = self.ctx.cell.limits();
        let idle = Duration::from_millis(limits.idle_timeout_ms);
        let mut ping = tokio::time::interval(Duration::from_millis(limits.ping_interval_ms));
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        let mut last_seen = Instant::now();
        let ctx = self.ctx.clone();
        let who = self.auth.identity.clone();
        loop {
            let backlog = self.backlog;
            // A write that does not finish by then means the peer neither reads nor speaks.
            let stuck = tokio::time::Instant::from_std(last_seen + idle);
            tokio::select! {
                biased;
                end = killer.killed() => return Some(end),
                () = self.ctx.shutdown.triggered() => return Some(SessionEnd::ShuttingDownResume),
                frame = rx.recv(), if backlog.is_none() => {
                    let Some(frame) = frame else {
                        return Some(SessionEnd::ShuttingDown);
                    };
                    let taken = timing::now();
                    let mut noted = taken.map(|_| timing::Flushed::default());
                    let write = write_batch(sink, rx, &ctx.metrics, frame, noted.as_mut());
                    if let Some(end) = Box::pin(write_within(killer, stuck, idle, write)).await {
                        return Some(end);
                    }
                    if let (Some(noted), Some(taken)) = (noted, taken) {
                        noted.flushed(self.id, taken);
                    }
                }
                _ = ping.tick() => {
                    if last_seen.elapsed() > idle {
                        return Some(SessionEnd::Idle(idle));
                    }
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        return None;
                    }
                }
                page = next_page(backlog, &ctx, &who), if backlog.is_some() => {
                    let (frames, next) = match page {
                        Ok(page) => page,
                        Err(end) => return Some(end),
                    };
                    let write = write_page(sink, frames);
                    if let Some(end) = Box::pin(write_within(killer, stuck, idle, write)).await {
                        return Some(end);
                    }
                    let Some(b) = self.backlog.as_mut() else {
                        continue;
                    };
                    b.next = next;
                    if b.done() {
                        let size = b.to;
                        self.backlog = None;
                        if let Err(e) = sink.send(live_frame(size)).await {
                            return Some(SessionEnd::from_ws_error(&e));
                        }
                    }
                }
                msg = stream.next() => {
                    let msg = match msg {
                        None => return None,
                        Some(Err(e)) => return Some(SessionEnd::from_ws_error(&e)),
                        Some(Ok(m)) => m,
                    };
                    last_seen = Instant::now();
                    match msg {
                        Message::Text(text) => {
                            // Boxed: the handler's state (parsed act, command, resume) is
                            // large and only lives while a frame is handled; inline, every
                            // idle session would reserve room for it.
                            let read = last_seen;
                            if let Some(end) = Box::pin(self.on_text(sink, &text, read)).await {
                                return Some(end);
                            }
                        }
                        Message::Binary(_) => return Some(SessionEnd::BinaryFrame),
                        Message::Close(_) => return Some(SessionEnd::ClosedByClient),
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                    }
                }
            }
        }
    }

    /// Handles one text frame, read at `read`; returns how the session ends when it must.
    async fn on_text(&mut self, sink: &mut Sink, text: &str, read: Instant) -> Option<SessionEnd> {
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
            let rejection = Rejection::new(
                ErrorCode::RateLimited,
                format!(
                    "over {} acts per minute (burst {}) or {} bytes per second",
                    limits.acts_per_minute, limits.act_burst, limits.bytes_per_second
                ),
            );
            // Answered through the commit thread, so that the error never overtakes the
            // acknowledgement of an earlier act (PROTOCOL.md §3.2).
            if self.strikes >= RATE_STRIKES {
                let end = SessionEnd::RateLimited(RATE_STRIKES);
                let mut body = event(
                    "rate_limited",
                    self.auth.peer,
                    Some(who.as_str()),
                    end.to_string(),
                );
                body.act_seq = act_seq;
                report(&self.commands, body, Some((self.id, rejection))).await;
                return Some(end);
            }
            let refuse = Command::Refuse {
                session: self.id,
                rejection,
                act_seq,
            };
            if self.commands.send(refuse).await.is_err() {
                return Some(SessionEnd::ShuttingDown);
            }
            return None;
        }
        self.strikes = 0;
        let msg = match parsed {
            Ok(m) => m,
            Err(e) => {
                self.refuse(
                    Rejection::new(
                        ErrorCode::Malformed,
                        format!("malformed frame: {}", ClientMsg::why_malformed(text, &e)),
                    ),
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
                    let end = SessionEnd::WrongActor {
                        session: who.clone(),
                        actor: signed.act.actor.clone(),
                    };
                    let mut body = event(
                        "wrong_actor",
                        self.auth.peer,
                        Some(who.as_str()),
                        end.to_string(),
                    );
                    body.act_seq = Some(act_seq);
                    report(&self.commands, body, None).await;
                    return Some(end);
                }
                match verify::verify(&self.ctx.cell, signed).map(|a| a.sent_by(self.id)) {
                    Ok(act) => {
                        let verified = timing::now();
                        let submit = Command::Submit {
                            session: self.id,
                            peer: self.auth.peer,
                            act,
                        };
                        let handed = verified.and_then(|_| timing::now());
                        if self.commands.send(submit).await.is_err() {
                            return Some(SessionEnd::ShuttingDown);
                        }
                        timing::act(self.id, act_seq, read, verified, handed);
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
                    return Some(SessionEnd::ShuttingDown);
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

    /// Goes live; with `from`, leaves the backlog to the main loop, which sends `live` after
    /// it; without, sends `live` at once.
    async fn subscribe(&mut self, sink: &mut Sink, from: Option<u64>) -> Option<SessionEnd> {
        let (reply, size) = oneshot::channel();
        let cmd = Command::Subscribe {
            session: self.id,
            reply,
        };
        let Some(size) = (match self.commands.send(cmd).await {
            Ok(()) => size.await.ok(),
            Err(_) => None,
        }) else {
            return Some(SessionEnd::ShuttingDown);
        };
        if let Some(from) = from {
            let backlog = Backlog {
                next: from,
                to: size,
            };
            if !backlog.done() {
                self.backlog = Some(backlog);
                return None;
            }
        }
        match sink.send(live_frame(size)).await {
            Ok(()) => None,
            Err(e) => Some(SessionEnd::from_ws_error(&e)),
        }
    }
}

/// Runs one connection's task so that a panic in it is not lost silently: it is logged, and
/// the `security` event to journal (`session_panicked`, PROTOCOL.md §5.6) is returned. The
/// connection itself is gone (its socket was dropped with the task); the relay serves on.
///
/// A combinator, not an async fn: that would hold `task` twice (its argument, and the future
/// it awaits) for the connection's life.
pub fn guarded(
    task: impl std::future::Future<Output = ()>,
    peer: std::net::SocketAddr,
) -> impl std::future::Future<Output = Option<fusioncell_wire::SecurityBody>> {
    use futures_util::FutureExt as _;
    std::panic::AssertUnwindSafe(task)
        .catch_unwind()
        .map(move |ended| {
            let panic = ended.err()?;
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            tracing::error!(%peer, "session task panicked: {what}");
            let reason = format!("the relay's task for this connection panicked: {what}");
            Some(event("session_panicked", peer, None, reason))
        })
}

/// The `live` frame: the backlog is sent; `size` records existed when the session went live.
fn live_frame(size: u64) -> Message {
    Message::text(ServerMsg::Live { size }.to_json())
}

/// The next page of a backlog (never resolves without one: its branch is disabled then).
async fn next_page(
    backlog: Option<Backlog>,
    ctx: &Context,
    who: &fusioncell_wire::IdentityId,
) -> Result<(Vec<Utf8Bytes>, u64), SessionEnd> {
    match backlog {
        // Boxed: only a resume reads pages; inline, every session's loop would keep room for
        // the journal read.
        Some(b) => Box::pin(b.next_page(ctx, who)).await,
        None => std::future::pending().await,
    }
}

/// Runs `write` unless the session is killed first or the write is still unfinished at
/// `stuck` (the peer neither reads nor speaks); how the session ends, if it must. Boxed by
/// the main loop: a write's state lives only while it runs, and inline every idle session
/// would keep room for it (about 0.5 KB, BENCHMARKS.md "Idle memory").
async fn write_within(
    killer: &Killer,
    stuck: tokio::time::Instant,
    idle: Duration,
    write: impl Future<Output = Result<(), tokio_tungstenite::tungstenite::Error>>,
) -> Option<SessionEnd> {
    tokio::select! {
        biased;
        end = killer.killed() => Some(end),
        () = tokio::time::sleep_until(stuck) => Some(SessionEnd::Idle(idle)),
        written = write => written.err().map(|e| SessionEnd::from_ws_error(&e)),
    }
}

/// Writes a page of backlog frames with one flush.
async fn write_page(
    sink: &mut Sink,
    frames: Vec<Utf8Bytes>,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    for frame in frames {
        sink.feed(Message::Text(frame)).await?;
    }
    sink.flush().await
}

/// Writes `first` and whatever else is queued (up to a batch), then flushes once. The frames
/// taken leave the metrics' queue gauge in one update per batch, also when the write is
/// abandoned (the session is being closed). With `noted` (timing events on), the cell seqs
/// written are noted there.
async fn write_batch(
    sink: &mut Sink,
    rx: &mut Inbox,
    metrics: &Metrics,
    first: Utf8Bytes,
    mut noted: Option<&mut timing::Flushed>,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let mut taken = Taken { metrics, frames: 1 };
    let mut frame = first;
    for _ in 0..WRITE_BATCH {
        if let Some(noted) = noted.as_deref_mut() {
            noted.note(&frame);
        }
        sink.feed(Message::Text(frame)).await?;
        match rx.try_recv() {
            Some(next) => {
                frame = next;
                taken.frames += 1;
            }
            None => return sink.flush().await,
        }
    }
    if let Some(noted) = noted {
        noted.note(&frame);
    }
    sink.feed(Message::Text(frame)).await?;
    sink.flush().await
}

/// Frames taken off a session's queue by one batch; they leave the queue gauge when it drops.
struct Taken<'a> {
    metrics: &'a Metrics,
    frames: usize,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        self.metrics.dequeued(self.frames);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panicking connection task is reported to the commit thread as a `session_panicked`
    /// security record, with its peer and message; a task that ends normally reports nothing.
    #[tokio::test]
    async fn a_panicking_session_is_journaled_not_lost() {
        let peer: std::net::SocketAddr = "192.0.2.7:4000".parse().unwrap();
        assert!(
            guarded(async {}, peer).await.is_none(),
            "a normal end reports nothing"
        );
        let message = String::from("index out of bounds");
        let task = async move { panic!("{message}") };
        let e = guarded(task, peer).await.expect("a security event");
        assert_eq!(e.event, "session_panicked");
        assert_eq!(e.peer.as_deref(), Some("192.0.2.7:4000"));
        assert!(e.reason.contains("index out of bounds"), "{}", e.reason);
    }
}
