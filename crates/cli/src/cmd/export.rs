//! `fusioncell audit export JOURNAL --format jsonl|csv [--out FILE]`: one row per record, for
//! machines and spreadsheets; a redacted body is absent, its row stays. The journal is
//! verified first, as for the report.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::args::{ExportArgs, ExportFormat};
use crate::load;

pub(super) fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let expected = load::expected_cell(&args.expected)?;
    let refusal = format!(
        "{}: the journal does not verify, nothing written",
        args.journal.display()
    );
    let (_, records) = super::audit::verified_records(&args.journal, expected.as_ref(), &refusal)?;
    let open = fusioncell_report::open_body(&records)
        .with_context(|| format!("{}", args.journal.display()))?;
    let entries = fusioncell_report::entries(&records, &open)
        .with_context(|| format!("{}", args.journal.display()))?;
    // The cell's marking line with --config (the journal does not carry it), else the default.
    let marking = expected
        .as_ref()
        .map_or(fusioncell_cell::defaults::MARKING, |c| c.cell.marking());
    let text = match args.format {
        ExportFormat::Jsonl => fusioncell_report::export::jsonl(&entries, marking),
        ExportFormat::Csv => fusioncell_report::export::csv(&entries, marking),
    };
    if let Some(file) = crate::out::to_file_or_stdout(args.out.as_deref(), &text)? {
        eprintln!("wrote {} ({} records)", file.display(), entries.len());
    }
    Ok(ExitCode::SUCCESS)
}
