//! A relay of several cells (`fusioncell relay --cells DIR`): one listener, one TLS identity
//! and one admin listener ([`Front`]), and any number of [`ServedCell`]s behind them, each
//! reached at `/cells/<id>` ([`crate::routes`]). Cells are added and retired while the others
//! serve on: each has its own journal, commit thread and shutdown.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tracing::Instrument;

use crate::admin::{self, AdminConfig};
use crate::config::CellConfig;
use crate::front::{Front, FrontConfig};
use crate::metrics::Metrics;
use crate::routes::Routes;
use crate::served_cell::{Live, ServedCell};
use crate::shutdown::Shutdown;
use crate::{RelayError, ShutdownReport, listener};

/// A running relay of several cells.
pub struct Cells {
    addr: SocketAddr,
    front: Arc<Front>,
    routes: Arc<Routes<Live>>,
    running: Mutex<BTreeMap<String, ServedCell>>,
    /// Held for the whole of an [`Cells::add`] or [`Cells::retire`]: a cell's journal is
    /// never open twice (two adds, or an add while its retirement still drains it).
    changing: tokio::sync::Mutex<()>,
    /// `relay`: the listener's and the admin listener's log lines; each cell's are in its own
    /// `relay{cell=…}`.
    span: tracing::Span,
}

impl Cells {
    /// Binds the listener and serves no cell yet: every request is answered as an unknown
    /// path until [`Self::add`].
    pub async fn spawn(config: FrontConfig) -> Result<Cells, RelayError> {
        let span = tracing::error_span!(target: "fusioncell_relay", "relay");
        let front = Arc::new(Front::new(
            config.tls,
            config.limits,
            Shutdown::new(span.clone()),
        ));
        let (tcp, addr) = listener::bind(config.listen).await?;
        let routes = Arc::new(Routes::many());
        front
            .shutdown
            .spawn(listener::run(tcp, front.clone(), routes.clone()));
        span.in_scope(|| tracing::info!(%addr, "relay listening"));
        Ok(Cells {
            addr,
            front,
            routes,
            running: Mutex::default(),
            changing: tokio::sync::Mutex::default(),
            span,
        })
    }

    /// Opens (recovering) the cell's journal and serves it at `/cells/<id>` from now on.
    pub async fn add(&self, config: CellConfig) -> Result<(), RelayError> {
        self.add_until(config, std::future::pending()).await
    }

    /// [`add`](Self::add), abandoned if `stop` resolves while the journal is being opened:
    /// recovery is cancelled before it changes anything, nothing is served, and the result is
    /// [`RelayError::StoppedDuringRecovery`] (as [`crate::Server::spawn_until`] does).
    pub async fn add_until(
        &self,
        config: CellConfig,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), RelayError> {
        let _changing = self.changing.lock().await;
        let id = config.cell.id().as_str().to_owned();
        if self.lock().contains_key(&id) {
            return Err(RelayError::CellServed(id));
        }
        // Not a child of the listener's span: a cell's lines name the cell, and only it.
        let span =
            tracing::error_span!(target: "fusioncell_relay", parent: None, "relay", cell = %id);
        let cell = ServedCell::start(config, &self.front, stop, span.clone())
            .instrument(span.clone())
            .await?;
        // Nothing else adds or retires meanwhile (`changing`).
        self.routes.insert(cell.route.clone());
        self.lock().insert(id, cell);
        span.in_scope(|| tracing::info!("cell served"));
        Ok(())
    }

    /// Stops routing to cell `id`, closes its sessions with 1001 after they got what they are
    /// owed, drains its commit thread and writes its final checkpoint; the other cells serve
    /// on.
    pub async fn retire(&self, id: &str) -> Result<ShutdownReport, RelayError> {
        let _changing = self.changing.lock().await;
        self.routes.remove(id);
        let cell = self
            .lock()
            .remove(id)
            .ok_or_else(|| RelayError::NoSuchCell(id.to_owned()))?;
        let stopped = cell.stop().await;
        if let Ok(id) = fusioncell_wire::CellId::new(id) {
            self.front.registry.remove(&id);
        }
        stopped
    }

    /// The ids of the cells served now, in order.
    pub fn served(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Cell `id`'s metrics, if it is served.
    pub fn metrics(&self, id: &str) -> Option<Arc<Metrics>> {
        self.lock().get(id).map(|c| c.metrics.clone())
    }

    /// A copy of cell `id`'s supervision state now, if it is served.
    pub fn state(&self, id: &str) -> Option<fusioncell_cell::State> {
        self.lock().get(id).map(|c| c.state.read().clone())
    }

    /// The span of cell `id`'s log lines, if it is served.
    pub fn span(&self, id: &str) -> Option<tracing::Span> {
        self.lock().get(id).map(|c| c.span.clone())
    }

    /// The address the relay listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `/metrics` (every cell's series in one scrape), `/healthz` and `/readyz` on
    /// plain HTTP at `config.listen` until shutdown; returns the address bound.
    pub async fn serve_admin(&self, config: AdminConfig) -> Result<SocketAddr, RelayError> {
        admin::serve(&self.front, config, &self.span).await
    }

    /// Stops accepting, then stops every cell as [`Self::retire`] does; each cell's outcome,
    /// by id.
    pub async fn shutdown(self) -> Vec<(String, Result<ShutdownReport, RelayError>)> {
        self.front.shutdown.trigger();
        self.front.shutdown.wait().await;
        let running = std::mem::take(&mut *self.lock());
        let mut stopped = Vec::new();
        for (id, cell) in running {
            self.routes.remove(&id);
            stopped.push((id, cell.stop().await));
        }
        stopped
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ServedCell>> {
        // Inserting and removing never panic half-way: a poisoned map is still whole.
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Cells {
    fn drop(&mut self) {
        self.front.shutdown.trigger();
    }
}
