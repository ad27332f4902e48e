//! Entry point: parse the command line, set up logging, run the subcommand. Errors are printed
//! as one line on stderr with a non-zero exit.

use clap::Parser;
use fusioncell::args::Cli;
use fusioncell::logging;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The demo prints a transcript; the relay's own log lines would drown it.
    let default = match cli.command {
        fusioncell::args::Command::Demo(_) => "warn",
        _ => "info",
    };
    logging::init(cli.log_format, default);
    match fusioncell::cmd::run(cli.command).await {
        Ok(code) => code,
        // Its reader went away (`| head`): stop quietly.
        Err(e) if fusioncell::out::is_closed(&e) => {
            std::process::ExitCode::from(fusioncell::out::CLOSED_STATUS)
        }
        Err(e) => {
            logging::fatal(&e);
            std::process::ExitCode::FAILURE
        }
    }
}
