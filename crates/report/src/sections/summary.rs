//! The summary: headline numbers, then the exercise's facts.

use fusioncell_wire::ActKind;

use super::{Block, Inline, Line, seq};
use crate::format::{duration, scenario_time, utc};
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let mut out = vec![cards(aar)];
    if let Some(d) = aar.scenario.as_ref().and_then(|s| s.description.as_ref()) {
        out.push(Block::Paragraph(d.as_str().into()));
    }
    out.push(facts(aar));
    out
}

fn cards(aar: &AfterAction) -> Block {
    let m = &aar.metrics;
    let md = &m.moderation;
    let planned = aar
        .scenario
        .as_ref()
        .map(|s| format!(" of {} planned", s.planned_injects))
        .unwrap_or_default();
    let posts = aar
        .entries
        .iter()
        .filter(|e| e.kind == ActKind::Post)
        .count();
    let acked = m.hotline.iter().filter(|h| h.ack.is_some()).count();
    let escalated = m.hotline.iter().filter(|h| h.escalation.is_some()).count();
    let halts = m.stoppages.iter().filter(|s| s.halted).count();
    Block::Cards(vec![
        (
            aar.integrity.tree_size.to_string(),
            "journal records".into(),
        ),
        (
            m.injects.len().to_string(),
            format!("injects delivered{planned}"),
        ),
        (posts.to_string(), "posts".into()),
        (
            md.held().to_string(),
            format!(
                "held for moderation ({} approved, {} rejected, {} pending)",
                md.approved(),
                md.rejected(),
                md.pending()
            ),
        ),
        (
            m.hotline.len().to_string(),
            format!("hotline messages ({acked} acknowledged, {escalated} escalated)"),
        ),
        (
            m.stoppages.len().to_string(),
            format!("pauses and halts ({halts} real-world emergency)"),
        ),
        (
            m.observations.len().to_string(),
            "evaluator observations".into(),
        ),
        (m.security.len().to_string(), "security events".into()),
        (m.redactions.len().to_string(), "redactions".into()),
    ])
}

fn facts(aar: &AfterAction) -> Block {
    let m = &aar.metrics;
    let span = &aar.span;
    let mut facts: Vec<(String, Line)> = vec![("Cell".into(), aar.cell.as_str().into())];
    match &aar.scenario {
        Some(s) => {
            facts.push(("Scenario".into(), s.title.as_str().into()));
            let moves = s
                .moves
                .iter()
                .map(|(id, t)| Line::from(format!("{id}: {t}")));
            facts.push((
                "Moves".into(),
                Line::join(moves, Inline::Text(" · ".into())),
            ));
        }
        None => facts.push((
            "Scenario".into(),
            "not given: injects are listed from the journal alone".into(),
        )),
    }
    let at = |(n, t): (u64, i64)| Line::from(format!("{} (", utc(t))).extend(seq(n)).text(")");
    facts.push((
        "STARTEX".into(),
        span.startex.map_or_else(|| "not started".into(), at),
    ));
    facts.push((
        "ENDEX".into(),
        span.endex
            .map_or_else(|| "not recorded: the journal ends during play".into(), at),
    ));
    facts.push((
        "Duration".into(),
        format!(
            "{} real time; scenario time reached {}{}",
            span.real_ms().map_or_else(|| "—".to_owned(), duration),
            scenario_time(span.scenario_end_ms),
            span.speed
                .map(|s| format!(" (×{s} at STARTEX)"))
                .unwrap_or_default()
        )
        .into(),
    ));
    let identities = aar
        .identities
        .iter()
        .map(|p| Line::from(format!("{} ({})", p.id.as_str(), p.role.as_str())));
    facts.push((
        "Identities".into(),
        Line::join(identities, Inline::Text(", ".into())),
    ));
    let channels = aar
        .channels
        .iter()
        .map(|c| Line::from(format!("{} ({})", c.id.as_str(), c.policy)));
    facts.push((
        "Channels".into(),
        Line::join(channels, Inline::Text(", ".into())),
    ));
    facts.push((
        "Receipts".into(),
        format!("{} delivered, {} read", m.receipts.0, m.receipts.1).into(),
    ));
    Block::Facts(facts)
}
