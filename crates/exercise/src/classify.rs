//! From a received record to what it means to a bot.

use fusioncell_cell::{Cell, Policy};
use fusioncell_scenario::BotEvent;
use fusioncell_wire::{ActBody, ActKind, IdentityId, Record, Role};

/// The bot events a record is, for the bot playing `me`. `released_by` is set when the record
/// is a held post arriving with its approval (it is then an ordinary post).
pub fn classify(
    cell: &Cell,
    me: &IdentityId,
    record: &Record,
    released_by: Option<u64>,
) -> Vec<BotEvent> {
    let Some(channel) = record.act.channel.clone() else {
        return Vec::new();
    };
    let seq = record.seq;
    // A reply reads, to a bot, as a post: its text is what was said.
    let text = match record.params() {
        Some(ActBody::Inject(inject)) => {
            return vec![BotEvent::Inject {
                id: inject.id.clone(),
                channel,
                seq,
            }];
        }
        Some(ActBody::Post) => record.text().unwrap_or_default(),
        Some(ActBody::Reply(reply)) => reply.text.as_str(),
        // A redacted post is still a post, with nothing left to read.
        None if matches!(record.act.kind, ActKind::Post | ActKind::Reply) => "",
        _ => return Vec::new(),
    };
    if record.act.actor == *me {
        return Vec::new();
    }
    let actor = record.act.actor.clone();
    let body = text.to_owned();
    let party = cell.identity(&actor).is_some_and(|i| i.role == Role::Party);
    let policy = cell.channel(&channel).map(|c| c.policy);
    if party && policy == Some(Policy::Moderated) && released_by.is_none() {
        // Only the sender and the mediator receive a held post.
        return vec![BotEvent::Held {
            seq,
            actor,
            channel,
            body,
        }];
    }
    let mut events = Vec::with_capacity(2);
    if party && matches!(policy, Some(Policy::Hotline { .. })) {
        events.push(BotEvent::Hotline {
            seq,
            actor: actor.clone(),
            channel: channel.clone(),
        });
    }
    events.push(BotEvent::Post {
        seq,
        actor,
        channel,
        body,
    });
    events
}
