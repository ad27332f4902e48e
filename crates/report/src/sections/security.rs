//! Security events: refused logins and acts by kind and one by one, and relay restarts.

use std::collections::BTreeMap;

use super::{Block, Inline, Line, Table, dash, seq, text_or_dash, time};
use crate::format::utc;
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let m = &aar.metrics;
    let mut out = Vec::new();
    if m.security.is_empty() {
        out.push(Block::Nothing(
            "No security event: no refused login and no refused act was journaled.".into(),
        ));
    } else {
        let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &m.security {
            *by_kind.entry(s.event.as_str()).or_default() += 1;
        }
        out.push(Block::Heading(3, "By kind".into()));
        out.push(Block::Table(Table::new(
            &["event", "count"],
            &[1],
            by_kind
                .iter()
                .map(|(k, n)| vec![Line::from(*k), n.to_string().into()])
                .collect(),
        )));
        out.push(Block::Heading(3, "Every event".into()));
        let rows = m
            .security
            .iter()
            .map(|s| {
                vec![
                    seq(s.seq),
                    time(utc(s.ts)),
                    s.event.as_str().into(),
                    text_or_dash(s.identity.as_deref()),
                    s.peer
                        .as_ref()
                        .map_or_else(dash, |p| Inline::Mono(p.clone()).into()),
                    s.reason.as_str().into(),
                ]
            })
            .collect();
        out.push(Block::Table(Table::new(
            &["#", "when", "event", "identity", "peer", "reason"],
            &[],
            rows,
        )));
    }
    out.push(Block::Heading(3, "Relay restarts".into()));
    if m.recoveries.is_empty() {
        out.push(Block::Nothing(
            "The relay did not restart during the exercise.".into(),
        ));
        return out;
    }
    let rows = m
        .recoveries
        .iter()
        .map(|r| {
            vec![
                seq(r.seq),
                time(utc(r.ts)),
                r.records.to_string().into(),
                r.truncated_bytes.to_string().into(),
            ]
        })
        .collect();
    out.push(Block::Table(Table::new(
        &["#", "when", "records intact", "torn bytes cut off"],
        &[2, 3],
        rows,
    )));
    out
}
