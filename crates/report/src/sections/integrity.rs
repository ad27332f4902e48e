//! Integrity: what the journal's verification established, and who witnessed it.

use fusioncell_wire::Role;

use super::{Block, Inline, Line, Tone, seq};
use crate::format::utc;
use crate::model::AfterAction;

pub(super) fn blocks(aar: &AfterAction) -> Vec<Block> {
    let i = &aar.integrity;
    let mut facts: Vec<(String, Line)> = vec![
        (
            "Tree size".into(),
            format!("{} records", i.tree_size).into(),
        ),
        ("Root".into(), Inline::Mono(i.root.to_string()).into()),
        (
            "Checkpoints".into(),
            format!("{} relay-signed", i.checkpoints).into(),
        ),
        (
            "Last checkpoint".into(),
            i.last_checkpoint.as_ref().map_or_else(
                || "none".into(),
                |cp| {
                    Line::from(format!("size {} at {}, root ", cp.size, utc(cp.ts)))
                        .push(Inline::Mono(cp.root.to_string()))
                },
            ),
        ),
        (
            "Unsigned tail".into(),
            if i.unsigned_tail == 0 {
                Inline::Status(
                    Tone::Ok,
                    "none: the last checkpoint covers every record".into(),
                )
                .into()
            } else {
                Inline::Status(
                    Tone::Pending,
                    format!(
                        "{} records after the last checkpoint: nothing signed proves they were \
                         not cut off or added",
                        i.unsigned_tail
                    ),
                )
                .into()
            },
        ),
        (
            "Config".into(),
            Line::from("SHA-256 ").push(Inline::Mono(aar.config_sha256.to_string())),
        ),
    ];
    facts.push(("Witnesses".into(), witnesses(aar)));
    vec![
        Block::Paragraph(
            "The journal was verified before this report was written: every signature, the \
             Merkle tree against every checkpoint, per-identity sequence numbers, and every \
             authorization decision re-derived."
                .into(),
        ),
        Block::Facts(facts),
    ]
}

fn witnesses(aar: &AfterAction) -> Line {
    let witnesses = &aar.metrics.witnesses;
    if witnesses.is_empty() {
        return "cosigning is not recorded in this journal: no party's cosignature of a \
                checkpoint is journaled, so only the relay's signature vouches for the checkpoints"
            .into();
    }
    let items = witnesses.iter().map(|w| {
        let line = Line::from(format!(
            "{} cosigned up to size {} (",
            w.identity.as_str(),
            w.size
        ))
        .extend(seq(w.seq));
        let line = if w.root.is_empty() {
            line
        } else {
            line.text(", root ").push(Inline::Mono(w.root.clone()))
        };
        line.text(")")
    });
    let mut out = Line::join(items, Inline::Break);
    let silent: Vec<&str> = aar
        .identities
        .iter()
        .filter(|p| matches!(p.role, Role::Party | Role::Mediator))
        .filter(|p| !witnesses.iter().any(|w| w.identity == p.id))
        .map(|p| p.id.as_str())
        .collect();
    if !silent.is_empty() {
        out = out
            .push(Inline::Break)
            .text(format!("no cosignature from {}", silent.join(", ")));
    }
    out
}
