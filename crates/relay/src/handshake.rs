//! Login: the relay sends a challenge (cell, fresh nonce, its own key); the client answers with
//! its identity and a signature over the canonical login bytes, before the login deadline,
//! which runs from accept ([`crate::listener`]): nothing the peer sends meanwhile (a ping, a
//! pong) extends it.
//! Success yields [`Authenticated`], which a session requires to start; failure yields the
//! close to send and the security event to journal.

use std::net::SocketAddr;
use std::time::Duration;

use fusioncell_cell::Cell;
use fusioncell_keys::{SignatureValid, random_nonce};
use fusioncell_wire::{
    ClientMsg, Digest, IdentityId, IdentityInfo, Nonce, PROTOCOL, PresenceMode, Role, SecurityBody,
    ServerMsg, canonical,
};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::context::{Context, event};
use crate::defaults::{LOGIN_FRAME_PREFIX_CHARS, SECURITY_REASON_BYTES};
use crate::session_end::SessionEnd;

/// The security event of a login that is refused (malformed, unknown identity, bad signature).
pub const BAD_LOGIN: &str = "bad_login";

/// The security event of a connection that does not log in in time.
pub const LOGIN_TIMEOUT: &str = "login_timeout";

/// Whether `event` is one a peer causes before it has logged in: the commit thread throttles
/// those per source address (SECURITY.md, P17).
pub fn is_login_event(event: &str) -> bool {
    event == BAD_LOGIN || event == LOGIN_TIMEOUT
}

/// Proof that a connection's peer holds the key of `identity`.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who logged in.
    pub identity: IdentityId,
    /// Its role.
    pub role: Role,
    /// From where.
    pub peer: SocketAddr,
    /// The directory the client holds, if it named one.
    pub directory: Option<Digest>,
    /// What its `presence` announcements carry after the first.
    pub presence: PresenceMode,
    _proof: SignatureValid,
}

impl Authenticated {
    /// The identities the `welcome` lists: none when the client named the cell's directory
    /// (`directory`, [`fusioncell_cell::Cell::directory`]), which it already holds.
    pub fn identities_to_send(&self, cell: &Cell, directory: &Digest) -> Option<Vec<IdentityInfo>> {
        (self.directory.as_ref() != Some(directory)).then(|| cell.identity_infos())
    }
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

    /// A failure journaled as security event `event_name`, with the close reason and, when
    /// the peer sent one, a description of the offending frame ([`describe_frame`]).
    fn journaled(
        end: SessionEnd,
        event_name: &str,
        peer: SocketAddr,
        who: Option<&str>,
        frame: Option<&str>,
    ) -> Self {
        let reason = match frame {
            Some(frame) => format!("{end}; {}", describe_frame(frame)),
            None => end.to_string(),
        };
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
                    LOGIN_TIMEOUT,
                    peer,
                    None,
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
    let (identity, sig, directory, presence) = match ClientMsg::from_json(&text) {
        Ok(ClientMsg::Login {
            identity,
            sig,
            directory,
            presence,
        }) => (identity, sig, directory, presence),
        Ok(_) => {
            return Err(LoginFailure::journaled(
                SessionEnd::NotALogin,
                BAD_LOGIN,
                peer,
                None,
                Some(&text),
            ));
        }
        Err(e) => {
            // The parser's message can quote the frame (an unknown variant, a bad identity):
            // only its start is kept; the frame itself is described, not repeated.
            return Err(LoginFailure::journaled(
                SessionEnd::MalformedLogin(cut(
                    ClientMsg::why_malformed(&text, &e),
                    SECURITY_REASON_BYTES / 4,
                )),
                BAD_LOGIN,
                peer,
                None,
                Some(&text),
            ));
        }
    };
    let Some(registered) = ctx.cell.identity(&identity) else {
        return Err(LoginFailure::journaled(
            SessionEnd::UnknownIdentity(identity.clone()),
            BAD_LOGIN,
            peer,
            Some(identity.as_str()),
            None,
        ));
    };
    let bytes = canonical::login_bytes(ctx.cell.id(), &nonce, &ctx.relay_key, &identity);
    match registered.public_key.verify(&bytes, &sig.0) {
        Ok(proof) => Ok(Authenticated {
            role: registered.role,
            identity,
            peer,
            directory,
            presence,
            _proof: proof,
        }),
        Err(_) => Err(LoginFailure::journaled(
            SessionEnd::BadLoginSignature(identity.clone()),
            BAD_LOGIN,
            peer,
            Some(identity.as_str()),
            None,
        )),
    }
}

/// An offending frame as its security record keeps it: its length, its SHA-256 and its first
/// [`LOGIN_FRAME_PREFIX_CHARS`] characters, escaped. Bounded whatever the frame's size, and
/// enough to match it against a capture.
pub fn describe_frame(frame: &str) -> String {
    let digest = fusioncell_wire::Digest(fusioncell_keys::sha256(frame.as_bytes()));
    let prefix: String = frame.chars().take(LOGIN_FRAME_PREFIX_CHARS).collect();
    format!(
        "frame of {} bytes, sha256 {}, begins {prefix:?}",
        frame.len(),
        digest.to_hex()
    )
}

/// `text` cut to at most `max` bytes on a character boundary, marked when cut.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_described_in_bounded_space() {
        let frame = format!("\u{1b}[31m{}", "é\n".repeat(30_000));
        let d = describe_frame(&frame);
        assert!(d.len() < 200, "{d}");
        assert!(
            d.contains(&format!("frame of {} bytes", frame.len())),
            "{d}"
        );
        assert!(d.contains(r#"begins "\u{1b}[31mé\né\n"#), "escaped: {d}");
        assert_eq!(cut("é".repeat(100), 5), "éé…");
    }
}
