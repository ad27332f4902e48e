//! Records, a welcome and sessions for the unit tests of `connect`.

use fusioncell_cell::Policy;
use fusioncell_client::{Event, Model, View, Welcome};
use fusioncell_wire::act_body::DecisionBody;
use fusioncell_wire::{
    Act, ActKind, Body, CellId, ChannelId, Clock, Digest, IdentityId, IdentityInfo, PublicKeyBytes,
    Record, Role, SignatureBytes,
};

use super::Session;

pub(super) fn id(s: &str) -> IdentityId {
    IdentityId::new(s).unwrap()
}

pub(super) fn ch(s: &str) -> ChannelId {
    ChannelId::new(s).unwrap()
}

/// 2025-01-01 10:00:00 UTC.
pub(super) const T: i64 = 1_735_725_600_000;

pub(super) fn record(
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

pub(super) fn decision(target: u64, reason: Option<&str>) -> String {
    serde_json::to_string(&DecisionBody {
        target,
        target_digest: Digest([0; 32]),
        epoch: 0,
        reason: reason.map(str::to_owned),
    })
    .unwrap()
}

pub(super) fn welcome(me: &str, role: Role, channels: &[(&str, bool)]) -> Welcome {
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
            .map(|(c, w)| fusioncell_wire::ChannelAccess {
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

/// What `me` sees, with the example cell's policies.
pub(super) fn view(me: &str, role: Role, channels: &[(&str, bool)]) -> View {
    let mut view = View::new(&welcome(me, role, channels), None);
    view.policies = Some(
        [
            ("security", Policy::Moderated),
            (
                "deescalation",
                Policy::Hotline {
                    ack_seconds: 120,
                    ack_clock: fusioncell_cell::AckClock::Wall,
                },
            ),
            ("diplomacy", Policy::Open),
        ]
        .into_iter()
        .map(|(c, p)| (ch(c), p))
        .collect(),
    );
    view
}

/// A session with the example cell's policies, past its backlog.
pub(super) fn session(me: &str, role: Role, channels: &[(&str, bool)]) -> Session {
    let mut model = Model::new(view(me, role, channels), Clock::default());
    model.fold(&Event::Live { size: 0 });
    Session::new(model, None)
}

pub(super) const PARTY_CHANNELS: &[(&str, bool)] = &[
    ("security", true),
    ("deescalation", true),
    ("diplomacy", true),
];
