//! The typed lines of `fusioncell connect`: a line into an [`Input`] ([`parse_input`]), and
//! the commands a role can use ([`help`]).

use fusioncell_wire::Role;
use fusioncell_wire::act_body::ClockAction;

/// What a typed line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Input {
    /// An empty line.
    Nothing,
    /// Post this text to the current channel.
    Post(String),
    /// Answer record N with this text, on its channel.
    Reply(u64, String),
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
pub(super) fn parse_input(line: &str) -> Result<Input, String> {
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
        "reply" | "re" => {
            let (n, text) = first_word(rest);
            if n.is_empty() || text.is_empty() {
                return usage("/reply N TEXT");
            }
            Ok(Input::Reply(seq(n)?, text.to_owned()))
        }
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
pub(super) fn help(role: Role, can_post: bool) -> Vec<String> {
    let mut lines = vec!["commands:".to_owned()];
    let mut add = |cmd: &str, what: &str| lines.push(format!("  {cmd:<34} {what}"));
    if can_post {
        add(
            "TEXT",
            "post TEXT to the current channel (//TEXT posts /TEXT)",
        );
        add("/join CHANNEL", "post to CHANNEL from now on");
        add("/reply N TEXT", "answer record #N on its channel");
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(ok("/reply 7 Agreed."), I::Reply(7, "Agreed.".into()));
        assert!(parse_input("/reply 7").is_err());
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
