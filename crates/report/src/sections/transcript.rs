//! The timeline section: the chart of every channel over scenario time, then every record,
//! per channel and cell-wide.

use fusioncell_wire::ActKind;

use super::{Block, Chart, Inline, Line, Table, time};
use crate::format::{clock_time, opt_scenario_time};
use crate::model::{AfterAction, Entry};
use crate::timeline::describe;

const HEADERS: [&str; 6] = ["#", "scenario", "relay (UTC)", "who", "kind", "text"];

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let mut out = vec![
        Block::Note(
            "Each strip is a channel over scenario time (the journaled exercise clock: it stands \
             still while play is paused). Vertical bars are injects; dashed lines are clock changes."
                .into(),
        ),
        Block::Chart(Chart::Timeline),
    ];
    for lane in &aar.timeline.lanes {
        let rows: Vec<Vec<Line>> = aar
            .entries
            .iter()
            .filter(|e| e.channel.as_ref() == Some(&lane.channel) && e.kind != ActKind::Clock)
            .map(row)
            .collect();
        let summary = format!(
            "#{} ({}): {} records",
            lane.channel.as_str(),
            lane.policy,
            rows.len()
        );
        let body = if rows.is_empty() {
            Block::Nothing("No records on this channel.".into())
        } else {
            Block::Table(Table::new(&HEADERS, &[0], rows))
        };
        out.push(Block::Details(summary, vec![body]));
    }
    let rows: Vec<Vec<Line>> = aar
        .entries
        .iter()
        .filter(|e| e.channel.is_none())
        .map(row)
        .collect();
    out.push(Block::Details(
        format!(
            "Cell-wide records (clock, supervision, observations, receipts, relay): {}",
            rows.len()
        ),
        vec![Block::Table(Table::new(&HEADERS, &[0], rows))],
    ));
    out
}

fn row(e: &Entry) -> Vec<Line> {
    vec![
        Inline::Anchor(e.seq).into(),
        time(opt_scenario_time(e.scenario_ms)),
        time(clock_time(e.ts)),
        e.actor.as_str().into(),
        format!("{}{}", e.kind_name(), if e.held { " (held)" } else { "" }).into(),
        record_text(e),
    ]
}

/// A record's one-line description, marked as redacted when its body is gone.
pub(super) fn record_text(e: &Entry) -> Line {
    let text = describe(e);
    if e.redacted() {
        Inline::Redacted(text).into()
    } else {
        text.into()
    }
}
