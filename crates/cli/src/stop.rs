//! The signals that ask a command to stop: Ctrl-C (SIGINT) and SIGTERM (what `docker stop`
//! sends). A command that writes anything selects on [`signal`] and stops in order, so that a
//! signal never leaves a journal or a file half-written.

/// The exit status of a command stopped by a signal before it finished (128 + SIGINT, as a
/// shell reports Ctrl-C).
pub const INTERRUPTED: u8 = 130;

/// Resolves at the first SIGINT or SIGTERM. Listening starts at the first poll.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
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
