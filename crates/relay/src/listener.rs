//! The accept loop and the life of one connection up to its session (or, for a browser
//! fetching the console, up to its one HTTP response). The live relay and the playback relay
//! both admit connections here; each says with a [`Service`] what a logged-in connection gets.
//!
//! Every connection gets its own task *before* TLS starts, so a slow handshake never blocks
//! the loop (SECURITY.md, P5); it holds a permit of the connection cap for its whole life and
//! an [`admission`](crate::admission) ticket until it has logged in. At either cap a newcomer
//! takes the place of a connection that waits: at the connection cap a silent one, at the
//! pending-login cap (connections that have spoken) the one that waited longest of the source
//! with the most waiting. The login deadline
//! runs from accept: TLS, the upgrade and the login all fit in it, and nothing the peer sends
//! (pings included) extends it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use fusioncell_wire::SecurityBody;
use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::WebSocketStream;

use tracing::Instrument;

use crate::admission::Waiting;
use crate::context::Context;
use crate::defaults::{ACCEPT_BACKOFF, EVICTION_WAIT};
use crate::front::Front;
use crate::handshake::{self, Authenticated, LoginFailure};
use crate::routes::{CellRoute, Routes};
use crate::session_end::SessionEnd;
use crate::upgrade::{self, Transport};

/// What a listener does with a connection once it has logged in.
pub trait Service: Send + Sync + 'static {
    /// Serves a logged-in connection until it ends. The WebSocket comes boxed: an async fn
    /// keeps room for its arguments for its whole life, so a stream passed by value would be
    /// held twice, once in each caller's state and once where it is finally used.
    fn session(
        &self,
        ws: Box<WebSocketStream<Box<dyn Transport>>>,
        auth: Authenticated,
    ) -> impl Future<Output = ()> + Send;

    /// Records a security event — a refused login, a panicked connection task (the live relay
    /// journals it; a playback has no journal).
    fn security(&self, event: SecurityBody) -> impl Future<Output = ()> + Send;
}

/// Binds the listening socket; returns it with the address actually bound (port 0 picks one).
pub async fn bind(listen: SocketAddr) -> Result<(TcpListener, SocketAddr), crate::RelayError> {
    bind_or(listen, |addr, source| crate::RelayError::Bind {
        addr,
        source,
    })
    .await
}

/// Binds `listen` (the participants' port, the admin port); returns the socket with the
/// address actually bound, or `error` of the address and the cause.
pub(crate) async fn bind_or(
    listen: SocketAddr,
    error: fn(SocketAddr, std::io::Error) -> crate::RelayError,
) -> Result<(TcpListener, SocketAddr), crate::RelayError> {
    let bind_err = |source| error(listen, source);
    let tcp = TcpListener::bind(listen).await.map_err(bind_err)?;
    let addr = tcp.local_addr().map_err(bind_err)?;
    Ok((tcp, addr))
}

/// Accepts connections until shutdown, for the cells of `routes`.
pub async fn run<S: Service>(listener: TcpListener, front: Arc<Front>, routes: Arc<Routes<S>>) {
    // The address actually bound (port 0 picks one): its Origin is admitted too.
    let local = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("listener has no local address: {e}");
            return;
        }
    };
    loop {
        let accepted = tokio::select! {
            biased;
            () = front.shutdown.triggered() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // The login deadline runs from here.
        let deadline = tokio::time::Instant::now() + front.limits.login_timeout();
        let connection = match front.connections.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => match room_at_the_cap(&front).await {
                Some(permit) => permit,
                None => {
                    tracing::warn!(%peer, "refused: connection limit reached");
                    continue;
                }
            },
        };
        let ticket = front.admission.admit(peer);
        let _ = tcp.set_nodelay(true);
        // Boxed: the task below both captures `task` and awaits it, and an async block keeps
        // room for each, so inline the connection's whole state would be reserved twice for
        // the life of the connection (BENCHMARKS.md, "Idle memory").
        let task = Box::pin(serve(
            Connection {
                tcp,
                peer,
                local,
                deadline,
                _connection: connection,
                waiting: ticket,
            },
            front.clone(),
            routes.clone(),
        ));
        // A panic after the request named a cell is journaled in the cell (`serve`); one
        // before is only logged: no cell is concerned yet.
        front.shutdown.spawn(futures_util::FutureExt::map(
            crate::session::guarded(task, peer),
            drop,
        ));
        // Let the new task read its socket before the next accept, so that a flood of
        // accepts does not count a connection as silent that has already spoken.
        tokio::task::yield_now().await;
    }
    tracing::info!("listener stopped");
}

/// At the connection cap: a silent connection makes room for the newcomer
/// ([`Admission::make_room`](crate::admission::Admission::make_room)). Its task gives the
/// permit back as soon as it runs, so the wait is short; `None` when nobody is silent.
async fn room_at_the_cap(front: &Front) -> Option<OwnedSemaphorePermit> {
    let source = front.admission.make_room()?;
    tracing::debug!(
        ?source,
        "connection cap reached: evicted a silent connection"
    );
    tokio::time::timeout(EVICTION_WAIT, front.connections.clone().acquire_owned())
        .await
        .ok()?
        .ok()
}

/// An accepted connection and what it holds.
struct Connection {
    tcp: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    /// Accept time plus the login deadline.
    deadline: tokio::time::Instant,
    _connection: OwnedSemaphorePermit,
    waiting: Waiting,
}

/// TLS and the request head, which names the cell; then, in the cell's span and counted among
/// its tasks, the upgrade, the login and the session.
///
/// Not an async fn, which would keep `conn` beside the parts taken out of it for the
/// connection's life; and what comes before the WebSocket (TLS, the upgrade, and their race
/// against eviction, shutdown and the deadline) is boxed apart, made here, so that the
/// session's task keeps neither its state nor what only it uses (the socket, the local
/// address; BENCHMARKS.md, "Idle memory").
fn serve<S: Service>(
    conn: Connection,
    front: Arc<Front>,
    routes: Arc<Routes<S>>,
) -> impl Future<Output = ()> + Send {
    let Connection {
        tcp,
        peer,
        local,
        deadline,
        _connection,
        waiting,
    } = conn;
    let upgraded = Box::pin(upgraded(tcp, peer, local, deadline, waiting, front, routes));
    async move {
        // The connection's place under the cap, held until the connection ends (named here so
        // that the block takes it).
        let _connection = _connection;
        let Some((ws, route, waiting)) = upgraded.await else {
            return;
        };
        let span = route.ctx.shutdown.span().clone();
        let service = route.service.clone();
        // Boxed, as the connection's future is (`run`): held in a local and then awaited inside
        // `guarded`, it would otherwise be reserved twice for the whole session.
        let in_cell = Box::pin(in_cell(ws, route, peer, deadline, waiting));
        if let Some(panicked) =
            crate::session::guarded(in_cell.instrument(span.clone()), peer).await
        {
            // Boxed too: only a panicked task journals, and inline its state would be reserved in
            // every connection's task.
            Box::pin(service.security(panicked).instrument(span)).await;
        }
    }
}

/// TLS and the request head, then the WebSocket upgrade or a console answer, unless the
/// connection is evicted, the relay shuts down or the login deadline passes first. `None`
/// when the connection is done: before the WebSocket there is no way to say why, so the
/// socket is dropped.
async fn upgraded<S: Service>(
    tcp: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    deadline: tokio::time::Instant,
    mut waiting: Waiting,
    front: Arc<Front>,
    routes: Arc<Routes<S>>,
) -> Option<(
    Box<WebSocketStream<Box<dyn Transport>>>,
    CellRoute<S>,
    Waiting,
)> {
    let first_words = waiting.first_words();
    let before_login = async {
        // A client speaks first (its TLS ClientHello) at once; until then the connection
        // holds no place among those in their handshake, and is the first to be evicted at
        // the connection cap.
        let _ = tcp.peek(&mut [0u8; 1]).await;
        if let Some(source) = first_words.said() {
            tracing::debug!(%peer, ?source, "pending-login cap reached: evicted the longest-waiting connection");
        }
        let stream = upgrade::tls(tcp, &front).await?;
        upgrade::websocket(stream, &routes, &front, local).await
    };
    let routed = tokio::select! {
        biased;
        () = front.shutdown.triggered() => return None,
        () = waiting.evicted() => {
            tracing::debug!(%peer, "dropped before the upgrade: {}", SessionEnd::Evicted);
            return None;
        }
        () = tokio::time::sleep_until(deadline) => {
            tracing::debug!(%peer, "dropped before the upgrade: login deadline");
            return None;
        }
        routed = before_login => routed,
    };
    match routed {
        Ok(upgrade::Routed::WebSocket(ws, route)) => Some((ws, route, waiting)),
        Ok(upgrade::Routed::Served) => None,
        Err(e) => {
            tracing::debug!(%peer, "connection dropped: {e}");
            None
        }
    }
}

/// The part of a connection's life that belongs to its cell: the login and the session,
/// counted among the cell's tasks (retiring the cell waits for it) and in its metrics.
async fn in_cell<S: Service>(
    mut ws: Box<WebSocketStream<Box<dyn Transport>>>,
    route: CellRoute<S>,
    peer: SocketAddr,
    deadline: tokio::time::Instant,
    mut waiting: Waiting,
) {
    let CellRoute { ctx, service } = route;
    let _tracked = ctx.shutdown.track();
    let (_open, waiting_login) = ctx.metrics.connection();
    // Boxed, as TLS and the upgrade are (`serve`): the login's state is dropped once it is
    // done, and inline it would be reserved beside the session's for the connection's life.
    // So is the login's outcome, in a block of its own.
    let auth = {
        let login = tokio::select! {
            biased;
            () = ctx.shutdown.triggered() => return,
            () = waiting.evicted() => Err(LoginFailure { end: SessionEnd::Evicted, event: None }),
            login = Box::pin(handshake::login(&mut *ws, &ctx, peer, deadline)) => login,
        };
        drop(waiting);
        drop(waiting_login);
        match login {
            Ok(auth) => auth,
            // Boxed: a refusal's state (journaling, the close) would otherwise be reserved in
            // every logged-in connection's task.
            Err(failure) => return Box::pin(refuse(ws, failure, &ctx, &*service, peer)).await,
        }
    };
    service.session(ws, auth).await;
}

/// Closes a connection whose login failed, after journaling why (when there is an event).
async fn refuse<S: Service>(
    ws: Box<WebSocketStream<Box<dyn Transport>>>,
    failure: LoginFailure,
    ctx: &Context,
    service: &S,
    peer: SocketAddr,
) {
    tracing::warn!(%peer, code = failure.end.close_code().code(), "login refused: {}", failure.end);
    ctx.metrics.closed(failure.end.close_code());
    if let Some(body) = failure.event {
        service.security(body).await;
    }
    let (mut sink, mut stream) = (*ws).split();
    failure.end.send(&mut sink, &mut stream).await;
}
