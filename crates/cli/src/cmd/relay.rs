//! `fusioncell relay --config CELL`: runs until Ctrl-C or SIGTERM, then shuts down in order.
//! `--cells DIR` serves a folder of cells instead ([`super::relay_cells`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use fusioncell_relay::admin::AdminConfig;
use fusioncell_relay::{RelayError, Server};

use super::exercise::{check_channels, load_scenario};
use crate::args::RelayArgs;
use crate::load;
use crate::logging::{failure, status};

pub(super) async fn run(args: RelayArgs) -> anyhow::Result<ExitCode> {
    let config = match (&args.config, &args.cells) {
        (Some(config), _) => config.clone(),
        (None, Some(dir)) => {
            let dir = dir.clone();
            return super::relay_cells::run(args, &dir).await;
        }
        (None, None) => anyhow::bail!("give --config CELL or --cells DIR"),
    };
    let loaded = load::cell(&config)?;
    let listen = args.listen.unwrap_or(loaded.cell.relay().listen);
    load::refuse_public_keys(&loaded, listen, args.demo.insecure_demo_keys)?;
    let mut config = load::relay_config(&loaded, Some(listen), args.plain.insecure_loopback)?;
    let scenario = cell_scenario(args.scenario.as_deref(), &loaded)?;
    if let Some((_, s)) = &scenario {
        config.cell.scenario = Some(serde_json::to_value(s)?);
    }
    let scheme = if config.tls.is_some() { "wss" } else { "ws" };
    // Listening for signals starts before recovery, which can take a while on a long journal:
    // a SIGTERM then stops recovery (changing nothing) instead of killing the process.
    let stop = crate::stop::signal();
    tokio::pin!(stop);
    let mut server = match Server::spawn_until(config, &mut stop).await {
        Ok(server) => server,
        Err(RelayError::StoppedDuringRecovery) => {
            status(format_args!(
                "stopped while recovering the journal; nothing was written"
            ));
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e.into()),
    };
    let admin = match args.admin.0 {
        Some(addr) => {
            if !addr.ip().is_loopback() {
                eprintln!(
                    "warning: --admin {addr} is not a loopback address: anyone who reaches it \
                     reads the metrics and health over unauthenticated plain HTTP"
                );
            }
            Some(server.serve_admin(AdminConfig::new(addr)).await?)
        }
        None => None,
    };
    // The relay keeps serving if no one reads its standard output. The address is the last
    // word of the first line: scripts read it there.
    let _ = crate::out::line(format_args!(
        "fusioncell relay for cell `{}` listening on {scheme}://{}",
        loaded.cell.id(),
        server.local_addr()
    ));
    // The status lines below are about this cell: in its span, a JSON line names it.
    let span = server.span().clone();
    if let Some(admin) = admin {
        span.in_scope(|| {
            status(format_args!(
                "metrics and health (plain HTTP): http://{admin}/metrics /healthz /readyz"
            ))
        });
    }
    if let Some((path, scenario)) = &scenario {
        span.in_scope(|| {
            status(format_args!(
                "scenario \"{}\" ({}, {} injects) given to control and evaluators at login",
                scenario.title(),
                path.display(),
                scenario.injects().len()
            ))
        });
    }
    if scheme == "wss" {
        span.in_scope(|| {
            status(format_args!(
                "browser console: https://{} (trust the cell's CA: {})",
                server.local_addr(),
                loaded.cell.relay().ca.display()
            ))
        });
    }
    stop.await;
    span.in_scope(|| {
        status(format_args!(
            "shutting down: draining sessions and writing the final checkpoint"
        ))
    });
    match server.shutdown().await {
        Ok(report) => {
            span.in_scope(|| {
                status(format_args!(
                    "stopped: {} records in the journal",
                    report.records
                ))
            });
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ RelayError::JournalFailed(_)) => {
            span.in_scope(|| failure(format_args!("stopped: JOURNAL FAILED: {e}")));
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// The scenario the relay gives the cell's control and evaluators ([`scenario_file`]), loaded
/// and checked against the cell's channels.
pub(super) fn cell_scenario(
    arg: Option<&Path>,
    loaded: &load::LoadedCell,
) -> anyhow::Result<Option<(PathBuf, fusioncell_scenario::Scenario)>> {
    let Some(path) = scenario_file(arg, &loaded.path) else {
        return Ok(None);
    };
    let scenario = load_scenario(&path)?;
    check_channels(&scenario, &path, &loaded.cell)?;
    Ok(Some((path, scenario)))
}

/// The scenario file the relay gives control and evaluators: `--scenario FILE`, none with
/// `--scenario off`, else the cell folder's `scenario.toml` if there is one (`init --scenario`
/// and `demo --keep` write it there; each cell folder of `relay --cells` may hold one).
fn scenario_file(arg: Option<&Path>, cell_config: &Path) -> Option<PathBuf> {
    match arg {
        Some(p) if p == Path::new("off") => None,
        Some(p) => Some(p.to_owned()),
        None => {
            let beside = cell_config
                .parent()
                .unwrap_or(Path::new("."))
                .join(crate::init::SCENARIO_FILE);
            beside.is_file().then_some(beside)
        }
    }
}
