//! Injects and responses: each delivered inject with who answered and how fast, the injects
//! never delivered, and the chart of response times.

use super::{Block, Chart, Inline, Line, Table, Tone, dash, plural, redacted, seq, time};
use crate::format::{duration, opt_scenario_time, scenario_duration, scenario_time};
use crate::metrics::InjectReport;
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let m = &aar.metrics;
    let mut out = vec![Block::Note(
        "Responses are the posts on the inject's channel after it, until the next inject on that \
         channel (exercise control's own posts excluded). Time to first response is given in \
         scenario time and in real time."
            .into(),
    )];
    if m.injects.is_empty() {
        out.push(Block::Nothing("No inject was delivered.".into()));
    } else {
        let rows = m.injects.iter().map(delivered_row).collect();
        out.push(Block::Table(Table::new(
            &[
                "inject",
                "delivered",
                "channel",
                "title",
                "responses",
                "responders",
                "first response",
            ],
            &[4],
            rows,
        )));
    }
    if !m.unfired.is_empty() {
        out.push(Block::Heading(3, "Planned but not delivered".into()));
        let rows = m
            .unfired
            .iter()
            .map(|p| {
                vec![
                    p.id.as_str().into(),
                    time(scenario_time(p.at_s * 1000)),
                    p.channel.as_str().into(),
                    p.title.as_str().into(),
                    if p.contingency {
                        "contingency (fires only on demand)"
                    } else {
                        "scheduled"
                    }
                    .into(),
                ]
            })
            .collect();
        out.push(Block::Table(Table::new(
            &["inject", "planned", "channel", "title", "kind"],
            &[],
            rows,
        )));
    }
    out.push(Block::Heading(
        3,
        "Time to first response (scenario time)".into(),
    ));
    let answered = m
        .injects
        .iter()
        .filter(|i| i.first_scenario_ms().is_some())
        .count();
    let unanswered = m.injects.iter().filter(|i| i.first().is_none()).count();
    if answered == 0 {
        out.push(Block::Nothing("No inject drew a response.".into()));
    } else {
        out.push(Block::Chart(Chart::ResponseTimes));
        out.push(Block::Note(
            format!(
                "{} answered; {unanswered} drew no response.",
                plural(answered, "inject")
            )
            .into(),
        ));
    }
    out
}

fn delivered_row(i: &InjectReport) -> Vec<Line> {
    let mut delivered = time(opt_scenario_time(i.scenario_ms));
    if let Some(s) = i.at_s {
        delivered = delivered.text(" ").push(Inline::Muted(format!(
            "(planned {})",
            scenario_time(s * 1000)
        )));
    }
    vec![
        name(i),
        delivered,
        i.channel.as_str().into(),
        i.title.as_deref().map_or_else(redacted, Line::from),
        i.responses.len().to_string().into(),
        responders(i).unwrap_or_else(dash),
        first_response(i),
    ]
}

/// The inject's control number, emphasized, and a link to its record.
pub(super) fn name(i: &InjectReport) -> Line {
    Line::from(Inline::Strong(i.name()))
        .text(" ")
        .extend(seq(i.seq))
}

/// Distinct responders, comma-separated; `None` when nobody answered.
pub(super) fn responders(i: &InjectReport) -> Option<Line> {
    let who = i.responders();
    (!who.is_empty()).then(|| {
        Line::join(
            who.iter().map(|r| Line::from(r.as_str())),
            Inline::Text(", ".into()),
        )
    })
}

/// The first response: who, and after how long in scenario and real time.
pub(super) fn first_response(i: &InjectReport) -> Line {
    match i.first() {
        None => Inline::Status(Tone::Pending, "no response".into()).into(),
        Some(r) => seq(r.seq).text(format!(
            " by {} after {} scenario / {} real",
            r.actor.as_str(),
            i.first_scenario_ms()
                .map_or_else(|| "—".to_owned(), scenario_duration),
            i.first_real_ms().map_or_else(|| "—".to_owned(), duration)
        )),
    }
}
