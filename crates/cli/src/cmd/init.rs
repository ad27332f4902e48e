//! `fusioncell init DIR`.

use std::process::ExitCode;

use anyhow::Context as _;
use fusioncell_wire::CellId;

use crate::args::InitArgs;
use crate::init::{InitParams, write_cell_folder};

pub(super) fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let cell_id = match args.cell_id {
        Some(id) => CellId::new(id).context("--cell-id")?,
        None => {
            let suffix = hex::encode(&fusioncell_keys::random_nonce()?[..4]);
            CellId::new(format!("paris-joint-cell-{suffix}"))?
        }
    };
    let params = InitParams {
        cell_id: cell_id.clone(),
        listen: args.listen,
        hosts: args.hosts,
    };
    let config = write_cell_folder(&args.dir, &params)?;
    eprintln!(
        "wrote cell `{cell_id}`: {} (keys in {}/keys, development CA and relay certificate in {}/tls)",
        config.display(),
        args.dir.display(),
        args.dir.display()
    );
    eprintln!("next: fusioncell relay --config {}", config.display());
    crate::outln!("{}", config.display());
    Ok(ExitCode::SUCCESS)
}
