//! `fusioncell report JOURNAL --scenario SCENARIO --out aar.html|- [--format html|md]`: the
//! after-action report. The journal is verified first (every signature, the tree against every
//! checkpoint, every authorization decision) and a journal that fails is refused, naming the
//! record; only then are its records read and the report written.

use std::process::ExitCode;

use anyhow::Context as _;
use fusioncell_report::{AfterAction, Inputs, Integrity};

use crate::args::{ReportArgs, ReportFormat};
use crate::load;

pub(super) fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let expected = args.config.as_deref().map(load::cell).transpose()?;
    let refusal = format!(
        "{}: the journal does not verify, nothing written",
        args.journal.display()
    );
    let (report, records) =
        super::audit::verified_records(&args.journal, expected.as_ref(), &refusal)?;
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
    if let Some(file) = crate::out::to_file_or_stdout(Some(&args.out), &text)? {
        crate::outln!("{}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}
