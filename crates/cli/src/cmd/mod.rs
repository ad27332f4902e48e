//! One file per subcommand; each returns the process exit code.

use std::process::ExitCode;

use crate::args::{AuditCommand, Command, ExerciseCommand, ScenarioCommand};

mod audit;
mod bench;
mod bot;
mod certs;
mod check;
mod connect;
mod demo;
mod exercise;
mod export;
mod init;
mod keygen;
mod listen;
mod post;
mod proof;
mod relay;
mod relay_cells;
mod replay;
mod report;
mod serve;
mod supervise;

pub use audit::{Audited, audit_journal, verify_journal, verify_journal_with};

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
        Command::Connect(a) => connect::run(a).await,
        Command::Audit(AuditCommand::Verify(a)) => audit::verify(a),
        Command::Audit(AuditCommand::Export(a)) => export::run(a),
        Command::Audit(AuditCommand::Prove(a)) => proof::prove(a),
        Command::Audit(AuditCommand::Consistency(a)) => proof::consistency(a),
        Command::Audit(AuditCommand::Replay(a)) => replay::run(a).await,
        Command::Audit(AuditCommand::Serve(a)) => serve::run(a).await,
        Command::Approve(a) => supervise::approve(a).await,
        Command::Reject(a) => supervise::reject(a).await,
        Command::Mute(a) => supervise::mute(a, true).await,
        Command::Unmute(a) => supervise::mute(a, false).await,
        Command::Grant(a) => supervise::grant(a, true).await,
        Command::Revoke(a) => supervise::grant(a, false).await,
        Command::Redact(a) => supervise::redact(a).await,
        Command::Clock(a) => supervise::clock(a).await,
        Command::Observe(a) => supervise::observe(a).await,
        Command::Ack(a) => supervise::ack(a).await,
        Command::Scenario(ScenarioCommand::Check(a)) => exercise::check(a),
        Command::Scenario(ScenarioCommand::Import(a)) => exercise::import(a),
        Command::Scenario(ScenarioCommand::Export(a)) => exercise::export(a),
        Command::Exercise(ExerciseCommand::Run(a)) => exercise::run(a).await,
        Command::Bot(a) => bot::run(a).await,
        Command::Demo(a) => demo::run(a).await,
        Command::Bench(a) => bench::run(a).await,
        Command::Report(a) => report::run(a),
    }
}
