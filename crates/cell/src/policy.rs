//! Authorization: who may read which channel, see which record, and post where.
//!
//! Pure functions of the configured [`Cell`], so the relay, `verify` and the report decide the
//! same way from the same config. Unknown identities, channels, roles and act kinds are refused
//! (deny by default): a role or act kind added to the wire later gets no rights until a rule
//! here grants them. Run-time changes (grants, mutes, freezes, moderation) are journaled acts
//! applied on top of these rules by the sequencer, not here.

use fusioncell_wire::act_body::{
    Access, AckBody, ClockAction, ClockBody, CosignBody, DecisionBody, GrantBody, InjectBody,
    MuteBody, ObserveBody, ReceiptBody, RedactBody,
};
use fusioncell_wire::{Act, ActKind, ChannelAccess, ChannelId, ErrorCode, IdentityId, Role};
use serde::de::DeserializeOwned;

use crate::model::{Cell, Channel, Identity, Policy};
use crate::state::State;

/// Why an act is refused: the error code the actor gets and a reason naming the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct Denied {
    /// The in-band error code.
    pub code: ErrorCode,
    /// Which rule refused it, naming the role, channel or target.
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

/// Decides whether `act` (with its `body`, `None` if redacted) is allowed in `state`.
pub fn authorize(cell: &Cell, state: &State, act: &Act, body: Option<&str>) -> Result<(), Denied> {
    if act.kind.is_relay_kind() {
        return Err(Denied::new(
            ErrorCode::WrongKind,
            format!("`{}` acts are written by the relay only", act.kind.as_str()),
        ));
    }
    let actor = cell.identity(&act.actor).ok_or_else(|| {
        Denied::new(
            ErrorCode::Forbidden,
            format!("`{}` is not an identity of this cell", act.actor),
        )
    })?;
    let text = body;
    let body = || text.unwrap_or_default();
    match act.kind {
        ActKind::Post => {
            let channel = channel(cell, act)?;
            may_post(state, actor, channel)?;
            if state.is_muted(&actor.id, &channel.id) {
                return Err(Denied::new(
                    ErrorCode::Muted,
                    format!(
                        "`{}` is muted on `{}` by the mediator",
                        actor.id, channel.id
                    ),
                ));
            }
            if actor.role == Role::Party && !state.clock().play_allowed() {
                return Err(Denied::new(
                    ErrorCode::Paused,
                    format!(
                        "the exercise is {}{}: parties cannot post",
                        fusioncell_wire::clock::phase_name(state.clock().phase),
                        if state.clock().halted {
                            " (real-world emergency halt)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            Ok(())
        }
        ActKind::Approve | ActKind::Reject => {
            require(actor, &[Role::Mediator], act.kind)?;
            let d: DecisionBody = parse(act.kind, body())?;
            let held = state.held().get(&d.target).ok_or_else(|| {
                Denied::new(
                    ErrorCode::Conflict,
                    format!("record {} is not a post awaiting moderation", d.target),
                )
            })?;
            if held.digest != d.target_digest.0 {
                return Err(Denied::new(
                    ErrorCode::Forbidden,
                    format!("the decision names another act than record {}", d.target),
                ));
            }
            if act.channel.as_ref() != Some(&held.channel) {
                return Err(Denied::new(
                    ErrorCode::Forbidden,
                    format!("record {} is on channel `{}`", d.target, held.channel),
                ));
            }
            if d.epoch != state.epoch() {
                return Err(Denied::new(
                    ErrorCode::StaleEpoch,
                    format!(
                        "decided in epoch {}, the cell is now in epoch {}: look again",
                        d.epoch,
                        state.epoch()
                    ),
                ));
            }
            if act.kind == ActKind::Reject && d.reason.as_deref().is_none_or(str::is_empty) {
                return Err(Denied::new(
                    ErrorCode::Malformed,
                    "a rejection needs a reason",
                ));
            }
            Ok(())
        }
        ActKind::Mute | ActKind::Unmute => {
            require(actor, &[Role::Mediator], act.kind)?;
            let m: MuteBody = parse(act.kind, body())?;
            known_identity(cell, &m.identity)?;
            same_channel(cell, act, m.channel.as_ref())?;
            let muted = state.has_mute(&m.identity, m.channel.as_ref());
            if muted == (act.kind == ActKind::Mute) {
                return Err(Denied::new(
                    ErrorCode::Conflict,
                    format!(
                        "`{}` is {} muted there",
                        m.identity,
                        if muted { "already" } else { "not" }
                    ),
                ));
            }
            Ok(())
        }
        ActKind::Grant | ActKind::Revoke => {
            require(actor, &[Role::Mediator], act.kind)?;
            let g: GrantBody = parse(act.kind, body())?;
            known_identity(cell, &g.identity)?;
            same_channel(cell, act, Some(&g.channel))?;
            let role = cell.identity(&g.identity).map(|i| i.role);
            let fits = match g.access {
                Access::Member => role == Some(Role::Party),
                Access::Reader => matches!(role, Some(Role::Party | Role::Observer)),
            };
            if !fits && act.kind == ActKind::Grant {
                return Err(Denied::new(
                    ErrorCode::Forbidden,
                    format!(
                        "`{}` cannot be made a {} (members are parties; readers are parties or observers)",
                        g.identity,
                        match g.access {
                            Access::Member => "member",
                            Access::Reader => "reader",
                        }
                    ),
                ));
            }
            Ok(())
        }
        ActKind::Redact => {
            require(actor, &[Role::Mediator], act.kind)?;
            let r: RedactBody = parse(act.kind, body())?;
            match state.kind(r.target) {
                Some(ActKind::Post | ActKind::Inject | ActKind::Observe) => {}
                Some(k) => {
                    return Err(Denied::new(
                        ErrorCode::Conflict,
                        format!(
                            "record {} is a `{}`: only text can be redacted",
                            r.target,
                            k.as_str()
                        ),
                    ));
                }
                None => {
                    return Err(Denied::new(
                        ErrorCode::Conflict,
                        format!("no record {}", r.target),
                    ));
                }
            }
            if state.is_redacted(r.target) {
                return Err(Denied::new(
                    ErrorCode::Conflict,
                    format!("record {} is already redacted", r.target),
                ));
            }
            Ok(())
        }
        ActKind::Clock => {
            let c: ClockBody = parse(act.kind, body())?;
            let roles: &[Role] = match c.action {
                ClockAction::Pause | ClockAction::Resume | ClockAction::Halt => {
                    &[Role::Control, Role::Mediator]
                }
                _ => &[Role::Control],
            };
            require(actor, roles, act.kind)?;
            state
                .clock()
                .check(c.action)
                .map_err(|reason| Denied::new(ErrorCode::Conflict, reason))
        }
        ActKind::Inject => {
            require(actor, &[Role::Control], act.kind)?;
            channel(cell, act)?;
            if text.is_some() {
                let _: InjectBody = parse(act.kind, body())?;
            }
            Ok(())
        }
        ActKind::Observe => {
            require(actor, &[Role::Evaluator], act.kind)?;
            if text.is_some() {
                let o: ObserveBody = parse(act.kind, body())?;
                if let Some(bad) = o.refs.iter().find(|r| **r >= state.len()) {
                    return Err(Denied::new(
                        ErrorCode::Conflict,
                        format!("observation refers to record {bad}, which does not exist"),
                    ));
                }
            }
            Ok(())
        }
        ActKind::Receipt => {
            let r: ReceiptBody = parse(act.kind, body())?;
            let released = state
                .released_to(r.target)
                .is_some_and(|c| can_read(cell, state, &actor.id, c));
            if !can_see(cell, state, &actor.id, r.target) && !released {
                return Err(Denied::new(
                    ErrorCode::Forbidden,
                    format!("`{}` did not receive record {}", actor.id, r.target),
                ));
            }
            Ok(())
        }
        ActKind::Ack => {
            let a: AckBody = parse(act.kind, body())?;
            let awaiting = state.awaiting().get(&a.target).ok_or_else(|| {
                Denied::new(
                    ErrorCode::Conflict,
                    format!(
                        "record {} is not a hotline message awaiting acknowledgement",
                        a.target
                    ),
                )
            })?;
            if act.channel.as_ref() != Some(&awaiting.channel) {
                return Err(Denied::new(
                    ErrorCode::Forbidden,
                    format!("record {} is on channel `{}`", a.target, awaiting.channel),
                ));
            }
            let member = cell
                .channel(&awaiting.channel)
                .is_some_and(|c| writes(state, actor, c));
            if actor.role != Role::Party || !member || actor.id == awaiting.sender {
                return Err(Denied::new(
                    ErrorCode::Forbidden,
                    format!(
                        "only the other party on `{}` acknowledges `{}`'s hotline message",
                        awaiting.channel, awaiting.sender
                    ),
                ));
            }
            Ok(())
        }
        ActKind::Cosign => {
            require(actor, &[Role::Party, Role::Mediator], act.kind)?;
            let c: CosignBody = parse(act.kind, body())?;
            if c.size == 0 || c.size > state.len() {
                return Err(Denied::new(
                    ErrorCode::Conflict,
                    format!(
                        "no checkpoint of size {} can exist: the journal has {} records",
                        c.size,
                        state.len()
                    ),
                ));
            }
            let before = state.witnessed().get(&actor.id).copied().unwrap_or(0);
            if c.size <= before {
                return Err(Denied::new(
                    ErrorCode::Conflict,
                    format!("`{}` already cosigned size {before}", actor.id),
                ));
            }
            Ok(())
        }
        other => Err(Denied::new(
            ErrorCode::WrongKind,
            format!("`{}` is not an act a client may send", other.as_str()),
        )),
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

fn writes(state: &State, identity: &Identity, channel: &Channel) -> bool {
    let configured =
        channel.members.contains(&identity.id) && !state.is_revoked(&channel.id, &identity.id);
    configured
        || state.granted(&channel.id, &identity.id)
            == Some(fusioncell_wire::act_body::Access::Member)
}

fn may_post(state: &State, identity: &Identity, channel: &Channel) -> Result<(), Denied> {
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

fn channel<'c>(cell: &'c Cell, act: &Act) -> Result<&'c Channel, Denied> {
    let id = act.channel.as_ref().ok_or_else(|| {
        Denied::new(
            ErrorCode::UnknownChannel,
            format!("{} needs a channel", act.kind.as_str()),
        )
    })?;
    cell.channel(id).ok_or_else(|| {
        Denied::new(
            ErrorCode::UnknownChannel,
            format!("no channel `{id}` in this cell"),
        )
    })
}

fn require(actor: &Identity, roles: &[Role], kind: ActKind) -> Result<(), Denied> {
    if roles.contains(&actor.role) {
        return Ok(());
    }
    Err(Denied::new(
        ErrorCode::Forbidden,
        format!(
            "`{}` has role {}; only {} may {}",
            actor.id,
            actor.role,
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
            kind.as_str()
        ),
    ))
}

fn parse<T: DeserializeOwned>(kind: ActKind, body: &str) -> Result<T, Denied> {
    serde_json::from_str(body).map_err(|e| {
        Denied::new(
            ErrorCode::Malformed,
            format!("body of a `{}` act: {e}", kind.as_str()),
        )
    })
}

fn known_identity(cell: &Cell, who: &IdentityId) -> Result<(), Denied> {
    match cell.identity(who) {
        Some(_) => Ok(()),
        None => Err(Denied::new(
            ErrorCode::Forbidden,
            format!("`{who}` is not an identity of this cell"),
        )),
    }
}

/// The act's channel must be the one its body names (so the channel in the signed header is
/// the one acted on), and must exist.
fn same_channel(cell: &Cell, act: &Act, named: Option<&ChannelId>) -> Result<(), Denied> {
    if act.channel.as_ref() != named {
        return Err(Denied::new(
            ErrorCode::Malformed,
            "the act's channel must be the channel its body names",
        ));
    }
    if let Some(c) = named
        && cell.channel(c).is_none()
    {
        return Err(Denied::new(
            ErrorCode::UnknownChannel,
            format!("no channel `{c}` in this cell"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use fusioncell_wire::{CellId, Digest};

    use super::*;
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
            let record = fusioncell_wire::Record {
                seq: state.len(),
                ts: 0,
                act: act(kind, channel, actor),
                body: Some(String::new()),
                sig: fusioncell_wire::SignatureBytes([0; 64]),
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
        let mut apply = |kind: ActKind, actor: &str, body: String| {
            let seq = state.len();
            let record = fusioncell_wire::Record {
                seq,
                ts: 0,
                act: act(kind, Some("us-israel"), actor),
                body: Some(body),
                sig: fusioncell_wire::SignatureBytes([0; 64]),
            };
            state.apply(&cell, &record);
            seq
        };
        let grant = |who: &str| {
            serde_json::to_string(&GrantBody {
                identity: id(who),
                channel: ch("us-israel"),
                access: Access::Reader,
            })
            .unwrap()
        };
        let before = apply(ActKind::Post, "us", String::new());
        apply(ActKind::Grant, "us", grant("syria"));
        let granted = apply(ActKind::Post, "us", String::new());
        apply(ActKind::Revoke, "us", grant("syria"));
        let revoked = apply(ActKind::Post, "us", String::new());
        apply(ActKind::Revoke, "us", grant("israel"));
        let without_israel = apply(ActKind::Post, "us", String::new());
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
