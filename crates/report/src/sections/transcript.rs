//! The timeline section: the chart of every channel over scenario time, then every record,
//! per channel and cell-wide.

use fusioncell_wire::ActKind;
use fusioncell_wire::act_body::ReplyBody;

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
        let on_lane: Vec<&Entry> = aar
            .entries
            .iter()
            .filter(|e| e.channel.as_ref() == Some(&lane.channel) && e.kind != ActKind::Clock)
            .collect();
        let rows: Vec<Vec<Line>> = threaded(&on_lane)
            .into_iter()
            .map(|(e, depth)| row_at(e, depth))
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
    row_at(e, 0)
}

/// A table row; a reply (`depth` > 0) is marked and indented under the record it answers.
fn row_at(e: &Entry, depth: usize) -> Vec<Line> {
    let text = if depth == 0 {
        record_text(e)
    } else {
        let mark = format!("{}↳ ", "  ".repeat(depth - 1));
        let described = describe(e);
        if e.redacted() {
            Inline::Redacted(mark + &described).into()
        } else {
            (mark + &described).into()
        }
    };
    vec![
        Inline::Anchor(e.seq).into(),
        time(opt_scenario_time(e.scenario_ms)),
        time(clock_time(e.ts)),
        e.actor.as_str().into(),
        format!("{}{}", e.kind_name(), if e.held { " (held)" } else { "" }).into(),
        text,
    ]
}

/// The entries in thread order: each reply right after the record it answers (and that
/// record's earlier replies), with its depth; everything else in journal order.
fn threaded<'a>(entries: &[&'a Entry]) -> Vec<(&'a Entry, usize)> {
    use std::collections::BTreeMap;
    let here: std::collections::BTreeSet<u64> = entries.iter().map(|e| e.seq).collect();
    let mut replies: BTreeMap<u64, Vec<&'a Entry>> = BTreeMap::new();
    let mut roots = Vec::new();
    for e in entries {
        match e.params::<ReplyBody>() {
            Some(r) if here.contains(&r.target) && r.target < e.seq => {
                replies.entry(r.target).or_default().push(e)
            }
            _ => roots.push(*e),
        }
    }
    let mut out = Vec::with_capacity(entries.len());
    // Depth-first without recursion: a reply's target always comes earlier in the journal.
    let mut stack: Vec<(&'a Entry, usize)> = roots.into_iter().rev().map(|e| (e, 0)).collect();
    while let Some((e, depth)) = stack.pop() {
        out.push((e, depth));
        if let Some(children) = replies.get(&e.seq) {
            stack.extend(children.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    out
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
