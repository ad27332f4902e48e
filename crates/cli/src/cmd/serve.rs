//! `fusioncell audit serve JOURNAL --config CELL`: a read-only relay playing a recorded
//! exercise back to ordinary clients, so that a room can watch the replay together.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use fusioncell_cell::Cell;
use fusioncell_relay::playback::Playback;
use fusioncell_wire::OpenBody;

use crate::args::ServeArgs;
use crate::load;

pub(super) async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::cell(&args.config)?;
    if let Err(e) = super::audit::verify_journal(&args.journal, Some(&loaded)) {
        anyhow::bail!("refusing to serve a journal that does not verify: {e}");
    }
    let records = fusioncell_journal::read_records(&args.journal)?;
    let open: OpenBody = records
        .first()
        .and_then(|r| serde_json::from_str(r.body.as_deref()?).ok())
        .context("record 0 is not an open record")?;
    // The recording's own cell (its identities, channels and relay key), with this
    // config's limits and addresses.
    let cell = Cell::from_open_body(&open)?;
    let tls = load::tls(&loaded, args.listen, args.insecure_loopback)?;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    let playback = Playback::spawn(
        Arc::new(cell),
        records.clone(),
        tls,
        args.listen,
        args.speed,
    )
    .await?;
    println!(
        "replaying {} records of cell `{}` at ×{} on {scheme}://{} (read-only)",
        records.len(),
        open.cell,
        args.speed,
        playback.local_addr()
    );
    let _ = tokio::signal::ctrl_c().await;
    playback.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
