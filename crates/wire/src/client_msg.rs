//! Frames a client sends. One JSON object per WebSocket text frame, tagged by `type`.
//!
//! Flow: the relay sends `challenge`; the client answers with [`ClientMsg::Login`] within the
//! login deadline; after `welcome` it may send [`ClientMsg::Act`]s (each answered by `ack` or
//! `error`) and one [`ClientMsg::Subscribe`] to start receiving records.

use serde::{Deserialize, Serialize};

use crate::act::SignedAct;
use crate::bytes::{Digest, SignatureBytes};
use crate::ids::IdentityId;

/// A frame from a client to the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ClientMsg {
    /// The answer to the challenge: the identity and its signature over
    /// [`canonical::login_bytes`](crate::canonical::login_bytes).
    Login {
        /// Who is logging in.
        identity: IdentityId,
        /// Signature with that identity's key.
        sig: SignatureBytes,
        /// SHA-256 of the directory bytes ([`canonical::directory_bytes`](crate::canonical::directory_bytes))
        /// of the identities the client already holds (from its cell config): when it is the
        /// relay's, the `welcome` leaves the directory out. In a cell of 10,000 the directory
        /// is 1.2 MB, and every login would carry it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        directory: Option<Digest>,
        /// How the client wants `presence` after the first: the whole online set each time
        /// (absent) or only what changed ([`PresenceMode::Changes`]).
        #[serde(
            default,
            deserialize_with = "crate::optional::null_as_default",
            skip_serializing_if = "PresenceMode::is_full"
        )]
        presence: PresenceMode,
    },
    /// A signed act to sequence.
    Act(SignedAct),
    /// Start receiving records this identity may read: first those with `seq >= from` from
    /// the journal (a resume), then live ones, in order, without gap or duplicate. Without
    /// `from`, only records sequenced from now on.
    Subscribe {
        /// First cell sequence number wanted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<u64>,
    },
    /// Ask for an inclusion proof of record `seq` in the tree of `size` records (the size of a
    /// checkpoint the client holds), to check that an acknowledged act is in the log.
    Prove {
        /// The record.
        seq: u64,
        /// The tree size.
        size: u64,
    },
    /// To a playback relay (`audit serve`, which announces itself with `recording`): deliver
    /// now what this identity received up to relay time `at` of the recording, and from then
    /// on follow this client's playheads, not the shared one. A hot-wash console asks for the
    /// whole recording once and plays it back itself (pause, seek, speed, jump to an inject).
    /// A live relay refuses it (`malformed`).
    Playhead {
        /// Relay time of the recording, in milliseconds since the Unix epoch.
        at: i64,
    },
}

/// What a session's `presence` announcements carry after the first, which always carries the
/// whole online set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceMode {
    /// The whole set every time: simple, and N names to each of N sessions per announcement.
    #[default]
    Full,
    /// Only the identities that came online (`joined`) and went offline (`left`) since the
    /// previous announcement to this session: what a big cell needs.
    Changes,
}

impl PresenceMode {
    /// Whether this is the default (so `login` leaves it out).
    pub fn is_full(&self) -> bool {
        *self == PresenceMode::Full
    }
}

impl ClientMsg {
    /// Parses one frame strictly.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The reason to give for `error`, the refusal of `text` by [`ClientMsg::from_json`]:
    /// serde's message, with the path of the field at fault when it can be found
    /// (`act.seq: invalid type: …`). Costs a few parses of `text`: call it after the sender's
    /// rate check.
    pub fn why_malformed(text: &str, error: &serde_json::Error) -> String {
        crate::malformed::describe::<Self>(text, error)
    }

    /// Serializes one frame.
    pub fn to_json(&self) -> String {
        // Serializing these plain structs cannot fail: every key is a string and every value
        // is a string, integer or nested struct.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::act::{Act, ActKind};
    use crate::bytes::Digest;
    use crate::ids::{CellId, ChannelId};

    fn frame() -> impl Strategy<Value = ClientMsg> {
        let name = "[a-z0-9][a-z0-9_-]{0,12}";
        let act = (
            name,
            name,
            name,
            any::<u64>(),
            any::<i64>(),
            any::<[u8; 32]>(),
            ".*",
            any::<[u8; 64]>(),
        )
            .prop_map(|(cell, channel, actor, seq, ts, h, body, sig)| {
                ClientMsg::Act(SignedAct {
                    act: Act {
                        kind: ActKind::Post,
                        cell: CellId::new(cell).unwrap(),
                        channel: Some(ChannelId::new(channel).unwrap()),
                        actor: IdentityId::new(actor).unwrap(),
                        seq,
                        ts,
                        body_sha256: Digest(h),
                    },
                    body,
                    sig: SignatureBytes(sig),
                })
            });
        let login = (
            name,
            any::<[u8; 64]>(),
            proptest::option::of(any::<[u8; 32]>()),
            any::<bool>(),
        )
            .prop_map(|(id, sig, directory, changes)| ClientMsg::Login {
                identity: IdentityId::new(id).unwrap(),
                sig: SignatureBytes(sig),
                directory: directory.map(Digest),
                presence: if changes {
                    PresenceMode::Changes
                } else {
                    PresenceMode::Full
                },
            });
        let subscribe =
            proptest::option::of(any::<u64>()).prop_map(|from| ClientMsg::Subscribe { from });
        prop_oneof![act, login, subscribe]
    }

    proptest! {
        /// Every frame survives JSON exactly: what the relay verifies is what the client sent.
        #[test]
        fn frames_round_trip(msg in frame()) {
            prop_assert_eq!(ClientMsg::from_json(&msg.to_json()).unwrap(), msg);
        }
    }

    #[test]
    fn strict_parsing() {
        let ok = r#"{"type":"subscribe","from":3}"#;
        assert_eq!(
            ClientMsg::from_json(ok).unwrap(),
            ClientMsg::Subscribe { from: Some(3) }
        );
        for bad in [
            r#"{"type":"subscribe","from":3,"extra":1}"#,
            r#"{"type":"subscribe","from":3,"from":4}"#,
            r#"{"type":"subscribe","from":3.0}"#,
            r#"{"type":"subscribe","from":-1}"#,
            r#"{"type":"teleport"}"#,
            r#"{"from":3}"#,
            r#"{"type":"subscribe"} trailing"#,
        ] {
            assert!(ClientMsg::from_json(bad).is_err(), "accepted {bad}");
        }
    }

    /// PROTOCOL.md §1: `null` for an optional field is the same as leaving it out.
    #[test]
    fn null_is_absent_for_optional_fields() {
        let sig = "A".repeat(86) + "==";
        let with_nulls = format!(
            r#"{{"type":"login","identity":"a","sig":"{sig}","directory":null,"presence":null}}"#
        );
        let without = format!(r#"{{"type":"login","identity":"a","sig":"{sig}"}}"#);
        let parsed = ClientMsg::from_json(&with_nulls).unwrap();
        assert_eq!(parsed, ClientMsg::from_json(&without).unwrap());
        assert!(matches!(
            parsed,
            ClientMsg::Login {
                directory: None,
                presence: PresenceMode::Full,
                ..
            }
        ));
        assert_eq!(
            ClientMsg::from_json(r#"{"type":"subscribe","from":null}"#).unwrap(),
            ClientMsg::Subscribe { from: None }
        );
    }

    #[test]
    fn act_frame_is_strict() {
        let act = r#"{"type":"act","act":{"kind":"post","cell":"c","channel":"d","actor":"a","seq":1,"ts":5,"body_sha256":"0000000000000000000000000000000000000000000000000000000000000000"},"body":"hi","sig":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}"#;
        assert!(matches!(ClientMsg::from_json(act), Ok(ClientMsg::Act(_))));
        let dup = act.replace(r#""channel":"d""#, r#""channel":"d","channel":"e""#);
        assert!(ClientMsg::from_json(&dup).is_err());
        let unknown = act.replace(r#""body":"hi""#, r#""body":"hi","admin":true"#);
        assert!(ClientMsg::from_json(&unknown).is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(ClientMsg::from_json(&deep).is_err());
    }
}
