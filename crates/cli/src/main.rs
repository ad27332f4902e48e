//! Entry point: parse the command line, set up logging, run the subcommand. Errors are printed
//! as one line on stderr with a non-zero exit.

use clap::Parser;
use fusioncell::args::Cli;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The demo prints a transcript; the relay's own log lines would drown it.
    let default = match cli.command {
        fusioncell::args::Command::Demo(_) => "warn",
        _ => "info",
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only on a terminal: a log file or pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match fusioncell::cmd::run(cli.command).await {
        Ok(code) => code,
        // Its reader went away (`| head`): stop quietly.
        Err(e) if fusioncell::out::is_closed(&e) => {
            std::process::ExitCode::from(fusioncell::out::CLOSED_STATUS)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
