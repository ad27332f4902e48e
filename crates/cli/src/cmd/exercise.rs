//! `fusioncell scenario check|import` and `fusioncell exercise run`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use fusioncell_client::Client;
use fusioncell_exercise::{ControlCommand, ControlEvent, ControlOptions, run_control};
use fusioncell_scenario::Scenario;
use fusioncell_wire::{ChannelId, Role};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

use crate::args::{
    ExerciseRunArgs, ScenarioCheckArgs, ScenarioExportArgs, ScenarioFormat, ScenarioImportArgs,
};
use crate::cmd::listen::cell_connect_args;
use crate::files::{read_text, write_new};
use crate::load;

/// Reads and validates a scenario file; errors name the file, line and field.
pub(crate) fn load_scenario(path: &Path) -> anyhow::Result<Scenario> {
    let text = read_text(path)?;
    Scenario::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Checks that every inject's channel exists in the cell.
pub(crate) fn check_channels(
    scenario: &Scenario,
    path: &Path,
    cell: &fusioncell_cell::Cell,
) -> anyhow::Result<()> {
    let channels: Vec<ChannelId> = cell.channels().iter().map(|c| c.id.clone()).collect();
    scenario
        .check_channels(&channels)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub(super) fn check(args: ScenarioCheckArgs) -> anyhow::Result<ExitCode> {
    let scenario = load_scenario(&args.file)?;
    if let Some(config) = &args.config {
        let loaded = load::cell(config)?;
        check_channels(&scenario, &args.file, &loaded.cell)?;
    }
    let contingency = scenario.injects().iter().filter(|i| i.contingency).count();
    crate::outln!(
        "OK: {}: \"{}\", {} moves, {} injects ({} contingency), {}",
        args.file.display(),
        scenario.title(),
        scenario.moves().len(),
        scenario.injects().len(),
        contingency,
        fusioncell_scenario::time::format_at(scenario.span_s())
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn import(args: ScenarioImportArgs) -> anyhow::Result<ExitCode> {
    let text = read_text(&args.csv)?;
    let import = fusioncell_scenario::import_csv_report(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.csv.display()))?;
    for column in &import.ignored_columns {
        eprintln!(
            "{}: column `{column}` ignored (not an MSEL field)",
            args.csv.display()
        );
    }
    let toml = import.scenario.to_toml();
    match &args.out {
        Some(out) => {
            write_new(out, toml.as_bytes(), false)?;
            eprintln!(
                "wrote {} ({} injects)",
                out.display(),
                import.scenario.injects().len()
            );
        }
        None => crate::out::text(&toml)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn export(args: ScenarioExportArgs) -> anyhow::Result<ExitCode> {
    let scenario = load_scenario(&args.file)?;
    let text = match args.format {
        ScenarioFormat::Json => {
            let mut t = serde_json::to_string_pretty(&scenario).context("serializing")?;
            t.push('\n');
            t
        }
    };
    match &args.out {
        Some(out) => {
            write_new(out, text.as_bytes(), false)?;
            eprintln!(
                "wrote {} ({} injects)",
                out.display(),
                scenario.injects().len()
            );
        }
        None => crate::out::text(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn run(args: ExerciseRunArgs) -> anyhow::Result<ExitCode> {
    let scenario = load_scenario(&args.scenario)?;
    let loaded = load::cell(&args.cell.config)?;
    check_channels(&scenario, &args.scenario, &loaded.cell)?;
    let identity = match args.identity {
        Some(id) => id,
        None => loaded
            .cell
            .identities()
            .iter()
            .find(|i| i.role == Role::Control)
            .map(|i| i.id.to_string())
            .context("the cell has no identity with role control; give --as")?,
    };
    let config = load::client_config(&cell_connect_args(&args.cell, identity))?;
    let client = Client::connect(config).await?;
    let speed = args.speed.or(scenario.speed()).unwrap_or(1);
    let options = ControlOptions {
        speed,
        start: !args.no_start,
        end_when_done: !args.no_end,
        grace_s: 300,
    };
    eprintln!(
        "exercise control for \"{}\": {} injects; commands: fire ID, skip ID, hold ID, release ID, pause, resume, halt REASON, end, status",
        scenario.title(),
        scenario.injects().len()
    );
    let (commands, command_rx) = mpsc::channel(16);
    let (events_tx, mut events) = mpsc::channel(64);
    tokio::spawn(read_commands(commands));
    let printer = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if print_event(&event).is_err() {
                break;
            }
        }
    });
    // A signal stops control between acts (an act is sent whole or not at all) and closes the
    // connection; the relay journals nothing half.
    let (result, code) = tokio::select! {
        r = run_control(&client, &scenario, &options, command_rx, events_tx) => (r, ExitCode::SUCCESS),
        () = crate::stop::signal() => {
            eprintln!("interrupted: exercise control stopped (resume it with the same command)");
            (Ok(()), ExitCode::from(crate::stop::INTERRUPTED))
        }
    };
    let _ = printer.await;
    client.close().await;
    result?;
    Ok(code)
}

/// A control event on the controller's terminal (sentences; the status as a table).
pub(crate) fn print_event(event: &ControlEvent) -> std::io::Result<()> {
    crate::out::line(format_args!("{event}"))
}

/// Controller commands from stdin, one per line.
async fn read_commands(commands: mpsc::Sender<ControlCommand>) {
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or_default();
        let rest: Vec<&str> = words.collect();
        let arg = rest.join(" ");
        let cmd = match verb {
            "fire" => ControlCommand::Fire(arg),
            "skip" => ControlCommand::Skip(arg),
            "hold" => ControlCommand::Hold(arg),
            "release" => ControlCommand::Release(arg),
            "pause" => ControlCommand::Pause,
            "resume" => ControlCommand::Resume,
            "halt" => ControlCommand::Halt(if arg.is_empty() {
                "This is a real-world emergency.".into()
            } else {
                arg
            }),
            "end" => ControlCommand::End,
            "status" => ControlCommand::Status,
            "" => continue,
            other => {
                eprintln!("unknown command `{other}`");
                continue;
            }
        };
        if commands.send(cmd).await.is_err() {
            return;
        }
    }
}
