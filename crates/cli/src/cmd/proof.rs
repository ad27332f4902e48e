//! `fusioncell audit prove JOURNAL --seq N [--size M]`: the inclusion proof of one record, as
//! JSON (PROTOCOL.md §11), checked before it is printed.
//!
//! `fusioncell audit consistency OLD_CHECKPOINT JOURNAL`: whether the journal extends a
//! checkpoint someone saved earlier (a party's client, the mediator, an auditor), which is what
//! catches a journal cut short, rolled back or rewritten after that checkpoint was handed out.
//!
//! Both verify the whole journal first (as `audit verify` does): a proof about records that do
//! not verify would prove nothing.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use fusioncell_journal::Verified;
use fusioncell_wire::{Checkpoint, ServerMsg};

use super::audit::{verify_journal_with, with_progress};
use crate::args::{ConsistencyArgs, ProveArgs};
use crate::load;

/// Verifies the journal, or says why not.
fn verified(
    journal: &std::path::Path,
    config: Option<&std::path::Path>,
) -> anyhow::Result<Result<Verified, String>> {
    let expected = config.map(load::cell).transpose()?;
    Ok(
        with_progress(|progress| verify_journal_with(journal, expected.as_ref(), progress))
            .map_err(|e| format!("the journal does not verify: {e}")),
    )
}

pub(super) fn prove(args: ProveArgs) -> anyhow::Result<ExitCode> {
    let verified = match verified(&args.journal, args.expected.config.as_deref())? {
        Ok(v) => v,
        Err(e) => {
            eprintln!("FAILED: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let proof = fusioncell_journal::prove(&verified, args.seq, args.size)?;
    if proof.checkpoint.is_none() {
        let hint = match verified
            .checkpoints
            .iter()
            .rev()
            .find(|c| c.size > args.seq)
        {
            Some(cp) => format!("pass --size {} for a root the relay signed", cp.size),
            None => "no checkpoint covers this record yet".to_owned(),
        };
        eprintln!(
            "note: no checkpoint signs the root of size {}; {hint}",
            proof.tree_size
        );
    }
    crate::outln!("{}", serde_json::to_string(&proof).context("proof")?);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn consistency(args: ConsistencyArgs) -> anyhow::Result<ExitCode> {
    let old = read_checkpoint(&args.checkpoint)?;
    let fail = |why: String| {
        if args.json {
            crate::outln!("{}", serde_json::json!({ "ok": false, "error": why }));
        } else {
            eprintln!("FAILED: {why}");
        }
        Ok(ExitCode::FAILURE)
    };
    let verified = match verified(&args.journal, args.expected.config.as_deref())? {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    let proof = match fusioncell_journal::consistency(&verified, &old) {
        Ok(proof) => proof,
        Err(mismatch) => return fail(mismatch.to_string()),
    };
    if args.json {
        crate::outln!("{}", serde_json::json!({ "ok": true, "proof": proof }));
    } else {
        crate::outln!(
            "OK: the journal ({} records, root {}) extends the checkpoint of size {} (root {}), \
             signed by the journal's relay key",
            proof.new_size,
            proof.new_root,
            proof.old_size,
            proof.old_root
        );
        if let Some(warning) = verified.report.unsigned_tail_warning() {
            crate::outln!("warning: {warning}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A checkpoint given on the command line: the JSON itself, or a file holding one line of
/// `checkpoints.jsonl` (or a `checkpoint` frame as clients receive it).
fn read_checkpoint(arg: &str) -> anyhow::Result<Checkpoint> {
    let (text, what) = if arg.trim_start().starts_with('{') {
        (arg.to_owned(), "the checkpoint argument".to_owned())
    } else {
        let text = std::fs::read_to_string(arg).with_context(|| format!("{arg}: cannot read"))?;
        (text, arg.to_owned())
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let [line] = lines.as_slice() else {
        bail!(
            "{what}: expected one checkpoint (one JSON line), found {} lines; pass one line of \
             checkpoints.jsonl, e.g. the last: `tail -n 1 JOURNAL/checkpoints.jsonl > saved.json`",
            lines.len()
        );
    };
    if let Ok(cp) = serde_json::from_str::<Checkpoint>(line) {
        return Ok(cp);
    }
    match ServerMsg::from_json(line) {
        Ok(ServerMsg::Checkpoint(cp)) => Ok(cp),
        _ => {
            let e = serde_json::from_str::<Checkpoint>(line)
                .err()
                .map_or_else(String::new, |e| e.to_string());
            bail!("{what}: not a checkpoint: {e}")
        }
    }
}
