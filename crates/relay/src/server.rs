//! A relay of one cell as a value: [`Server::spawn`] opens (or recovers) the journal, starts
//! the commit thread and the listener, and returns a handle; [`Server::shutdown`] stops them
//! in pipeline order. Dropping the handle triggers shutdown too, so no task outlives its
//! owner. A relay of several cells is [`crate::Cells`]; both are a [`Front`] and
//! [`ServedCell`]s.

use std::net::SocketAddr;
use std::sync::Arc;

use tracing::Instrument;

use crate::admin::{self, AdminConfig};
use crate::front::Front;
use crate::metrics::Metrics;
use crate::routes::Routes;
use crate::served_cell::ServedCell;
use crate::shutdown::Shutdown;
use crate::{RelayConfig, RelayError, listener};

/// A running relay of one cell.
pub struct Server {
    addr: SocketAddr,
    front: Arc<Front>,
    cell: Option<ServedCell>,
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
        let span = tracing::error_span!(target: "fusioncell_relay", "relay", cell = %config.cell.cell.id());
        Server::start(config, stop, span.clone())
            .instrument(span)
            .await
    }

    /// [`spawn_until`](Self::spawn_until) inside `span`, which the blocking thread, the commit
    /// thread and every task enter too: the listener's and the cell's are one.
    async fn start(
        config: RelayConfig,
        stop: impl std::future::Future<Output = ()>,
        span: tracing::Span,
    ) -> Result<Server, RelayError> {
        let (front_config, cell_config) = config.split();
        let front = Arc::new(Front::new(
            front_config.tls,
            front_config.limits,
            Shutdown::new(span.clone()),
        ));
        let cell = ServedCell::start(cell_config, &front, stop, span.clone()).await?;
        let (tcp, addr) = listener::bind(front_config.listen).await?;
        let routes = Arc::new(Routes::one(cell.route.clone()));
        front
            .shutdown
            .spawn(listener::run(tcp, front.clone(), routes));
        tracing::info!(%addr, "relay listening");
        Ok(Server {
            addr,
            front,
            cell: Some(cell),
            admin: None,
            span,
        })
    }

    /// Serves `/metrics`, `/healthz` and `/readyz` on plain HTTP at `config.listen`
    /// ([`crate::admin`]) until shutdown; returns the address bound (port 0 picks one).
    pub async fn serve_admin(&mut self, config: AdminConfig) -> Result<SocketAddr, RelayError> {
        let addr = admin::serve(&self.front, config, &self.span).await?;
        self.admin = Some(addr);
        Ok(addr)
    }

    /// The admin listener's address, once [`Self::serve_admin`] started it.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin
    }

    /// The relay's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.served().metrics
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
        self.served().state.read().clone()
    }

    /// What opening the journal found.
    pub fn recovery(&self) -> &fusioncell_journal::Recovery {
        &self.served().recovery
    }

    fn served(&self) -> &ServedCell {
        // Only `shutdown`, which consumes the server, takes the cell.
        self.cell
            .as_ref()
            .unwrap_or_else(|| unreachable!("the cell is served until shutdown"))
    }

    /// Stops accepting, closes sessions with 1001 after they got what they are owed, drains
    /// the commit thread and writes the final checkpoint.
    pub async fn shutdown(mut self) -> Result<ShutdownReport, RelayError> {
        let span = self.span.clone();
        let front = self.front.clone();
        let cell = self.cell.take();
        async move {
            front.shutdown.trigger();
            front.shutdown.wait().await;
            match cell {
                Some(cell) => cell.stop().await,
                None => Err(RelayError::Thread("already shut down".into())),
            }
        }
        .instrument(span)
        .await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.front.shutdown.trigger();
    }
}
