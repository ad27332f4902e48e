//! The hotline: each message, its deadline, and when it was acknowledged or escalated.

use super::{Block, Inline, Line, Table, Tone, dash, seq, time};
use crate::format::{duration, median, opt_scenario_time, scenario_duration};
use crate::metrics::HotlineMessage;
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let m = &aar.metrics;
    let acks: Vec<i64> = m
        .hotline
        .iter()
        .filter_map(|h| h.ack.as_ref().map(|a| a.real_ms))
        .collect();
    let escalated = m.hotline.iter().filter(|h| h.escalation.is_some()).count();
    let times = match (median(&acks), acks.iter().max()) {
        (Some(med), Some(max)) => format!(
            " Acknowledgement time: median {} (max {}) real time.",
            duration(med),
            duration(*max)
        ),
        _ => String::new(),
    };
    let mut out = vec![Block::Paragraph(
        format!(
            "{} hotline messages: {} acknowledged, {escalated} escalated to the mediator.{times}",
            m.hotline.len(),
            acks.len(),
        )
        .into(),
    )];
    if !aar.config_given {
        out.push(Block::Note(
            Line::from(
                "Deadlines are shown when an escalation states them; the journal's open record \
                 does not carry them (give ",
            )
            .push(Inline::Mono("--config".into()))
            .text(" for all)."),
        ));
    }
    if m.hotline.is_empty() {
        out.push(Block::Nothing("No hotline message.".into()));
        return out;
    }
    out.push(Block::Table(Table::new(
        &[
            "message",
            "channel",
            "sender",
            "sent",
            "deadline",
            "acknowledged",
            "after (real)",
            "after (scenario)",
            "escalation",
        ],
        &[6, 7],
        m.hotline.iter().map(row).collect(),
    )));
    out
}

fn row(h: &HotlineMessage) -> Vec<Line> {
    let ack = h.ack.as_ref().map_or_else(
        || Inline::Status(Tone::Pending, "not acknowledged".into()).into(),
        |a| seq(a.seq).text(format!(" by {}", a.actor.as_str())),
    );
    let escalation = h.escalation.as_ref().map_or_else(dash, |x| {
        Line::from(Inline::Status(Tone::Bad, "escalated".into()))
            .text(" ")
            .extend(seq(x.seq))
            .text(format!(" after {}", duration(x.real_ms)))
    });
    vec![
        seq(h.seq),
        h.channel.as_str().into(),
        h.sender.as_str().into(),
        time(opt_scenario_time(h.scenario_ms)),
        h.ack_seconds.map_or_else(dash, |s| format!("{s} s").into()),
        ack,
        h.ack
            .as_ref()
            .map_or_else(dash, |a| duration(a.real_ms).into()),
        h.ack
            .as_ref()
            .and_then(|a| a.scenario_ms)
            .map_or_else(dash, |ms| scenario_duration(ms).into()),
        escalation,
    ]
}
