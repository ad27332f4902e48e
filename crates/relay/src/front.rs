//! The relay's front door, shared by every cell it serves: the listening socket's TLS identity,
//! the connection and pending-login caps, and the deadlines that run before a request has
//! named its cell. A TLS handshake happens before the HTTP request that carries the path, so
//! these cannot belong to a cell; everything after the path is known does ([`crate::routes`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fusioncell_cell::Cell;
use tokio::sync::Semaphore;

use crate::admission::Admission;
use crate::metrics::{MetricsRegistry, Probes};
use crate::shutdown::Shutdown;

/// Where and how the front door listens.
pub struct FrontConfig {
    /// TLS server settings; `None` serves plain `ws://`, which the CLI only allows on a
    /// loopback address behind `--insecure-loopback`.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Where to listen (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The caps and deadlines that apply before a request names its cell.
    pub limits: FrontLimits,
}

/// The limits of a cell's `[limits]` that the shared listener applies before a request has
/// named its cell: the cells of one relay must agree on them ([`FrontLimits::differs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrontLimits {
    /// All connections open at once.
    pub max_connections: usize,
    /// Connections that have spoken and not logged in yet.
    pub max_pending_connections: usize,
    /// From accept to the end of the TLS handshake.
    pub tls_handshake_timeout_ms: u64,
    /// For reading the request head and upgrading.
    pub upgrade_timeout_ms: u64,
    /// From accept to a completed login.
    pub login_timeout_ms: u64,
}

impl FrontLimits {
    /// The front limits `cell` asks for.
    pub fn of(cell: &Cell) -> FrontLimits {
        let l = cell.limits();
        FrontLimits {
            max_connections: l.max_connections,
            max_pending_connections: l.max_pending_connections,
            tls_handshake_timeout_ms: l.tls_handshake_timeout_ms,
            upgrade_timeout_ms: l.upgrade_timeout_ms,
            login_timeout_ms: l.login_timeout_ms,
        }
    }

    /// The first field (`limits.NAME`) in which `other` differs from these, with both values.
    pub fn differs(&self, other: &FrontLimits) -> Option<(&'static str, String, String)> {
        let fields: [(&'static str, u64, u64); 5] = [
            (
                "limits.max_connections",
                self.max_connections as u64,
                other.max_connections as u64,
            ),
            (
                "limits.max_pending_connections",
                self.max_pending_connections as u64,
                other.max_pending_connections as u64,
            ),
            (
                "limits.tls_handshake_timeout_ms",
                self.tls_handshake_timeout_ms,
                other.tls_handshake_timeout_ms,
            ),
            (
                "limits.upgrade_timeout_ms",
                self.upgrade_timeout_ms,
                other.upgrade_timeout_ms,
            ),
            (
                "limits.login_timeout_ms",
                self.login_timeout_ms,
                other.login_timeout_ms,
            ),
        ];
        fields
            .into_iter()
            .find(|(_, a, b)| a != b)
            .map(|(name, a, b)| (name, a.to_string(), b.to_string()))
    }

    /// The login deadline, from accept.
    pub fn login_timeout(&self) -> Duration {
        Duration::from_millis(self.login_timeout_ms)
    }
}

/// What every connection shares before its request names a cell.
pub struct Front {
    /// TLS settings, or `None` for plain loopback WebSockets.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Connections not yet logged in (SECURITY.md, P5 and "Admission": a cap on half-open
    /// handshakes that evicts the longest-waiting rather than refusing the newest, and silent
    /// sockets that make room at the connection cap).
    pub admission: Arc<Admission>,
    /// All connections.
    pub connections: Arc<Semaphore>,
    /// The caps and deadlines.
    pub limits: FrontLimits,
    /// The relay's shutdown; each cell's is a [`Shutdown::child`] of it.
    pub shutdown: Shutdown,
    /// The metrics of every cell and of the listener, scraped together.
    pub registry: Arc<MetricsRegistry>,
}

impl Front {
    /// The front door of `config`, its tasks in `shutdown`.
    pub fn new(
        tls: Option<Arc<rustls::ServerConfig>>,
        limits: FrontLimits,
        shutdown: Shutdown,
    ) -> Front {
        let admission = Admission::new(limits.max_pending_connections);
        // At most what the descriptor limit allows (`descriptors`).
        let capacity = crate::descriptors::connection_capacity(limits.max_connections);
        let connections = Arc::new(Semaphore::new(capacity));
        let registry = MetricsRegistry::new(Some(Probes {
            connections: connections.clone(),
            max_connections: capacity,
            admission: admission.clone(),
        }));
        Front {
            tls,
            admission,
            connections,
            limits,
            shutdown,
            registry,
        }
    }
}
