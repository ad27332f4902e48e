//! The body of every act a client builds, in one place: one function per kind of body, each
//! giving the text the act signs (the JSON object PROTOCOL.md specifies for that kind). The
//! builders in [`crate::acts`] call these and nothing else to make a body.

use fusioncell_wire::act_body::{
    Access, AckBody, ClockAction, ClockBody, CosignBody, DecisionBody, GrantBody, InjectBody,
    MuteBody, ObserveBody, ReceiptBody, ReceiptKind, RedactBody,
};
use fusioncell_wire::{ChannelId, Digest, IdentityId};

/// `approve` and `reject`.
pub(crate) fn decision(
    target: u64,
    target_digest: Digest,
    epoch: u64,
    reason: Option<String>,
) -> String {
    json(&DecisionBody {
        target,
        target_digest,
        epoch,
        reason,
    })
}

/// `mute` and `unmute`.
pub(crate) fn mute(identity: IdentityId, channel: Option<ChannelId>) -> String {
    json(&MuteBody { identity, channel })
}

/// `grant` and `revoke`.
pub(crate) fn grant(identity: IdentityId, channel: ChannelId, access: Access) -> String {
    json(&GrantBody {
        identity,
        channel,
        access,
    })
}

/// `redact`.
pub(crate) fn redact(target: u64, reason: String) -> String {
    json(&RedactBody { target, reason })
}

/// `clock`.
pub(crate) fn clock(action: ClockAction, speed: Option<u32>, reason: Option<String>) -> String {
    json(&ClockBody {
        action,
        speed,
        reason,
    })
}

/// `inject`: the scenario gives the whole body.
pub(crate) fn inject(body: &InjectBody) -> String {
    json(body)
}

/// `observe`.
pub(crate) fn observe(refs: Vec<u64>, text: String, about: Option<String>) -> String {
    json(&ObserveBody { refs, text, about })
}

/// `receipt`.
pub(crate) fn receipt(target: u64, kind: ReceiptKind) -> String {
    json(&ReceiptBody { target, kind })
}

/// `ack`.
pub(crate) fn ack(target: u64) -> String {
    json(&AckBody { target })
}

/// `cosign`.
pub(crate) fn cosign(size: u64, root: Digest) -> String {
    json(&CosignBody { size, root })
}

/// A body as JSON text. These are plain structs with string keys and no maps, which
/// serde_json always serializes, so the empty fallback is never used.
fn json<T: serde::Serialize>(body: &T) -> String {
    serde_json::to_string(body).unwrap_or_default()
}
