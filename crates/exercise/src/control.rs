//! Exercise control: run a scenario on the relay's exercise clock.
//!
//! The relay's clock (journaled `clock` acts) is the only source of scenario time: control
//! reads it from the `state` frames and asks the pure [`Schedule`] what is due. While the
//! clock is paused or halted nothing is asked, so nothing fires; after a resume, what came
//! due fires once, in order. The timeline is the journal's: injects already fired and every
//! controller's skip, hold and release (`msel` acts) are read from it on start and as they
//! arrive, so a restarted control repeats nothing and a held inject stays held whichever
//! controller (this one, another, or a console) held it.

use std::fmt;
use std::time::Duration;

use fusioncell_client::{Client, ClientError, Event, Subscription, acts};
use fusioncell_scenario::{InjectId, Scenario, Schedule, Status};
use fusioncell_wire::Phase;
use fusioncell_wire::act_body::{ClockAction, MselAction};
use tokio::sync::mpsc;

use crate::defaults::{CONTROL_MAX_WAKE, CONTROL_MIN_WAKE};
use crate::status::StatusReport;

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
    /// Say where play and every inject stand ([`ControlEvent::Status`]).
    Status,
}

impl fmt::Display for ControlCommand {
    /// What the command does, as the verb phrase of a sentence ("hold M2-04").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlCommand::Fire(id) => write!(f, "fire {id}"),
            ControlCommand::Skip(id) => write!(f, "skip {id}"),
            ControlCommand::Hold(id) => write!(f, "hold {id}"),
            ControlCommand::Release(id) => write!(f, "release {id}"),
            ControlCommand::Pause => f.write_str("pause play"),
            ControlCommand::Resume => f.write_str("resume play"),
            ControlCommand::Halt(reason) => write!(f, "halt play ({reason})"),
            ControlCommand::End => f.write_str("end the exercise (ENDEX)"),
            ControlCommand::Status => f.write_str("report the status"),
        }
    }
}

impl ControlCommand {
    /// What was done, as a sentence.
    fn done(&self) -> String {
        match self {
            ControlCommand::Fire(id) => format!("{id} fired."),
            ControlCommand::Skip(id) => {
                format!("{id} skipped: it will not fire by itself (fire it on demand).")
            }
            ControlCommand::Hold(id) => format!("{id} held: it waits until released."),
            ControlCommand::Release(id) => format!("{id} released: back on the timeline."),
            ControlCommand::Pause => "Play paused: nothing fires and no deadline runs.".into(),
            ControlCommand::Resume => "Play resumed.".into(),
            ControlCommand::Halt(reason) => format!("Play HALTED: {reason}"),
            ControlCommand::End => "ENDEX sent: the exercise has ended.".into(),
            ControlCommand::Status => "Status reported.".into(),
        }
    }
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
    /// A command was carried out: what was done, as a sentence.
    Done(String),
    /// A command or act was refused: what and why, as a sentence.
    Refused(String),
    /// Where play and every inject stand (the `status` command).
    Status(Box<StatusReport>),
    /// ENDEX.
    Ended,
}

impl fmt::Display for ControlEvent {
    /// The event for the controller's screen: sentences, the status as a table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlEvent::Started { speed } => write!(f, "== STARTEX (×{speed}) =="),
            ControlEvent::Resumed { fired } => write!(
                f,
                "Resuming an exercise in progress: already fired {}.",
                fired.join(", ")
            ),
            ControlEvent::Fired {
                id,
                seq,
                scenario_ms,
            } => write!(
                f,
                "[{}] fired {id} (record {seq})",
                fusioncell_scenario::time::format_at(scenario_ms / 1000)
            ),
            ControlEvent::Done(what) => f.write_str(what),
            ControlEvent::Refused(why) => write!(f, "Refused: {why}"),
            ControlEvent::Status(report) => write!(f, "{report}"),
            ControlEvent::Ended => f.write_str("== ENDEX =="),
        }
    }
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
    let mut journal = client.subscribe(Some(0)).await?;
    let mut schedule = timeline_in_journal(scenario, &mut journal).await?;
    let fired_before: Vec<String> = schedule
        .entries()
        .iter()
        .filter(|e| e.status == Status::Fired)
        .map(|e| e.id.to_string())
        .collect();
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
    let end_ms = end_ms(scenario, options.grace_s);
    let mut commands_open = true;
    loop {
        let state = client.supervision().await?;
        if state.clock.phase == Phase::Ended {
            let _ = events.send(ControlEvent::Ended).await;
            return Ok(());
        }
        let now = client.scenario_ms().await?;
        for id in due_now(&mut schedule, &state.clock, now) {
            fire(client, scenario, id.as_str(), now, &events).await;
        }
        if state.clock.phase == Phase::Running
            && options.end_when_done
            && timeline_done(&schedule)
            && now >= end_ms
        {
            clock(client, ClockAction::End, None, None).await?;
            let _ = events.send(ControlEvent::Ended).await;
            return Ok(());
        }
        // Sleep until the next inject is due (on the relay's clock), a command, or a change.
        let wake = next_wake(&schedule, &state.clock, now, end_ms);
        tokio::select! {
            () = tokio::time::sleep(wake) => {}
            cmd = commands.recv(), if commands_open => match cmd {
                Some(ControlCommand::Status) => {
                    // The clock as known now: a record may have woken the loop before the
                    // state frame of the same change arrived.
                    let state = client.supervision().await?;
                    let now = client.scenario_ms().await?;
                    let report = StatusReport::new(scenario, &schedule, state.clock, now);
                    let _ = events.send(ControlEvent::Status(Box::new(report))).await;
                }
                Some(cmd) => command(client, scenario, &mut schedule, cmd, now, &events).await,
                None if options.end_when_done => commands_open = false,
                None => return Ok(()),
            },
            changed = client.state_changed() => { changed?; }
            event = journal.next() => match event {
                Some(Event::Record { record, .. }) => {
                    if let Some(body) = record.params() {
                        schedule.apply(body);
                    }
                }
                Some(_) => {}
                None => return Err(ClientError::Stopped("the journal subscription ended".into())),
            },
        }
    }
}

/// Scenario time (ms) at which control may send ENDEX by itself: `grace_s` after the last
/// timed inject (contingencies are fired by hand, if at all, so they do not count).
fn end_ms(scenario: &Scenario, grace_s: u64) -> u64 {
    let last_at_ms = scenario
        .timeline()
        .iter()
        .filter(|i| !i.contingency)
        .map(|i| i.at_ms())
        .max()
        .unwrap_or(0);
    last_at_ms.saturating_add(grace_s.saturating_mul(1000))
}

/// The injects to fire at scenario time `now`: none unless the clock runs, so nothing fires
/// while play is paused or not started; after a resume, what came due meanwhile, once each.
fn due_now(schedule: &mut Schedule, clock: &fusioncell_wire::Clock, now: u64) -> Vec<InjectId> {
    if clock.phase == Phase::Running {
        schedule.due(now)
    } else {
        Vec::new()
    }
}

/// Whether every timed inject has fired or been skipped: a held one still waits for its
/// release, so the exercise must not end under it.
fn timeline_done(schedule: &Schedule) -> bool {
    schedule
        .entries()
        .iter()
        .all(|e| e.contingency || matches!(e.status, Status::Fired | Status::Skipped))
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
        return CONTROL_MAX_WAKE;
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
    Duration::from_millis(real).clamp(CONTROL_MIN_WAKE, CONTROL_MAX_WAKE)
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
        ControlCommand::Skip(id) => decide(client, schedule, id, MselAction::Skip).await,
        ControlCommand::Hold(id) => decide(client, schedule, id, MselAction::Hold).await,
        ControlCommand::Release(id) => decide(client, schedule, id, MselAction::Release).await,
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
        // Answered by the loop, which holds the clock.
        ControlCommand::Status => Ok(()),
    };
    let _ = events
        .send(match outcome {
            Ok(()) => ControlEvent::Done(cmd.done()),
            Err(e) => ControlEvent::Refused(format!("could not {cmd}: {e}")),
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

/// Skips, holds or releases inject `id`: refused here if it does not apply to the inject's
/// status, else journaled as an `msel` act, which every controller's timeline then applies.
async fn decide(
    client: &Client,
    schedule: &mut Schedule,
    id: &str,
    action: MselAction,
) -> Result<(), String> {
    let mut tried = schedule.clone();
    match action {
        MselAction::Skip => tried.skip(id),
        MselAction::Hold => tried.hold(id),
        MselAction::Release => tried.release(id),
    }
    .map_err(|e| e.to_string())?;
    client
        .send(acts::msel(id, action))
        .await
        .map_err(|e| e.to_string())?;
    *schedule = tried;
    Ok(())
}

/// The timeline as the journal tells it so far: every `inject` and `msel` record up to the
/// live edge (control reads every channel and the white cell's records).
async fn timeline_in_journal(
    scenario: &Scenario,
    journal: &mut Subscription,
) -> Result<Schedule, ClientError> {
    let mut schedule = Schedule::new(scenario);
    while let Some(event) = journal.next().await {
        match event {
            Event::Record { record, .. } => {
                if let Some(body) = record.params() {
                    schedule.apply(body);
                }
            }
            Event::Live { .. } => return Ok(schedule),
            _ => {}
        }
    }
    Err(ClientError::Stopped(
        "the journal subscription ended before it went live".into(),
    ))
}

#[cfg(test)]
mod tests {
    use fusioncell_wire::Clock;

    use super::*;

    /// Two timed injects (at 30 s and 90 s) and a contingency at 10 s, all on `security`.
    fn scenario() -> Scenario {
        let inject = |id: &str, at: u64, contingency: bool| {
            format!(
                "[[inject]]\nid = \"{id}\"\nat = {at}\nmove = \"M1\"\nchannel = \"security\"\n\
                 title = \"t\"\ntext = \"x\"\nexpected = []\ncontingency = {contingency}\n"
            )
        };
        let text = format!(
            "[scenario]\ntitle = \"s\"\n[[move]]\nid = \"M1\"\ntitle = \"m\"\n{}{}{}",
            inject("M1-01", 30, false),
            inject("M1-02", 90, false),
            inject("C-1", 10, true),
        );
        Scenario::from_toml(&text).unwrap()
    }

    fn clock(phase: Phase, speed: u32) -> Clock {
        Clock {
            phase,
            speed,
            ..Clock::default()
        }
    }

    fn ids(due: Vec<InjectId>) -> Vec<String> {
        due.into_iter().map(String::from).collect()
    }

    #[test]
    fn injects_fire_when_the_clock_reaches_them_and_only_once() {
        let scenario = scenario();
        let mut schedule = Schedule::new(&scenario);
        let running = clock(Phase::Running, 1);
        assert!(due_now(&mut schedule, &running, 29_999).is_empty());
        assert_eq!(ids(due_now(&mut schedule, &running, 30_000)), ["M1-01"]);
        assert!(due_now(&mut schedule, &running, 30_001).is_empty());
        assert_eq!(ids(due_now(&mut schedule, &running, 200_000)), ["M1-02"]);
    }

    #[test]
    fn nothing_fires_while_paused_and_what_came_due_fires_on_resume_in_order() {
        let scenario = scenario();
        let mut schedule = Schedule::new(&scenario);
        for phase in [Phase::NotStarted, Phase::Paused, Phase::Ended] {
            assert!(
                due_now(&mut schedule, &clock(phase, 1), 100_000).is_empty(),
                "{phase:?}"
            );
        }
        let due = due_now(&mut schedule, &clock(Phase::Running, 1), 100_000);
        assert_eq!(ids(due), ["M1-01", "M1-02"]);
    }

    #[test]
    fn a_contingency_never_fires_on_the_clock() {
        let scenario = scenario();
        let mut schedule = Schedule::new(&scenario);
        let due = due_now(&mut schedule, &clock(Phase::Running, 1), 1_000_000);
        assert!(!ids(due).contains(&"C-1".to_owned()));
        assert_eq!(schedule.status("C-1"), Some(Status::Pending));
    }

    #[test]
    fn endex_waits_for_the_last_timed_inject_plus_grace() {
        let scenario = scenario();
        assert_eq!(end_ms(&scenario, 0), 90_000);
        assert_eq!(end_ms(&scenario, 60), 150_000);
    }

    #[test]
    fn the_timeline_is_done_only_when_every_timed_inject_fired_or_was_skipped() {
        let scenario = scenario();
        let mut schedule = Schedule::new(&scenario);
        assert!(!timeline_done(&schedule));
        schedule.fire_now("M1-01").unwrap();
        schedule.hold("M1-02").unwrap();
        assert!(!timeline_done(&schedule), "a held inject still waits");
        schedule.release("M1-02").unwrap();
        schedule.skip("M1-02").unwrap();
        assert!(
            timeline_done(&schedule),
            "the pending contingency does not count"
        );
    }

    #[test]
    fn control_wakes_when_the_next_inject_is_due_in_real_time() {
        let scenario = scenario();
        let mut schedule = Schedule::new(&scenario);
        let end = end_ms(&scenario, 60);
        // 30 scenario seconds away at 60x: half a real second.
        assert_eq!(
            next_wake(&schedule, &clock(Phase::Running, 60), 0, end),
            Duration::from_millis(500)
        );
        // Never longer than a second, so a speed or phase change is seen.
        assert_eq!(
            next_wake(&schedule, &clock(Phase::Running, 1), 0, end),
            Duration::from_secs(1)
        );
        // Due now: a short wait, not a busy loop.
        assert_eq!(
            next_wake(&schedule, &clock(Phase::Running, 1), 30_000, end),
            Duration::from_millis(5)
        );
        // Speed 0 is read as 1 rather than dividing by zero.
        assert_eq!(
            next_wake(&schedule, &clock(Phase::Running, 0), 29_900, end),
            Duration::from_millis(100)
        );
        // Paused: look again in a second.
        assert_eq!(
            next_wake(&schedule, &clock(Phase::Paused, 60), 0, end),
            Duration::from_secs(1)
        );
        // With every timed inject fired, the next event is ENDEX.
        schedule.fire_now("M1-01").unwrap();
        schedule.fire_now("M1-02").unwrap();
        assert_eq!(
            next_wake(&schedule, &clock(Phase::Running, 100), 100_000, end),
            Duration::from_millis(500)
        );
    }
}
