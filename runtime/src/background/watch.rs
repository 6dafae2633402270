//! `RequestWatch`: how a `TestClient` waits for one request's tasks, and
//! not for every task of the app.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Counts one request's running batches. The `TestClient` puts one in the
/// request's extensions; the request's list picks it up when it is made.
#[derive(Clone, Default)]
pub(crate) struct RequestWatch(Arc<Inner>);

#[derive(Default)]
struct Inner {
    running: AtomicUsize,
    /// Every batch ever started, for tests that count them.
    started: AtomicUsize,
    finished: Notify,
}

impl RequestWatch {
    pub(crate) fn enter(&self) {
        self.0.started.fetch_add(1, Ordering::SeqCst);
        self.0.running.fetch_add(1, Ordering::SeqCst);
    }

    #[cfg(test)]
    pub(crate) fn started(&self) -> usize {
        self.0.started.load(Ordering::SeqCst)
    }

    pub(crate) fn leave(&self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.finished.notify_waiters();
        }
    }

    /// Waits until none of the request's batches is running.
    pub(crate) async fn wait(&self) {
        loop {
            let finished = self.0.finished.notified();
            tokio::pin!(finished);
            // Register before reading the count, so a wake-up in between is kept.
            finished.as_mut().enable();
            if self.0.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            finished.await;
        }
    }
}
