//! Records, identities and a welcome for the unit tests of this crate.

use fusioncell_wire::{
    Act, ActKind, Body, CellId, ChannelAccess, ChannelId, Digest, IdentityId, IdentityInfo,
    PublicKeyBytes, Record, Role, SignatureBytes,
};

use crate::Welcome;

pub(crate) fn id(s: &str) -> IdentityId {
    IdentityId::new(s).unwrap()
}

pub(crate) fn ch(s: &str) -> ChannelId {
    ChannelId::new(s).unwrap()
}

/// 2025-01-01 10:00:00 UTC.
pub(crate) const T: i64 = 1_735_725_600_000;

/// A record at time [`T`] with an all-zero signature.
pub(crate) fn record(
    seq: u64,
    kind: ActKind,
    actor: &str,
    channel: Option<&str>,
    body: &str,
) -> Record {
    Record {
        seq,
        ts: T,
        act: Act {
            kind,
            cell: CellId::new("c").unwrap(),
            channel: channel.map(ch),
            actor: id(actor),
            seq: 1,
            ts: T,
            body_sha256: Digest([0; 32]),
        },
        body: Some(Body::decode(kind, body.to_owned()).unwrap()),
        sig: SignatureBytes([0; 64]),
    }
}

/// What the relay tells `me` at login, in a cell of two parties, a mediator, control, an
/// observer and an evaluator.
pub(crate) fn welcome(me: &str, role: Role, channels: &[(&str, bool)]) -> Welcome {
    let roles = [
        ("israel", Role::Party),
        ("syria", Role::Party),
        ("us", Role::Mediator),
        ("control", Role::Control),
        ("france", Role::Observer),
        ("evaluator", Role::Evaluator),
    ];
    Welcome {
        identity: id(me),
        role,
        last_seq: 0,
        size: 0,
        channels: channels
            .iter()
            .map(|(c, w)| ChannelAccess {
                id: ch(c),
                write: *w,
            })
            .collect(),
        identities: roles
            .iter()
            .map(|(i, r)| IdentityInfo {
                id: id(i),
                role: *r,
                public_key: PublicKeyBytes([0; 32]),
            })
            .collect(),
    }
}
