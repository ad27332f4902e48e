//! One cell as a relay serves it: its journal, sequencer and commit thread, its context (rate
//! limits, metrics, the `relay{cell=…}` span) and its sessions. A relay runs one or many of
//! these behind one listener ([`crate::Server`], [`crate::Cells`]); each has its own commit
//! thread, so cells use the machine's cores in parallel, and its own shutdown, so one can be
//! retired, or its journal fail, while the others serve on.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fusioncell_journal::{Journal, Options};
use fusioncell_wire::{ActBody, Digest, PublicKeyBytes, RecoveredBody, ServerMsg};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::commit::{self, Command, CommitConfig};
use crate::config::CellConfig;
use crate::context::{Context, report};
use crate::defaults::COMMAND_QUEUE;
use crate::front::Front;
use crate::metrics::Metrics;
use crate::routes::CellRoute;
use crate::sequencer::Sequencer;
use crate::shutdown::Shutdown;
use crate::{RelayError, ShutdownReport, listener, now_ms, session};

/// A cell being served.
pub struct ServedCell {
    /// Its context and sessions, as the listener routes to them.
    pub(crate) route: CellRoute<Live>,
    commit: std::thread::JoinHandle<Result<u64, fusioncell_journal::JournalError>>,
    pub(crate) recovery: fusioncell_journal::Recovery,
    pub(crate) state: crate::sequencer::SharedState,
    pub(crate) metrics: Arc<Metrics>,
    /// `relay{cell=…}`: every log line of this cell's tasks and threads is in it.
    pub(crate) span: tracing::Span,
    shutdown: Shutdown,
}

impl ServedCell {
    /// Opens the cell's journal (recovering it if needed; abandoned if `stop` resolves first:
    /// [`RelayError::StoppedDuringRecovery`]) on a blocking thread, so it never stalls the
    /// runtime, and starts the commit thread; every task and thread of the cell runs in
    /// `span`. The listener serves it once the caller adds [`Self::route`] to its routes.
    pub(crate) async fn start(
        config: CellConfig,
        front: &Front,
        stop: impl std::future::Future<Output = ()>,
        span: tracing::Span,
    ) -> Result<ServedCell, RelayError> {
        let CellConfig {
            cell,
            relay_key,
            config_sha256,
            journal_dir,
            scenario,
        } = config;
        if relay_key.public_key().bytes() != cell.relay().public_key.bytes() {
            return Err(RelayError::WrongRelayKey);
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let open = {
            let (cell, relay_key, cancel) = (cell.clone(), relay_key.clone(), cancel.clone());
            let span = span.clone();
            tokio::task::spawn_blocking(move || {
                span.in_scope(|| {
                    open_journal(&cell, &relay_key, config_sha256, &journal_dir, &cancel)
                })
            })
        };
        tokio::pin!(open);
        let opened = tokio::select! {
            opened = &mut open => opened,
            () = stop => {
                cancel.store(true, Ordering::Relaxed);
                tracing::info!("asked to stop while recovering the journal");
                open.await
            }
        };
        let (mut journal, sequencer, recovery) =
            opened.map_err(|e| RelayError::Thread(e.to_string()))??;

        let shutdown = front.shutdown.child(span.clone());
        let metrics = front.registry.cell(cell.id());
        let mut ctx = Context::new(
            cell.clone(),
            PublicKeyBytes(*relay_key.public_key().bytes()),
            Some(journal.reader()),
            sequencer.state().clone(),
            shutdown.clone(),
            metrics.clone(),
        );
        ctx.scenario_frame = scenario.map(|scenario| ServerMsg::Scenario { scenario }.to_json());
        let ctx = Arc::new(ctx);
        let (commands, rx) = mpsc::channel::<Command>(COMMAND_QUEUE);
        let state = sequencer.state().clone();
        let commit_config = CommitConfig {
            cell: cell.clone(),
            relay_key,
            metrics: metrics.clone(),
        };
        // Ready from here: the journal is open, and the commit thread owns it from now on.
        commit::measure(&metrics, &mut journal);
        metrics.journal_open(true);
        crate::timing::start_clock();
        let commit_span = span.clone();
        let commit = std::thread::Builder::new()
            .name("fusioncell-commit".into())
            .spawn(move || {
                commit_span.in_scope(|| commit::run(commit_config, journal, sequencer, rx))
            })
            .map_err(|e| {
                front.registry.remove(cell.id());
                RelayError::Thread(e.to_string())
            })?;
        let live = Arc::new(Live {
            ctx: ctx.clone(),
            commands,
        });
        Ok(ServedCell {
            route: CellRoute { ctx, service: live },
            commit,
            recovery,
            state,
            metrics,
            span,
            shutdown,
        })
    }

    /// Closes the cell's sessions with 1001 after they got what they are owed, drains the
    /// commit thread and writes the final checkpoint. The caller has taken the cell out of
    /// the routes, so no new connection reaches it.
    pub(crate) async fn stop(self) -> Result<ShutdownReport, RelayError> {
        let span = self.span.clone();
        self.stop_in_span().instrument(span).await
    }

    async fn stop_in_span(self) -> Result<ShutdownReport, RelayError> {
        let ServedCell {
            route,
            commit,
            shutdown,
            ..
        } = self;
        shutdown.trigger();
        shutdown.wait().await;
        // The last way to the commit thread: once it is gone, the thread drains and ends.
        drop(route);
        let records = tokio::task::spawn_blocking(move || commit.join())
            .await
            .map_err(|e| RelayError::Thread(e.to_string()))?
            .map_err(|_| RelayError::Thread("the commit thread panicked".into()))?
            .map_err(|e| {
                tracing::error!("relay stopped; the journal had failed: no final checkpoint");
                RelayError::JournalFailed(e)
            })?;
        tracing::info!(records, "relay stopped; final checkpoint written");
        Ok(ShutdownReport { records })
    }
}

/// A live cell's sessions: each logged-in connection is a [`session`], refused logins are
/// journaled.
pub struct Live {
    ctx: Arc<Context>,
    commands: mpsc::Sender<Command>,
}

impl listener::Service for Live {
    // Not an async fn: one would keep its own copy of `ws` and `auth` beside the session's.
    fn session(
        &self,
        ws: Box<tokio_tungstenite::WebSocketStream<Box<dyn crate::upgrade::Transport>>>,
        auth: crate::handshake::Authenticated,
    ) -> impl Future<Output = ()> + Send {
        session::run(ws, auth, self.ctx.clone(), self.commands.clone())
    }

    async fn security(&self, event: fusioncell_wire::SecurityBody) {
        report(&self.commands, event, None).await;
    }
}

/// Opens (recovering) the journal, rebuilding the sequencer's state from it, and journals the
/// relay's `open` or `recovered` record. Runs on a blocking thread; `cancel` abandons it.
fn open_journal(
    cell: &Arc<fusioncell_cell::Cell>,
    relay_key: &Arc<fusioncell_keys::SigningKey>,
    config_sha256: [u8; 32],
    journal_dir: &Path,
    cancel: &AtomicBool,
) -> Result<(Journal, Sequencer, fusioncell_journal::Recovery), RelayError> {
    let mut sequencer = Sequencer::new(cell.clone());
    let options = Options {
        fsync: !cell.relay().dangerous_no_fsync,
    };
    let (mut journal, recovery) =
        Journal::open_cancellable(journal_dir, options, cancel, |r| sequencer.observe(r)).map_err(
            |e| match e {
                fusioncell_journal::JournalError::Cancelled => RelayError::StoppedDuringRecovery,
                e => RelayError::Journal(e),
            },
        )?;
    if let Some(found) = journal.cell()
        && found != cell.id()
    {
        return Err(RelayError::OtherCell {
            expected: cell.id().to_string(),
            found: found.to_string(),
        });
    }
    let now = now_ms();
    let first = if journal.size() == 0 {
        let body = cell.open_body(config_sha256);
        sequencer.relay_record(relay_key, None, ActBody::Open(body), now)
    } else {
        let body = RecoveredBody {
            records: journal.size(),
            truncated_bytes: recovery.truncated_bytes,
            config_sha256: Digest(config_sha256),
        };
        sequencer.relay_record(relay_key, None, ActBody::Recovered(body), now)
    };
    let _opened: fusioncell_journal::Durable = journal.append(std::slice::from_ref(&first))?;
    if recovery.truncated_bytes > 0 {
        tracing::warn!(
            "journal recovered: cut a torn final line of {} bytes; {} records intact",
            recovery.truncated_bytes,
            recovery.records
        );
    }
    Ok((journal, sequencer, recovery))
}
