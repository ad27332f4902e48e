//! `fusioncell bot --config CELL PERSONA`: play one identity with a scripted persona.

use std::process::ExitCode;

use fusioncell_client::Client;
use fusioncell_scenario::Persona;
use tokio::sync::mpsc;

use crate::args::BotArgs;
use crate::cmd::listen::cell_connect_args;
use crate::files::read_text;
use crate::load;

pub(super) async fn run(args: BotArgs) -> anyhow::Result<ExitCode> {
    let persona = Persona::from_toml(&read_text(&args.persona)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.persona.display()))?;
    let loaded = load::cell(&args.cell.config)?;
    let config = load::client_config(&cell_connect_args(
        &args.cell,
        persona.identity().to_string(),
    ))?;
    let client = Client::connect(config).await?;
    eprintln!("bot playing `{}`", persona.identity());
    let (log, mut lines) = mpsc::channel(64);
    let printer = tokio::spawn(async move {
        while let Some(line) = lines.recv().await {
            // Nobody reads any more: stop printing (the bot plays on).
            if crate::out::line(format_args!("{line}")).is_err() {
                break;
            }
        }
    });
    let (result, code) = tokio::select! {
        r = fusioncell_exercise::run_bot(&client, &loaded.cell, persona, log) => (r, ExitCode::SUCCESS),
        () = crate::stop::signal() => {
            eprintln!("interrupted: bot stopped");
            (Ok(()), ExitCode::from(crate::stop::INTERRUPTED))
        }
    };
    let _ = printer.await;
    client.close().await;
    result?;
    Ok(code)
}
