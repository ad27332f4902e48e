//! `fusioncell relay --config CELL`: runs until Ctrl-C or SIGTERM, then shuts down in order.

use std::process::ExitCode;

use fusioncell_relay::Server;

use crate::args::RelayArgs;
use crate::load;

pub(super) async fn run(args: RelayArgs) -> anyhow::Result<ExitCode> {
    let loaded = load::cell(&args.config)?;
    let config = load::relay_config(&loaded, args.listen, args.plain.insecure_loopback)?;
    let scheme = if config.tls.is_some() { "wss" } else { "ws" };
    let server = Server::spawn(config).await?;
    println!(
        "fusioncell relay for cell `{}` listening on {scheme}://{}",
        loaded.cell.id(),
        server.local_addr()
    );
    if scheme == "wss" {
        eprintln!(
            "browser console: https://{} (trust the cell's CA: {})",
            server.local_addr(),
            loaded.cell.relay().ca.display()
        );
    }
    stop_signal().await;
    eprintln!("shutting down: draining sessions and writing the final checkpoint");
    let report = server.shutdown().await?;
    eprintln!("stopped: {} records in the journal", report.records);
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM (what `docker stop` sends).
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
