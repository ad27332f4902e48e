//! `fusioncell report JOURNAL --scenario SCENARIO --out aar.html [--format html|md]`: the
//! after-action report. The journal is verified first (every signature, the tree against every
//! checkpoint, every authorization decision) and a journal that fails is refused, naming the
//! record; only then are its records read and the report written.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use fusioncell_journal::Report;
use fusioncell_report::{AfterAction, Inputs, Integrity};
use fusioncell_wire::Record;

use crate::args::{ReportArgs, ReportFormat};
use crate::load::{self, LoadedCell};

/// Verifies the journal in `dir` and reads exactly the records verification covered (a relay
/// still appending cannot slip an unverified record into the report).
pub(crate) fn verified_records(
    dir: &Path,
    expected: Option<&LoadedCell>,
) -> anyhow::Result<(Report, Vec<Record>)> {
    let report = super::audit::verify_journal(dir, expected).map_err(|e| {
        anyhow::anyhow!(
            "{}: the journal does not verify, nothing written: {e}",
            dir.display()
        )
    })?;
    let mut records = fusioncell_journal::read_records(dir)
        .with_context(|| format!("{}: reading the records", dir.display()))?;
    records.truncate(usize::try_from(report.records).unwrap_or(usize::MAX));
    Ok((report, records))
}

pub(super) fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let expected = args.config.as_deref().map(load::cell).transpose()?;
    let (report, records) = verified_records(&args.journal, expected.as_ref())?;
    let open = fusioncell_report::open_body(&records)
        .with_context(|| format!("{}", args.journal.display()))?;
    let scenario = match &args.scenario {
        Some(path) => {
            let scenario = super::exercise::load_scenario(path)?;
            let cell = fusioncell_cell::Cell::from_open_body(&open)
                .with_context(|| format!("{}: open record", args.journal.display()))?;
            super::exercise::check_channels(&scenario, path, &cell)?;
            Some(scenario)
        }
        None => None,
    };
    let integrity = Integrity {
        tree_size: report.records,
        root: report.root,
        checkpoints: report.checkpoints,
        last_checkpoint: report.last_checkpoint.clone(),
        unsigned_tail: report.unsigned_tail,
    };
    let aar = AfterAction::build(Inputs {
        records: &records,
        open: &open,
        scenario: scenario.as_ref(),
        config: expected.as_ref().map(|l| &*l.cell),
        integrity: &integrity,
    })
    .with_context(|| format!("{}", args.journal.display()))?;
    let text = match args.format {
        ReportFormat::Html => fusioncell_report::html::render(&aar),
        ReportFormat::Md => fusioncell_report::markdown::render(&aar),
    };
    std::fs::write(&args.out, text).with_context(|| format!("{}", args.out.display()))?;
    println!("{}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
