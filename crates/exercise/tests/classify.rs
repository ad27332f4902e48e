//! What a received record means to a bot: the events `classify` makes of it decide every
//! reaction, so a wrong one makes a bot answer a held post, miss an inject or ack its own.

use fusioncell_cell::Cell;
use fusioncell_exercise::classify::classify;
use fusioncell_keys::SigningKey;
use fusioncell_scenario::BotEvent;
use fusioncell_wire::act_body::InjectBody;
use fusioncell_wire::{
    Act, ActKind, Body, CellId, ChannelId, Digest, IdentityId, OpenBody, OpenChannel, OpenIdentity,
    PublicKeyBytes, Record, Role, SignatureBytes,
};

fn who(s: &str) -> IdentityId {
    IdentityId::new(s).unwrap()
}

fn ch(s: &str) -> ChannelId {
    ChannelId::new(s).unwrap()
}

/// Parties `israel` and `us`, a mediator and control; an open `security` channel, a
/// moderated `diplomacy` channel and a `hotline`.
fn cell() -> Cell {
    let key = |seed: u8| PublicKeyBytes(*SigningKey::from_seed([seed; 32]).public_key().bytes());
    let identity = |id: &str, role: Role, seed: u8| OpenIdentity {
        id: who(id),
        role,
        public_key: key(seed),
    };
    let channel = |id: &str, policy: &str, members: &[&str]| OpenChannel {
        id: ch(id),
        policy: policy.into(),
        members: members.iter().map(|m| who(m)).collect(),
        readers: Vec::new(),
    };
    let open = OpenBody {
        cell: CellId::new("paris").unwrap(),
        config_sha256: Digest([0; 32]),
        relay_key: key(1),
        identities: vec![
            identity("israel", Role::Party, 2),
            identity("us", Role::Party, 3),
            identity("mediator", Role::Mediator, 4),
            identity("control", Role::Control, 5),
        ],
        channels: vec![
            channel("security", "open", &["israel", "us", "mediator"]),
            channel("diplomacy", "moderated", &["israel", "us", "mediator"]),
            channel("hotline", "hotline", &["israel", "us"]),
        ],
    };
    Cell::from_open_body(&open).unwrap()
}

fn record(seq: u64, kind: ActKind, actor: &str, channel: Option<&str>, body: &str) -> Record {
    Record {
        seq,
        ts: 1_764_115_200_000,
        act: Act {
            kind,
            cell: CellId::new("paris").unwrap(),
            channel: channel.map(ch),
            actor: who(actor),
            seq: 1,
            ts: 1_764_115_200_000,
            body_sha256: Digest([0; 32]),
        },
        body: Some(Body::decode(kind, body.to_owned()).unwrap()),
        sig: SignatureBytes([0; 64]),
    }
}

fn post(seq: u64, actor: &str, channel: &str, body: &str) -> Record {
    record(seq, ActKind::Post, actor, Some(channel), body)
}

/// The body control sends for inject `M1-02`.
fn inject_body() -> String {
    serde_json::to_string(&InjectBody {
        id: "M1-02".into(),
        phase: Some("M1".into()),
        from: None,
        to: None,
        title: "Strike reported".into(),
        text: "A strike is reported.".into(),
        at_s: 300,
    })
    .unwrap()
}

#[test]
fn an_inject_is_an_inject_event_with_its_control_number() {
    let r = record(
        7,
        ActKind::Inject,
        "control",
        Some("security"),
        &inject_body(),
    );
    assert_eq!(
        classify(&cell(), &who("israel"), &r, None),
        [BotEvent::Inject {
            id: "M1-02".into(),
            channel: ch("security"),
            seq: 7,
        }]
    );
}

#[test]
fn a_redacted_inject_is_ignored() {
    // A record's body always decodes for its kind; the one without parameters is a redacted one.
    let mut r = record(
        7,
        ActKind::Inject,
        "control",
        Some("security"),
        &inject_body(),
    );
    r.body = None;
    assert!(classify(&cell(), &who("israel"), &r, None).is_empty());
}

#[test]
fn a_post_on_an_open_channel_is_a_post() {
    let r = post(9, "us", "security", "Radar contact at 0400.");
    assert_eq!(
        classify(&cell(), &who("israel"), &r, None),
        [BotEvent::Post {
            seq: 9,
            actor: who("us"),
            channel: ch("security"),
            body: "Radar contact at 0400.".into(),
        }]
    );
}

#[test]
fn a_bot_does_not_react_to_its_own_posts() {
    let r = post(9, "israel", "security", "Our own words.");
    assert!(classify(&cell(), &who("israel"), &r, None).is_empty());
    let r = post(10, "israel", "diplomacy", "Held, but ours.");
    assert!(classify(&cell(), &who("israel"), &r, None).is_empty());
}

#[test]
fn a_partys_post_on_a_moderated_channel_is_held_until_released() {
    let r = post(11, "us", "diplomacy", "Coordinates follow.");
    assert_eq!(
        classify(&cell(), &who("mediator"), &r, None),
        [BotEvent::Held {
            seq: 11,
            actor: who("us"),
            channel: ch("diplomacy"),
            body: "Coordinates follow.".into(),
        }]
    );
    // The same post arriving with the mediator's approval is an ordinary post.
    assert_eq!(
        classify(&cell(), &who("israel"), &r, Some(12)),
        [BotEvent::Post {
            seq: 11,
            actor: who("us"),
            channel: ch("diplomacy"),
            body: "Coordinates follow.".into(),
        }]
    );
}

#[test]
fn the_mediators_post_on_a_moderated_channel_is_not_held() {
    let r = post(13, "mediator", "diplomacy", "Talks resume at noon.");
    let events = classify(&cell(), &who("israel"), &r, None);
    assert!(
        matches!(events.as_slice(), [BotEvent::Post { seq: 13, .. }]),
        "{events:?}"
    );
}

#[test]
fn a_partys_hotline_message_asks_for_an_ack_and_is_also_a_post() {
    let r = post(14, "us", "hotline", "Confirm receipt.");
    assert_eq!(
        classify(&cell(), &who("israel"), &r, None),
        [
            BotEvent::Hotline {
                seq: 14,
                actor: who("us"),
                channel: ch("hotline"),
            },
            BotEvent::Post {
                seq: 14,
                actor: who("us"),
                channel: ch("hotline"),
                body: "Confirm receipt.".into(),
            },
        ]
    );
}

#[test]
fn a_redacted_post_is_a_post_with_an_empty_body() {
    let mut r = post(15, "us", "security", "secret");
    r.body = None;
    let events = classify(&cell(), &who("israel"), &r, None);
    assert!(
        matches!(events.as_slice(), [BotEvent::Post { body, .. }] if body.is_empty()),
        "{events:?}"
    );
}

#[test]
fn records_without_a_channel_and_other_kinds_mean_nothing_to_a_bot() {
    let clock = record(
        16,
        ActKind::Clock,
        "control",
        None,
        r#"{"action":"start","speed":1}"#,
    );
    assert!(classify(&cell(), &who("israel"), &clock, None).is_empty());
    let ack = record(17, ActKind::Ack, "us", Some("hotline"), r#"{"target":14}"#);
    assert!(classify(&cell(), &who("israel"), &ack, None).is_empty());
}
