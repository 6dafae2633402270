//! One chore at a time (a checkpoint, a flush), and a way to wait for it.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

/// The turn at a chore that runs one at a time: the chore that runs holds
/// it until it ends, or until its task is dropped with its runtime.
pub(crate) struct Turn(Arc<Semaphore>);

impl Default for Turn {
    fn default() -> Self {
        Turn(Arc::new(Semaphore::new(1)))
    }
}

impl Turn {
    /// The turn, for a task to hold, unless a chore holds it.
    pub(crate) fn try_take(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.0).try_acquire_owned().ok()
    }

    /// The turn, once the chore that holds it ends.
    pub(crate) async fn take(&self) -> SemaphorePermit<'_> {
        self.0
            .acquire()
            .await
            .expect("a turn's semaphore is never closed")
    }

    /// Whether a chore holds the turn.
    #[cfg(test)]
    pub(crate) fn taken(&self) -> bool {
        self.0.available_permits() == 0
    }
}
