//! Moderation: posts held for the mediator and their decisions, time in queue, mutes and
//! membership changes, and redactions (never their text).

use super::transcript::record_text;
use super::{Block, Inline, Line, Table, Tone, dash, plural, seq, text_or_dash, time};
use crate::format::{duration, opt_scenario_time, scenario_duration};
use crate::metrics::HeldPost;
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let m = &aar.metrics;
    let md = &m.moderation;
    let mut out = vec![Block::Paragraph(
        Line::from(Inline::Strong(md.held().to_string()))
            .text(" posts held for the mediator: ")
            .push(Inline::Status(
                Tone::Ok,
                format!("{} approved", md.approved()),
            ))
            .text(", ")
            .push(Inline::Status(
                Tone::Bad,
                format!("{} rejected", md.rejected()),
            ))
            .text(", ")
            .push(Inline::Status(
                Tone::Pending,
                format!("{} pending", md.pending()),
            ))
            .text(" at the end of the journal."),
    )];
    if let Some((med, max)) = md.queue_real() {
        let scenario = md
            .queue_scenario()
            .map(|(m, x)| {
                format!(
                    "; median {} (max {}) scenario time",
                    scenario_duration(m),
                    scenario_duration(x)
                )
            })
            .unwrap_or_default();
        out.push(Block::Paragraph(
            format!(
                "Time in queue: median {} (max {}) real time{scenario}.",
                duration(med),
                duration(max)
            )
            .into(),
        ));
    }
    if md.posts.is_empty() {
        out.push(Block::Nothing("No post was held for moderation.".into()));
    } else {
        out.push(Block::Table(Table::new(
            &[
                "post",
                "channel",
                "sender",
                "submitted",
                "decision",
                "by",
                "queue (real)",
                "queue (scenario)",
                "reason given",
            ],
            &[6, 7],
            md.posts.iter().map(held_row).collect(),
        )));
    }
    if !m.supervision.is_empty() {
        out.push(Block::Heading(3, "Mutes and membership changes".into()));
        let rows = m
            .supervision
            .iter()
            .filter_map(|&s| aar.entry(s))
            .map(|e| {
                vec![
                    seq(e.seq),
                    time(opt_scenario_time(e.scenario_ms)),
                    e.actor.as_str().into(),
                    record_text(e),
                ]
            })
            .collect();
        out.push(Block::Table(Table::new(
            &["#", "scenario", "by", "act"],
            &[],
            rows,
        )));
    }
    out.push(Block::Heading(3, "Redactions".into()));
    if m.redactions.is_empty() {
        out.push(Block::Nothing("No record was redacted.".into()));
        return out;
    }
    out.push(Block::Paragraph(
        format!(
            "{} redacted. Their text is shown nowhere in this report; their hashes stay in the \
             journal, so it still verifies.",
            plural(m.redactions.len(), "record")
        )
        .into(),
    ));
    let rows = m
        .redactions
        .iter()
        .map(|r| {
            vec![
                seq(r.seq),
                r.by.as_str().into(),
                seq(r.target),
                r.target_kind.unwrap_or("?").into(),
                text_or_dash(r.target_actor.as_ref().map(|a| a.as_str())),
                r.reason.as_str().into(),
            ]
        })
        .collect();
    out.push(Block::Table(Table::new(
        &["#", "by", "record", "kind", "author", "reason given"],
        &[],
        rows,
    )));
    out
}

fn held_row(p: &HeldPost) -> Vec<Line> {
    let (decision, by, reason) = match &p.decision {
        Some(d) if d.approved => (
            Line::from(Inline::Status(Tone::Ok, "approved".into()))
                .text(" ")
                .extend(seq(d.seq)),
            d.by.as_str().into(),
            dash(),
        ),
        Some(d) => (
            Line::from(Inline::Status(Tone::Bad, "rejected".into()))
                .text(" ")
                .extend(seq(d.seq)),
            d.by.as_str().into(),
            text_or_dash(d.reason.as_deref()),
        ),
        None => (
            Inline::Status(Tone::Pending, "pending".into()).into(),
            dash(),
            dash(),
        ),
    };
    vec![
        seq(p.seq),
        p.channel.as_str().into(),
        p.sender.as_str().into(),
        time(opt_scenario_time(p.scenario_ms)),
        decision,
        by,
        p.queue_real_ms()
            .map_or_else(dash, |ms| duration(ms).into()),
        p.queue_scenario_ms()
            .map_or_else(dash, |ms| scenario_duration(ms).into()),
        reason,
    ]
}
