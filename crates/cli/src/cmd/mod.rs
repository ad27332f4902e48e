//! One file per subcommand; each returns the process exit code.

use std::process::ExitCode;

use crate::args::{AuditCommand, Command};

mod audit;
mod certs;
mod check;
mod init;
mod keygen;
mod listen;
mod post;
mod relay;

/// Runs a subcommand.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Init(a) => init::run(a),
        Command::Keygen(a) => keygen::run(a),
        Command::Certs(a) => certs::run(a),
        Command::Check(a) => check::run(a),
        Command::Relay(a) => relay::run(a).await,
        Command::Post(a) => post::run(a).await,
        Command::Listen(a) => listen::run(a).await,
        Command::Audit(AuditCommand::Verify(a)) => audit::verify(a),
    }
}
