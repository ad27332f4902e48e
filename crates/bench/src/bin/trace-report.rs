//! `trace-report LOG`: the figures of a relay's timing events (`scripts/trace.sh` runs it on
//! the log of a relay started with `RUST_LOG=fusioncell::timing=trace --log-format json`).

use std::io::BufReader;
use std::process::ExitCode;

use fusioncell_bench::trace::Trace;
use fusioncell_bench::trace::report::Report;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!(
            "usage: trace-report LOG (a relay's JSON log with its fusioncell::timing events)"
        );
        return ExitCode::FAILURE;
    };
    let report = std::fs::File::open(&path)
        .map_err(|e| format!("{}: {e}", path.to_string_lossy()))
        .and_then(|file| Trace::parse(BufReader::new(file)).map_err(|e| e.to_string()))
        .and_then(|trace| Report::of(&trace).map_err(|e| e.to_string()));
    match report {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
