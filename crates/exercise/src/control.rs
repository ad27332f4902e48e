//! Exercise control: run a scenario on the relay's exercise clock.
//!
//! The relay's clock (journaled `clock` acts) is the only source of scenario time: control
//! reads it from the `state` frames and asks the pure [`Schedule`] what is due. While the
//! clock is paused or halted nothing is asked, so nothing fires; after a resume, what came
//! due fires once, in order. On start, injects already in the journal are marked fired, so a
//! restarted control repeats nothing.

use std::time::Duration;

use fusioncell_client::{Client, ClientError, Event, acts};
use fusioncell_scenario::{Scenario, Schedule, Status};
use fusioncell_wire::act_body::ClockAction;
use fusioncell_wire::{ActBody, Phase};
use tokio::sync::mpsc;

/// How control runs.
#[derive(Debug, Clone)]
pub struct ControlOptions {
    /// Scenario seconds per real second, for STARTEX.
    pub speed: u32,
    /// Send STARTEX if the clock has not started.
    pub start: bool,
    /// Send ENDEX once every timed inject has fired and `grace_s` scenario seconds passed.
    pub end_when_done: bool,
    /// Scenario seconds between the last timed inject and ENDEX.
    pub grace_s: u64,
}

/// A controller's command while the scenario runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlCommand {
    /// Fire this inject now (also a contingency, held, skipped or future one).
    Fire(String),
    /// Drop it from the timeline.
    Skip(String),
    /// Keep it back until released.
    Hold(String),
    /// Put a held inject back on the timeline.
    Release(String),
    /// Pause play.
    Pause,
    /// Resume play.
    Resume,
    /// Real-world emergency: halt play.
    Halt(String),
    /// ENDEX now.
    End,
}

/// What control did, for the operator's screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlEvent {
    /// STARTEX sent.
    Started {
        /// At this speed.
        speed: u32,
    },
    /// Injects found in the journal from an earlier run, not to be fired again.
    Resumed {
        /// Their control numbers.
        fired: Vec<String>,
    },
    /// An inject was delivered.
    Fired {
        /// Its control number.
        id: String,
        /// Its record.
        seq: u64,
        /// Scenario time when it fired.
        scenario_ms: u64,
    },
    /// A command was carried out.
    Done(String),
    /// A command or act was refused.
    Refused(String),
    /// ENDEX.
    Ended,
}

/// Runs `scenario` as exercise control until ENDEX (or until `commands` closes when not
/// ending by itself). `client` must be logged in as the cell's control identity.
pub async fn run_control(
    client: &Client,
    scenario: &Scenario,
    options: &ControlOptions,
    mut commands: mpsc::Receiver<ControlCommand>,
    events: mpsc::Sender<ControlEvent>,
) -> Result<(), ClientError> {
    let mut schedule = Schedule::new(scenario);
    let fired_before = fired_in_journal(client).await?;
    for id in &fired_before {
        let _ = schedule.fire_now(id);
    }
    if !fired_before.is_empty() {
        let _ = events
            .send(ControlEvent::Resumed {
                fired: fired_before,
            })
            .await;
    }
    if options.start && client.supervision().await?.clock.phase == Phase::NotStarted {
        clock(client, ClockAction::Start, Some(options.speed), None).await?;
        let _ = events
            .send(ControlEvent::Started {
                speed: options.speed,
            })
            .await;
    }
    let last_at_ms = scenario
        .timeline()
        .iter()
        .filter(|i| !i.contingency)
        .map(|i| i.at_ms())
        .max()
        .unwrap_or(0);
    let mut commands_open = true;
    loop {
        let state = client.supervision().await?;
        if state.clock.phase == Phase::Ended {
            let _ = events.send(ControlEvent::Ended).await;
            return Ok(());
        }
        let now = client.scenario_ms().await?;
        if state.clock.phase == Phase::Running {
            for id in schedule.due(now) {
                fire(client, scenario, id.as_str(), now, &events).await;
            }
            let done = schedule
                .entries()
                .iter()
                .all(|e| e.contingency || matches!(e.status, Status::Fired | Status::Skipped));
            if options.end_when_done && done && now >= last_at_ms + options.grace_s * 1000 {
                clock(client, ClockAction::End, None, None).await?;
                let _ = events.send(ControlEvent::Ended).await;
                return Ok(());
            }
        }
        // Sleep until the next inject is due (on the relay's clock), a command, or a change.
        let wake = next_wake(
            &schedule,
            &state.clock,
            now,
            options.grace_s * 1000 + last_at_ms,
        );
        tokio::select! {
            () = tokio::time::sleep(wake) => {}
            cmd = commands.recv(), if commands_open => match cmd {
                Some(cmd) => command(client, scenario, &mut schedule, cmd, now, &events).await,
                None if options.end_when_done => commands_open = false,
                None => return Ok(()),
            },
            changed = client.state_changed() => { changed?; }
        }
    }
}

/// Real time until the next timed event, at most a second (the state frame may change
/// the speed or phase meanwhile).
fn next_wake(
    schedule: &Schedule,
    clock: &fusioncell_wire::Clock,
    now: u64,
    end_ms: u64,
) -> Duration {
    if clock.phase != Phase::Running {
        return Duration::from_secs(1);
    }
    let next = schedule
        .entries()
        .iter()
        .filter(|e| e.status == Status::Pending && !e.contingency)
        .map(|e| e.at_ms())
        .min()
        .unwrap_or(end_ms);
    let scenario_wait = next.saturating_sub(now);
    let real = scenario_wait / u64::from(clock.speed.max(1));
    Duration::from_millis(real.clamp(5, 1000))
}

async fn fire(
    client: &Client,
    scenario: &Scenario,
    id: &str,
    now: u64,
    events: &mpsc::Sender<ControlEvent>,
) {
    let Some(inject) = scenario.inject(id) else {
        return;
    };
    let event = match client
        .send(acts::inject(inject.channel.clone(), &inject.body()))
        .await
    {
        Ok(ack) => ControlEvent::Fired {
            id: id.to_owned(),
            seq: ack.cell_seq,
            scenario_ms: now,
        },
        Err(e) => ControlEvent::Refused(format!("inject {id}: {e}")),
    };
    let _ = events.send(event).await;
}

async fn command(
    client: &Client,
    scenario: &Scenario,
    schedule: &mut Schedule,
    cmd: ControlCommand,
    now: u64,
    events: &mpsc::Sender<ControlEvent>,
) {
    let outcome = match &cmd {
        ControlCommand::Fire(id) => match schedule.fire_now(id) {
            Ok(()) => {
                fire(client, scenario, id, now, events).await;
                return;
            }
            Err(e) => Err(e.to_string()),
        },
        ControlCommand::Skip(id) => schedule.skip(id).map_err(|e| e.to_string()),
        ControlCommand::Hold(id) => schedule.hold(id).map_err(|e| e.to_string()),
        ControlCommand::Release(id) => schedule.release(id).map_err(|e| e.to_string()),
        ControlCommand::Pause => clock(client, ClockAction::Pause, None, None)
            .await
            .map_err(|e| e.to_string()),
        ControlCommand::Resume => clock(client, ClockAction::Resume, None, None)
            .await
            .map_err(|e| e.to_string()),
        ControlCommand::Halt(reason) => {
            clock(client, ClockAction::Halt, None, Some(reason.clone()))
                .await
                .map_err(|e| e.to_string())
        }
        ControlCommand::End => clock(client, ClockAction::End, None, None)
            .await
            .map_err(|e| e.to_string()),
    };
    let _ = events
        .send(match outcome {
            Ok(()) => ControlEvent::Done(format!("{cmd:?}")),
            Err(e) => ControlEvent::Refused(format!("{cmd:?}: {e}")),
        })
        .await;
}

async fn clock(
    client: &Client,
    action: ClockAction,
    speed: Option<u32>,
    reason: Option<String>,
) -> Result<(), ClientError> {
    client
        .send(acts::clock(action, speed, reason))
        .await
        .map(|_| ())
}

/// Control numbers of the injects already in the journal (control reads every channel).
async fn fired_in_journal(client: &Client) -> Result<Vec<String>, ClientError> {
    let mut sub = client.subscribe(Some(0)).await?;
    let mut fired = Vec::new();
    while let Some(event) = sub.next().await {
        match event {
            Event::Record { record, .. } => {
                if let Some(ActBody::Inject(inject)) = record.params() {
                    fired.push(inject.id.clone());
                }
            }
            Event::Live { .. } => break,
            _ => {}
        }
    }
    Ok(fired)
}
