//! `fusioncell connect`: a line-oriented interactive client for every role. Each record that
//! arrives is one line; a typed line posts to the current channel; `/commands` act. No TUI, so
//! it reads the same in a terminal, in tmux, in a log and from a script.
//!
//! The command line's grammar is in [`grammar`], what is shown in [`render`]. What the client
//! knows (held posts, hotline posts awaiting acknowledgement, the clock, presence) is the
//! client library's [`Model`], and its acts come from the library's builders. [`Session`]
//! adds what only this interface has (the current channel, display names) and turns events
//! and commands into lines. [`run`] wires stdin, the subscription and the acts in flight
//! together: acts run as tasks, so a slow acknowledgement never stops records from being shown.

mod grammar;
mod render;

#[cfg(test)]
mod fixtures;

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::Arc;

use fusioncell_cell::{AckClock, Cell, Policy};
use fusioncell_client::{
    Ack, ActDraft, Change, Client, ClientError, Event, Model, SupervisionState, View, acts,
};
use fusioncell_wire::act_body::{Access, ObserveBody, ReceiptKind};
use fusioncell_wire::{ChannelId, IdentityId, Record, Role};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::args::ConnectArgs;
use crate::cmd::listen::connect_args;
use crate::load;
use grammar::{Input, help, parse_input};
use render::{clock_banner, clock_state, record_line};

/// An act in flight: what to print with its outcome, and the outcome.
type Done = (String, Result<Ack, ClientError>);

pub(super) async fn run(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let config = load::client_config(&connect_args(&args.connect))?;
    let cell = args.connect.config.as_deref().map(load::cell).transpose()?;
    let url = config.url.clone();
    let client = Arc::new(Client::connect(config).await?);
    let state = client.supervision().await?;
    let scenario_ms = client.scenario_ms().await?;
    let cell = cell.as_ref().map(|c| c.cell.as_ref());
    let model = Model::new(View::new(client.welcome(), cell), state.clock);
    let mut session = Session::new(model, cell);
    say(&crate::show::marking_head(
        cell.map_or(fusioncell_cell::defaults::MARKING, |c| c.marking()),
    ));
    for line in session.intro(&url, scenario_ms) {
        say(&line);
    }
    let mut sub = client.subscribe(args.from).await?;
    let mut lines = stdin_lines();
    let mut jobs: JoinSet<Done> = JoinSet::new();
    let mut reading = true;
    let mut code = ExitCode::SUCCESS;
    while reading || !jobs.is_empty() {
        tokio::select! {
            line = lines.recv(), if reading => match line.as_deref().map(parse_input) {
                None | Some(Ok(Input::Quit)) => {
                    reading = false;
                    if !jobs.is_empty() {
                        say(&format!("-- waiting for {} act(s) to be answered --", jobs.len()));
                    }
                }
                Some(Ok(input)) => {
                    for line in session.handle(input, &client, &mut jobs).await {
                        say(&line);
                    }
                }
                Some(Err(e)) => say(&format!("error: {e}")),
            },
            Some(done) = jobs.join_next(), if !jobs.is_empty() => say(&outcome(done)),
            event = sub.next() => match event {
                Some(event) => {
                    for line in session.on_event(event, now_ms()) {
                        say(&line);
                    }
                }
                None => {
                    say("!! the connection ended");
                    code = ExitCode::FAILURE;
                    break;
                }
            },
        }
    }
    drop(sub);
    jobs.shutdown().await;
    if let Ok(client) = Arc::try_unwrap(client) {
        client.close().await;
    }
    if code == ExitCode::SUCCESS {
        say("-- bye --");
    }
    Ok(code)
}

/// One line to stdout (line-buffered); a closed stdout is not worth a panic.
fn say(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Lines typed on stdin. A plain thread, not a blocking task of the runtime: a read that
/// never returns must not hold up the exit.
fn stdin_lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match stdin.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']).to_owned();
                    if tx.blocking_send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// An act's outcome: `ok: #N (what)` or `refused (code): reason (what)`.
fn outcome(done: Result<Done, tokio::task::JoinError>) -> String {
    match done {
        Ok((what, Ok(ack))) => format!("ok: #{} ({what})", ack.cell_seq),
        Ok((what, Err(e @ ClientError::Rejected { .. }))) => format!("{e} ({what})"),
        Ok((what, Err(e))) => format!("error: {what}: {e}"),
        Err(e) => format!("error: {e}"),
    }
}

fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------------
// The session: what each event and command shows and does.

/// What to send for a command.
enum Job {
    /// An act built here.
    Act(ActDraft),
    /// A decision on a held post: the client binds it to the current supervision epoch.
    Decide {
        held: Box<Record>,
        reason: Option<String>,
    },
}

struct Session {
    /// What the client knows.
    model: Model,
    /// Display names, from the cell config.
    names: HashMap<IdentityId, String>,
    cell: Option<String>,
    /// Where a typed line is posted.
    current: Option<ChannelId>,
}

impl Session {
    fn new(model: Model, cell: Option<&Cell>) -> Session {
        let current = model
            .view()
            .channels
            .iter()
            .find(|(_, w)| *w)
            .map(|(c, _)| c.clone());
        Session {
            names: cell.map_or_else(HashMap::new, |c| {
                c.identities()
                    .iter()
                    .map(|i| (i.id.clone(), i.name.clone()))
                    .collect()
            }),
            cell: cell.map(|c| c.id().to_string()),
            model,
            current,
        }
    }

    fn view(&self) -> &View {
        self.model.view()
    }

    /// Who you are, your role, your channels, the clock, and how to get help.
    fn intro(&self, url: &str, scenario_ms: u64) -> Vec<String> {
        let v = self.view();
        let name = self
            .names
            .get(&v.me)
            .map_or(String::new(), |n| format!(", {n}"));
        let cell = self
            .cell
            .as_ref()
            .map_or(String::new(), |c| format!(" in cell {c}"));
        let mut lines = vec![
            format!(
                "fusioncell connect: you are {} ({}{name}){cell} at {url}",
                v.me, v.role
            ),
            format!("channels: {}", self.channel_list()),
            format!("clock: {}", clock_state(self.model.clock(), scenario_ms)),
        ];
        if v.policies.is_none() {
            lines.push(
                "note: no --config, channel policies unknown: held and hotline posts are not marked"
                    .into(),
            );
        }
        lines.push(match &self.current {
            Some(c) => format!("posting to #{c}: type a line to post it; /help lists the commands"),
            None => "you post nowhere; /help lists the commands".into(),
        });
        lines
    }

    fn channel_list(&self) -> String {
        let view = self.view();
        if view.channels.is_empty() {
            return "(none)".into();
        }
        let list: Vec<String> = view
            .channels
            .iter()
            .map(|(c, w)| {
                let policy = match view.policy(c) {
                    Some(Policy::Hotline {
                        ack_seconds,
                        ack_clock,
                    }) => match ack_clock {
                        AckClock::Scenario => format!(" hotline {ack_seconds} scenario s"),
                        _ => format!(" hotline {ack_seconds}s"),
                    },
                    Some(p) => format!(" {}", p.as_str()),
                    None => String::new(),
                };
                let here = if self.current.as_ref() == Some(c) {
                    "*"
                } else {
                    ""
                };
                format!("{here}#{c} {}{policy}", if *w { "rw" } else { "ro" })
            })
            .collect();
        list.join(", ")
    }

    /// What an event shows.
    fn on_event(&mut self, event: Event, now: i64) -> Vec<String> {
        match event {
            Event::Record {
                record,
                verified,
                released_by,
            } => self.on_record(record, verified, released_by, now),
            Event::State(state) => self.on_state(state).into_iter().collect(),
            Event::Live { size } => {
                self.model.fold(&Event::Live { size });
                let s = if size == 1 { "" } else { "s" };
                vec![format!(
                    "-- live: the journal has {size} record{s}; new ones appear below --"
                )]
            }
            Event::Reconnecting { reason } => {
                vec![format!("-- connection lost ({reason}); reconnecting --")]
            }
            other => {
                self.model.fold(&other);
                Vec::new()
            }
        }
    }

    fn on_state(&mut self, state: SupervisionState) -> Option<String> {
        (self.model.fold_state(state) == Change::Clock).then(|| {
            clock_banner(
                &state.clock,
                state.clock.scenario_ms_at(state.now),
                self.model.halt_reason(),
            )
        })
    }

    fn on_record(
        &mut self,
        record: Record,
        verified: bool,
        released_by: Option<u64>,
        now: i64,
    ) -> Vec<String> {
        let change = self.model.fold_record(&record, released_by);
        let line = || record_line(&self.model, &record, verified, released_by, now);
        match change {
            // The approval's own line says enough.
            Change::Repeat => Vec::new(),
            Change::Clock => {
                let clock = self.model.clock();
                let banner = clock_banner(clock, clock.scenario_ms, self.model.halt_reason());
                vec![format!(
                    "{banner} (#{} by {})",
                    record.seq, record.act.actor
                )]
            }
            Change::Channels => vec![line(), format!("-- your channels: {}", self.channel_list())],
            Change::Nothing | Change::Presence => vec![line()],
        }
    }

    /// Runs a command: local ones answer at once, acts are started and answered later.
    async fn handle(
        &mut self,
        input: Input,
        client: &Arc<Client>,
        jobs: &mut JoinSet<Done>,
    ) -> Vec<String> {
        match self.command(input, client).await {
            Ok(Some((what, job))) => {
                let client = client.clone();
                jobs.spawn(async move {
                    let result = match job {
                        Job::Act(draft) => client.send(draft).await,
                        Job::Decide { held, reason } => client.decide(&held, reason).await,
                    };
                    (what, result)
                });
                Vec::new()
            }
            Ok(None) => Vec::new(),
            Err(lines) => lines,
        }
    }

    /// A command's act (with what to call it), or the lines it shows at once.
    async fn command(
        &mut self,
        input: Input,
        client: &Client,
    ) -> Result<Option<(String, Job)>, Vec<String>> {
        let err = |e: String| vec![format!("error: {e}")];
        Ok(Some(match input {
            Input::Nothing | Input::Quit => return Ok(None),
            Input::Help => return Err(help(self.view().role, self.view().can_post())),
            Input::Channels => return Err(vec![format!("channels: {}", self.channel_list())]),
            Input::Who => return Err(self.who()),
            Input::Pending => return Err(self.pending()),
            Input::ShowClock => {
                let state = client.supervision().await.map_err(|e| err(e.to_string()))?;
                let scenario = client.scenario_ms().await.map_err(|e| err(e.to_string()))?;
                return Err(vec![format!(
                    "clock: {} (epoch {})",
                    clock_state(&state.clock, scenario),
                    state.epoch
                )]);
            }
            Input::Join(name) => {
                let ch = channel(&name).map_err(err)?;
                let Some((_, write)) = self.view().channels.iter().find(|(c, _)| *c == ch) else {
                    return Err(err(format!("you do not read #{ch}: /channels lists yours")));
                };
                let note = if *write {
                    ""
                } else {
                    " (read only: posts will be refused)"
                };
                let line = format!("now posting to #{ch}{note}");
                self.current = Some(ch);
                return Err(vec![line]);
            }
            Input::Post(text) => {
                let Some(ch) = self.current.clone() else {
                    return Err(err("you have no channel to post to".into()));
                };
                (format!("post to #{ch}"), Job::Act(acts::post(ch, text)))
            }
            Input::Reply(n, text) => {
                let Some(target) = self.model.find(n).filter(|r| r.act.channel.is_some()) else {
                    return Err(err(format!(
                        "#{n} is not a channel record this session received"
                    )));
                };
                (
                    format!("reply to #{n}"),
                    Job::Act(acts::reply(target, text)),
                )
            }
            Input::Approve(n) | Input::Reject(n, _) => {
                let reason = match &input {
                    Input::Reject(_, r) => Some(r.clone()),
                    _ => None,
                };
                let Some(held) = self.model.find(n).cloned().map(Box::new) else {
                    return Err(err(format!(
                        "#{n} is not a held post this session received (/pending lists them)"
                    )));
                };
                let what = format!(
                    "{} #{n}",
                    if reason.is_some() {
                        "reject"
                    } else {
                        "approve"
                    }
                );
                (what, Job::Decide { held, reason })
            }
            Input::Ack(n) => {
                let Some(post) = self.model.find(n).filter(|r| r.act.channel.is_some()) else {
                    return Err(err(format!(
                        "#{n} is not a hotline message this session received"
                    )));
                };
                (format!("ack #{n}"), Job::Act(acts::ack(post)))
            }
            Input::Read(n) => (
                format!("read receipt for #{n}"),
                Job::Act(acts::receipt(n, ReceiptKind::Read)),
            ),
            Input::Mute {
                identity: id,
                channel: ch,
                on,
            } => {
                let ch = ch.as_deref().map(channel).transpose().map_err(err)?;
                let who = identity(&id).map_err(err)?;
                let draft = if on {
                    acts::mute(who, ch)
                } else {
                    acts::unmute(who, ch)
                };
                (format!("{} {id}", draft.kind().as_str()), Job::Act(draft))
            }
            Input::Grant {
                identity: id,
                channel: ch,
                reader,
                give,
            } => {
                let who = identity(&id).map_err(err)?;
                let on = channel(&ch).map_err(err)?;
                let access = if reader {
                    Access::Reader
                } else {
                    Access::Member
                };
                let draft = if give {
                    acts::grant(who, on, access)
                } else {
                    acts::revoke(who, on, access)
                };
                (
                    format!("{} {id} #{ch}", draft.kind().as_str()),
                    Job::Act(draft),
                )
            }
            Input::Redact(n, reason) => (format!("redact #{n}"), Job::Act(acts::redact(n, reason))),
            Input::Clock {
                action,
                speed,
                reason,
            } => (
                format!("clock {}", action.as_str()),
                Job::Act(acts::clock(action, speed, reason)),
            ),
            Input::Observe(refs, text) => (
                "observation".into(),
                Job::Act(acts::observe(ObserveBody {
                    refs,
                    text,
                    about: None,
                    objective: None,
                    rating: None,
                })),
            ),
        }))
    }

    /// Every identity, its role and name, and whether it is online.
    fn who(&self) -> Vec<String> {
        let view = self.view();
        view.roles
            .iter()
            .map(|(id, role)| {
                let name = self.names.get(id).map_or("", String::as_str);
                let you = if *id == view.me { " (you)" } else { "" };
                let online = if self.model.is_online(id) {
                    " [online]"
                } else {
                    ""
                };
                format!(
                    "  {:<12} {:<10} {name}{you}{online}",
                    id.as_str(),
                    role.as_str()
                )
            })
            .collect()
    }

    fn pending(&self) -> Vec<String> {
        let show = |r: &Record| {
            let ch = r.act.channel.as_ref().map_or("", |c| c.as_str());
            let text = fusioncell_cell::describe(r.body.as_ref());
            format!(
                "  #{} {} {} → #{ch}: {text}",
                r.seq,
                crate::show::utc_hms(r.ts),
                r.act.actor
            )
        };
        let mut lines = Vec::new();
        if self.view().role == Role::Mediator {
            lines.push(format!(
                "held posts awaiting your decision: {}",
                self.model.held().len()
            ));
            lines.extend(self.model.held().map(show));
        }
        lines.push(format!(
            "hotline messages awaiting acknowledgement: {}",
            self.model.awaiting().len()
        ));
        lines.extend(self.model.awaiting().map(|a| show(&a.record)));
        lines
    }
}

fn identity(name: &str) -> Result<IdentityId, String> {
    IdentityId::new(name).map_err(|e| format!("identity `{name}`: {e}"))
}

fn channel(name: &str) -> Result<ChannelId, String> {
    ChannelId::new(name).map_err(|e| format!("channel `{name}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixtures::*;
    use fusioncell_wire::ActKind;

    #[test]
    fn the_session_tracks_held_posts_and_shows_a_release_once() {
        let mut us = session("us", Role::Mediator, PARTY_CHANNELS);
        let held = record(8, ActKind::Post, "israel", Some("security"), "Quiet night.");
        let lines = us.on_record(held.clone(), true, None, T);
        assert!(lines[0].contains("PENDING #8"), "{lines:?}");
        assert!(us.pending().iter().any(|l| l.contains("#8")));
        // The approval carries the post again: shown once, not twice.
        assert!(us.on_record(held, true, Some(9), T).is_empty());
        let approve = record(
            9,
            ActKind::Approve,
            "us",
            Some("security"),
            &decision(8, None),
        );
        let lines = us.on_record(approve, true, None, T);
        assert!(
            lines[0].ends_with("approved #8 — released to the channel"),
            "{lines:?}"
        );
        assert!(us.model.held().len() == 0);
    }

    #[test]
    fn the_session_banners_clock_changes_once() {
        let mut s = session("syria", Role::Party, PARTY_CHANNELS);
        let start = record(
            3,
            ActKind::Clock,
            "control",
            None,
            r#"{"action":"start","speed":60}"#,
        );
        let lines = s.on_record(start, true, None, T);
        assert_eq!(
            lines,
            ["== CLOCK: running ×60, scenario 00:00:00 == (#3 by control)"]
        );
        // The state frame that follows says the same: nothing more to show.
        let state = SupervisionState {
            epoch: 1,
            clock: *s.model.clock(),
            now: T + 1000,
        };
        assert_eq!(s.on_state(state), None);
        let halt = record(
            4,
            ActKind::Clock,
            "us",
            None,
            r#"{"action":"halt","reason":"real fire"}"#,
        );
        assert!(
            s.on_record(halt, true, None, T)[0]
                .starts_with("!!! REAL-WORLD EMERGENCY — PLAY HALTED: real fire !!!")
        );
    }
}
