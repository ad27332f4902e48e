//! What `fusioncell connect` shows: a record as one line ([`record_line`]) and the clock
//! ([`clock_banner`], [`clock_state`]).

use fusioncell_client::{Countdown, Model};
use fusioncell_wire::clock::phase_name;
use fusioncell_wire::{ActKind, Clock, Phase, Record, Role};

/// A record as one line: `#seq HH:MM:SSZ sender → #channel ✓ text`.
pub(super) fn record_line(
    model: &Model,
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
        "{}#{} {} {}{place} {mark} {}",
        crate::show::thread_mark(r),
        r.seq,
        crate::show::utc_hms(r.ts),
        r.act.actor,
        describe(model, r, released_by, now)
    )
}

/// The text part of a record's line: the cell's one description, with a post's markers.
fn describe(model: &Model, r: &Record, released_by: Option<u64>, now: i64) -> String {
    let text = fusioncell_cell::describe(r.body.as_ref());
    match r.act.kind {
        ActKind::Post | ActKind::Reply if r.body.is_some() => {
            post_text(model, r, &text, released_by, now)
        }
        _ => text,
    }
}

/// A post's text with its markers: held, released, hotline.
fn post_text(model: &Model, r: &Record, body: &str, released_by: Option<u64>, now: i64) -> String {
    let view = model.view();
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
    if let Some(Countdown { left_ms, counting }) = model.countdown(r.seq, now) {
        let left = left_ms.div_ceil(1000);
        let mine_to_ack = view.role == Role::Party
            && r.act.actor != view.me
            && r.act.channel.as_ref().is_some_and(|c| view.writes(c));
        let stopped = if counting {
            ""
        } else {
            ", stopped while play is"
        };
        text += &if left == 0 {
            " [HOTLINE — acknowledgement deadline passed]".to_owned()
        } else if mine_to_ack {
            format!(" [HOTLINE — /ack {} within {left}s{stopped}]", r.seq)
        } else if r.act.actor == view.me {
            format!(" [HOTLINE — the other party must acknowledge within {left}s{stopped}]")
        } else {
            format!(" [HOTLINE — acknowledgement due within {left}s{stopped}]")
        }
    }
    text
}

/// The clock in words: `running ×60, scenario 00:12:30`.
pub(super) fn clock_state(clock: &Clock, scenario_ms: u64) -> String {
    let phase = match clock.phase {
        Phase::NotStarted => return "not started".into(),
        Phase::Running => format!("running ×{}", clock.speed),
        Phase::Paused if clock.halted => "HALTED (real-world emergency)".into(),
        p => phase_name(p).to_owned(),
    };
    format!("{phase}, scenario {}", hms(scenario_ms))
}

/// The line shown when the clock changes; a halt gets its own unmistakable line.
pub(super) fn clock_banner(clock: &Clock, scenario_ms: u64, halt_reason: Option<&str>) -> String {
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::connect::fixtures::*;
    use fusioncell_wire::act_body::ClockAction;

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
            record_line(&s.model, &r, true, None, T),
            "#5 10:00:00Z israel → #diplomacy ✓ Talks at 10."
        );
        assert_eq!(
            record_line(&s.model, &r, false, None, T),
            "#5 10:00:00Z israel → #diplomacy ✗ UNVERIFIED Talks at 10."
        );
        let mut gone = r.clone();
        gone.body = None;
        assert!(record_line(&s.model, &gone, true, None, T).ends_with("✓ [redacted]"));
    }

    #[test]
    fn held_posts_show_to_the_mediator_and_sender() {
        let r = record(8, ActKind::Post, "israel", Some("security"), "Quiet night.");
        let us = session("us", Role::Mediator, PARTY_CHANNELS);
        assert!(
            record_line(&us.model, &r, true, None, T)
                .ends_with("Quiet night. [PENDING #8 — /approve 8 or /reject 8 REASON]")
        );
        let israel = session("israel", Role::Party, PARTY_CHANNELS);
        assert!(record_line(&israel.model, &r, true, None, T).ends_with("[awaiting approval]"));
        let syria = session("syria", Role::Party, PARTY_CHANNELS);
        assert!(
            record_line(&syria.model, &r, true, Some(9), T)
                .ends_with("Quiet night. [released by #9]")
        );
    }

    #[test]
    fn hotline_posts_ask_the_other_party_to_ack() {
        let r = record(4, ActKind::Post, "israel", Some("deescalation"), "Patrol.");
        let mut syria = session("syria", Role::Party, PARTY_CHANNELS);
        syria.model.fold_record(&r, None);
        assert!(
            record_line(&syria.model, &r, true, None, T + 3_000)
                .ends_with("Patrol. [HOTLINE — /ack 4 within 117s]")
        );
        let mut israel = session("israel", Role::Party, PARTY_CHANNELS);
        israel.model.fold_record(&r, None);
        assert!(record_line(&israel.model, &r, true, None, T).contains("other party must"));
        assert!(record_line(&syria.model, &r, true, None, T + 200_000).contains("deadline passed"));
    }

    #[test]
    fn a_hotline_countdown_stands_still_while_play_does() {
        let mut syria = session("syria", Role::Party, PARTY_CHANNELS);
        let clock = |seq, draft: fusioncell_client::ActDraft| {
            record(seq, ActKind::Clock, "control", None, draft.body.text())
        };
        let start = clock(3, fusioncell_client::acts::clock_start(Some(60)));
        syria.model.fold_record(&start, None);
        let r = record(4, ActKind::Post, "israel", Some("deescalation"), "Patrol.");
        syria.model.fold_record(&r, None);
        let mut pause = clock(5, fusioncell_client::acts::clock_pause());
        pause.ts = T + 20_000;
        syria.model.fold_record(&pause, None);
        assert!(
            record_line(&syria.model, &r, true, None, T + 500_000)
                .ends_with("Patrol. [HOTLINE — /ack 4 within 100s, stopped while play is]")
        );
    }

    #[test]
    fn other_kinds_read_at_a_glance() {
        let s = session("us", Role::Mediator, PARTY_CHANNELS);
        let line = |kind, actor, channel, body: &str| {
            let r = record(9, kind, actor, channel, body);
            let l = record_line(&s.model, &r, true, None, T);
            l.split_once("✓ ").unwrap().1.to_owned()
        };
        assert_eq!(
            line(
                ActKind::Inject,
                "control",
                Some("security"),
                r#"{"id":"M1-02","title":"Drone sighted","text":"A drone crossed.","at_s":60}"#
            ),
            "EXERCISE EXERCISE EXERCISE INJECT M1-02 \"Drone sighted\": A drone crossed."
        );
        assert_eq!(
            line(
                ActKind::Observe,
                "evaluator",
                None,
                r#"{"refs":[3,4],"text":"Timely."}"#
            ),
            "observation on #3, #4: Timely."
        );
        assert_eq!(
            line(
                ActKind::Receipt,
                "syria",
                None,
                r#"{"target":3,"kind":"read"}"#
            ),
            "read #3"
        );
        assert_eq!(
            line(
                ActKind::Escalate,
                "relay",
                Some("deescalation"),
                r#"{"target":4,"sender":"israel","ack_seconds":120}"#
            ),
            "#4 from israel not acknowledged within 120 s: escalated to the mediator"
        );
        assert_eq!(
            line(
                ActKind::Redact,
                "us",
                None,
                r#"{"target":5,"reason":"a spill"}"#
            ),
            "redacted the body of #5: a spill"
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
}
