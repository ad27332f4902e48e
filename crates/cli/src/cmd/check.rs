//! `fusioncell check CELL`: the config, the relay key and the TLS files, as the relay would
//! load them.

use std::process::ExitCode;

use crate::args::CheckArgs;
use crate::load;

pub(super) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::cell(&args.config)?;
    load::refuse_public_keys(
        &loaded,
        loaded.cell.relay().listen,
        args.demo.insecure_demo_keys,
    )?;
    load::relay_config(&loaded, None, false)?;
    let cell = &loaded.cell;
    crate::outln!(
        "OK: {}: cell `{}`, {} identities, {} channels, relay {}",
        args.config.display(),
        cell.id(),
        cell.identities().len(),
        cell.channels().len(),
        cell.relay().public_url
    );
    Ok(ExitCode::SUCCESS)
}
