//! [`Client`]: a handle to a task that owns the connection.
//!
//! The task signs each act with the next sequence number, keeps it until the relay's durable
//! acknowledgement arrives, and on a dropped connection reconnects (with backoff), resubscribes
//! from the record after the last one it delivered, and resends every unacknowledged act with
//! its original sequence number — the relay answers an exact retry with the original
//! acknowledgement, so nothing is lost and nothing is posted twice.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use fusioncell_keys::{PublicKey, SigningKey, sha256};
use fusioncell_wire::{
    Act, ActKind, ChannelAccess, ChannelId, Checkpoint, ClientMsg, CloseCode, Digest, ErrorCode,
    IdentityId, IdentityInfo, PublicKeyBytes, Record, Role, ServerMsg, SignatureBytes, SignedAct,
    canonical,
};
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::ClientError;
use crate::acts::{self, ActDraft};
use crate::connection::Backoff;
use crate::connection::{self, Expect, Target, Ws};
use crate::defaults::{
    CONNECT_RETRY_BUDGET, EVENT_QUEUE, RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY, REQUEST_QUEUE,
};
use crate::presence;
use crate::subscription::{Event, Subscription, SupervisionState};
use crate::witness::checkpoint_problem;

/// How to reach the relay and as whom.
#[derive(Clone)]
pub struct ClientConfig {
    /// `wss://host:port` (or `ws://` for a loopback relay).
    pub url: String,
    /// PEM of the CA that signed the relay's certificate (required for `wss://`).
    pub ca_pem: Option<Vec<u8>>,
    /// The identity to act as.
    pub identity: IdentityId,
    /// Its private key.
    pub key: Arc<SigningKey>,
    /// What the relay must be (cell id, relay key); from the cell config when there is one.
    pub expect: Expect,
    /// Keys to verify records with, from the cell config. Without them the client verifies
    /// against the keys the relay announces in its welcome.
    pub trusted_keys: Option<HashMap<IdentityId, PublicKey>>,
    /// Reconnect and resume after a dropped connection.
    pub reconnect: bool,
    /// Cosign checkpoints when the identity is a witness (a party or the mediator). A
    /// second session of the same identity that only watches can turn this off.
    pub witness: bool,
    /// A connection that brings nothing for this long is taken as dead (a closed laptop lid,
    /// a NAT that forgot the flow, a cut cable: no close ever arrives) and is replaced:
    /// reconnect, resume, resend. Halfway through a silence the client pings, so a live relay
    /// always answers in time.
    pub receive_deadline: Duration,
}

/// What the relay said at login.
#[derive(Debug, Clone)]
pub struct Welcome {
    /// The identity logged in.
    pub identity: IdentityId,
    /// Its role.
    pub role: Role,
    /// Its last accepted act sequence number.
    pub last_seq: u64,
    /// Journal size.
    pub size: u64,
    /// Channels it sees.
    pub channels: Vec<ChannelAccess>,
    /// Every identity and key (from the cell config when the relay confirmed its directory).
    pub identities: Arc<[IdentityInfo]>,
}

/// A durable acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// The act's own sequence number.
    pub seq: u64,
    /// Its record's cell sequence number.
    pub cell_seq: u64,
    /// The relay's time of sequencing.
    pub ts: i64,
    /// The Merkle leaf hash of the act's record, computed by the client from its own act and
    /// the acknowledgement: what an inclusion proof must lead from.
    pub leaf_hash: [u8; 32],
}

enum Request {
    Act {
        kind: ActKind,
        channel: Option<ChannelId>,
        body: String,
        reply: oneshot::Sender<Result<Ack, ClientError>>,
    },
    Subscribe {
        from: Option<u64>,
        events: mpsc::Sender<Event>,
    },
    Prove {
        seq: u64,
        size: u64,
        reply: ProofWaiter,
    },
}

/// Someone waiting for an inclusion proof: the audit path, or none if the relay had none.
struct ProofWaiter(oneshot::Sender<Option<Vec<[u8; 32]>>>);

/// A connected client. Dropping it stops its task: acts in flight on a live connection are
/// still answered, but a lost connection is no longer replaced.
pub struct Client {
    requests: mpsc::Sender<Request>,
    welcome: Welcome,
    relay_key: PublicKeyBytes,
    state: watch::Receiver<Option<(SupervisionState, Instant)>>,
    task: JoinHandle<()>,
    /// Cancelled when the client is dropped (through `_cancel_on_drop`), or by whoever holds
    /// [`Client::cancellation`]: the task then stops reconnecting.
    stop: CancellationToken,
    _cancel_on_drop: DropGuard,
}

impl Client {
    /// Connects and logs in. A failure worth retrying (the relay unreachable, a dropped
    /// connection, a close that says "later") is retried with jittered backoff for up to
    /// [`CONNECT_RETRY_BUDGET`]; then the last error.
    pub async fn connect(config: ClientConfig) -> Result<Client, ClientError> {
        Client::connect_within(config, CONNECT_RETRY_BUDGET).await
    }

    /// [`Client::connect`], retrying for up to `budget` (zero: one attempt).
    pub async fn connect_within(
        config: ClientConfig,
        budget: std::time::Duration,
    ) -> Result<Client, ClientError> {
        let target = Target::new(&config.url, config.ca_pem.as_deref())?;
        let (ws, facts, welcome) = connection::connect_retrying(
            &target,
            &config.identity,
            &config.key,
            &config.expect,
            budget,
        )
        .await?;
        let facts_relay_key = facts.relay_key;
        let (requests, rx) = mpsc::channel(REQUEST_QUEUE);
        let (state_tx, state) = watch::channel(None);
        let stop = CancellationToken::new();
        let mut actor = Actor {
            state: state_tx,
            keys: HashMap::new(),
            relay_key: facts.relay_key,
            next_seq: welcome.last_seq + 1,
            pending: BTreeMap::new(),
            sub: None,
            witness: config.witness && matches!(welcome.role, Role::Party | Role::Mediator),
            last_checkpoint: None,
            cosigned: 0,
            outbox: Vec::new(),
            online: None,
            proofs: HashMap::new(),
            last_heard: tokio::time::Instant::now(),
            stop: stop.clone(),
            cell: facts.cell,
            target,
            config,
        };
        actor.learn_keys(&welcome);
        let task = tokio::spawn(actor.run(ws, rx));
        Ok(Client {
            requests,
            welcome,
            relay_key: facts_relay_key,
            state,
            task,
            _cancel_on_drop: stop.clone().drop_guard(),
            stop,
        })
    }

    /// A token that, once cancelled, stops the client from reconnecting: a lost connection
    /// then ends the client (its subscription ends, waiting calls fail with `Stopped`).
    pub fn cancellation(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// What the relay said at the first login.
    pub fn welcome(&self) -> &Welcome {
        &self.welcome
    }

    /// Signs and posts `body` to `channel`; returns once the act is durable in the journal.
    pub async fn post(&self, channel: &ChannelId, body: &str) -> Result<Ack, ClientError> {
        self.send(acts::post(channel.clone(), body)).await
    }

    /// Signs and sends an act made by one of the builders of [`acts`]; returns once it is
    /// durable in the journal.
    pub async fn send(&self, draft: ActDraft) -> Result<Ack, ClientError> {
        self.act(draft.kind(), draft.channel, draft.body.into_text())
            .await
    }

    /// Signs and sends an act of any kind a client may make (its body as PROTOCOL.md gives
    /// it for that kind); returns once it is durable in the journal.
    pub async fn act(
        &self,
        kind: ActKind,
        channel: Option<ChannelId>,
        body: String,
    ) -> Result<Ack, ClientError> {
        let (reply, ack) = oneshot::channel();
        self.requests
            .send(Request::Act {
                kind,
                channel,
                body,
                reply,
            })
            .await
            .map_err(|_| ClientError::Stopped("client task ended".into()))?;
        ack.await
            .map_err(|_| ClientError::Stopped("client task ended".into()))?
    }

    /// Sends an act whose body is a JSON value of `body` (see `fusioncell_wire::act_body`).
    pub async fn act_json<T: serde::Serialize>(
        &self,
        kind: ActKind,
        channel: Option<ChannelId>,
        body: &T,
    ) -> Result<Ack, ClientError> {
        let body = serde_json::to_string(body).map_err(|e| ClientError::Protocol(e.to_string()))?;
        self.act(kind, channel, body).await
    }

    /// Approves (`reason` = `None`) or rejects a held post, bound to that exact act and to
    /// the current supervision epoch.
    pub async fn decide(&self, held: &Record, reason: Option<String>) -> Result<Ack, ClientError> {
        let epoch = self.supervision().await?.epoch;
        self.send(acts::decide(held, epoch, reason)).await
    }

    /// Checks that an acknowledged act is in the log a checkpoint commits to: the checkpoint
    /// must carry the relay's signature, and the relay's inclusion proof for the act's record
    /// must lead from the leaf the client computed itself to the checkpoint's root. False
    /// means the relay acknowledged an act that is not in the log it signed.
    pub async fn check_included(
        &self,
        ack: &Ack,
        checkpoint: &Checkpoint,
    ) -> Result<bool, ClientError> {
        let relay_key = self.relay_key;
        if let Some(problem) = checkpoint_problem(&relay_key, None, checkpoint) {
            return Err(ClientError::WrongRelay(problem));
        }
        if ack.cell_seq >= checkpoint.size {
            return Err(ClientError::Protocol(format!(
                "record {} is not covered by a checkpoint of size {}",
                ack.cell_seq, checkpoint.size
            )));
        }
        let (reply, path) = oneshot::channel();
        self.requests
            .send(Request::Prove {
                seq: ack.cell_seq,
                size: checkpoint.size,
                reply: ProofWaiter(reply),
            })
            .await
            .map_err(|_| ClientError::Stopped("client task ended".into()))?;
        let path = path
            .await
            .map_err(|_| ClientError::Stopped("client task ended".into()))?;
        Ok(path.is_some_and(|path| {
            fusioncell_merkle::verify_inclusion(
                &ack.leaf_hash,
                ack.cell_seq,
                checkpoint.size,
                &path,
                &checkpoint.root.0,
            )
        }))
    }

    /// The supervision state the relay last announced (it sends one right after login).
    pub async fn supervision(&self) -> Result<SupervisionState, ClientError> {
        let mut rx = self.state.clone();
        let got = rx
            .wait_for(Option::is_some)
            .await
            .map_err(|_| ClientError::Stopped("client task ended".into()))?;
        got.map(|(s, _)| s)
            .ok_or_else(|| ClientError::Stopped("no state".into()))
    }

    /// Scenario time now, in milliseconds from STARTEX.
    pub async fn scenario_ms(&self) -> Result<u64, ClientError> {
        self.supervision().await?;
        let now = *self.state.borrow();
        Ok(now.map_or(0, |(s, at)| s.scenario_ms(at)))
    }

    /// Waits until the supervision state changes.
    pub async fn state_changed(&self) -> Result<SupervisionState, ClientError> {
        let mut rx = self.state.clone();
        rx.changed()
            .await
            .map_err(|_| ClientError::Stopped("client task ended".into()))?;
        let now = *rx.borrow();
        now.map(|(s, _)| s)
            .ok_or_else(|| ClientError::Stopped("no state".into()))
    }

    /// Starts receiving records: from cell sequence number `from` (a resume), or from now.
    pub async fn subscribe(&self, from: Option<u64>) -> Result<Subscription, ClientError> {
        let (events, rx) = mpsc::channel(EVENT_QUEUE);
        self.requests
            .send(Request::Subscribe { from, events })
            .await
            .map_err(|_| ClientError::Stopped("client task ended".into()))?;
        Ok(Subscription { rx })
    }

    /// Closes the connection after the task has sent what it holds; a client that lost it
    /// stops reconnecting first (with the relay gone, no reconnect is coming).
    pub async fn close(self) {
        self.stop.cancel();
        drop(self.requests);
        let _ = self.task.await;
    }
}

struct Sub {
    /// The next cell sequence number wanted: nothing below it is delivered again.
    next: u64,
    events: mpsc::Sender<Event>,
}

struct Actor {
    state: watch::Sender<Option<(SupervisionState, Instant)>>,
    config: ClientConfig,
    target: Target,
    cell: fusioncell_wire::CellId,
    relay_key: PublicKeyBytes,
    keys: HashMap<IdentityId, PublicKey>,
    next_seq: u64,
    pending: BTreeMap<u64, (SignedAct, oneshot::Sender<Result<Ack, ClientError>>)>,
    sub: Option<Sub>,
    /// Whether this identity witnesses checkpoints (parties and the mediator do).
    witness: bool,
    /// The last checkpoint received, to detect a fork or a rollback.
    last_checkpoint: Option<Checkpoint>,
    /// The largest size this client cosigned.
    cosigned: u64,
    /// Acts the actor itself decided to send (cosignatures), sent after the current frame.
    outbox: Vec<Request>,
    /// Who is online, as the relay last announced it.
    online: Option<Vec<IdentityId>>,
    /// Callers waiting for an inclusion proof, by (record, tree size).
    proofs: HashMap<(u64, u64), Vec<ProofWaiter>>,
    /// When the current connection last brought anything (a frame, a pong).
    last_heard: tokio::time::Instant,
    /// Cancelled: do not reconnect.
    stop: CancellationToken,
}

/// Why a connection ended.
enum End {
    /// The application dropped the client.
    Done,
    /// Worth reconnecting.
    Lost(String),
    /// Reconnecting will not help.
    Fatal(ClientError),
}

impl Actor {
    async fn run(mut self, mut ws: Ws, mut rx: mpsc::Receiver<Request>) {
        loop {
            let end = self.serve(&mut ws, &mut rx).await;
            let reason = match end {
                End::Done => {
                    let _ = ws.close(None).await;
                    return;
                }
                End::Fatal(e) => return self.fail(e),
                End::Lost(reason) if self.config.reconnect && !self.stop.is_cancelled() => reason,
                End::Lost(reason) => return self.fail(ClientError::Stopped(reason)),
            };
            tracing::info!("connection lost ({reason}); reconnecting");
            if let Some(sub) = &self.sub {
                let _ = sub.events.send(Event::Reconnecting { reason }).await;
            }
            match self.reconnect().await {
                Ok(new) => ws = new,
                Err(e) => return self.fail(e),
            }
        }
    }

    /// Reconnects with jittered exponential backoff, resubscribes and resends unacknowledged
    /// acts.
    async fn reconnect(&mut self) -> Result<Ws, ClientError> {
        let mut backoff = Backoff::new(RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY);
        let stopped = || ClientError::Stopped("reconnecting was cancelled".into());
        loop {
            tokio::select! {
                () = self.stop.cancelled() => return Err(stopped()),
                () = tokio::time::sleep(backoff.delay()) => {}
            }
            let dialed = tokio::select! {
                () = self.stop.cancelled() => return Err(stopped()),
                dialed = connection::dial(&self.target) => dialed,
            };
            let mut ws = match dialed {
                Ok(ws) => ws,
                Err(e) => {
                    tracing::debug!("reconnect failed: {e}");
                    continue;
                }
            };
            let expect = Expect {
                cell: Some(self.cell.clone()),
                relay_key: Some(self.relay_key),
                ..self.config.expect.clone()
            };
            let welcome =
                match connection::login(&mut ws, &self.config.identity, &self.config.key, &expect)
                    .await
                {
                    Ok((_, w)) => w,
                    Err(ClientError::Closed { code, reason }) if !retryable(code) => {
                        return Err(ClientError::Closed { code, reason });
                    }
                    Err(e @ ClientError::WrongRelay(_)) => return Err(e),
                    Err(e) => {
                        tracing::debug!("reconnect login failed: {e}");
                        continue;
                    }
                };
            self.next_seq = self.next_seq.max(welcome.last_seq + 1);
            let mut frames = Vec::new();
            if let Some(sub) = &self.sub {
                frames.push(ClientMsg::Subscribe {
                    from: Some(sub.next),
                });
            }
            frames.extend(
                self.pending
                    .values()
                    .map(|(act, _)| ClientMsg::Act(act.clone())),
            );
            let mut ok = true;
            for f in frames {
                if ws.feed(Message::text(f.to_json())).await.is_err() {
                    ok = false;
                    break;
                }
            }
            if ok && ws.flush().await.is_ok() {
                tracing::info!("reconnected; resumed");
                return Ok(ws);
            }
        }
    }

    async fn serve(&mut self, ws: &mut Ws, rx: &mut mpsc::Receiver<Request>) -> End {
        self.last_heard = tokio::time::Instant::now();
        let mut pinged = false;
        loop {
            let deadline = self.config.receive_deadline;
            let quiet = self.last_heard.elapsed();
            // Ping once at half the deadline; give up at the deadline.
            let wake = if pinged { deadline } else { deadline / 2 };
            tokio::select! {
                () = tokio::time::sleep(wake.saturating_sub(quiet)) => {
                    if self.last_heard.elapsed() >= deadline {
                        return End::Lost(format!(
                            "nothing received for {} s: the connection is dead",
                            deadline.as_secs_f32()
                        ));
                    }
                    if self.last_heard.elapsed() >= deadline / 2 && !pinged {
                        pinged = true;
                        if ws.send(Message::Ping(Default::default())).await.is_err() {
                            return End::Lost("ping could not be sent".into());
                        }
                    }
                }
                req = rx.recv() => {
                    let Some(req) = req else {
                        if self.pending.is_empty() {
                            return End::Done;
                        }
                        // The application is gone but acts are in flight: finish them first.
                        match self.wait_pending(ws).await {
                            Some(end) => return end,
                            None => return End::Done,
                        }
                    };
                    if let Err(e) = self.on_request(ws, req).await {
                        return End::Lost(e);
                    }
                }
                msg = ws.next() => {
                    self.last_heard = tokio::time::Instant::now();
                    pinged = false;
                    if let Some(end) = self.on_message(msg).await {
                        return end;
                    }
                    for req in std::mem::take(&mut self.outbox) {
                        if let Err(e) = self.on_request(ws, req).await {
                            return End::Lost(e);
                        }
                    }
                }
            }
        }
    }

    /// Reads until every pending act is answered; `None` when done.
    async fn wait_pending(&mut self, ws: &mut Ws) -> Option<End> {
        while !self.pending.is_empty() {
            let msg = ws.next().await;
            if let Some(end) = self.on_message(msg).await {
                return Some(end);
            }
        }
        None
    }

    async fn on_request(&mut self, ws: &mut Ws, req: Request) -> Result<(), String> {
        match req {
            Request::Act {
                kind,
                channel,
                body,
                reply,
            } => {
                let act = Act {
                    kind,
                    cell: self.cell.clone(),
                    channel,
                    actor: self.config.identity.clone(),
                    seq: self.next_seq,
                    ts: now_ms(),
                    body_sha256: Digest(sha256(body.as_bytes())),
                };
                self.next_seq += 1;
                let signed = sign(&self.config.key, act, body);
                let frame = ClientMsg::Act(signed.clone()).to_json();
                self.pending.insert(signed.act.seq, (signed, reply));
                ws.send(Message::text(frame))
                    .await
                    .map_err(|e| e.to_string())
            }
            Request::Prove { seq, size, reply } => {
                self.proofs.entry((seq, size)).or_default().push(reply);
                ws.send(Message::text(ClientMsg::Prove { seq, size }.to_json()))
                    .await
                    .map_err(|e| e.to_string())
            }
            Request::Subscribe { from, events } => {
                if let Some(online) = &self.online {
                    // A new channel with room: this first event cannot be refused for space.
                    let _ = events.try_send(Event::Presence {
                        online: online.clone(),
                    });
                }
                self.sub = Some(Sub {
                    next: from.unwrap_or(0),
                    events,
                });
                ws.send(Message::text(ClientMsg::Subscribe { from }.to_json()))
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    async fn on_message(
        &mut self,
        msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Option<End> {
        let text = match msg {
            None => return Some(End::Lost("connection closed".into())),
            Some(Err(e)) => return Some(End::Lost(e.to_string())),
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = frame
                    .map(|f| (u16::from(f.code), f.reason.to_string()))
                    .unwrap_or((1005, String::new()));
                return Some(if retryable(code) {
                    End::Lost(format!("closed {code}: {reason}"))
                } else {
                    End::Fatal(ClientError::Closed { code, reason })
                });
            }
            Some(Ok(_)) => return None,
        };
        let msg = match ServerMsg::from_json(&text) {
            Ok(m) => m,
            Err(e) => return Some(End::Fatal(ClientError::Protocol(e.to_string()))),
        };
        match msg {
            ServerMsg::Ack { seq, cell_seq, ts } => {
                if let Some((act, reply)) = self.pending.remove(&seq) {
                    let leaf = canonical::leaf_bytes(cell_seq, ts, &act.act, &act.sig.0);
                    let _ = reply.send(Ok(Ack {
                        seq,
                        cell_seq,
                        ts,
                        leaf_hash: fusioncell_merkle::leaf_hash(&leaf),
                    }));
                }
            }
            ServerMsg::Proof { seq, size, path } => {
                for ProofWaiter(reply) in self.proofs.remove(&(seq, size)).unwrap_or_default() {
                    let _ = reply.send(path.clone().map(|p| p.into_iter().map(|d| d.0).collect()));
                }
            }
            ServerMsg::Error {
                code,
                reason,
                seq,
                last_seq,
            } => match seq.and_then(|s| self.pending.remove(&s)) {
                // Another session of this identity used the number: the act was not accepted,
                // so it is signed again above the relay's mark and resent (PROTOCOL.md §3.2).
                Some((act, reply)) if code == ErrorCode::Renumber => {
                    let last = last_seq.unwrap_or(act.act.seq);
                    self.next_seq = self.next_seq.max(last + 1);
                    tracing::debug!("sequence number {} taken; resending", act.act.seq);
                    self.outbox.push(Request::Act {
                        kind: act.act.kind,
                        channel: act.act.channel,
                        body: act.body,
                        reply,
                    });
                }
                Some((_, reply)) => {
                    let _ = reply.send(Err(ClientError::Rejected { code, reason }));
                }
                None => tracing::warn!("relay error {code}: {reason}"),
            },
            ServerMsg::Deliver { record, released } => {
                if let Some(sub) = &mut self.sub
                    && record.seq >= sub.next
                {
                    sub.next = record.seq + 1;
                    let mut events = Vec::with_capacity(2);
                    if let Some(post) = released {
                        events.push(Event::Record {
                            verified: self.verify(&post),
                            record: *post,
                            released_by: Some(record.seq),
                        });
                    }
                    events.push(Event::Record {
                        verified: self.verify(&record),
                        record,
                        released_by: None,
                    });
                    for event in events {
                        let Some(sub) = &self.sub else { break };
                        if sub.events.send(event).await.is_err() {
                            self.sub = None;
                        }
                    }
                }
            }
            ServerMsg::State { epoch, clock, now } => {
                let state = SupervisionState { epoch, clock, now };
                self.state.send_replace(Some((state, Instant::now())));
                if let Some(sub) = &self.sub {
                    let _ = sub.events.send(Event::State(state)).await;
                }
            }
            ServerMsg::Live { size } => {
                if let Some(sub) = &mut self.sub {
                    sub.next = sub.next.max(size);
                    let _ = sub.events.send(Event::Live { size }).await;
                }
            }
            ServerMsg::Checkpoint(cp) => {
                if let Some(reason) =
                    checkpoint_problem(&self.relay_key, self.last_checkpoint.as_ref(), &cp)
                {
                    tracing::error!("the relay misbehaves: {reason}");
                    if let Some(sub) = &self.sub {
                        let _ = sub.events.send(Event::Fork { reason }).await;
                    }
                    return None;
                }
                if self.witness && cp.size > self.cosigned {
                    self.cosigned = cp.size;
                    let draft = acts::cosign(cp.size, cp.root);
                    // Nobody waits for a cosignature's acknowledgement.
                    let (reply, _) = oneshot::channel();
                    self.outbox.push(Request::Act {
                        kind: draft.kind(),
                        channel: draft.channel,
                        body: draft.body.into_text(),
                        reply,
                    });
                }
                self.last_checkpoint = Some(cp.clone());
                if let Some(sub) = &self.sub {
                    let _ = sub.events.send(Event::Checkpoint(cp)).await;
                }
            }
            ServerMsg::Presence {
                online,
                joined,
                left,
            } => {
                let online = match (online, self.online.take()) {
                    (Some(online), _) => online,
                    (None, known) => presence::apply(known.unwrap_or_default(), joined, &left),
                };
                if let Some(sub) = &self.sub {
                    let _ = sub
                        .events
                        .send(Event::Presence {
                            online: online.clone(),
                        })
                        .await;
                }
                self.online = Some(online);
            }
            other => tracing::debug!("ignored {other:?}"),
        }
        None
    }

    fn learn_keys(&mut self, welcome: &Welcome) {
        self.keys = match &self.config.trusted_keys {
            Some(trusted) => trusted.clone(),
            None => welcome
                .identities
                .iter()
                .filter_map(|i| Some((i.id.clone(), PublicKey::from_bytes(i.public_key.0).ok()?)))
                .collect(),
        };
    }

    /// Checks a record's body hash and signature.
    fn verify(&self, record: &Record) -> bool {
        if let Some(body) = &record.body
            && sha256(body.text().as_bytes()) != record.act.body_sha256.0
        {
            return false;
        }
        let key = if record.act.actor.is_relay() {
            PublicKey::from_bytes(self.relay_key.0).ok()
        } else {
            self.keys.get(&record.act.actor).copied()
        };
        key.is_some_and(|k| {
            k.verify(&canonical::act_bytes(&record.act), &record.sig.0)
                .is_ok()
        })
    }

    fn fail(mut self, e: ClientError) {
        for (_, (_, reply)) in std::mem::take(&mut self.pending) {
            let _ = reply.send(Err(e.clone()));
        }
    }
}

/// Signs `act` (whose `body_sha256` must be the hash of `body`) with `key`.
pub fn sign(key: &SigningKey, act: Act, body: String) -> SignedAct {
    let sig = SignatureBytes(key.sign(&canonical::act_bytes(&act)));
    SignedAct { act, body, sig }
}

/// Whether a close code means "reconnect and resume".
fn retryable(code: u16) -> bool {
    CloseCode::from_code(code).is_none_or(CloseCode::is_retryable) && code != 1000
}

fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
