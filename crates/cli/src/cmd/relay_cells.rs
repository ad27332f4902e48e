//! `fusioncell relay --cells DIR`: serves every cell of a folder behind one listener
//! ([`fusioncell_relay::Cells`]); SIGHUP rescans the folder, adding new cells and retiring
//! those marked `retired` or gone, while the others serve on; Ctrl-C or SIGTERM stops them
//! all in order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use fusioncell_relay::admin::AdminConfig;
use fusioncell_relay::front::FrontConfig;
use fusioncell_relay::routes::PREFIX;
use fusioncell_relay::{Cells, RelayError};

use crate::args::RelayArgs;
use crate::cell_dir::{self, CELL_FILE, Found, Shared};
use crate::load::{self, LoadError};
use crate::logging::{failure, status};

/// A cell being served, as its folder gave it.
struct Served {
    id: String,
    sha256: [u8; 32],
}

pub(super) async fn run(args: RelayArgs, dir: &Path) -> anyhow::Result<ExitCode> {
    let found = cell_dir::scan(dir)?;
    // The first folder (in name order) whose cell loads decides what the cells share.
    let mut first = None;
    let mut problem = None;
    for folder in found
        .iter()
        .filter(|(_, f)| **f == Found::Serve)
        .map(|(d, _)| d)
    {
        match load::cell(&folder.join(CELL_FILE)) {
            Ok(loaded) => {
                first = Some(loaded);
                break;
            }
            Err(e) => problem = problem.or(Some(e)),
        }
    }
    let first = match (first, problem) {
        (Some(first), _) => first,
        (None, Some(e)) => return Err(e.into()),
        (None, None) => anyhow::bail!(
            "{}: no subfolder holds a {CELL_FILE} without a `{}` marker beside it",
            dir.display(),
            cell_dir::RETIRED
        ),
    };
    let shared = Shared::of(&first, args.listen, args.plain.insecure_loopback)?;
    let scheme = if shared.tls.is_some() { "wss" } else { "ws" };
    let cells = Cells::spawn(FrontConfig {
        tls: shared.tls.clone(),
        listen: shared.listen,
        limits: shared.limits,
    })
    .await?;
    let admin = match args.admin.0 {
        Some(addr) => Some(cells.serve_admin(AdminConfig::new(addr)).await?),
        None => None,
    };
    let addr = cells.local_addr();
    // The address is the last word of the first line: scripts read it there.
    let _ = crate::out::line(format_args!(
        "fusioncell relay for the cells of {} listening on {scheme}://{addr}",
        dir.display()
    ));
    if let Some(admin) = admin {
        status(format_args!(
            "metrics and health (plain HTTP): http://{admin}/metrics /healthz /readyz"
        ));
    }
    // Listened to before any cell recovers: a signal then stops the recovery in progress
    // (changing nothing) and serves no further cell, instead of killing the process.
    let stopping = Stopping::listen();
    let rescan = Rescan {
        dir,
        shared: &shared,
        cells: &cells,
        insecure_demo_keys: args.demo.insecure_demo_keys,
        scheme,
        stopping: &stopping,
    };
    let mut served = BTreeMap::new();
    rescan.run(&mut served).await;
    let mut hangups = hangups()?;
    while !stopping.is_set() {
        tokio::select! {
            () = stopping.wait() => break,
            Some(()) = hangups.recv() => {
                status(format_args!("SIGHUP: rescanning {}", dir.display()));
                rescan.run(&mut served).await;
            }
        }
    }
    status(format_args!(
        "shutting down: draining every cell's sessions and writing their final checkpoints"
    ));
    let mut failed = false;
    for (id, stopped) in cells.shutdown().await {
        failed |= !report_stop(&id, stopped)?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether Ctrl-C or SIGTERM has arrived, shared by the main loop and every cell's recovery.
struct Stopping(tokio::sync::watch::Receiver<bool>);

impl Stopping {
    /// Starts listening for the signals.
    fn listen() -> Stopping {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            crate::stop::signal().await;
            let _ = tx.send(true);
        });
        Stopping(rx)
    }

    fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a signal has arrived.
    async fn wait(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|set| *set).await;
    }
}

/// SIGHUPs, as a stream.
fn hangups() -> anyhow::Result<tokio::sync::mpsc::Receiver<()>> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                // One rescan waiting is enough: it sees every change made before it runs.
                let _ = tx.try_send(());
            }
        });
    }
    #[cfg(not(unix))]
    drop(tx);
    Ok(rx)
}

/// One cell's stop, as a status line; `false` when its journal had failed.
fn report_stop(
    id: &str,
    stopped: Result<fusioncell_relay::ShutdownReport, RelayError>,
) -> anyhow::Result<bool> {
    match stopped {
        Ok(report) => {
            status(format_args!(
                "cell `{id}` stopped: {} records in the journal",
                report.records
            ));
            Ok(true)
        }
        Err(e @ RelayError::JournalFailed(_)) => {
            failure(format_args!("cell `{id}` stopped: JOURNAL FAILED: {e}"));
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// What a scan of the folder changes.
struct Rescan<'a> {
    dir: &'a Path,
    shared: &'a Shared,
    cells: &'a Cells,
    insecure_demo_keys: bool,
    scheme: &'a str,
    stopping: &'a Stopping,
}

impl Rescan<'_> {
    /// Retires the cells whose folder is marked `retired` or gone, then serves every folder's
    /// cell not served yet. A folder whose cell cannot be served gets one line naming its
    /// file and what is wrong; the others are not affected.
    async fn run(&self, served: &mut BTreeMap<PathBuf, Served>) {
        let found = match cell_dir::scan(self.dir) {
            Ok(found) => found,
            Err(e) => {
                failure(format_args!("not rescanned: {e}"));
                return;
            }
        };
        let gone: Vec<PathBuf> = served
            .keys()
            .filter(|folder| found.get(*folder) != Some(&Found::Serve))
            .cloned()
            .collect();
        for folder in gone {
            if let Some(cell) = served.remove(&folder) {
                let stopped = self.cells.retire(&cell.id).await;
                if let Err(e) = report_stop(&cell.id, stopped) {
                    failure(format_args!("cell `{}` retired: {e}", cell.id));
                }
            }
        }
        for (folder, state) in found {
            if self.stopping.is_set() {
                return;
            }
            if state != Found::Serve {
                continue;
            }
            let file = folder.join(CELL_FILE);
            if let Some(cell) = served.get(&folder) {
                if load::cell(&file).is_ok_and(|l| l.sha256 != cell.sha256) {
                    status(format_args!(
                        "{}: changed; cell `{}` serves on as it was loaded (retire it and serve it again to apply the change)",
                        file.display(),
                        cell.id
                    ));
                }
                continue;
            }
            match self.serve(&file).await {
                Ok(Some(cell)) => {
                    served.insert(folder, cell);
                }
                Ok(None) => status(format_args!(
                    "{}: stopped while recovering the journal; nothing was written",
                    file.display()
                )),
                Err(e) => failure(format_args!("not served: {e}")),
            }
        }
    }

    /// Loads, checks and serves the cell of `file`; `None` when a signal stopped its recovery.
    async fn serve(&self, file: &Path) -> anyhow::Result<Option<Served>> {
        let loaded = load::cell(file)?;
        self.shared.admits(&loaded)?;
        load::refuse_public_keys(&loaded, self.shared.listen, self.insecure_demo_keys)?;
        let mut config = load::cell_config(&loaded)?;
        if let Some((_, scenario)) = super::relay::cell_scenario(None, &loaded)? {
            config.scenario = Some(serde_json::to_value(&scenario)?);
        }
        let id = loaded.cell.id().as_str().to_owned();
        match self.cells.add_until(config, self.stopping.wait()).await {
            Ok(()) => {}
            Err(RelayError::StoppedDuringRecovery) => return Ok(None),
            Err(e) => return Err(LoadError::Invalid(format!("{}: {e}", file.display())).into()),
        }
        let addr = self.cells.local_addr();
        let span = self.cells.span(&id).unwrap_or_else(tracing::Span::none);
        span.in_scope(|| {
            status(format_args!(
                "cell `{id}` served at {}://{addr}{PREFIX}{id}",
                self.scheme
            ));
            if self.scheme == "wss" {
                status(format_args!(
                    "browser console of `{id}`: https://{addr}{PREFIX}{id}/ (trust the cell's CA: {})",
                    loaded.cell.relay().ca.display()
                ));
            }
        });
        Ok(Some(Served {
            id,
            sha256: loaded.sha256,
        }))
    }
}
