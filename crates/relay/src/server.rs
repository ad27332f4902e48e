//! The relay as a value: [`Server::spawn`] opens (or recovers) the journal, starts the commit
//! thread and the listener, and returns a handle; [`Server::shutdown`] stops them in pipeline
//! order. Dropping the handle triggers shutdown too, so no task outlives its owner.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fusioncell_journal::{Journal, Options};
use fusioncell_wire::{ActBody, Digest, PublicKeyBytes, RecoveredBody, ServerMsg};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::admin::{self, AdminConfig};
use crate::commit::{self, Command, CommitConfig};
use crate::context::{Context, report};
use crate::defaults::COMMAND_QUEUE;
use crate::metrics::Metrics;
use crate::sequencer::Sequencer;
use crate::shutdown::Shutdown;
use crate::{RelayConfig, RelayError, listener, now_ms, session};

/// A running relay.
pub struct Server {
    addr: SocketAddr,
    shutdown: Shutdown,
    commit: Option<std::thread::JoinHandle<Result<u64, fusioncell_journal::JournalError>>>,
    recovery: fusioncell_journal::Recovery,
    state: crate::sequencer::SharedState,
    metrics: Arc<Metrics>,
    admin: Option<SocketAddr>,
    /// `relay{cell=…}`: every log line of this relay's tasks and threads is in it.
    span: tracing::Span,
}

/// What a clean shutdown left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Records in the journal, all covered by the final checkpoint.
    pub records: u64,
}

impl Server {
    /// Opens the journal (recovering it if needed), binds the listener and starts serving.
    pub async fn spawn(config: RelayConfig) -> Result<Server, RelayError> {
        Server::spawn_until(config, std::future::pending()).await
    }

    /// [`spawn`](Self::spawn), abandoned if `stop` resolves while the journal is being opened
    /// (recovery of a long journal takes a while): recovery is cancelled before it changes
    /// anything and the result is [`RelayError::StoppedDuringRecovery`]. Recovery runs on a
    /// blocking thread, so it never stalls the async runtime.
    pub async fn spawn_until(
        config: RelayConfig,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<Server, RelayError> {
        // At error level and on the crate's target, so that any filter that lets one of the
        // relay's lines through (`RUST_LOG=warn`, `fusioncell_relay=debug`) keeps the span.
        let span =
            tracing::error_span!(target: "fusioncell_relay", "relay", cell = %config.cell.id());
        Server::start(config, stop, span.clone())
            .instrument(span)
            .await
    }

    /// [`spawn_until`](Self::spawn_until) inside `span`, which the blocking thread, the commit
    /// thread and every task enter too.
    async fn start(
        config: RelayConfig,
        stop: impl std::future::Future<Output = ()>,
        span: tracing::Span,
    ) -> Result<Server, RelayError> {
        let RelayConfig {
            cell,
            relay_key,
            config_sha256,
            tls,
            listen,
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

        let (tcp, addr) = crate::listener::bind(listen).await?;

        let shutdown = Shutdown::new(span.clone());
        let mut ctx = Context::new(
            cell.clone(),
            PublicKeyBytes(*relay_key.public_key().bytes()),
            tls.map(tokio_rustls::TlsAcceptor::from),
            Some(journal.reader()),
            sequencer.state().clone(),
            shutdown.clone(),
        );
        ctx.scenario_frame = scenario.map(|scenario| ServerMsg::Scenario { scenario }.to_json());
        let ctx = Arc::new(ctx);
        let (commands, rx) = mpsc::channel::<Command>(COMMAND_QUEUE);
        let state = sequencer.state().clone();
        let metrics = ctx.metrics.clone();
        let commit_config = CommitConfig {
            cell,
            relay_key,
            metrics: ctx.metrics.clone(),
        };
        // Ready from here: the journal is open, and the commit thread owns it from now on.
        commit::measure(&metrics, &mut journal);
        metrics.journal_open(true);
        let commit_span = span.clone();
        let commit = std::thread::Builder::new()
            .name("fusioncell-commit".into())
            .spawn(move || {
                commit_span.in_scope(|| commit::run(commit_config, journal, sequencer, rx))
            })
            .map_err(|e| RelayError::Thread(e.to_string()))?;
        let live = Arc::new(Live {
            ctx: ctx.clone(),
            commands,
        });
        shutdown.spawn(listener::run(tcp, ctx, live));
        tracing::info!(%addr, "relay listening");
        Ok(Server {
            addr,
            shutdown,
            commit: Some(commit),
            recovery,
            state,
            metrics,
            admin: None,
            span,
        })
    }

    /// Serves `/metrics`, `/healthz` and `/readyz` on plain HTTP at `config.listen`
    /// ([`crate::admin`]) until shutdown; returns the address bound (port 0 picks one).
    pub async fn serve_admin(&mut self, config: AdminConfig) -> Result<SocketAddr, RelayError> {
        let (tcp, addr) = admin::bind(config.listen).await?;
        self.shutdown.spawn(admin::run(
            tcp,
            self.metrics.clone(),
            self.shutdown.clone(),
            config.request_timeout,
        ));
        self.span
            .in_scope(|| tracing::info!(%addr, "admin listening (metrics, health)"));
        self.admin = Some(addr);
        Ok(addr)
    }

    /// The admin listener's address, once [`Self::serve_admin`] started it.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin
    }

    /// The relay's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The address the relay listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `relay{cell=…}`, the span of this relay's log lines: a caller's own lines about it
    /// belong in it too.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// A copy of the supervision state now.
    pub fn state(&self) -> fusioncell_cell::State {
        self.state.read().clone()
    }

    /// What opening the journal found.
    pub fn recovery(&self) -> &fusioncell_journal::Recovery {
        &self.recovery
    }

    /// Stops accepting, closes sessions with 1001 after they got what they are owed, drains
    /// the commit thread and writes the final checkpoint.
    pub async fn shutdown(self) -> Result<ShutdownReport, RelayError> {
        let span = self.span.clone();
        self.stop().instrument(span).await
    }

    async fn stop(mut self) -> Result<ShutdownReport, RelayError> {
        self.shutdown.trigger();
        self.shutdown.wait().await;
        let Some(commit) = self.commit.take() else {
            return Err(RelayError::Thread("already shut down".into()));
        };
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

/// The live relay's sessions: each logged-in connection is a [`session`], refused logins are
/// journaled.
struct Live {
    ctx: Arc<Context>,
    commands: mpsc::Sender<Command>,
}

impl listener::Service for Live {
    async fn session(
        &self,
        ws: tokio_tungstenite::WebSocketStream<Box<dyn crate::upgrade::Transport>>,
        auth: crate::handshake::Authenticated,
    ) {
        session::run(ws, auth, self.ctx.clone(), self.commands.clone()).await;
    }

    async fn security(&self, event: fusioncell_wire::SecurityBody) {
        report(&self.commands, event, None).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.trigger();
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
