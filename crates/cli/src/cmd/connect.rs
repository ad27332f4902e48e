//! `fusioncell connect`: a line-oriented interactive client for every role. Each record that
//! arrives is one line; a typed line posts to the current channel; `/commands` act. No TUI, so
//! it reads the same in a terminal, in tmux, in a log and from a script.
//!
//! The pure parts are small functions with unit tests: [`parse_input`] (a typed line into an
//! [`Input`]), [`record_line`] and [`clock_banner`] (what is shown) and [`help`]. [`Session`]
//! is what the client remembers: the last records by sequence number (to decide, acknowledge
//! and redact by number), held posts not yet decided, hotline posts awaiting acknowledgement,
//! the clock. [`run`] wires stdin, the subscription and the acts in flight together: acts run
//! as tasks, so a slow acknowledgement never stops records from being shown.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::Arc;

use fusioncell_cell::{Cell, Policy};
use fusioncell_client::{Ack, Client, ClientError, Event, SupervisionState, Welcome};
use fusioncell_wire::act_body::{
    Access, AckBody, ClockAction, ClockBody, DecisionBody, EscalateBody, GrantBody, InjectBody,
    MuteBody, ObserveBody, ReceiptBody, ReceiptKind, RedactBody,
};
use fusioncell_wire::clock::phase_name;
use fusioncell_wire::{
    ActKind, ChannelId, Clock, IdentityId, OpenBody, Phase, Record, RecoveredBody, Role,
    SecurityBody,
};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::args::ConnectArgs;
use crate::cmd::listen::connect_args;
use crate::load;

/// How many received records are kept to act on by number.
const REMEMBER: usize = 10_000;

/// An act in flight: what to print with its outcome, and the outcome.
type Done = (String, Result<Ack, ClientError>);

pub(super) async fn run(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let config = load::client_config(&connect_args(&args.connect))?;
    let cell = args.connect.config.as_deref().map(load::cell).transpose()?;
    let url = config.url.clone();
    let client = Arc::new(Client::connect(config).await?);
    let state = client.supervision().await?;
    let scenario_ms = client.scenario_ms().await?;
    let mut session = Session::new(
        client.welcome(),
        cell.as_ref().map(|c| c.cell.as_ref()),
        state.clock,
    );
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
// Typed lines.

/// What a typed line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    /// An empty line.
    Nothing,
    /// Post this text to the current channel.
    Post(String),
    Help,
    Channels,
    Join(String),
    Who,
    /// `/clock` alone: show the clock.
    ShowClock,
    Pending,
    Approve(u64),
    Reject(u64, String),
    Ack(u64),
    Mute {
        identity: String,
        channel: Option<String>,
        on: bool,
    },
    Grant {
        identity: String,
        channel: String,
        reader: bool,
        give: bool,
    },
    Redact(u64, String),
    Clock {
        action: ClockAction,
        speed: Option<u32>,
        reason: Option<String>,
    },
    Observe(Vec<u64>, String),
    Read(u64),
    Quit,
}

/// Parses a typed line. Text not starting with `/` is a post (`//text` posts `/text`).
fn parse_input(line: &str) -> Result<Input, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(Input::Nothing);
    }
    let Some(command) = line.strip_prefix('/') else {
        return Ok(Input::Post(line.to_owned()));
    };
    if command.starts_with('/') {
        return Ok(Input::Post(command.to_owned()));
    }
    let (name, rest) = first_word(command);
    let words: Vec<&str> = rest.split_whitespace().collect();
    let usage = |u: &str| Err(format!("usage: {u}"));
    match name {
        "help" | "h" | "?" => Ok(Input::Help),
        "channels" => Ok(Input::Channels),
        "who" => Ok(Input::Who),
        "pending" => Ok(Input::Pending),
        "quit" | "exit" | "q" => Ok(Input::Quit),
        "join" => match words[..] {
            [ch] => Ok(Input::Join(strip_hash(ch).to_owned())),
            _ => usage("/join CHANNEL"),
        },
        "approve" => Ok(Input::Approve(only_seq(&words, "/approve N")?)),
        "ack" => Ok(Input::Ack(only_seq(&words, "/ack N")?)),
        "read" => Ok(Input::Read(only_seq(&words, "/read N")?)),
        "reject" | "redact" => {
            let (n, reason) = first_word(rest);
            if n.is_empty() || reason.is_empty() {
                return usage(&format!("/{name} N REASON"));
            }
            let n = seq(n)?;
            let reason = reason.to_owned();
            Ok(if name == "reject" {
                Input::Reject(n, reason)
            } else {
                Input::Redact(n, reason)
            })
        }
        "mute" | "unmute" => match words[..] {
            [id] | [id, _] => Ok(Input::Mute {
                identity: id.to_owned(),
                channel: words.get(1).map(|c| strip_hash(c).to_owned()),
                on: name == "mute",
            }),
            _ => usage(&format!("/{name} ID [CHANNEL]")),
        },
        "grant" | "revoke" => {
            let reader = match words.get(2) {
                None | Some(&"member") => false,
                Some(&"reader") => true,
                Some(_) => return usage(&format!("/{name} ID CHANNEL [reader]")),
            };
            match words[..] {
                [id, ch] | [id, ch, _] => Ok(Input::Grant {
                    identity: id.to_owned(),
                    channel: strip_hash(ch).to_owned(),
                    reader,
                    give: name == "grant",
                }),
                _ => usage(&format!("/{name} ID CHANNEL [reader]")),
            }
        }
        "clock" => parse_clock(rest),
        "observe" => {
            let (refs, text) = first_word(rest);
            if refs.is_empty() || text.is_empty() {
                return usage("/observe N[,N...] TEXT");
            }
            let refs = refs
                .split(',')
                .filter(|r| !r.is_empty())
                .map(seq)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Input::Observe(refs, text.to_owned()))
        }
        other => Err(format!(
            "unknown command /{other}: /help lists the commands"
        )),
    }
}

fn parse_clock(rest: &str) -> Result<Input, String> {
    let (action, tail) = first_word(rest);
    let reason = (!tail.is_empty()).then(|| tail.to_owned());
    let action = match action {
        "" => return Ok(Input::ShowClock),
        "start" => {
            let speed = match tail {
                "" => None,
                s => Some(
                    s.trim_start_matches(['x', '×'])
                        .parse::<u32>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("clock speed `{s}`: expected a whole number ≥ 1"))?,
                ),
            };
            return Ok(Input::Clock {
                action: ClockAction::Start,
                speed,
                reason: None,
            });
        }
        "pause" => ClockAction::Pause,
        "resume" => ClockAction::Resume,
        "end" => ClockAction::End,
        "halt" => ClockAction::Halt,
        _ => {
            return Err(
                "usage: /clock [start [SPEED] | pause | resume | end | halt [REASON]]".into(),
            );
        }
    };
    Ok(Input::Clock {
        action,
        speed: None,
        reason,
    })
}

/// The first word and the rest, trimmed.
fn first_word(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (s, ""),
    }
}

fn strip_hash(s: &str) -> &str {
    s.strip_prefix('#').unwrap_or(s)
}

/// A record number, `12` or `#12`.
fn seq(s: &str) -> Result<u64, String> {
    strip_hash(s)
        .parse()
        .map_err(|_| format!("`{s}` is not a record number"))
}

fn only_seq(words: &[&str], usage: &str) -> Result<u64, String> {
    match words {
        [n] => seq(n),
        _ => Err(format!("usage: {usage}")),
    }
}

/// The commands `role` can use, one per line.
fn help(role: Role, can_post: bool) -> Vec<String> {
    let mut lines = vec!["commands:".to_owned()];
    let mut add = |cmd: &str, what: &str| lines.push(format!("  {cmd:<34} {what}"));
    if can_post {
        add(
            "TEXT",
            "post TEXT to the current channel (//TEXT posts /TEXT)",
        );
        add("/join CHANNEL", "post to CHANNEL from now on");
    }
    add(
        "/channels",
        "your channels (rw: read and write, ro: read only)",
    );
    add("/who", "identities and roles");
    add("/clock", "the exercise clock and scenario time");
    match role {
        Role::Party => {
            add("/ack N", "acknowledge hotline message #N");
            add("/pending", "hotline messages awaiting acknowledgement");
        }
        Role::Mediator => {
            add("/pending", "held posts not yet decided; hotline messages");
            add("/approve N", "release held post #N");
            add(
                "/reject N REASON",
                "refuse held post #N; its sender sees REASON",
            );
            add("/mute ID [CHANNEL]", "silence ID on CHANNEL or everywhere");
            add("/unmute ID [CHANNEL]", "lift a mute");
            add(
                "/grant ID CHANNEL [reader]",
                "give ID member (or reader) access",
            );
            add("/revoke ID CHANNEL [reader]", "take ID's access away");
            add(
                "/redact N REASON",
                "remove record #N's text from every delivery",
            );
            add("/clock pause | resume", "stop or continue play");
            add(
                "/clock halt [REASON]",
                "REAL-WORLD EMERGENCY: stop play everywhere",
            );
        }
        Role::Control => {
            add(
                "/clock start [SPEED]",
                "STARTEX; SPEED scenario seconds per second",
            );
            add(
                "/clock pause | resume | end",
                "stop, continue or end play (ENDEX)",
            );
            add(
                "/clock halt [REASON]",
                "REAL-WORLD EMERGENCY: stop play everywhere",
            );
        }
        Role::Evaluator => add("/observe N[,N...] TEXT", "a private observation on records"),
        _ => {}
    }
    add("/read N", "send a read receipt for record #N");
    add("/quit", "leave (also: end of input)");
    add("/help", "this list");
    lines
}

// ---------------------------------------------------------------------------------------------
// What is shown.

/// What formatting needs to know about the cell and the viewer.
struct View {
    me: IdentityId,
    role: Role,
    /// Every identity and its role, in the cell's order.
    roles: Vec<(IdentityId, Role)>,
    /// Channel policies, when the cell config is at hand.
    policies: Option<HashMap<ChannelId, Policy>>,
    /// The viewer's channels, and whether it may post to each.
    channels: Vec<(ChannelId, bool)>,
}

impl View {
    fn policy(&self, channel: &ChannelId) -> Option<Policy> {
        self.policies.as_ref()?.get(channel).copied()
    }

    fn writes(&self, channel: &ChannelId) -> bool {
        self.channels.iter().any(|(c, w)| c == channel && *w)
    }

    fn is_party(&self, id: &IdentityId) -> bool {
        self.roles.iter().any(|(i, r)| i == id && *r == Role::Party)
    }

    /// A party's post to a moderated channel, which only its sender and the mediator see
    /// until the mediator decides.
    fn is_held(&self, r: &Record, released_by: Option<u64>) -> bool {
        released_by.is_none()
            && r.act.kind == ActKind::Post
            && self.is_party(&r.act.actor)
            && r.act.channel.as_ref().and_then(|c| self.policy(c)) == Some(Policy::Moderated)
    }

    /// A party's post to a hotline channel: its acknowledgement deadline in seconds.
    fn hotline(&self, r: &Record) -> Option<u32> {
        if r.act.kind != ActKind::Post || !self.is_party(&r.act.actor) {
            return None;
        }
        match self.policy(r.act.channel.as_ref()?)? {
            Policy::Hotline { ack_seconds } => Some(ack_seconds),
            _ => None,
        }
    }
}

/// A record as one line: `#seq HH:MM:SSZ sender → #channel ✓ text`.
fn record_line(
    view: &View,
    r: &Record,
    verified: bool,
    released_by: Option<u64>,
    now: i64,
) -> String {
    let mark = if verified { "✓" } else { "✗ UNVERIFIED" };
    let place = r
        .act
        .channel
        .as_ref()
        .map_or(String::new(), |c| format!(" → #{c}"));
    format!(
        "#{} {} {}{place} {mark} {}",
        r.seq,
        crate::show::utc_hms(r.ts),
        r.act.actor,
        describe(view, r, released_by, now)
    )
}

fn parsed<T: DeserializeOwned>(body: &str) -> Option<T> {
    serde_json::from_str(body).ok()
}

/// The text part of a record's line.
fn describe(view: &View, r: &Record, released_by: Option<u64>, now: i64) -> String {
    let Some(body) = r.body.as_deref() else {
        return "[redacted]".into();
    };
    let text = match r.act.kind {
        ActKind::Post => Some(post_text(view, r, body, released_by, now)),
        ActKind::Approve => parsed::<DecisionBody>(body).map(|d| format!("approved #{}", d.target)),
        ActKind::Reject => parsed::<DecisionBody>(body).map(|d| {
            format!(
                "rejected #{}: {}",
                d.target,
                d.reason.as_deref().unwrap_or("(no reason)")
            )
        }),
        ActKind::Mute | ActKind::Unmute => parsed::<MuteBody>(body).map(|m| {
            let verb = if r.act.kind == ActKind::Mute {
                "muted"
            } else {
                "unmuted"
            };
            match m.channel {
                Some(c) => format!("{verb} {} on #{c}", m.identity),
                None => format!("{verb} {} on every channel", m.identity),
            }
        }),
        ActKind::Grant | ActKind::Revoke => parsed::<GrantBody>(body).map(|g| {
            let access = match g.access {
                Access::Member => "member",
                Access::Reader => "reader",
            };
            if r.act.kind == ActKind::Grant {
                format!("granted {} {access} access to #{}", g.identity, g.channel)
            } else {
                format!("revoked {}'s access to #{}", g.identity, g.channel)
            }
        }),
        ActKind::Redact => {
            parsed::<RedactBody>(body).map(|x| format!("[REDACTED #{}: {}]", x.target, x.reason))
        }
        ActKind::Clock => parsed::<ClockBody>(body).map(|c| {
            let mut s = format!("clock {}", c.action.as_str());
            if let Some(speed) = c.speed {
                s += &format!(" ×{speed}");
            }
            if let Some(reason) = c.reason {
                s += &format!(": {reason}");
            }
            s
        }),
        ActKind::Inject => parsed::<InjectBody>(body)
            .map(|i| format!("INJECT {} \"{}\": {}", i.id, i.title, i.text)),
        ActKind::Observe => parsed::<ObserveBody>(body).map(|o| {
            let refs: Vec<String> = o.refs.iter().map(|r| format!("#{r}")).collect();
            let about = o.about.map_or(String::new(), |a| format!(" (about {a})"));
            format!("[OBSERVATION on {}] {}{about}", refs.join(","), o.text)
        }),
        ActKind::Receipt => parsed::<ReceiptBody>(body).map(|x| match x.kind {
            ReceiptKind::Read => format!("#{} read by {}", x.target, r.act.actor),
            ReceiptKind::Delivered => format!("#{} delivered to {}", x.target, r.act.actor),
        }),
        ActKind::Ack => parsed::<AckBody>(body).map(|a| format!("acknowledged #{}", a.target)),
        ActKind::Escalate => parsed::<EscalateBody>(body).map(|e| {
            format!(
                "[ESCALATED] #{} from {} not acknowledged within {}s",
                e.target, e.sender, e.ack_seconds
            )
        }),
        ActKind::Open => parsed::<OpenBody>(body).map(|o| {
            format!(
                "cell {} opened: {} identities, {} channels",
                o.cell,
                o.identities.len(),
                o.channels.len()
            )
        }),
        ActKind::Security => parsed::<SecurityBody>(body).map(|s| {
            let who = s.identity.map_or(String::new(), |i| format!(" ({i})"));
            format!("security: {}{who}: {}", s.event, s.reason)
        }),
        ActKind::Recovered => parsed::<RecoveredBody>(body).map(|x| {
            format!(
                "relay restarted: {} records intact, {} torn bytes cut",
                x.records, x.truncated_bytes
            )
        }),
        _ => None,
    };
    text.unwrap_or_else(|| format!("{} {body}", r.act.kind.as_str()))
}

/// A post's text with its markers: held, released, hotline.
fn post_text(view: &View, r: &Record, body: &str, released_by: Option<u64>, now: i64) -> String {
    let mut text = body.to_owned();
    if let Some(by) = released_by {
        text += &format!(" [released by #{by}]");
    } else if view.is_held(r, None) {
        if view.role == Role::Mediator {
            text += &format!(
                " [PENDING #{n} — /approve {n} or /reject {n} REASON]",
                n = r.seq
            );
        } else if r.act.actor == view.me {
            text += " [awaiting approval]";
        }
    }
    if let Some(secs) = view.hotline(r) {
        let deadline = r.ts.saturating_add(i64::from(secs) * 1000);
        let left = (deadline - now + 999).div_euclid(1000);
        let mine_to_ack = view.role == Role::Party
            && r.act.actor != view.me
            && r.act.channel.as_ref().is_some_and(|c| view.writes(c));
        text += &if left <= 0 {
            " [HOTLINE — acknowledgement deadline passed]".to_owned()
        } else if mine_to_ack {
            format!(" [HOTLINE — /ack {} within {left}s]", r.seq)
        } else if r.act.actor == view.me {
            format!(" [HOTLINE — the other party must acknowledge within {left}s]")
        } else {
            format!(" [HOTLINE — acknowledgement due within {left}s]")
        }
    }
    text
}

/// The clock in words: `running ×60, scenario 00:12:30`.
fn clock_state(clock: &Clock, scenario_ms: u64) -> String {
    let phase = match clock.phase {
        Phase::NotStarted => return "not started".into(),
        Phase::Running => format!("running ×{}", clock.speed),
        Phase::Paused if clock.halted => "HALTED (real-world emergency)".into(),
        p => phase_name(p).to_owned(),
    };
    format!("{phase}, scenario {}", hms(scenario_ms))
}

/// The line shown when the clock changes; a halt gets its own unmistakable line.
fn clock_banner(clock: &Clock, scenario_ms: u64, halt_reason: Option<&str>) -> String {
    if clock.halted {
        return format!(
            "!!! REAL-WORLD EMERGENCY — PLAY HALTED: {} !!!",
            halt_reason.unwrap_or("no reason given")
        );
    }
    format!("== CLOCK: {} ==", clock_state(clock, scenario_ms))
}

/// `HH:MM:SS` of a scenario time in milliseconds (hours may exceed 24).
fn hms(ms: u64) -> String {
    fusioncell_scenario::time::format_at(ms / 1000)
}

// ---------------------------------------------------------------------------------------------
// The session: what the client remembers, and what each event and command does.

/// What to send for a command.
enum Job {
    Act {
        kind: ActKind,
        channel: Option<ChannelId>,
        body: String,
    },
    Decide {
        held: Box<Record>,
        reason: Option<String>,
    },
}

struct Session {
    view: View,
    /// Display names, from the cell config.
    names: HashMap<IdentityId, String>,
    cell: Option<String>,
    /// Where a typed line is posted.
    current: Option<ChannelId>,
    /// The last records received, by sequence number.
    records: BTreeMap<u64, Record>,
    /// Held posts not yet decided (the mediator's queue).
    held: BTreeMap<u64, Record>,
    /// Hotline posts not yet acknowledged, with their deadline in seconds.
    awaiting: BTreeMap<u64, (Record, u32)>,
    clock: Clock,
    halt_reason: Option<String>,
    /// Past the backlog: clock records are changes happening now.
    live: bool,
}

impl Session {
    fn new(welcome: &Welcome, cell: Option<&Cell>, clock: Clock) -> Session {
        let view = View {
            me: welcome.identity.clone(),
            role: welcome.role,
            roles: welcome
                .identities
                .iter()
                .map(|i| (i.id.clone(), i.role))
                .collect(),
            policies: cell.map(|c| {
                c.channels()
                    .iter()
                    .map(|ch| (ch.id.clone(), ch.policy))
                    .collect()
            }),
            channels: welcome
                .channels
                .iter()
                .map(|c| (c.id.clone(), c.write))
                .collect(),
        };
        let current = view
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
            view,
            current,
            records: BTreeMap::new(),
            held: BTreeMap::new(),
            awaiting: BTreeMap::new(),
            clock,
            halt_reason: None,
            live: false,
        }
    }

    fn can_post(&self) -> bool {
        self.view.channels.iter().any(|(_, w)| *w)
    }

    /// Who you are, your role, your channels, the clock, and how to get help.
    fn intro(&self, url: &str, scenario_ms: u64) -> Vec<String> {
        let v = &self.view;
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
            format!("clock: {}", clock_state(&self.clock, scenario_ms)),
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
        if self.view.channels.is_empty() {
            return "(none)".into();
        }
        let list: Vec<String> = self
            .view
            .channels
            .iter()
            .map(|(c, w)| {
                let policy = match self.view.policy(c) {
                    Some(Policy::Hotline { ack_seconds }) => format!(" hotline {ack_seconds}s"),
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

    fn remember(&mut self, record: Record) {
        self.records.insert(record.seq, record);
        while self.records.len() > REMEMBER {
            self.records.pop_first();
        }
    }

    fn find(&self, seq: u64) -> Option<&Record> {
        self.held
            .get(&seq)
            .or_else(|| self.awaiting.get(&seq).map(|(r, _)| r))
            .or_else(|| self.records.get(&seq))
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
                self.live = true;
                let s = if size == 1 { "" } else { "s" };
                vec![format!(
                    "-- live: the journal has {size} record{s}; new ones appear below --"
                )]
            }
            Event::Reconnecting { reason } => {
                vec![format!("-- connection lost ({reason}); reconnecting --")]
            }
            _ => Vec::new(),
        }
    }

    fn on_state(&mut self, state: SupervisionState) -> Option<String> {
        let changed = state.clock != self.clock;
        self.clock = state.clock;
        (changed && self.live).then(|| {
            clock_banner(
                &state.clock,
                state.clock.scenario_ms_at(state.now),
                self.halt_reason.as_deref(),
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
        // A released post this session already showed (held, to its sender or the mediator):
        // the approval's own line says enough.
        let seen = released_by.is_some() && self.records.contains_key(&record.seq);
        let body = record.body.as_deref().unwrap_or_default();
        let mut lines = Vec::new();
        match record.act.kind {
            ActKind::Post => {
                if self.view.role == Role::Mediator && self.view.is_held(&record, released_by) {
                    self.held.insert(record.seq, record.clone());
                }
                if let Some(secs) = self.view.hotline(&record) {
                    self.awaiting.insert(record.seq, (record.clone(), secs));
                }
            }
            ActKind::Approve | ActKind::Reject => {
                if let Some(d) = parsed::<DecisionBody>(body) {
                    self.held.remove(&d.target);
                }
            }
            ActKind::Ack => {
                if let Some(a) = parsed::<AckBody>(body) {
                    self.awaiting.remove(&a.target);
                }
            }
            ActKind::Escalate => {
                if let Some(e) = parsed::<EscalateBody>(body) {
                    self.awaiting.remove(&e.target);
                }
            }
            ActKind::Redact => {
                if let Some(x) = parsed::<RedactBody>(body) {
                    for r in [
                        self.records.get_mut(&x.target),
                        self.held.get_mut(&x.target),
                        self.awaiting.get_mut(&x.target).map(|(r, _)| r),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        r.body = None;
                    }
                }
            }
            ActKind::Grant | ActKind::Revoke => {
                if let Some(g) = parsed::<GrantBody>(body)
                    && g.identity == self.view.me
                    && !self.view.role.reads_all()
                {
                    self.access_changed(&g, record.act.kind == ActKind::Grant);
                    lines.push(format!("-- your channels: {}", self.channel_list()));
                }
            }
            ActKind::Clock => {
                if let Some(c) = parsed::<ClockBody>(body) {
                    if c.action == ClockAction::Halt {
                        self.halt_reason = c.reason.clone();
                    }
                    if self.live {
                        self.clock.apply(c.action, record.ts, c.speed);
                        let banner = clock_banner(
                            &self.clock,
                            self.clock.scenario_ms,
                            self.halt_reason.as_deref(),
                        );
                        let line = format!("{banner} (#{} by {})", record.seq, record.act.actor);
                        self.remember(record);
                        return vec![line];
                    }
                }
            }
            _ => {}
        }
        if !seen {
            lines.insert(
                0,
                record_line(&self.view, &record, verified, released_by, now),
            );
        }
        self.remember(record);
        lines
    }

    fn access_changed(&mut self, g: &GrantBody, give: bool) {
        let channels = &mut self.view.channels;
        let at = channels.iter().position(|(c, _)| *c == g.channel);
        match (give, at) {
            (true, Some(i)) => channels[i].1 |= g.access == Access::Member,
            (true, None) => channels.push((g.channel.clone(), g.access == Access::Member)),
            (false, Some(i)) => {
                channels.remove(i);
            }
            (false, None) => {}
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
                        Job::Act {
                            kind,
                            channel,
                            body,
                        } => client.act(kind, channel, body).await,
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
        let act = |kind: ActKind, channel: Option<ChannelId>, body: String| Job::Act {
            kind,
            channel,
            body,
        };
        Ok(Some(match input {
            Input::Nothing | Input::Quit => return Ok(None),
            Input::Help => return Err(help(self.view.role, self.can_post())),
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
                let Some((_, write)) = self.view.channels.iter().find(|(c, _)| *c == ch) else {
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
                (format!("post to #{ch}"), act(ActKind::Post, Some(ch), text))
            }
            Input::Approve(n) | Input::Reject(n, _) => {
                let reason = match &input {
                    Input::Reject(_, r) => Some(r.clone()),
                    _ => None,
                };
                let Some(held) = self.find(n).cloned().map(Box::new) else {
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
                let Some(ch) = self.find(n).and_then(|r| r.act.channel.clone()) else {
                    return Err(err(format!(
                        "#{n} is not a hotline message this session received"
                    )));
                };
                (
                    format!("ack #{n}"),
                    act(ActKind::Ack, Some(ch), json(&AckBody { target: n })),
                )
            }
            Input::Read(n) => (
                format!("read receipt for #{n}"),
                act(
                    ActKind::Receipt,
                    None,
                    json(&ReceiptBody {
                        target: n,
                        kind: ReceiptKind::Read,
                    }),
                ),
            ),
            Input::Mute {
                identity: id,
                channel: ch,
                on,
            } => {
                let ch = ch.as_deref().map(channel).transpose().map_err(err)?;
                let body = MuteBody {
                    identity: identity(&id).map_err(err)?,
                    channel: ch.clone(),
                };
                let kind = if on { ActKind::Mute } else { ActKind::Unmute };
                (
                    format!("{} {id}", kind.as_str()),
                    act(kind, ch, json(&body)),
                )
            }
            Input::Grant {
                identity: id,
                channel: ch,
                reader,
                give,
            } => {
                let body = GrantBody {
                    identity: identity(&id).map_err(err)?,
                    channel: channel(&ch).map_err(err)?,
                    access: if reader {
                        Access::Reader
                    } else {
                        Access::Member
                    },
                };
                let kind = if give {
                    ActKind::Grant
                } else {
                    ActKind::Revoke
                };
                (
                    format!("{} {id} #{ch}", kind.as_str()),
                    act(kind, Some(body.channel.clone()), json(&body)),
                )
            }
            Input::Redact(n, reason) => (
                format!("redact #{n}"),
                act(
                    ActKind::Redact,
                    None,
                    json(&RedactBody { target: n, reason }),
                ),
            ),
            Input::Clock {
                action,
                speed,
                reason,
            } => (
                format!("clock {}", action.as_str()),
                act(
                    ActKind::Clock,
                    None,
                    json(&ClockBody {
                        action,
                        speed,
                        reason,
                    }),
                ),
            ),
            Input::Observe(refs, text) => (
                "observation".into(),
                act(
                    ActKind::Observe,
                    None,
                    json(&ObserveBody {
                        refs,
                        text,
                        about: None,
                    }),
                ),
            ),
        }))
    }

    fn who(&self) -> Vec<String> {
        self.view
            .roles
            .iter()
            .map(|(id, role)| {
                let name = self.names.get(id).map_or("", String::as_str);
                let you = if *id == self.view.me { " (you)" } else { "" };
                format!("  {:<12} {:<10} {name}{you}", id.as_str(), role.as_str())
            })
            .collect()
    }

    fn pending(&self) -> Vec<String> {
        let show = |r: &Record| {
            let ch = r.act.channel.as_ref().map_or("", |c| c.as_str());
            let body = r.body.as_deref().unwrap_or("[redacted]");
            format!(
                "  #{} {} {} → #{ch}: {body}",
                r.seq,
                crate::show::utc_hms(r.ts),
                r.act.actor
            )
        };
        let mut lines = Vec::new();
        if self.view.role == Role::Mediator {
            lines.push(format!(
                "held posts awaiting your decision: {}",
                self.held.len()
            ));
            lines.extend(self.held.values().map(show));
        }
        lines.push(format!(
            "hotline messages awaiting acknowledgement: {}",
            self.awaiting.len()
        ));
        lines.extend(self.awaiting.values().map(|(r, _)| show(r)));
        lines
    }
}

fn identity(name: &str) -> Result<IdentityId, String> {
    IdentityId::new(name).map_err(|e| format!("identity `{name}`: {e}"))
}

fn channel(name: &str) -> Result<ChannelId, String> {
    ChannelId::new(name).map_err(|e| format!("channel `{name}`: {e}"))
}

/// An act body as JSON text.
fn json<T: serde::Serialize>(body: &T) -> String {
    // Plain structs with string keys: cannot fail.
    serde_json::to_string(body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fusioncell_wire::{Act, CellId, Digest, IdentityInfo, PublicKeyBytes, SignatureBytes};

    fn id(s: &str) -> IdentityId {
        IdentityId::new(s).unwrap()
    }

    fn ch(s: &str) -> ChannelId {
        ChannelId::new(s).unwrap()
    }

    /// 2025-01-01 10:00:00 UTC.
    const T: i64 = 1_735_725_600_000;

    fn record(seq: u64, kind: ActKind, actor: &str, channel: Option<&str>, body: &str) -> Record {
        Record {
            seq,
            ts: T,
            act: Act {
                kind,
                cell: CellId::new("c").unwrap(),
                channel: channel.map(ch),
                actor: id(actor),
                seq: 1,
                ts: T,
                body_sha256: Digest([0; 32]),
            },
            body: Some(body.to_owned()),
            sig: SignatureBytes([0; 64]),
        }
    }

    fn decision(target: u64, reason: Option<&str>) -> String {
        json(&DecisionBody {
            target,
            target_digest: Digest([0; 32]),
            epoch: 0,
            reason: reason.map(str::to_owned),
        })
    }

    fn welcome(me: &str, role: Role, channels: &[(&str, bool)]) -> Welcome {
        let roles = [
            ("israel", Role::Party),
            ("syria", Role::Party),
            ("us", Role::Mediator),
            ("control", Role::Control),
            ("france", Role::Observer),
            ("evaluator", Role::Evaluator),
        ];
        Welcome {
            identity: id(me),
            role,
            last_seq: 0,
            size: 0,
            channels: channels
                .iter()
                .map(|(c, w)| fusioncell_wire::ChannelAccess {
                    id: ch(c),
                    write: *w,
                })
                .collect(),
            identities: roles
                .iter()
                .map(|(i, r)| IdentityInfo {
                    id: id(i),
                    role: *r,
                    public_key: PublicKeyBytes([0; 32]),
                })
                .collect(),
        }
    }

    /// A session with the example cell's policies.
    fn session(me: &str, role: Role, channels: &[(&str, bool)]) -> Session {
        let mut s = Session::new(&welcome(me, role, channels), None, Clock::default());
        s.view.policies = Some(
            [
                ("security", Policy::Moderated),
                ("deescalation", Policy::Hotline { ack_seconds: 120 }),
                ("diplomacy", Policy::Open),
            ]
            .into_iter()
            .map(|(c, p)| (ch(c), p))
            .collect(),
        );
        s.live = true;
        s
    }

    const PARTY_CHANNELS: &[(&str, bool)] = &[
        ("security", true),
        ("deescalation", true),
        ("diplomacy", true),
    ];

    #[test]
    fn typed_lines() {
        use Input as I;
        let ok = |s: &str| parse_input(s).unwrap();
        assert_eq!(ok("  "), I::Nothing);
        assert_eq!(ok("Hello, Damascus "), I::Post("Hello, Damascus".into()));
        assert_eq!(ok("//etc"), I::Post("/etc".into()));
        assert_eq!(ok("/approve 12"), I::Approve(12));
        assert_eq!(ok("/approve #12"), I::Approve(12));
        assert_eq!(
            ok("/reject 12 too  specific"),
            I::Reject(12, "too  specific".into())
        );
        assert_eq!(ok("/redact #3 a spill"), I::Redact(3, "a spill".into()));
        assert_eq!(ok("/ack 7"), I::Ack(7));
        assert_eq!(ok("/read 7"), I::Read(7));
        assert_eq!(ok("/join #diplomacy"), I::Join("diplomacy".into()));
        assert_eq!(ok("/clock"), I::ShowClock);
        assert_eq!(
            ok("/clock start 60"),
            I::Clock {
                action: ClockAction::Start,
                speed: Some(60),
                reason: None
            }
        );
        assert_eq!(
            ok("/clock halt Real fire alarm"),
            I::Clock {
                action: ClockAction::Halt,
                speed: None,
                reason: Some("Real fire alarm".into())
            }
        );
        assert_eq!(
            ok("/mute syria"),
            I::Mute {
                identity: "syria".into(),
                channel: None,
                on: true
            }
        );
        assert_eq!(
            ok("/unmute syria #commerce"),
            I::Mute {
                identity: "syria".into(),
                channel: Some("commerce".into()),
                on: false
            }
        );
        assert_eq!(
            ok("/grant france diplomacy reader"),
            I::Grant {
                identity: "france".into(),
                channel: "diplomacy".into(),
                reader: true,
                give: true
            }
        );
        assert_eq!(
            ok("/observe 3,#4 Timely."),
            I::Observe(vec![3, 4], "Timely.".into())
        );
        assert_eq!(ok("/quit"), I::Quit);
        for bad in [
            "/approve",
            "/approve x",
            "/approve 1 2",
            "/reject 12",
            "/clock start fast",
            "/clock start 0",
            "/clock rewind",
            "/grant france",
            "/grant france diplomacy owner",
            "/observe 3",
            "/frobnicate",
        ] {
            assert!(parse_input(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_post_is_one_line() {
        let s = session("syria", Role::Party, PARTY_CHANNELS);
        let r = record(
            5,
            ActKind::Post,
            "israel",
            Some("diplomacy"),
            "Talks at 10.",
        );
        assert_eq!(
            record_line(&s.view, &r, true, None, T),
            "#5 10:00:00Z israel → #diplomacy ✓ Talks at 10."
        );
        assert_eq!(
            record_line(&s.view, &r, false, None, T),
            "#5 10:00:00Z israel → #diplomacy ✗ UNVERIFIED Talks at 10."
        );
        let mut gone = r.clone();
        gone.body = None;
        assert!(record_line(&s.view, &gone, true, None, T).ends_with("✓ [redacted]"));
    }

    #[test]
    fn held_posts_show_to_the_mediator_and_sender() {
        let r = record(8, ActKind::Post, "israel", Some("security"), "Quiet night.");
        let us = session("us", Role::Mediator, PARTY_CHANNELS);
        assert!(
            record_line(&us.view, &r, true, None, T)
                .ends_with("Quiet night. [PENDING #8 — /approve 8 or /reject 8 REASON]")
        );
        let israel = session("israel", Role::Party, PARTY_CHANNELS);
        assert!(record_line(&israel.view, &r, true, None, T).ends_with("[awaiting approval]"));
        let syria = session("syria", Role::Party, PARTY_CHANNELS);
        assert!(
            record_line(&syria.view, &r, true, Some(9), T)
                .ends_with("Quiet night. [released by #9]")
        );
    }

    #[test]
    fn hotline_posts_ask_the_other_party_to_ack() {
        let r = record(4, ActKind::Post, "israel", Some("deescalation"), "Patrol.");
        let syria = session("syria", Role::Party, PARTY_CHANNELS);
        assert!(
            record_line(&syria.view, &r, true, None, T + 3_000)
                .ends_with("Patrol. [HOTLINE — /ack 4 within 117s]")
        );
        let israel = session("israel", Role::Party, PARTY_CHANNELS);
        assert!(record_line(&israel.view, &r, true, None, T).contains("other party must"));
        assert!(record_line(&syria.view, &r, true, None, T + 200_000).contains("deadline passed"));
    }

    #[test]
    fn other_kinds_read_at_a_glance() {
        let v = session("us", Role::Mediator, PARTY_CHANNELS).view;
        let line = |kind, actor, channel, body: &str| {
            let r = record(9, kind, actor, channel, body);
            let l = record_line(&v, &r, true, None, T);
            l.split_once("✓ ").unwrap().1.to_owned()
        };
        assert_eq!(
            line(
                ActKind::Inject,
                "control",
                Some("security"),
                r#"{"id":"M1-02","title":"Drone sighted","text":"A drone crossed.","at_s":60}"#
            ),
            "INJECT M1-02 \"Drone sighted\": A drone crossed."
        );
        assert_eq!(
            line(
                ActKind::Observe,
                "evaluator",
                None,
                r#"{"refs":[3,4],"text":"Timely."}"#
            ),
            "[OBSERVATION on #3,#4] Timely."
        );
        assert_eq!(
            line(
                ActKind::Receipt,
                "syria",
                None,
                r#"{"target":3,"kind":"read"}"#
            ),
            "#3 read by syria"
        );
        assert_eq!(
            line(
                ActKind::Escalate,
                "relay",
                Some("deescalation"),
                r#"{"target":4,"sender":"israel","ack_seconds":120}"#
            ),
            "[ESCALATED] #4 from israel not acknowledged within 120s"
        );
        assert_eq!(
            line(
                ActKind::Redact,
                "us",
                None,
                r#"{"target":5,"reason":"a spill"}"#
            ),
            "[REDACTED #5: a spill]"
        );
        assert_eq!(
            line(ActKind::Mute, "us", None, r#"{"identity":"syria"}"#),
            "muted syria on every channel"
        );
        assert_eq!(
            line(
                ActKind::Reject,
                "us",
                Some("security"),
                &decision(8, Some("no coordinates"))
            ),
            "rejected #8: no coordinates"
        );
        assert_eq!(
            line(ActKind::Ack, "syria", Some("deescalation"), "not json"),
            "ack not json"
        );
    }

    #[test]
    fn clock_banners() {
        let mut c = Clock::default();
        assert_eq!(clock_banner(&c, 0, None), "== CLOCK: not started ==");
        c.apply(ClockAction::Start, 0, Some(60));
        assert_eq!(
            clock_banner(&c, 750_000, None),
            "== CLOCK: running ×60, scenario 00:12:30 =="
        );
        c.apply(ClockAction::Halt, 1000, None);
        assert_eq!(
            clock_banner(&c, 60_000, Some("fire alarm")),
            "!!! REAL-WORLD EMERGENCY — PLAY HALTED: fire alarm !!!"
        );
        c.apply(ClockAction::End, 1000, None);
        assert_eq!(
            clock_banner(&c, 60_000, None),
            "== CLOCK: ended, scenario 00:01:00 =="
        );
    }

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
        assert!(lines[0].ends_with("approved #8"), "{lines:?}");
        assert!(us.held.is_empty());
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
            clock: s.clock,
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

    #[test]
    fn help_shows_what_the_role_can_do() {
        let text = |role, post| help(role, post).join("\n");
        let us = text(Role::Mediator, true);
        assert!(
            us.contains("/approve") && !us.contains("/clock start") && !us.contains("/observe")
        );
        let control = text(Role::Control, true);
        assert!(control.contains("/clock start") && !control.contains("/approve"));
        let evaluator = text(Role::Evaluator, false);
        assert!(evaluator.contains("/observe") && !evaluator.contains("  TEXT "));
        assert!(!evaluator.contains("/join"));
        let party = text(Role::Party, true);
        assert!(party.contains("/ack") && !party.contains("/approve") && !party.contains("/mute"));
    }
}
