//! The clock: pauses and real-world-emergency halts with their durations, then every change
//! of the exercise clock.

use super::{Block, Inline, Line, Table, Tone, dash, plural, seq, text_or_dash, time};
use crate::format::{duration, opt_scenario_time, utc};
use crate::metrics::Stoppage;
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let m = &aar.metrics;
    let mut out = Vec::new();
    if m.stoppages.is_empty() {
        out.push(Block::Nothing("Play was never paused or halted.".into()));
    } else {
        let paused: i64 = m.stoppages.iter().filter_map(Stoppage::real_ms).sum();
        out.push(Block::Paragraph(
            format!(
                "{}, {}; play stood still for {} of real time in all.",
                plural(m.stoppages.iter().filter(|s| !s.halted).count(), "pause"),
                plural(
                    m.stoppages.iter().filter(|s| s.halted).count(),
                    "real-world-emergency halt"
                ),
                duration(paused)
            )
            .into(),
        ));
        out.push(Block::Table(Table::new(
            &[
                "stop",
                "by",
                "at (scenario)",
                "at (real)",
                "reason",
                "ended by",
                "duration (real)",
            ],
            &[6],
            m.stoppages.iter().map(stoppage_row).collect(),
        )));
    }
    out.push(Block::Heading(3, "Every clock change".into()));
    if m.clock_events.is_empty() {
        out.push(Block::Nothing("The clock was never started.".into()));
        return out;
    }
    let rows = m
        .clock_events
        .iter()
        .map(|c| {
            vec![
                seq(c.seq),
                c.action.as_str().into(),
                c.actor.as_str().into(),
                time(opt_scenario_time(c.scenario_ms)),
                time(utc(c.ts)),
                c.speed.map_or_else(dash, |s| format!("×{s}").into()),
                text_or_dash(c.reason.as_deref()),
            ]
        })
        .collect();
    out.push(Block::Table(Table::new(
        &["#", "action", "by", "scenario", "real", "speed", "reason"],
        &[],
        rows,
    )));
    out
}

fn stoppage_row(s: &Stoppage) -> Vec<Line> {
    let kind = if s.halted {
        Inline::Status(Tone::Bad, "HALT".into())
    } else {
        Inline::Text("pause".into())
    };
    let end = s.end.as_ref().map_or_else(
        || {
            Inline::Status(
                Tone::Pending,
                "still stopped at the end of the journal".into(),
            )
            .into()
        },
        |e| {
            Line::from(format!("{} ", e.action.as_str()))
                .extend(seq(e.seq))
                .text(format!(" by {}", e.actor.as_str()))
        },
    );
    vec![
        Line::from(kind).text(" ").extend(seq(s.start.seq)),
        s.start.actor.as_str().into(),
        time(opt_scenario_time(s.start.scenario_ms)),
        time(utc(s.start.ts)),
        text_or_dash(s.start.reason.as_deref()),
        end,
        s.real_ms().map_or_else(dash, |ms| duration(ms).into()),
    ]
}
