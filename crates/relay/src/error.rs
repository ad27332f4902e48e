//! Errors that stop the relay. How a single connection ends is a [`crate::session_end`].

/// Errors that stop the relay from starting or running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// TLS settings could not be built.
    #[error("TLS: {0}")]
    Tls(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The admin listener's socket could not be bound.
    #[error(
        "cannot serve metrics and health on {addr}: {source} (choose another address with `--admin`, or `--admin off`)"
    )]
    AdminBind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The journal could not be opened, recovered or written.
    #[error("journal: {0}")]
    Journal(#[from] fusioncell_journal::JournalError),
    /// The journal failed while the relay ran (a write, sync, checkpoint or scrub): nothing
    /// after the failure was acknowledged and no final checkpoint was written.
    #[error(
        "the journal failed while running ({0}); nothing after it was acknowledged and no final \
         checkpoint was written: restart the relay to recover the journal"
    )]
    JournalFailed(fusioncell_journal::JournalError),
    /// Asked to stop while opening (recovering) the journal: nothing was written.
    #[error("stopped while recovering the journal; nothing was written")]
    StoppedDuringRecovery,
    /// The relay key is not the one the cell registers.
    #[error("the relay key does not match relay.public_key in the cell config")]
    WrongRelayKey,
    /// The journal belongs to another cell.
    #[error("the journal belongs to cell `{found}`, not `{expected}`")]
    OtherCell {
        /// The configured cell.
        expected: String,
        /// The journal's.
        found: String,
    },
    /// A cell was added to a relay that serves it already.
    #[error("cell `{0}` is served already")]
    CellServed(String),
    /// A cell to retire is not served.
    #[error("cell `{0}` is not served")]
    NoSuchCell(String),
    /// A relay thread could not be started or failed.
    #[error("relay thread: {0}")]
    Thread(String),
}
