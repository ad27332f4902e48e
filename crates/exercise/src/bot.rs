//! A scripted bot: a persona playing one identity through a client.
//!
//! Reactions are decided at once by the persona and carried out `after_s` *scenario* seconds
//! later, measured on the relay's clock: a bot waits out a pause like a person would, and runs
//! faster when the exercise does. Acts the relay refuses are reported and dropped.

use std::collections::HashMap;
use std::time::Duration;

use fusioncell_cell::Cell;
use fusioncell_client::{Client, ClientError, Event, acts};
use fusioncell_scenario::{Bot, BotAction, Persona};
use fusioncell_wire::{Phase, Record};
use tokio::sync::mpsc;

use crate::classify::classify;

/// How often a bot looks at the clock for due actions.
const TICK: Duration = Duration::from_millis(100);

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
    let mut due: Vec<(u64, BotAction)> = Vec::new();
    let mut held: HashMap<u64, Record> = HashMap::new();
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            event = sub.next() => {
                let Some(event) = event else { return Ok(()) };
                if let Event::Record { record, released_by, .. } = event {
                    let now = client.scenario_ms().await?;
                    for e in classify(cell, &me, &record, released_by) {
                        for action in bot.react(&e) {
                            due.push((now + action.after_s() * 1000, action));
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
                let (ready, later): (Vec<_>, Vec<_>) = due.drain(..).partition(|(at, _)| *at <= now);
                due = later;
                for (_, action) in ready {
                    let line = act(client, &held, action).await;
                    let _ = log.send(format!("{me}: {line}")).await;
                }
            }
        }
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
