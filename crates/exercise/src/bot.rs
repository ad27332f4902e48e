//! A scripted bot: a persona playing one identity through a client.
//!
//! Reactions are decided at once by the persona and carried out `after_s` *scenario* seconds
//! later, measured on the relay's clock: a bot waits out a pause like a person would, and runs
//! faster when the exercise does. Acts the relay refuses are reported and dropped.

use fusioncell_cell::Cell;
use fusioncell_client::{Client, ClientError, Event, acts};
use fusioncell_scenario::{Bot, BotAction, Persona};
use std::collections::HashMap;

use fusioncell_wire::{Phase, Record};
use tokio::sync::mpsc;

use crate::classify::classify;
use crate::defaults::BOT_TICK;

/// Plays `persona` until the exercise ends (ENDEX) or the connection is lost for good.
/// Each act it makes, or that is refused, is reported on `log`.
pub async fn run_bot(
    client: &Client,
    cell: &Cell,
    persona: Persona,
    log: mpsc::Sender<String>,
) -> Result<(), ClientError> {
    let me = persona.identity().clone();
    let mut bot = Bot::new(persona);
    let mut sub = client.subscribe(None).await?;
    let mut due = Due::default();
    let mut held: HashMap<u64, Record> = HashMap::new();
    let mut tick = tokio::time::interval(BOT_TICK);
    loop {
        tokio::select! {
            event = sub.next() => {
                let Some(event) = event else { return Ok(()) };
                if let Event::Record { record, released_by, .. } = event {
                    let now = client.scenario_ms().await?;
                    for e in classify(cell, &me, &record, released_by) {
                        for action in bot.react(&e) {
                            due.schedule(now, action);
                        }
                    }
                    if released_by.is_none() {
                        held.insert(record.seq, record);
                    }
                }
            }
            _ = tick.tick() => {
                let state = client.supervision().await?;
                if state.clock.phase == Phase::Ended {
                    return Ok(());
                }
                if !state.clock.play_allowed() {
                    continue;
                }
                let now = client.scenario_ms().await?;
                for action in due.take_due(now) {
                    let line = act(client, &held, action).await;
                    let _ = log.send(format!("{me}: {line}")).await;
                }
            }
        }
    }
}

/// Reactions decided but not yet carried out, each with the scenario time (ms) it is due at.
#[derive(Debug, Default)]
struct Due(Vec<(u64, BotAction)>);

impl Due {
    /// Queues `action` for `after_s` scenario seconds after `now_ms`, the time it was decided.
    fn schedule(&mut self, now_ms: u64, action: BotAction) {
        let at = now_ms.saturating_add(action.after_s().saturating_mul(1000));
        self.0.push((at, action));
    }

    /// Removes and returns the actions due at `now_ms`, in the order they were decided, so a
    /// bot's replies keep the order of what it replies to.
    fn take_due(&mut self, now_ms: u64) -> Vec<BotAction> {
        let (ready, later): (Vec<_>, Vec<_>) = self.0.drain(..).partition(|(at, _)| *at <= now_ms);
        self.0 = later;
        ready.into_iter().map(|(_, action)| action).collect()
    }
}

/// Carries out one action; returns what happened, for the log.
async fn act(client: &Client, held: &HashMap<u64, Record>, action: BotAction) -> String {
    let result = match &action {
        BotAction::Post { channel, text, .. } => client.post(channel, text).await,
        BotAction::Ack { target, .. } => {
            let Some(post) = held.get(target) else {
                return format!("cannot acknowledge record {target}: not received");
            };
            client.send(acts::ack(post)).await
        }
        BotAction::Approve { target, .. } | BotAction::Reject { target, .. } => {
            let Some(post) = held.get(target) else {
                return format!("cannot decide record {target}: not received");
            };
            let reason = match &action {
                BotAction::Reject { reason, .. } => Some(reason.clone()),
                _ => None,
            };
            client.decide(post, reason).await
        }
        _ => return format!("unsupported action {action:?}"),
    };
    match result {
        Ok(ack) => format!("{} → record {}", describe(&action), ack.cell_seq),
        Err(e) => format!("{} refused: {e}", describe(&action)),
    }
}

fn describe(action: &BotAction) -> String {
    match action {
        BotAction::Post { channel, .. } => format!("post to #{channel}"),
        BotAction::Ack { target, .. } => format!("ack of record {target}"),
        BotAction::Approve { target, .. } => format!("approval of record {target}"),
        BotAction::Reject { target, .. } => format!("rejection of record {target}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use fusioncell_wire::ChannelId;

    use super::*;

    fn post(text: &str, after_s: u64) -> BotAction {
        BotAction::Post {
            channel: ChannelId::new("security").unwrap(),
            text: text.into(),
            after_s,
        }
    }

    #[test]
    fn an_action_is_due_after_its_scenario_seconds_and_not_before() {
        let mut due = Due::default();
        due.schedule(10_000, post("reply", 30));
        assert!(due.take_due(39_999).is_empty());
        assert_eq!(due.take_due(40_000), [post("reply", 30)]);
        assert!(
            due.take_due(100_000).is_empty(),
            "an action is carried out once"
        );
    }

    #[test]
    fn due_actions_keep_the_order_they_were_decided_in() {
        let mut due = Due::default();
        due.schedule(0, post("first", 5));
        due.schedule(0, post("late", 60));
        due.schedule(1_000, post("second", 2));
        due.schedule(2_000, post("third", 0));
        assert_eq!(
            due.take_due(5_000),
            [post("first", 5), post("second", 2), post("third", 0)]
        );
        assert_eq!(due.take_due(60_000), [post("late", 60)]);
    }

    #[test]
    fn a_far_future_action_does_not_overflow() {
        let mut due = Due::default();
        due.schedule(u64::MAX - 1, post("never", u64::MAX));
        assert!(due.take_due(u64::MAX - 1).is_empty());
        assert_eq!(due.take_due(u64::MAX), [post("never", u64::MAX)]);
    }

    #[test]
    fn describe_names_the_act_and_its_target() {
        assert_eq!(describe(&post("x", 0)), "post to #security");
        let ack = BotAction::Ack {
            target: 7,
            after_s: 0,
        };
        assert_eq!(describe(&ack), "ack of record 7");
        let reject = BotAction::Reject {
            target: 9,
            reason: "no".into(),
            after_s: 0,
        };
        assert_eq!(describe(&reject), "rejection of record 9");
    }
}
