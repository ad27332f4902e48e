//! A read-only relay that plays a recorded exercise back to ordinary clients (the terminal
//! client, the browser console) at a chosen speed, so that a room can watch the replay
//! together. Clients log in as usual, with the keys of the recording's `open` record; each
//! receives exactly what its identity received live (`fusioncell_cell::seen_by`), paced by
//! the records' own relay times scaled by the speed. Every act is refused: a recording does
//! not change. Connections are admitted as by the live relay ([`crate::listener`]: connection
//! and pending-login caps, deadlines), and a session has the live one's idle timeout and
//! per-identity rate limits.
//!
//! Each viewer learns that it watches a recording (a `recording` frame after `state`). A
//! hot-wash console takes the pacing into its own hands: it sends a `playhead` at the end of
//! the recording, receives at once everything its identity saw, and plays it back itself —
//! pause, seek, speed, jump to an inject — in front of the room.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fusioncell_cell::{Cell, Seen, State, policy, seen_by};
use fusioncell_wire::{ClientMsg, ErrorCode, PublicKeyBytes, Record, ServerMsg};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::RelayError;
use crate::context::Context;
use crate::defaults::{PLAYBACK_STATE_EVERY, PLAYBACK_TICK, RATE_STRIKES};
use crate::fanout::deliver_frame;
use crate::front::{Front, FrontLimits};
use crate::handshake::Authenticated;
use crate::listener;
use crate::routes::{CellRoute, Routes};
use crate::sequencer::SharedState;
use crate::session_end::SessionEnd;
use crate::shutdown::Shutdown;
use crate::upgrade::Transport;

/// A recorded exercise and where its playhead is.
struct Recording {
    cell: Arc<Cell>,
    records: Vec<Record>,
    /// The supervision state after each record (for the clock and epoch at the playhead).
    states: Vec<(i64, u64, fusioncell_wire::Clock)>,
    speed: f64,
    started: Instant,
}

impl Recording {
    /// Relay time of the recording at the playhead.
    fn playhead(&self) -> i64 {
        let first = self.records.first().map_or(0, |r| r.ts);
        let elapsed = self.started.elapsed().as_secs_f64() * 1000.0 * self.speed;
        first.saturating_add(elapsed.min(i64::MAX as f64) as i64)
    }

    /// The `state` frame at the playhead: the epoch and clock of the last record played.
    fn state_frame(&self, playhead: i64) -> Utf8Bytes {
        let (epoch, clock) = self
            .states
            .iter()
            .take_while(|(ts, ..)| *ts <= playhead)
            .last()
            .map_or((0, fusioncell_wire::Clock::default()), |(_, e, c)| (*e, *c));
        Utf8Bytes::from(
            ServerMsg::State {
                epoch,
                clock,
                now: playhead,
            }
            .to_json(),
        )
    }
}

/// A running playback relay. Dropping it stops it.
pub struct Playback {
    addr: SocketAddr,
    shutdown: Shutdown,
}

impl Playback {
    /// Serves `records` (a whole verified journal, from record 0) on `listen`, at `speed`
    /// times the original pace. `cell` is the cell of the recording's `open` record.
    pub async fn spawn(
        cell: Arc<Cell>,
        records: Vec<Record>,
        tls: Option<Arc<rustls::ServerConfig>>,
        listen: SocketAddr,
        speed: f64,
    ) -> Result<Playback, RelayError> {
        let mut state = State::new();
        let states = records
            .iter()
            .map(|r| {
                state.apply(&cell, r);
                (r.ts, state.epoch(), *state.clock())
            })
            .collect();
        let recording = Arc::new(Recording {
            cell: cell.clone(),
            records,
            states,
            speed: speed.max(0.0),
            started: Instant::now(),
        });
        let (tcp, addr) = crate::listener::bind(listen).await?;
        // A playback's log lines name the recording's cell, as a live relay's name its own.
        // Error level and the crate's target, as the live relay's span (server.rs).
        let span = tracing::error_span!(target: "fusioncell_relay", "playback", cell = %cell.id());
        let shutdown = Shutdown::new(span.clone());
        let front = Arc::new(Front::new(tls, FrontLimits::of(&cell), shutdown.clone()));
        let ctx = Arc::new(Context::new(
            cell.clone(),
            PublicKeyBytes(*cell.relay().public_key.bytes()),
            None,
            SharedState::default(),
            front.shutdown.child(span.clone()),
            front.registry.cell(cell.id()),
        ));
        let viewers = Arc::new(Viewers {
            ctx: ctx.clone(),
            rec: recording,
        });
        let routes = Arc::new(Routes::one(CellRoute {
            ctx,
            service: viewers,
        }));
        shutdown.spawn(listener::run(tcp, front, routes));
        span.in_scope(|| tracing::info!(%addr, "playback listening"));
        Ok(Playback { addr, shutdown })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving; sessions are closed with 1001.
    pub async fn shutdown(self) {
        self.shutdown.trigger();
        self.shutdown.wait().await;
    }
}

impl Drop for Playback {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// A recording's viewers: each logged-in connection is a [`session`]; refused logins are
/// logged only (a recording has no journal to add to).
struct Viewers {
    ctx: Arc<Context>,
    rec: Arc<Recording>,
}

impl listener::Service for Viewers {
    async fn session(
        &self,
        ws: Box<tokio_tungstenite::WebSocketStream<Box<dyn Transport>>>,
        auth: Authenticated,
    ) {
        session(ws, auth, &self.ctx, &self.rec).await;
    }

    async fn security(&self, event: fusioncell_wire::SecurityBody) {
        tracing::info!(peer = ?event.peer, "playback login refused: {}", event.reason);
    }
}

/// One viewer: what its identity received, paced by the playhead.
async fn session(
    ws: Box<tokio_tungstenite::WebSocketStream<Box<dyn Transport>>>,
    auth: Authenticated,
    ctx: &Context,
    rec: &Recording,
) {
    let cell = &rec.cell;
    let (mut sink, mut stream) = (*ws).split();
    let seen = seen_by(cell, &rec.records, &auth.identity);
    let playhead = rec.playhead();
    let played = rec.records.iter().take_while(|r| r.ts <= playhead).count() as u64;
    let welcome = ServerMsg::Welcome {
        identity: auth.identity.clone(),
        role: auth.role,
        session: ctx.next_session(),
        last_seq: 0,
        size: played,
        channels: policy::channel_access(cell, &State::new(), &auth.identity),
        directory: ctx.directory,
        identities: auth.identities_to_send(cell, &ctx.directory),
    };
    let recording = ServerMsg::Recording {
        records: rec.records.len() as u64,
        first_ts: rec.records.first().map_or(0, |r| r.ts),
        last_ts: rec.records.last().map_or(0, |r| r.ts),
    };
    let greeted = async {
        sink.feed(Message::text(welcome.to_json())).await?;
        sink.feed(Message::Text(rec.state_frame(playhead))).await?;
        sink.send(Message::text(recording.to_json())).await
    };
    if greeted.await.is_err() {
        return;
    }
    // Index into `seen` of the next entry to deliver, once subscribed.
    let mut cursor: Option<usize> = None;
    // `live` goes out once what was already played is sent: everything after it is new.
    let mut live_due = false;
    // This viewer's own playhead, once it sent one (a hot-wash console): it replaces the
    // shared one for this session.
    let mut own: Option<i64> = None;
    let mut last_state = Instant::now();
    let mut tick = tokio::time::interval(PLAYBACK_TICK);
    let limits = cell.limits();
    let idle = Duration::from_millis(limits.idle_timeout_ms);
    let mut ping = tokio::time::interval(Duration::from_millis(limits.ping_interval_ms));
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let mut last_seen = Instant::now();
    // Frames in a row over the rate limit.
    let mut strikes = 0;
    let close = loop {
        tokio::select! {
            biased;
            () = ctx.shutdown.triggered() => break SessionEnd::PlaybackStopped,
            _ = ping.tick() => {
                if last_seen.elapsed() > idle {
                    break SessionEnd::Idle(idle);
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
            msg = stream.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Ok(Message::Binary(_))) => break SessionEnd::BinaryFrame,
                    Some(Ok(_)) => {
                        last_seen = Instant::now();
                        continue;
                    }
                    Some(Err(e)) => break SessionEnd::from_ws_error(&e),
                };
                last_seen = Instant::now();
                let reply = if !ctx.rate.allow(&auth.identity, text.len(), limits.max_message_bytes) {
                    strikes += 1;
                    if strikes >= RATE_STRIKES {
                        break SessionEnd::RateLimited(RATE_STRIKES);
                    }
                    Some(ServerMsg::Error {
                        code: ErrorCode::RateLimited,
                        reason: format!(
                            "over {} frames per minute (burst {}) or {} bytes per second",
                            limits.acts_per_minute, limits.act_burst, limits.bytes_per_second
                        ),
                        seq: None,
                        last_seq: None,
                    })
                } else {
                    strikes = 0;
                    reply(&text, &seen, rec, &mut cursor, &mut live_due, &mut own)
                };
                if let Some(reply) = reply
                    && sink.send(Message::text(reply.to_json())).await.is_err()
                {
                    return;
                }
            }
            _ = tick.tick() => {
                let playhead = own.unwrap_or_else(|| rec.playhead());
                if last_state.elapsed() >= PLAYBACK_STATE_EVERY {
                    last_state = Instant::now();
                    if sink.send(Message::Text(rec.state_frame(playhead))).await.is_err() {
                        return;
                    }
                }
                let Some(next) = cursor.as_mut() else { continue };
                while *next < seen.len() && ts(rec, &seen[*next]) <= playhead {
                    let entry = &seen[*next];
                    // A released post travels with its approval, as it did live.
                    let frame = match entry.released_by {
                        Some(_) => match seen.get(*next + 1) {
                            Some(approval) => {
                                *next += 1;
                                deliver_frame(&approval.record, Some(&entry.record))
                            }
                            None => deliver_frame(&entry.record, None),
                        },
                        None => deliver_frame(&entry.record, None),
                    };
                    *next += 1;
                    if sink.send(Message::Text(frame)).await.is_err() {
                        return;
                    }
                }
                if live_due {
                    live_due = false;
                    let size = rec.records.iter().take_while(|r| r.ts <= playhead).count() as u64;
                    let live = ServerMsg::Live { size }.to_json();
                    if sink.send(Message::text(live)).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    close.send(&mut sink, &mut stream).await;
}

/// The answer to a viewer's text frame (a subscribe starts the cursor and owes `live`).
fn reply(
    text: &str,
    seen: &[Seen],
    rec: &Recording,
    cursor: &mut Option<usize>,
    live_due: &mut bool,
    own: &mut Option<i64>,
) -> Option<ServerMsg> {
    match ClientMsg::from_json(text) {
        Ok(ClientMsg::Playhead { at }) => {
            // What was sent stays sent: a playhead never goes back (the client seeks back in
            // what it holds). Not yet subscribed: from the start of the recording.
            *own = Some(own.map_or(at, |was| was.max(at)));
            if cursor.is_none() {
                *cursor = Some(0);
                *live_due = true;
            }
            None
        }
        Ok(ClientMsg::Subscribe { from }) if cursor.is_none() => {
            let start = match from {
                Some(from) => seen.iter().position(|s| position(s) >= from),
                None => seen.iter().position(|s| ts(rec, s) > rec.playhead()),
            };
            *cursor = Some(start.unwrap_or(seen.len()));
            *live_due = true;
            None
        }
        Ok(ClientMsg::Act(signed)) => Some(ServerMsg::Error {
            code: ErrorCode::Forbidden,
            reason: "this is a recorded exercise: it is read-only".into(),
            seq: Some(signed.act.seq),
            last_seq: None,
        }),
        Ok(ClientMsg::Prove { seq, size }) => Some(ServerMsg::Proof {
            seq,
            size,
            path: None,
        }),
        Ok(_) => Some(ServerMsg::Error {
            code: ErrorCode::Malformed,
            reason: "not expected here".into(),
            seq: None,
            last_seq: None,
        }),
        Err(e) => Some(ServerMsg::Error {
            code: ErrorCode::Malformed,
            reason: format!("malformed frame: {}", ClientMsg::why_malformed(text, &e)),
            seq: None,
            last_seq: None,
        }),
    }
}

/// The cell sequence number at which an entry was delivered (a released post: its approval's).
fn position(s: &Seen) -> u64 {
    s.released_by.unwrap_or(s.record.seq)
}

/// The relay time at which an entry was delivered live.
fn ts(rec: &Recording, s: &Seen) -> i64 {
    let seq = position(s);
    rec.records.get(seq as usize).map_or(s.record.ts, |r| r.ts)
}
