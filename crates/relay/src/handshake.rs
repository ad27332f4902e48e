//! Login: the relay sends a challenge (cell, fresh nonce, its own key); the client answers with
//! its identity and a signature over the canonical login bytes, before the login deadline.
//! Success yields [`Authenticated`], which a session requires to start; failure yields the
//! close to send and the security event to journal.

use std::net::SocketAddr;
use std::time::Duration;

use fusioncell_keys::{SignatureValid, random_nonce};
use fusioncell_wire::{
    ClientMsg, CloseCode, IdentityId, Nonce, PROTOCOL, Role, SecurityBody, ServerMsg, canonical,
};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::context::{Context, event};
use crate::error::Close;

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
    /// The close to send.
    pub close: Close,
    /// The security event.
    pub event: Option<SecurityBody>,
}

impl LoginFailure {
    fn new(
        code: CloseCode,
        reason: &str,
        event_name: &str,
        peer: SocketAddr,
        who: Option<&str>,
    ) -> Self {
        LoginFailure {
            close: Close::new(code, reason),
            event: Some(event(event_name, peer, who, reason)),
        }
    }
}

/// Runs the login exchange on a fresh WebSocket.
pub async fn login<S>(
    ws: &mut WebSocketStream<S>,
    ctx: &Context,
    peer: SocketAddr,
) -> Result<Authenticated, LoginFailure>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let nonce = Nonce(random_nonce().map_err(|_| LoginFailure {
        close: Close::new(CloseCode::Internal, "no randomness for a challenge"),
        event: None,
    })?);
    let challenge = ServerMsg::Challenge {
        protocol: PROTOCOL.to_owned(),
        cell: ctx.cell.id().clone(),
        nonce,
        relay_key: ctx.relay_key,
    };
    if ws.send(Message::text(challenge.to_json())).await.is_err() {
        return Err(LoginFailure {
            close: Close::new(CloseCode::ProtocolError, "could not send the challenge"),
            event: None,
        });
    }
    let deadline = Duration::from_millis(ctx.cell.limits().login_timeout_ms);
    let text = loop {
        match tokio::time::timeout(deadline, ws.next()).await {
            Err(_) => {
                let reason = format!("no login within {} ms", deadline.as_millis());
                return Err(LoginFailure::new(
                    CloseCode::Unauthenticated,
                    &reason,
                    "login_timeout",
                    peer,
                    None,
                ));
            }
            Ok(None) => {
                return Err(LoginFailure {
                    close: Close::new(CloseCode::Normal, "closed before login"),
                    event: None,
                });
            }
            Ok(Some(Err(e))) => {
                return Err(LoginFailure {
                    close: Close::for_ws_error(&e),
                    event: None,
                });
            }
            Ok(Some(Ok(Message::Text(t)))) => break t,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Binary(_)))) => {
                return Err(LoginFailure {
                    close: Close::new(
                        CloseCode::Unsupported,
                        "binary frames are not part of the protocol",
                    ),
                    event: None,
                });
            }
            Ok(Some(Ok(_))) => {
                return Err(LoginFailure {
                    close: Close::new(CloseCode::Normal, "closed before login"),
                    event: None,
                });
            }
        }
    };
    let (identity, sig) = match ClientMsg::from_json(&text) {
        Ok(ClientMsg::Login { identity, sig }) => (identity, sig),
        Ok(_) => {
            return Err(LoginFailure::new(
                CloseCode::BadLogin,
                "the first frame must be a login",
                "bad_login",
                peer,
                None,
            ));
        }
        Err(e) => {
            let reason = format!("malformed login: {e}");
            return Err(LoginFailure::new(
                CloseCode::BadLogin,
                &reason,
                "bad_login",
                peer,
                None,
            ));
        }
    };
    let Some(registered) = ctx.cell.identity(&identity) else {
        let reason = format!("unknown identity `{identity}`");
        return Err(LoginFailure::new(
            CloseCode::Unauthenticated,
            &reason,
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
        Err(_) => {
            let reason =
                format!("login signature of `{identity}` does not verify for this challenge");
            Err(LoginFailure::new(
                CloseCode::Unauthenticated,
                &reason,
                "bad_login",
                peer,
                Some(identity.as_str()),
            ))
        }
    }
}
