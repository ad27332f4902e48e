//! The process's log: `tracing` events on stderr, as text for a terminal or as one JSON object
//! per line (`--log-format json`) for a log collector. `RUST_LOG` picks what is logged.

use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

use crate::args::LogFormat;

/// The format chosen at start-up, for the status lines that commands print beside their log.
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Installs the global subscriber. `default` is the filter when `RUST_LOG` is unset, empty or
/// invalid.
pub fn init(format: LogFormat, default: &str) {
    let _ = FORMAT.set(format);
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            // Colour only on a terminal: a log file or pipe gets plain text.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        // `span` and `spans` carry the fields of the spans an event happened in (the relay's
        // `cell`), so a collector can filter one cell's lines.
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}

/// Whether log lines are JSON: then a command's status lines must be JSON events too, or a
/// collector reading stderr would meet lines it cannot parse.
pub fn json() -> bool {
    FORMAT.get() == Some(&LogFormat::Json)
}

/// Prints a status line on stderr: as it is in text mode (whatever `RUST_LOG` says), as an
/// `info` event in JSON mode.
pub fn status(line: std::fmt::Arguments<'_>) {
    if json() {
        tracing::info!(target: "fusioncell", "{line}");
    } else {
        eprintln!("{line}");
    }
}

/// [`status`] for a failure: an `error` event in JSON mode.
pub fn failure(line: std::fmt::Arguments<'_>) {
    if json() {
        tracing::error!(target: "fusioncell", "{line}");
    } else {
        eprintln!("{line}");
    }
}

/// Prints the error that ends the process: `error: …` on stderr in text mode, an `error` event
/// in JSON mode.
pub fn fatal(error: &anyhow::Error) {
    if json() {
        tracing::error!(target: "fusioncell", "{error:#}");
    } else {
        eprintln!("error: {error:#}");
    }
}
