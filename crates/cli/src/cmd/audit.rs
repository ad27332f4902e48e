//! `fusioncell audit verify JOURNAL`: every signature, the Merkle tree against every
//! checkpoint, sequence numbers, and every authorization decision re-derived from the
//! journal's own `open` record. Exit 0 only if all hold.

use std::cell::{OnceCell, RefCell};
use std::process::ExitCode;

use std::path::Path;

use anyhow::Context as _;
use fusioncell_cell::{Cell, State, policy};
use fusioncell_journal::{Report, VerifyError};
use fusioncell_wire::{OpenBody, Record};

use crate::args::VerifyArgs;
use crate::load::{self, LoadedCell};

/// Verifies a journal, re-deriving every authorization decision through the relay's own
/// state machine from the journal's `open` record; with `expected`, the journal must have been
/// opened for that cell's identities and channels.
pub(crate) fn verify_journal(
    dir: &Path,
    expected: Option<&LoadedCell>,
) -> Result<Report, VerifyError> {
    let cell: OnceCell<Result<Cell, String>> = OnceCell::new();
    let state = RefCell::new(State::new());
    let authorize = |open: &OpenBody, record: &Record| -> Result<(), String> {
        let cell = cell
            .get_or_init(|| Cell::from_open_body(open).map_err(|e| format!("open record: {e}")))
            .as_ref()
            .map_err(Clone::clone)?;
        if let Some(expected) = expected {
            let want = expected.cell.open_body(expected.sha256);
            if (
                &want.cell,
                &want.relay_key,
                &want.identities,
                &want.channels,
            ) != (
                &open.cell,
                &open.relay_key,
                &open.identities,
                &open.channels,
            ) {
                return Err(format!(
                    "the journal was opened for other identities or channels than {} describes",
                    expected.path.display()
                ));
            }
        }
        let mut state = state.borrow_mut();
        if !record.act.kind.is_relay_kind() {
            policy::authorize(cell, &state, &record.act, record.body.as_deref())
                .map_err(|d| d.to_string())?;
        }
        state.apply(cell, record);
        Ok(())
    };
    fusioncell_journal::verify(dir, Some(&authorize))
}

pub(super) fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let expected = args.config.as_deref().map(load::cell).transpose()?;
    match verify_journal(&args.journal, expected.as_ref()) {
        Ok(report) => {
            if args.json {
                let mut value = serde_json::to_value(&report).context("report")?;
                value["ok"] = true.into();
                println!("{value}");
            } else {
                println!(
                    "OK: {} records, {} checkpoints, {} identities; root {}",
                    report.records, report.checkpoints, report.identities, report.root
                );
                match &report.last_checkpoint {
                    Some(cp) => println!("last checkpoint covers records 0..{}", cp.size),
                    None => println!("no checkpoint yet"),
                }
                if report.unsigned_tail > 0 {
                    println!(
                        "warning: the last {} records are after the last checkpoint: nothing signed \
                         proves they were not truncated or added",
                        report.unsigned_tail
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({ "ok": false, "error": e.to_string() })
                );
            } else {
                eprintln!("FAILED: {e}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}
