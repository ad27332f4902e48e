//! Access: who may read which channel, see which record, and post where.
//!
//! Pure functions of the configured [`Cell`] and the run-time [`State`], so the relay, `verify`
//! and the report decide the same way. Unknown identities and channels read nothing (deny by
//! default). Whether one act is allowed is decided per kind in `acts`, on top of these rules.

use fusioncell_wire::act_body::Access;
use fusioncell_wire::{ChannelAccess, ChannelId, ErrorCode, IdentityId, Role};

use crate::acts::Denied;
use crate::model::{Cell, Channel, Identity, Policy};
use crate::state::State;

/// Whether `who` can read `channel` now: the roles that read everything, configured members
/// and readers (unless revoked), and identities granted access at run time.
pub fn can_read(cell: &Cell, state: &State, who: &IdentityId, channel: &ChannelId) -> bool {
    match (cell.identity(who), cell.channel(channel)) {
        (Some(identity), Some(channel)) => reads(state, identity, channel),
        _ => false,
    }
}

/// Whether `who` may receive record `seq` (already applied to `state`).
pub fn can_see(cell: &Cell, state: &State, who: &IdentityId, seq: u64) -> bool {
    match (cell.identity(who), state.audience(seq)) {
        (Some(identity), Some(audience)) => audience.admits(who, identity.role),
        _ => false,
    }
}

/// The channels `who` can read now, and whether it may post to each.
pub fn channel_access(cell: &Cell, state: &State, who: &IdentityId) -> Vec<ChannelAccess> {
    let Some(identity) = cell.identity(who) else {
        return Vec::new();
    };
    cell.channels()
        .iter()
        .filter(|channel| reads(state, identity, channel))
        .map(|channel| ChannelAccess {
            id: channel.id.clone(),
            write: may_post(state, identity, channel).is_ok(),
        })
        .collect()
}

/// Whether a party's post to `channel` is held for the mediator.
pub fn is_moderated_for(cell: &Cell, who: &IdentityId, channel: &ChannelId) -> bool {
    let party = cell.identity(who).is_some_and(|i| i.role == Role::Party);
    party
        && cell
            .channel(channel)
            .is_some_and(|c| c.policy == Policy::Moderated)
}

fn reads(state: &State, identity: &Identity, channel: &Channel) -> bool {
    if identity.role.reads_all() {
        return true;
    }
    let configured = (channel.members.contains(&identity.id)
        || channel.readers.contains(&identity.id))
        && !state.is_revoked(&channel.id, &identity.id);
    configured || state.granted(&channel.id, &identity.id).is_some()
}

pub(crate) fn writes(state: &State, identity: &Identity, channel: &Channel) -> bool {
    let configured =
        channel.members.contains(&identity.id) && !state.is_revoked(&channel.id, &identity.id);
    configured || state.granted(&channel.id, &identity.id) == Some(Access::Member)
}

pub(crate) fn may_post(
    state: &State,
    identity: &Identity,
    channel: &Channel,
) -> Result<(), Denied> {
    let allowed = match identity.role {
        Role::Party => writes(state, identity, channel),
        Role::Mediator | Role::Control => true,
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

    use fusioncell_wire::{Act, ActBody, ActKind, Body, Record, SignatureBytes};

    use super::*;
    use crate::acts::authorize;
    use crate::example::fixture::{example_cell, example_text};
    use crate::state::State;

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
        authorize(
            &example_cell(),
            &State::new(),
            &act(ActKind::Post, Some(channel), actor),
            None,
        )
    }

    fn readable(cell: &Cell, who: &str) -> Vec<&'static str> {
        ALL.into_iter()
            .filter(|c| can_read(cell, &State::new(), &id(who), &ch(c)))
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
        assert!(!can_read(
            &cell,
            &State::new(),
            &id("syria"),
            &ch("us-israel")
        ));
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
                let denied =
                    authorize(&cell, &State::new(), &act(kind, channel, actor), None).unwrap_err();
                assert_eq!(denied.code, ErrorCode::WrongKind, "{kind:?} by {actor}");
            }
        }
    }

    #[test]
    fn posts_need_a_known_channel_and_actor() {
        let cell = example_cell();
        let denied =
            authorize(&cell, &State::new(), &act(ActKind::Post, None, "us"), None).unwrap_err();
        assert_eq!(denied.code, ErrorCode::UnknownChannel);
        assert_eq!(denied.reason, "post needs a channel");
        let denied = authorize(
            &cell,
            &State::new(),
            &act(ActKind::Post, Some("weather"), "us"),
            None,
        )
        .unwrap_err();
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
        let mut state = State::new();
        for (kind, channel, actor) in [
            (ActKind::Open, None, "relay"),
            (ActKind::Post, Some("us-israel"), "us"),
        ] {
            // The open record's body is left out: only its audience matters here.
            let body = (kind == ActKind::Post).then(|| Body::post(""));
            let record = Record {
                seq: state.len(),
                ts: 0,
                act: act(kind, channel, actor),
                body,
                sig: SignatureBytes([0; 64]),
            };
            state.apply(&cell, &record);
        }
        let sees = |who: &str, seq| can_see(&cell, &state, &id(who), seq);
        for who in ["us", "control", "evaluator"] {
            assert!(sees(who, 0), "{who}");
        }
        for who in ["israel", "syria", "france", "iran"] {
            assert!(!sees(who, 0), "{who}");
        }
        assert!(sees("israel", 1));
        assert!(!sees("syria", 1));
        assert!(!sees("france", 1));
        assert!(sees("evaluator", 1));
        assert!(!sees("us", 2), "no such record");
    }

    /// A channel's readers are computed once per membership change and shared by its records:
    /// a grant or revoke must change who receives the records after it, and only those.
    #[test]
    fn grants_and_revokes_change_the_audience_of_later_records_only() {
        use fusioncell_wire::act_body::{Access, GrantBody};
        let cell = example_cell();
        let mut state = State::new();
        let mut apply = |kind: ActKind, actor: &str, body: Body| {
            let seq = state.len();
            let record = Record {
                seq,
                ts: 0,
                act: act(kind, Some("us-israel"), actor),
                body: Some(body),
                sig: SignatureBytes([0; 64]),
            };
            state.apply(&cell, &record);
            seq
        };
        let grant = |who: &str| GrantBody {
            identity: id(who),
            channel: ch("us-israel"),
            access: Access::Reader,
        };
        let post = || Body::post("");
        let before = apply(ActKind::Post, "us", post());
        apply(
            ActKind::Grant,
            "us",
            Body::new(ActBody::Grant(grant("syria"))),
        );
        let granted = apply(ActKind::Post, "us", post());
        apply(
            ActKind::Revoke,
            "us",
            Body::new(ActBody::Revoke(grant("syria"))),
        );
        let revoked = apply(ActKind::Post, "us", post());
        apply(
            ActKind::Revoke,
            "us",
            Body::new(ActBody::Revoke(grant("israel"))),
        );
        let without_israel = apply(ActKind::Post, "us", post());
        let sees = |who: &str, seq| can_see(&cell, &state, &id(who), seq);
        assert!(!sees("syria", before));
        assert!(sees("syria", granted));
        assert!(!sees("syria", revoked));
        assert!(sees("israel", revoked));
        assert!(!sees("israel", without_israel));
        assert!(
            sees("israel", granted),
            "earlier records keep their audience"
        );
        assert!(sees("evaluator", without_israel));
    }

    #[test]
    fn channel_access_for_syria_and_france() {
        let cell = example_cell();
        let access = |who: &str| -> Vec<(String, bool)> {
            channel_access(&cell, &State::new(), &id(who))
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
        assert!(can_read(
            &cell,
            &State::new(),
            &id("syria"),
            &ch("us-israel")
        ));
        let denied = authorize(
            &cell,
            &State::new(),
            &act(ActKind::Post, Some("us-israel"), "syria"),
            None,
        )
        .unwrap_err();
        assert_eq!(denied.code, ErrorCode::Forbidden);
        let access = channel_access(&cell, &State::new(), &id("syria"));
        let back = access.iter().find(|a| a.id == ch("us-israel")).unwrap();
        assert!(!back.write);
    }
}
