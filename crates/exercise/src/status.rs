//! What exercise control's `status` command shows: the clock as the relay keeps it, the next
//! inject and how long until it is due, and every inject of the timeline with where it stands
//! (pending, due, fired, skipped, held), derived from the schedule control runs.

use std::fmt;

use fusioncell_scenario::time::format_at;
use fusioncell_scenario::{Scenario, Schedule};
use fusioncell_wire::clock::{Clock, Phase};

/// A snapshot of control's view, written as sentences and a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The exercise clock.
    pub clock: Clock,
    /// Scenario time now, in milliseconds.
    pub scenario_ms: u64,
    /// Every inject, in firing order.
    pub lines: Vec<StatusLine>,
}

/// One inject of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    /// Control number.
    pub id: String,
    /// Planned scenario time, in seconds.
    pub at_s: u64,
    /// Where it goes.
    pub channel: String,
    /// Its title.
    pub title: String,
    /// Fired only on demand.
    pub contingency: bool,
    /// `pending`, `due` (its time has come, it fires at once unless play is stopped),
    /// `fired`, `skipped` or `held`.
    pub status: &'static str,
}

impl StatusReport {
    /// The report for `scenario` run by `schedule`, at scenario time `scenario_ms` on `clock`.
    pub fn new(scenario: &Scenario, schedule: &Schedule, clock: Clock, scenario_ms: u64) -> Self {
        let lines = schedule
            .entries()
            .iter()
            .filter_map(|e| {
                let inject = scenario.inject(e.id.as_str())?;
                let status = e.shown_at(scenario_ms);
                Some(StatusLine {
                    id: e.id.as_str().to_owned(),
                    at_s: e.at_s,
                    channel: inject.channel.as_str().to_owned(),
                    title: inject.title.clone(),
                    contingency: e.contingency,
                    status,
                })
            })
            .collect();
        StatusReport {
            clock,
            scenario_ms,
            lines,
        }
    }

    /// The next timed inject still to fire.
    pub fn next(&self) -> Option<&StatusLine> {
        self.lines
            .iter()
            .find(|l| !l.contingency && matches!(l.status, "pending" | "due"))
    }

    fn count(&self, status: &str) -> usize {
        self.lines.iter().filter(|l| l.status == status).count()
    }
}

/// Seconds as `5 min 20 s`, `2 h 03 min`, or `40 s`.
fn span(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {:02} s", s / 60, s % 60),
        s => format!("{} h {:02} min", s / 3600, s / 60 % 60),
    }
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.clock;
        let now = format_at(self.scenario_ms / 1000);
        match (c.phase, c.halted) {
            (_, true) => writeln!(
                f,
                "Play is HALTED (real-world emergency) at scenario time {now}."
            )?,
            (Phase::NotStarted, _) => {
                writeln!(f, "The exercise has not started (no STARTEX yet).")?
            }
            (Phase::Running, _) => writeln!(
                f,
                "Play is running at ×{}; scenario time is {now}.",
                c.speed
            )?,
            (Phase::Paused, _) => writeln!(f, "Play is paused at scenario time {now}.")?,
            _ => writeln!(f, "The exercise has ended (ENDEX) at scenario time {now}.")?,
        }
        match self.next() {
            Some(n) if n.status == "due" => writeln!(
                f,
                "Next: {} \"{}\" on #{} is due now (planned {}).",
                n.id,
                n.title,
                n.channel,
                format_at(n.at_s)
            )?,
            Some(n) => {
                let wait_s = n.at_s.saturating_sub(self.scenario_ms / 1000);
                let real = if c.phase == Phase::Running && c.speed > 1 {
                    format!(
                        ", about {} at ×{}",
                        span(wait_s / u64::from(c.speed)),
                        c.speed
                    )
                } else if c.phase == Phase::Running {
                    String::new()
                } else {
                    ", once play runs".to_owned()
                };
                writeln!(
                    f,
                    "Next: {} \"{}\" on #{} at {}, in {} of scenario time{real}.",
                    n.id,
                    n.title,
                    n.channel,
                    format_at(n.at_s),
                    span(wait_s)
                )?
            }
            None => writeln!(f, "Every timed inject has fired or been skipped.")?,
        }
        for l in &self.lines {
            writeln!(
                f,
                "  {:<8} {}  {:<8} #{:<14} {}{}",
                l.id,
                format_at(l.at_s),
                l.status,
                l.channel,
                l.title,
                if l.contingency { " (contingency)" } else { "" }
            )?;
        }
        write!(
            f,
            "{} fired, {} due, {} pending, {} held, {} skipped.",
            self.count("fired"),
            self.count("due"),
            self.count("pending"),
            self.count("held"),
            self.count("skipped")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fusioncell_wire::act_body::ClockAction;

    fn paris() -> Scenario {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/scenarios/paris-talks.toml"
        );
        Scenario::from_toml(&std::fs::read_to_string(path).expect("scenario")).expect("parses")
    }

    #[test]
    fn status_says_where_play_and_every_inject_stand() {
        let scenario = paris();
        let mut schedule = Schedule::new(&scenario);
        let first = schedule.entries()[0].id.as_str().to_owned();
        let second = schedule.entries()[1].clone();
        schedule.fire_now(&first).expect("fires");
        let mut clock = Clock::default();
        clock.apply(ClockAction::Start, 0, Some(60));
        let now_ms = second.at_ms() - 120_000;
        let report = StatusReport::new(&scenario, &schedule, clock, now_ms);
        let text = report.to_string();
        assert!(
            text.starts_with("Play is running at ×60; scenario time is "),
            "{text}"
        );
        assert!(
            text.contains(&format!("Next: {} ", second.id.as_str()))
                && text.contains("in 2 min 00 s of scenario time, about 2 s at ×60."),
            "{text}"
        );
        let fired_line = text.lines().find(|l| l.contains(&first)).expect("first");
        assert!(fired_line.contains(" fired "), "{fired_line}");
        assert!(
            !text.contains("Pending") && !text.contains("Some("),
            "debug output: {text}"
        );

        // Paused past the second inject's time: it is due, and fires once play runs.
        clock.apply(ClockAction::Pause, 1, None);
        let report = StatusReport::new(&scenario, &schedule, clock, second.at_ms());
        let text = report.to_string();
        assert!(
            text.starts_with("Play is paused at scenario time "),
            "{text}"
        );
        assert!(text.contains("is due now"), "{text}");
        assert!(text.ends_with(&format!(
            "1 fired, 1 due, {} pending, 0 held, 0 skipped.",
            report.lines.len() - 2
        )));
    }
}
