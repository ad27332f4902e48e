//! Graceful shutdown: one token every task watches, and a tracker to wait for them.
//!
//! Order (the pipeline's): the listener stops accepting; sessions stop reading, finish writing
//! what is queued and send "going away" (1001); the commit thread drains every act already
//! submitted, makes it durable, acknowledges it and writes a final checkpoint. Nothing that was
//! acknowledged is lost, and nothing is acknowledged that is not durable.
//!
//! Every task is spawned in the relay's span (`cell = …`), so each log line a session or the
//! listener writes names its cell, whichever task spawned it.

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// A shutdown signal plus the set of tasks that must finish before the relay has stopped.
#[derive(Clone)]
pub struct Shutdown {
    token: CancellationToken,
    tasks: TaskTracker,
    /// The span every task runs in: a spawned task does not inherit its spawner's.
    span: tracing::Span,
}

impl Shutdown {
    /// A fresh, untriggered shutdown whose tasks run in `span`.
    pub fn new(span: tracing::Span) -> Self {
        Self {
            token: CancellationToken::new(),
            tasks: TaskTracker::new(),
            span,
        }
    }

    /// The shutdown of one part of the relay (a cell): triggered by this one's trigger or its
    /// own, with its own tasks, in `span`.
    pub fn child(&self, span: tracing::Span) -> Self {
        Self {
            token: self.token.child_token(),
            tasks: TaskTracker::new(),
            span,
        }
    }

    /// Counts the caller's task among those [`Self::wait`] waits for while the returned token
    /// lives: a connection task spawned by the shared listener belongs to the cell its request
    /// names.
    pub fn track(&self) -> tokio_util::task::task_tracker::TaskTrackerToken {
        self.tasks.token()
    }

    /// The span its tasks run in.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Starts shutting down.
    pub fn trigger(&self) {
        self.tasks.close();
        self.token.cancel();
    }

    /// Resolves once shutdown has been triggered.
    pub async fn triggered(&self) {
        self.token.cancelled().await
    }

    /// Whether shutdown has been triggered.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Spawns a task the shutdown waits for, in the relay's span.
    pub fn spawn<F>(&self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(fut.instrument(self.span.clone()));
    }

    /// Waits for every spawned task to finish (after [`Self::trigger`]).
    pub async fn wait(&self) {
        self.tasks.wait().await
    }
}
