//! Login: the relay sends a challenge (cell, fresh nonce, its own key); the client answers with
//! its identity and a signature over the canonical login bytes, before the login deadline,
//! which runs from accept ([`crate::listener`]): nothing the peer sends meanwhile (a ping, a
//! pong) extends it.
//! Success yields [`Authenticated`], which a session requires to start; failure yields the
//! close to send and the security event to journal.

use std::net::SocketAddr;
use std::time::Duration;

use fusioncell_keys::{SignatureValid, random_nonce};
use fusioncell_wire::{
    ClientMsg, IdentityId, Nonce, PROTOCOL, Role, SecurityBody, ServerMsg, canonical,
};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::context::{Context, event};
use crate::session_end::SessionEnd;

/// Proof that a connection's peer holds the key of `identity`.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who logged in.
    pub identity: IdentityId,
    /// Its role.
    pub role: Role,
    /// From where.
    pub peer: SocketAddr,
    _proof: SignatureValid,
}

/// A failed login: what the peer is told, and what the journal records (if anything: a peer
/// that hangs up before answering is not an attack).
pub struct LoginFailure {
    /// How the connection ends (the close to send).
    pub end: SessionEnd,
    /// The security event.
    pub event: Option<SecurityBody>,
}

impl LoginFailure {
    /// A failure that is not an attack: nothing is journaled.
    fn quiet(end: SessionEnd) -> Self {
        LoginFailure { end, event: None }
    }

    /// A failure journaled as security event `event_name`, with the close reason.
    fn journaled(end: SessionEnd, event_name: &str, peer: SocketAddr, who: Option<&str>) -> Self {
        let reason = end.to_string();
        LoginFailure {
            event: Some(event(event_name, peer, who, reason)),
            end,
        }
    }
}

/// Runs the login exchange on a fresh WebSocket; `deadline` is the connection's accept time
/// plus the cell's login deadline.
pub async fn login<S>(
    ws: &mut WebSocketStream<S>,
    ctx: &Context,
    peer: SocketAddr,
    deadline: tokio::time::Instant,
) -> Result<Authenticated, LoginFailure>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let nonce = Nonce(random_nonce().map_err(|_| LoginFailure::quiet(SessionEnd::NoRandomness))?);
    let challenge = ServerMsg::Challenge {
        protocol: PROTOCOL.to_owned(),
        cell: ctx.cell.id().clone(),
        nonce,
        relay_key: ctx.relay_key,
    };
    let sent = tokio::time::timeout_at(deadline, ws.send(Message::text(challenge.to_json())));
    if !matches!(sent.await, Ok(Ok(()))) {
        return Err(LoginFailure::quiet(SessionEnd::ChallengeNotSent));
    }
    let limit = Duration::from_millis(ctx.cell.limits().login_timeout_ms);
    let text = loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => {
                return Err(LoginFailure::journaled(
                    SessionEnd::LoginTimeout(limit),
                    "login_timeout",
                    peer,
                    None,
                ));
            }
            Ok(None) => return Err(LoginFailure::quiet(SessionEnd::ClosedBeforeLogin)),
            Ok(Some(Err(e))) => return Err(LoginFailure::quiet(SessionEnd::from_ws_error(&e))),
            Ok(Some(Ok(Message::Text(t)))) => break t,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Binary(_)))) => {
                return Err(LoginFailure::quiet(SessionEnd::BinaryFrame));
            }
            Ok(Some(Ok(_))) => return Err(LoginFailure::quiet(SessionEnd::ClosedBeforeLogin)),
        }
    };
    let (identity, sig) = match ClientMsg::from_json(&text) {
        Ok(ClientMsg::Login { identity, sig }) => (identity, sig),
        Ok(_) => {
            return Err(LoginFailure::journaled(
                SessionEnd::NotALogin,
                "bad_login",
                peer,
                None,
            ));
        }
        Err(e) => {
            return Err(LoginFailure::journaled(
                SessionEnd::MalformedLogin(e.to_string()),
                "bad_login",
                peer,
                None,
            ));
        }
    };
    let Some(registered) = ctx.cell.identity(&identity) else {
        return Err(LoginFailure::journaled(
            SessionEnd::UnknownIdentity(identity.clone()),
            "bad_login",
            peer,
            Some(identity.as_str()),
        ));
    };
    let bytes = canonical::login_bytes(ctx.cell.id(), &nonce, &ctx.relay_key, &identity);
    match registered.public_key.verify(&bytes, &sig.0) {
        Ok(proof) => Ok(Authenticated {
            role: registered.role,
            identity,
            peer,
            _proof: proof,
        }),
        Err(_) => Err(LoginFailure::journaled(
            SessionEnd::BadLoginSignature(identity.clone()),
            "bad_login",
            peer,
            Some(identity.as_str()),
        )),
    }
}
