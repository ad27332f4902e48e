//! `fusioncell init DIR`.

use std::process::ExitCode;

use anyhow::Context as _;
use fusioncell_wire::{CellId, ChannelId};

use crate::args::InitArgs;
use crate::init::{BOTS_DIR, InitParams, SCENARIO_FILE, write_cell_folder};

pub(super) fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let cell_id = match args.cell_id {
        Some(id) => CellId::new(id).context("--cell-id")?,
        None => {
            let suffix = hex::encode(&fusioncell_keys::random_nonce()?[..4]);
            CellId::new(format!("paris-joint-cell-{suffix}"))?
        }
    };
    let scenario = match &args.scenario {
        Some(path) => {
            let scenario = super::exercise::load_scenario(path)?;
            let channels = fusioncell_cell::example_channel_ids()
                .map(ChannelId::new)
                .collect::<Result<Vec<_>, _>>()?;
            scenario
                .check_channels(&channels)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            scenario.to_toml()
        }
        None => crate::embedded::SCENARIO.to_owned(),
    };
    let params = InitParams {
        cell_id: cell_id.clone(),
        listen: args.listen,
        hosts: args.hosts,
        scenario: Some(scenario),
    };
    let config = write_cell_folder(&args.dir, &params)?;
    let dir = args.dir.display();
    eprintln!(
        "wrote cell `{cell_id}`: {} (keys in {dir}/keys, development CA and relay certificate in {dir}/tls, the exercise in {dir}/{SCENARIO_FILE} and {dir}/{BOTS_DIR}/)",
        config.display(),
    );
    eprintln!("next: fusioncell relay --config {}", config.display());
    crate::outln!("{}", config.display());
    Ok(ExitCode::SUCCESS)
}
