//! `fusioncell audit serve JOURNAL --config CELL`: a read-only relay playing a recorded
//! exercise back to ordinary clients, so that a room can watch the replay together.

use std::process::ExitCode;
use std::sync::Arc;

use fusioncell_relay::playback::Playback;

use crate::args::ServeArgs;
use crate::load;

pub(super) async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::cell(&args.config)?;
    // The recording's own cell (its identities, channels and relay key), with this
    // config's limits and addresses.
    let (records, cell) = super::audit::verified_recording(
        &args.journal,
        Some(&loaded),
        "refusing to serve a journal that does not verify",
    )?;
    load::refuse_public_keys(&loaded, args.listen, args.demo.insecure_demo_keys)?;
    let tls = load::tls(&loaded, args.listen, args.plain.insecure_loopback)?;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    let cell_id = cell.id().to_string();
    let playback = Playback::spawn(
        Arc::new(cell.with_marking_of(&loaded.cell)),
        records.clone(),
        tls,
        args.listen,
        args.speed,
    )
    .await?;
    crate::outln!(
        "replaying {} records of cell `{}` at ×{} on {scheme}://{} (read-only)",
        records.len(),
        cell_id,
        args.speed,
        playback.local_addr()
    );
    let _ = tokio::signal::ctrl_c().await;
    playback.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
