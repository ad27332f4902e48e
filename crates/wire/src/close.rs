//! Every close code and in-band error code of the protocol, in one place. PROTOCOL.md lists the
//! same table; the relay maps each of its errors to exactly one of these.

use serde::{Deserialize, Serialize};

/// WebSocket close codes the relay sends. 1000–1015 are RFC 6455's; 4000–4999 are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseCode {
    /// 1000: the session ended normally (the client asked to close).
    Normal,
    /// 1001: the relay is shutting down; reconnect later and resume.
    GoingAway,
    /// 1002: a WebSocket protocol violation (unmasked frame, reserved bits or opcode, bad
    /// control frame).
    ProtocolError,
    /// 1003: a binary frame; the protocol is JSON text only.
    Unsupported,
    /// 1007: a text frame that is not valid UTF-8.
    InvalidPayload,
    /// 1008: policy violation: idle past the deadline or a message never completed.
    Policy,
    /// 1009: a frame or message larger than the configured limit.
    TooBig,
    /// 1011: an internal relay error.
    Internal,
    /// 1013: the journal cannot make acts durable; nothing more is acknowledged.
    TryLater,
    /// 4000: the login frame was not a well-formed login.
    BadLogin,
    /// 4001: authentication failed: unknown identity, bad signature, or no answer in time.
    Unauthenticated,
    /// 4003: the session tried to act as someone else.
    Forbidden,
    /// 4008: the identity exceeded its rate limit repeatedly.
    RateLimited,
    /// 4009: the session did not read fast enough; reconnect and resume.
    TooSlow,
    /// 4010: a newer session of the same identity took this one's place.
    Superseded,
}

impl CloseCode {
    /// The numeric code sent in the close frame.
    pub fn code(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::Unsupported => 1003,
            CloseCode::InvalidPayload => 1007,
            CloseCode::Policy => 1008,
            CloseCode::TooBig => 1009,
            CloseCode::Internal => 1011,
            CloseCode::TryLater => 1013,
            CloseCode::BadLogin => 4000,
            CloseCode::Unauthenticated => 4001,
            CloseCode::Forbidden => 4003,
            CloseCode::RateLimited => 4008,
            CloseCode::TooSlow => 4009,
            CloseCode::Superseded => 4010,
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: [CloseCode; 15] = [
        CloseCode::Normal,
        CloseCode::GoingAway,
        CloseCode::ProtocolError,
        CloseCode::Unsupported,
        CloseCode::InvalidPayload,
        CloseCode::Policy,
        CloseCode::TooBig,
        CloseCode::Internal,
        CloseCode::TryLater,
        CloseCode::BadLogin,
        CloseCode::Unauthenticated,
        CloseCode::Forbidden,
        CloseCode::RateLimited,
        CloseCode::TooSlow,
        CloseCode::Superseded,
    ];

    /// The code for a number, if it is one of ours.
    pub fn from_code(code: u16) -> Option<CloseCode> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Whether a client should reconnect (and resume) after this close.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            CloseCode::GoingAway
                | CloseCode::Policy
                | CloseCode::Internal
                | CloseCode::TryLater
                | CloseCode::TooSlow
        )
    }
}

/// In-band error codes: the act (or frame) was refused, the session stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The frame is not valid protocol JSON (syntax, unknown field, duplicate key, wrong type).
    Malformed,
    /// The signature does not verify over the act's canonical bytes.
    BadSignature,
    /// The body's SHA-256 differs from `act.body_sha256`.
    BodyHashMismatch,
    /// The act names another cell.
    WrongCell,
    /// The act's kind is not one a client may send.
    WrongKind,
    /// The channel does not exist in this cell.
    UnknownChannel,
    /// The actor's role or membership does not allow this act (or the actor, or an identity
    /// the body names, is unknown, or a receipt names a record the actor did not receive).
    Forbidden,
    /// A moderation decision whose `target_digest` is not the digest of the held act it
    /// names, or that is addressed to another channel than the held post's.
    TargetMismatch,
    /// A party acknowledges its own hotline post: only the other side acknowledges.
    OwnPost,
    /// The actor's sequence number is not above its last one (and is not an exact retry).
    StaleSeq,
    /// The same sequence number was already used for a different act.
    Equivocation,
    /// Another session of the same identity used this sequence number (or a higher one): the
    /// act was not accepted; sign it again above `last_seq`. Not a security event.
    Renumber,
    /// The act's timestamp is outside the relay's skew window.
    ClockSkew,
    /// The identity is over its rate limit; retry later.
    RateLimited,
    /// The journal cannot make acts durable; the act was not accepted.
    Unavailable,
    /// The actor is muted (on this channel or everywhere).
    Muted,
    /// The exercise is paused, halted or ended: parties cannot post.
    Paused,
    /// A moderation decision made in an earlier supervision epoch.
    StaleEpoch,
    /// Not possible in the current state (not pending, already redacted, clock transition).
    Conflict,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::Malformed,
        ErrorCode::BadSignature,
        ErrorCode::BodyHashMismatch,
        ErrorCode::WrongCell,
        ErrorCode::WrongKind,
        ErrorCode::UnknownChannel,
        ErrorCode::Forbidden,
        ErrorCode::TargetMismatch,
        ErrorCode::OwnPost,
        ErrorCode::StaleSeq,
        ErrorCode::Equivocation,
        ErrorCode::Renumber,
        ErrorCode::ClockSkew,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
        ErrorCode::Muted,
        ErrorCode::Paused,
        ErrorCode::StaleEpoch,
        ErrorCode::Conflict,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::BodyHashMismatch => "body_hash_mismatch",
            ErrorCode::WrongCell => "wrong_cell",
            ErrorCode::WrongKind => "wrong_kind",
            ErrorCode::UnknownChannel => "unknown_channel",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::TargetMismatch => "target_mismatch",
            ErrorCode::OwnPost => "own_post",
            ErrorCode::StaleSeq => "stale_seq",
            ErrorCode::Equivocation => "equivocation",
            ErrorCode::Renumber => "renumber",
            ErrorCode::ClockSkew => "clock_skew",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Muted => "muted",
            ErrorCode::Paused => "paused",
            ErrorCode::StaleEpoch => "stale_epoch",
            ErrorCode::Conflict => "conflict",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for c in CloseCode::ALL {
            assert_eq!(CloseCode::from_code(c.code()), Some(c));
        }
        for e in ErrorCode::ALL {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.as_str()));
        }
        let mut codes: Vec<u16> = CloseCode::ALL.iter().map(|c| c.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), CloseCode::ALL.len());
    }
}
