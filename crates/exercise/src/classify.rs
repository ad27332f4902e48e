//! From a received record to what it means to a bot.

use fusioncell_cell::{Cell, Policy};
use fusioncell_scenario::BotEvent;
use fusioncell_wire::act_body::InjectBody;
use fusioncell_wire::{ActKind, IdentityId, Record, Role};

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
    match record.act.kind {
        ActKind::Inject => record
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<InjectBody>(b).ok())
            .map(|inject| BotEvent::Inject {
                id: inject.id,
                channel,
                seq,
            })
            .into_iter()
            .collect(),
        ActKind::Post if record.act.actor != *me => {
            let actor = record.act.actor.clone();
            let body = record.body.clone().unwrap_or_default();
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
        _ => Vec::new(),
    }
}
