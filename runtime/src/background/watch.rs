//! Counting running batches and waiting until none is left: for the whole
//! app (`TaskRunner::wait_idle`), for one server's lifecycle (what its
//! shutdown drains, `crate::lifecycle`), and for one request
//! (`RequestWatch`, how a `TestClient` waits for that request's tasks and
//! not every task of the app).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// How many batches are running, and a way to wait until none is.
#[derive(Default)]
pub(crate) struct Running {
    count: AtomicUsize,
    /// Woken when `count` drops to zero.
    idle: Notify,
}

impl Running {
    pub(crate) fn enter(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn leave(&self) {
        if self.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Waits until no batch is running.
    pub(crate) async fn wait_idle(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            // Register before reading the count, so a wake-up in between is kept.
            idle.as_mut().enable();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// Counts one request's running batches. The `TestClient` puts one in the
/// request's extensions; the request's list picks it up when it is made.
#[derive(Clone, Default)]
pub(crate) struct RequestWatch(Arc<Inner>);

#[derive(Default)]
struct Inner {
    running: Running,
    /// Every batch ever started, for tests that count them.
    started: AtomicUsize,
}

impl RequestWatch {
    pub(crate) fn enter(&self) {
        self.0.started.fetch_add(1, Ordering::SeqCst);
        self.0.running.enter();
    }

    pub(crate) fn leave(&self) {
        self.0.running.leave();
    }

    #[cfg(test)]
    pub(crate) fn started(&self) -> usize {
        self.0.started.load(Ordering::SeqCst)
    }

    /// Waits until none of the request's batches is running.
    pub(crate) async fn wait(&self) {
        self.0.running.wait_idle().await;
    }
}
