//! Every act kind in one module of its own: who may make it ([`authorize`]), what it does to
//! the cell's [`State`] (`apply`), and how it reads in one line ([`describe`]).
//!
//! The functions here only dispatch on the decoded body ([`ActBody`]); the rules live in the
//! kind's module (in the spirit of one file per command). Adding a kind means: its variant in
//! `fusioncell_wire::ActBody`, a module here with `authorize`, `apply` and `describe`, one arm in
//! each function below, and what its UI shows (ARCHITECTURE.md, "Adding an act kind").
//!
//! Deny by default: an act of a kind without a rule here, or a body that is missing where the
//! rule needs its parameters, is refused.

mod ack;
mod clock;
mod cosign;
mod decision;
mod escalate;
mod grant;
mod inject;
mod msel;
mod mute;
mod observe;
mod post;
mod receipt;
mod redact;
mod relay;
mod reply;
mod rules;

use fusioncell_wire::{Act, ActBody, ActKind, Body, ErrorCode, Record};

pub use rules::Denied;

use crate::model::Cell;
use crate::state::{Audience, State};

/// Decides whether `act`, with its decoded `body` (`None` if redacted), is allowed in `state`.
/// The relay decides each act this way before sequencing it; `audit verify` decides again.
pub fn authorize(
    cell: &Cell,
    state: &State,
    act: &Act,
    body: Option<&ActBody>,
) -> Result<(), Denied> {
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
    let ctx = rules::Context {
        cell,
        state,
        act,
        actor,
    };
    // A redacted body (only posts, replies, injects and observations can be redacted) leaves
    // the rules that need no parameters.
    let Some(body) = body else {
        return match act.kind {
            ActKind::Post => post::authorize(&ctx),
            ActKind::Reply => reply::authorize_redacted(&ctx),
            ActKind::Inject => inject::authorize(&ctx, None),
            ActKind::Observe => observe::authorize(&ctx, None),
            other => Err(Denied::new(
                ErrorCode::Malformed,
                format!("a `{}` act needs its body", other.as_str()),
            )),
        };
    };
    if body.kind() != act.kind {
        return Err(Denied::new(
            ErrorCode::Malformed,
            format!(
                "a `{}` body for a `{}` act",
                body.kind().as_str(),
                act.kind.as_str()
            ),
        ));
    }
    match body {
        ActBody::Post => post::authorize(&ctx),
        ActBody::Reply(b) => reply::authorize(&ctx, b),
        ActBody::Approve(b) => decision::authorize(&ctx, b, false),
        ActBody::Reject(b) => decision::authorize(&ctx, b, true),
        ActBody::Mute(b) => mute::authorize(&ctx, b, true),
        ActBody::Unmute(b) => mute::authorize(&ctx, b, false),
        ActBody::Grant(b) => grant::authorize(&ctx, b, true),
        ActBody::Revoke(b) => grant::authorize(&ctx, b, false),
        ActBody::Redact(b) => redact::authorize(&ctx, b),
        ActBody::Clock(b) => clock::authorize(&ctx, b),
        ActBody::Inject(b) => inject::authorize(&ctx, Some(b)),
        ActBody::Msel(b) => msel::authorize(&ctx, b),
        ActBody::Observe(b) => observe::authorize(&ctx, Some(b)),
        ActBody::Receipt(b) => receipt::authorize(&ctx, b),
        ActBody::Ack(b) => ack::authorize(&ctx, b),
        ActBody::Cosign(b) => cosign::authorize(&ctx, b),
        other => Err(Denied::new(
            ErrorCode::WrongKind,
            format!(
                "`{}` is not an act a client may send",
                other.kind().as_str()
            ),
        )),
    }
}

/// What record `record` does to the state, and who receives it. Records come in order and were
/// accepted (or written) by the relay, so their parameters passed [`authorize`]; a redacted body
/// changes nothing but the audience.
pub(crate) fn apply(state: &mut State, cell: &Cell, record: &Record) -> Audience {
    let Some(body) = record.params() else {
        return match record.act.kind {
            ActKind::Post | ActKind::Reply => post::apply(state, cell, record),
            ActKind::Observe | ActKind::Msel => Audience::WhiteCell,
            ActKind::Inject => state.on_channel(cell, &record.act),
            _ => Audience::Supervisors,
        };
    };
    match body {
        ActBody::Post | ActBody::Reply(_) => post::apply(state, cell, record),
        ActBody::Approve(b) => decision::apply_approve(state, cell, record, b),
        ActBody::Reject(b) => decision::apply_reject(state, b),
        ActBody::Mute(b) => mute::apply(state, cell, b, true),
        ActBody::Unmute(b) => mute::apply(state, cell, b, false),
        ActBody::Grant(b) => grant::apply(state, cell, b, true),
        ActBody::Revoke(b) => grant::apply(state, cell, b, false),
        ActBody::Redact(b) => redact::apply(state, cell, b),
        ActBody::Clock(b) => clock::apply(state, record, b),
        ActBody::Inject(_) => state.on_channel(cell, &record.act),
        ActBody::Msel(_) | ActBody::Observe(_) => Audience::WhiteCell,
        ActBody::Receipt(b) => receipt::apply(state, record, b),
        ActBody::Ack(b) => ack::apply(state, cell, record, b),
        ActBody::Cosign(b) => cosign::apply(state, record, b),
        ActBody::Escalate(b) => escalate::apply(state, cell, record, b),
        _ => Audience::Supervisors,
    }
}

/// A record's body in one line of words (`None`: redacted), without the record's sequence
/// number, time, actor or channel: each view adds those in its own layout. The one description
/// that `connect`, `listen`, `audit replay`, the report and the console
/// (`crates/relay/web/describe.js`, checked against this one) use.
pub fn describe(body: Option<&Body>) -> String {
    let Some(body) = body else {
        return REDACTED.to_owned();
    };
    match body.value() {
        ActBody::Post => body.text().to_owned(),
        ActBody::Reply(b) => reply::describe(b),
        ActBody::Approve(b) => decision::describe(b, false),
        ActBody::Reject(b) => decision::describe(b, true),
        ActBody::Mute(b) => mute::describe(b, true),
        ActBody::Unmute(b) => mute::describe(b, false),
        ActBody::Grant(b) => grant::describe(b, true),
        ActBody::Revoke(b) => grant::describe(b, false),
        ActBody::Redact(b) => redact::describe(b),
        ActBody::Clock(b) => clock::describe(b),
        ActBody::Inject(b) => inject::describe(b),
        ActBody::Msel(b) => msel::describe(b),
        ActBody::Observe(b) => observe::describe(b),
        ActBody::Receipt(b) => receipt::describe(b),
        ActBody::Ack(b) => ack::describe(b),
        ActBody::Cosign(b) => cosign::describe(b),
        ActBody::Open(b) => relay::describe_open(b),
        ActBody::Security(b) => relay::describe_security(b),
        ActBody::Recovered(b) => relay::describe_recovered(b),
        ActBody::Escalate(b) => escalate::describe(b),
        other => format!("a `{}` act", other.kind().as_str()),
    }
}

/// What a redacted body reads as.
pub const REDACTED: &str = "[redacted]";
