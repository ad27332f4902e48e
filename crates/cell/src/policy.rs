//! Authorization: who may read which channel, see which record, and post where.
//!
//! Pure functions of the configured [`Cell`], so the relay, `verify` and the report decide the
//! same way from the same config. Unknown identities, channels, roles and act kinds are refused
//! (deny by default): a role or act kind added to the wire later gets no rights until a rule
//! here grants them. Run-time changes (grants, mutes, freezes, moderation) are journaled acts
//! applied on top of these rules by the sequencer, not here.

use fusioncell_wire::{Act, ActKind, ChannelAccess, ChannelId, ErrorCode, IdentityId, Role};

use crate::model::{Cell, Channel, Identity};

/// Why an act was refused: the in-band error code the relay sends, and a reason naming the
/// rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct Denied {
    /// The wire error code.
    pub code: ErrorCode,
    /// What rule refused it, naming the identity, role and channel.
    pub reason: String,
}

impl Denied {
    fn new(code: ErrorCode, reason: impl Into<String>) -> Self {
        Denied {
            code,
            reason: reason.into(),
        }
    }
}

/// Whether `who` may read `channel`: roles that read everything (mediator, control, evaluator)
/// read every channel; the others read the channels they are a member or reader of.
pub fn can_read(cell: &Cell, who: &IdentityId, channel: &ChannelId) -> bool {
    match (cell.identity(who), cell.channel(channel)) {
        (Some(identity), Some(channel)) => reads(identity, channel),
        _ => false,
    }
}

/// Whether `who` may see a record of `act`. An act on a channel is visible to the channel's
/// readers; one without a channel (the relay's `open`, `security` and `recovered` records) names
/// identities, keys and refused logins, so only the roles that read everything see it.
pub fn can_see(cell: &Cell, who: &IdentityId, act: &Act) -> bool {
    match &act.channel {
        Some(channel) => can_read(cell, who, channel),
        None => cell.identity(who).is_some_and(|i| i.role.reads_all()),
    }
}

/// Whether the act's actor may make it, by the configured rules. The caller has already
/// checked the signature and that `act.cell` is this cell.
pub fn authorize(cell: &Cell, act: &Act) -> Result<(), Denied> {
    if act.kind != ActKind::Post {
        // Relay kinds are written by the relay alone; a client that sends one is forging.
        return Err(Denied::new(
            ErrorCode::WrongKind,
            format!("`{}` acts are written by the relay only", act.kind.as_str()),
        ));
    }
    let channel_id = act
        .channel
        .as_ref()
        .ok_or_else(|| Denied::new(ErrorCode::UnknownChannel, "post needs a channel"))?;
    let channel = cell.channel(channel_id).ok_or_else(|| {
        Denied::new(
            ErrorCode::UnknownChannel,
            format!("no channel `{channel_id}` in this cell"),
        )
    })?;
    let actor = cell.identity(&act.actor).ok_or_else(|| {
        Denied::new(
            ErrorCode::Forbidden,
            format!("`{}` is not an identity of this cell", act.actor),
        )
    })?;
    may_post(actor, channel)
}

/// The channels `who` can read, in config order, and whether it may post to each: what the
/// `welcome` frame tells a client. Empty for an unknown identity.
pub fn channel_access(cell: &Cell, who: &IdentityId) -> Vec<ChannelAccess> {
    let Some(identity) = cell.identity(who) else {
        return Vec::new();
    };
    cell.channels()
        .iter()
        .filter(|channel| reads(identity, channel))
        .map(|channel| ChannelAccess {
            id: channel.id.clone(),
            write: may_post(identity, channel).is_ok(),
        })
        .collect()
}

/// The read rule, for a known identity and channel.
fn reads(identity: &Identity, channel: &Channel) -> bool {
    identity.role.reads_all()
        || channel.members.contains(&identity.id)
        || channel.readers.contains(&identity.id)
}

/// The post rule, for a known identity and channel (DESIGN §2).
fn may_post(identity: &Identity, channel: &Channel) -> Result<(), Denied> {
    let allowed = match identity.role {
        Role::Party => channel.members.contains(&identity.id),
        // The mediator writes every channel; exercise control injects into any channel.
        Role::Mediator | Role::Control => true,
        // Observers write nothing; an evaluator's observations are not posts. Roles added to
        // the wire later get no rights until a rule grants them.
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    let reason = if identity.role == Role::Party {
        format!(
            "party `{}` is not a member of channel `{}`",
            identity.id, channel.id
        )
    } else {
        format!(
            "`{}` has role {}, which may not post (channel `{}`)",
            identity.id, identity.role, channel.id
        )
    };
    Err(Denied::new(ErrorCode::Forbidden, reason))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use fusioncell_wire::{CellId, Digest};

    use super::*;
    use crate::example::fixture::{example_cell, example_text};

    const ALL: [&str; 6] = [
        "security",
        "deescalation",
        "diplomacy",
        "commerce",
        "us-israel",
        "us-syria",
    ];

    fn id(s: &str) -> IdentityId {
        IdentityId::new(s).unwrap()
    }

    fn ch(s: &str) -> ChannelId {
        ChannelId::new(s).unwrap()
    }

    fn act(kind: ActKind, channel: Option<&str>, actor: &str) -> Act {
        Act {
            kind,
            cell: CellId::new("paris-joint-cell").unwrap(),
            channel: channel.map(ch),
            actor: id(actor),
            seq: 1,
            ts: 0,
            body_sha256: Digest([0; 32]),
        }
    }

    fn post(channel: &str, actor: &str) -> Result<(), Denied> {
        authorize(&example_cell(), &act(ActKind::Post, Some(channel), actor))
    }

    fn readable(cell: &Cell, who: &str) -> Vec<&'static str> {
        ALL.into_iter()
            .filter(|c| can_read(cell, &id(who), &ch(c)))
            .collect()
    }

    #[test]
    fn parties_read_and_post_only_their_channels() {
        let cell = example_cell();
        assert_eq!(
            readable(&cell, "israel"),
            [
                "security",
                "deescalation",
                "diplomacy",
                "commerce",
                "us-israel"
            ]
        );
        assert_eq!(
            readable(&cell, "syria"),
            [
                "security",
                "deescalation",
                "diplomacy",
                "commerce",
                "us-syria"
            ]
        );
        for c in [
            "security",
            "deescalation",
            "diplomacy",
            "commerce",
            "us-syria",
        ] {
            assert_eq!(post(c, "syria"), Ok(()), "{c}");
        }
    }

    #[test]
    fn syria_cannot_read_or_post_to_the_us_israel_back_channel() {
        let cell = example_cell();
        assert!(!can_read(&cell, &id("syria"), &ch("us-israel")));
        let denied = post("us-israel", "syria").unwrap_err();
        assert_eq!(denied.code, ErrorCode::Forbidden);
        assert!(denied.reason.contains("not a member"), "{denied}");
        assert!(denied.reason.contains("us-israel"), "{denied}");
    }

    #[test]
    fn france_reads_diplomacy_only_and_cannot_post() {
        let cell = example_cell();
        assert_eq!(readable(&cell, "france"), ["diplomacy"]);
        for c in ALL {
            let denied = post(c, "france").unwrap_err();
            assert_eq!(denied.code, ErrorCode::Forbidden, "{c}");
            assert!(denied.reason.contains("observer"), "{denied}");
            assert!(denied.reason.contains(c), "{denied}");
        }
    }

    #[test]
    fn evaluator_and_control_read_everything() {
        let cell = example_cell();
        assert_eq!(readable(&cell, "evaluator"), ALL);
        assert_eq!(readable(&cell, "control"), ALL);
        assert_eq!(readable(&cell, "us"), ALL);
        for c in ALL {
            let denied = post(c, "evaluator").unwrap_err();
            assert_eq!(denied.code, ErrorCode::Forbidden);
            assert!(denied.reason.contains("evaluator"), "{denied}");
        }
    }

    #[test]
    fn control_injects_and_the_mediator_posts_anywhere() {
        for c in ALL {
            assert_eq!(post(c, "control"), Ok(()), "control on {c}");
            assert_eq!(post(c, "us"), Ok(()), "us on {c}");
        }
    }

    #[test]
    fn relay_kinds_are_refused() {
        let cell = example_cell();
        for kind in [ActKind::Open, ActKind::Security, ActKind::Recovered] {
            for (channel, actor) in [(None, "us"), (Some("security"), "control"), (None, "relay")] {
                let denied = authorize(&cell, &act(kind, channel, actor)).unwrap_err();
                assert_eq!(denied.code, ErrorCode::WrongKind, "{kind:?} by {actor}");
            }
        }
    }

    #[test]
    fn posts_need_a_known_channel_and_actor() {
        let cell = example_cell();
        let denied = authorize(&cell, &act(ActKind::Post, None, "us")).unwrap_err();
        assert_eq!(denied.code, ErrorCode::UnknownChannel);
        assert_eq!(denied.reason, "post needs a channel");
        let denied = authorize(&cell, &act(ActKind::Post, Some("weather"), "us")).unwrap_err();
        assert_eq!(denied.code, ErrorCode::UnknownChannel);
        assert!(denied.reason.contains("weather"), "{denied}");
        for stranger in ["iran", "relay"] {
            let denied = post("security", stranger).unwrap_err();
            assert_eq!(denied.code, ErrorCode::Forbidden, "{stranger}");
        }
    }

    #[test]
    fn records_without_a_channel_are_for_roles_that_read_everything() {
        let cell = example_cell();
        let open = act(ActKind::Open, None, "relay");
        for who in ["us", "control", "evaluator"] {
            assert!(can_see(&cell, &id(who), &open), "{who}");
        }
        for who in ["israel", "syria", "france", "iran"] {
            assert!(!can_see(&cell, &id(who), &open), "{who}");
        }
        let back = act(ActKind::Post, Some("us-israel"), "us");
        assert!(can_see(&cell, &id("israel"), &back));
        assert!(!can_see(&cell, &id("syria"), &back));
        assert!(!can_see(&cell, &id("france"), &back));
        assert!(can_see(&cell, &id("evaluator"), &back));
        let unknown = act(ActKind::Post, Some("weather"), "us");
        assert!(!can_see(&cell, &id("us"), &unknown));
    }

    #[test]
    fn channel_access_for_syria_and_france() {
        let cell = example_cell();
        let access = |who: &str| -> Vec<(String, bool)> {
            channel_access(&cell, &id(who))
                .into_iter()
                .map(|a| (a.id.as_str().to_owned(), a.write))
                .collect()
        };
        let owned = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
            v.iter().map(|(c, w)| ((*c).to_owned(), *w)).collect()
        };
        assert_eq!(
            access("syria"),
            owned(&[
                ("security", true),
                ("deescalation", true),
                ("diplomacy", true),
                ("commerce", true),
                ("us-syria", true),
            ])
        );
        assert_eq!(access("france"), owned(&[("diplomacy", false)]));
        assert_eq!(access("evaluator").len(), ALL.len());
        assert!(access("evaluator").iter().all(|(_, w)| !w));
        assert!(access("control").iter().all(|(_, w)| *w));
        assert!(access("iran").is_empty());
    }

    /// Reading does not imply writing: a party listed as a reader reads but may not post.
    #[test]
    fn a_party_reader_reads_but_does_not_post() {
        let text = example_text().replacen(
            "members = [\"us\", \"israel\"]\n",
            "members = [\"us\", \"israel\"]\nreaders = [\"syria\"]\n",
            1,
        );
        let cell = Cell::from_toml(&text, Path::new("/")).unwrap();
        assert!(can_read(&cell, &id("syria"), &ch("us-israel")));
        let denied = authorize(&cell, &act(ActKind::Post, Some("us-israel"), "syria")).unwrap_err();
        assert_eq!(denied.code, ErrorCode::Forbidden);
        let access = channel_access(&cell, &id("syria"));
        let back = access.iter().find(|a| a.id == ch("us-israel")).unwrap();
        assert!(!back.write);
    }
}
