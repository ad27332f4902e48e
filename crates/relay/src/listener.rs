//! The accept loop and the life of one connection up to its session (or, for a browser
//! fetching the console, up to its one HTTP response).
//!
//! Every connection gets its own task *before* TLS starts, so a slow handshake never blocks
//! the loop (SECURITY.md, P5); it holds a permit of the connection cap for its whole life and
//! a permit of the pending-login cap until it has logged in. Over a cap, the socket is dropped
//! at once.

use crate::defaults::ACCEPT_BACKOFF;
use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use crate::commit::Command;
use crate::context::{Context, report};
use crate::handshake;
use crate::session;
use crate::upgrade;

/// Binds the listening socket; returns it with the address actually bound (port 0 picks one).
pub async fn bind(listen: SocketAddr) -> Result<(TcpListener, SocketAddr), crate::RelayError> {
    let bind_err = |source| crate::RelayError::Bind {
        addr: listen,
        source,
    };
    let tcp = TcpListener::bind(listen).await.map_err(bind_err)?;
    let addr = tcp.local_addr().map_err(bind_err)?;
    Ok((tcp, addr))
}

/// Accepts connections until shutdown.
pub async fn run(listener: TcpListener, ctx: Arc<Context>, commands: mpsc::Sender<Command>) {
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
            () = ctx.shutdown.triggered() => break,
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
        let Ok(connection) = ctx.connections.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "refused: connection limit reached");
            continue;
        };
        let Ok(pending) = ctx.pending.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "refused: too many connections waiting to log in");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let task = serve(
            tcp,
            peer,
            local,
            ctx.clone(),
            commands.clone(),
            connection,
            pending,
        );
        ctx.shutdown
            .spawn(session::guarded(task, peer, commands.clone()));
    }
    tracing::info!("listener stopped");
}

/// TLS, upgrade, login, then the session.
async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    ctx: Arc<Context>,
    commands: mpsc::Sender<Command>,
    _connection: OwnedSemaphorePermit,
    pending: OwnedSemaphorePermit,
) {
    let before_login = async {
        let stream = upgrade::tls(tcp, &ctx).await?;
        upgrade::websocket(stream, &ctx, local).await
    };
    let mut ws = tokio::select! {
        biased;
        () = ctx.shutdown.triggered() => return,
        ws = before_login => match ws {
            Ok(upgrade::Routed::WebSocket(ws)) => *ws,
            Ok(upgrade::Routed::Served) => return,
            Err(e) => {
                tracing::debug!(%peer, "connection dropped: {e}");
                return;
            }
        },
    };
    let login = tokio::select! {
        biased;
        () = ctx.shutdown.triggered() => return,
        login = handshake::login(&mut ws, &ctx, peer) => login,
    };
    drop(pending);
    match login {
        Ok(auth) => session::run(ws, auth, ctx, commands).await,
        Err(failure) => {
            tracing::warn!(%peer, code = failure.end.close_code().code(), "login refused: {}", failure.end);
            if let Some(body) = failure.event {
                report(&commands, body, None).await;
            }
            let (mut sink, mut stream) = ws.split();
            failure.end.send(&mut sink, &mut stream).await;
        }
    }
}
