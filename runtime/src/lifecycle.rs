//! `Lifecycle`: one server's life (serving → draining → abandoning →
//! stopped), which its connections' requests, event streams, WebSockets
//! and background tasks all watch.
//!
//! The [`App`](crate::App) is configuration: every [`serve`](crate::serve)
//! makes a fresh lifecycle, and so does every
//! [`TestClient`](crate::testing::TestClient), so a server that stopped (or
//! gave up at its deadline) leaves nothing behind in the app, and two
//! servers of one app drain, abandon and count only their own work. An
//! app called as a bare tower service uses one kept by the app, which
//! never drains.
//!
//! A server serves a copy of the app made for it (`App::with_lifecycle`),
//! whose `AppShared` holds the server's lifecycle: every request already
//! holds that `Arc` in its `RequestParts`, and so does the routing inside
//! the app's layers and middleware, so the lifecycle reaches each request
//! at no cost to it, with nothing added to the request's extensions.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use tokio::sync::watch;

use crate::background::Running;

/// Shutdown has begun: streams end, sockets close, batches running finish
/// and new ones are refused.
const DRAINING: u8 = 1;
/// The shutdown was given up on (its deadline passed, or it was told to):
/// no task starts any more.
const ABANDONING: u8 = 2;
/// The server has returned.
const STOPPED: u8 = 4;

/// Where a lifecycle is, as logs and tests see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Serving,
    Draining,
    Abandoning,
    Stopped,
}

/// One server's (or one test client's) lifecycle: a cheap handle, cloned
/// into each request.
#[derive(Clone, Default)]
pub(crate) struct Lifecycle(Arc<Inner>);

struct Inner {
    /// What has happened, as flags: each is set once and never cleared,
    /// so a reader needs one load, and "abandoned" survives "stopped".
    flags: AtomicU8,
    /// `true` once shutdown begins: what ends a stream that would
    /// otherwise hold the shutdown forever, and tells sockets to close.
    closing: watch::Sender<bool>,
    /// This lifecycle's background batches that are running.
    batches: Running,
    /// Tasks of this lifecycle handed over to be run and not finished.
    pending: AtomicUsize,
    /// The open WebSockets, which shutdown closes.
    #[cfg(feature = "ws")]
    sessions: crate::ws::Sessions,
    /// The uploads waiting in temporary files, which an abandoned
    /// shutdown deletes.
    #[cfg(feature = "multipart")]
    uploads: Arc<crate::multipart::Spooled>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            flags: AtomicU8::new(0),
            closing: watch::Sender::new(false),
            batches: Running::default(),
            pending: AtomicUsize::new(0),
            #[cfg(feature = "ws")]
            sessions: crate::ws::Sessions::default(),
            #[cfg(feature = "multipart")]
            uploads: Arc::default(),
        }
    }
}

impl Lifecycle {
    /// Shutdown begins: event streams end, sockets are told to close,
    /// batches running finish (with the tasks that join them), and a new
    /// batch (tasks added after their request's batches ended) is refused.
    pub(crate) fn begin_drain(&self) {
        self.0.flags.fetch_or(DRAINING, Ordering::SeqCst);
        self.0.closing.send_replace(true);
    }

    /// The shutdown is given up on: no task of this lifecycle starts from
    /// now on. Returns how many of its tasks were still pending.
    pub(crate) fn abandon(&self) -> usize {
        self.begin_drain();
        self.0.flags.fetch_or(ABANDONING, Ordering::SeqCst);
        self.0.pending.load(Ordering::SeqCst)
    }

    /// The server has returned.
    pub(crate) fn stop(&self) {
        self.begin_drain();
        self.0.flags.fetch_or(STOPPED, Ordering::SeqCst);
    }

    fn flags(&self) -> u8 {
        self.0.flags.load(Ordering::SeqCst)
    }

    /// Whether new batches are still taken.
    pub(crate) fn serving(&self) -> bool {
        self.flags() == 0
    }

    /// Whether the shutdown was given up on: no task starts.
    pub(crate) fn abandoning(&self) -> bool {
        self.flags() & ABANDONING != 0
    }

    pub(crate) fn phase(&self) -> Phase {
        let flags = self.flags();
        if flags & STOPPED != 0 {
            Phase::Stopped
        } else if flags & ABANDONING != 0 {
            Phase::Abandoning
        } else if flags & DRAINING != 0 {
            Phase::Draining
        } else {
            Phase::Serving
        }
    }

    /// Becomes `true` when shutdown begins.
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.0.closing.subscribe()
    }

    /// A batch of this lifecycle starts.
    pub(crate) fn enter_batch(&self) {
        self.0.batches.enter();
    }

    /// A batch of this lifecycle ends, however it ends.
    pub(crate) fn leave_batch(&self) {
        self.0.batches.leave();
    }

    /// `count` tasks are handed over to be run.
    pub(crate) fn joined(&self, count: usize) {
        self.0.pending.fetch_add(count, Ordering::SeqCst);
    }

    /// `count` handed-over tasks ended, run or not.
    pub(crate) fn ended(&self, count: usize) {
        self.0.pending.fetch_sub(count, Ordering::SeqCst);
    }

    /// Tasks handed over and not finished.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.0.pending.load(Ordering::SeqCst)
    }

    /// Waits until none of this lifecycle's batches is running.
    pub(crate) async fn wait_idle(&self) {
        self.0.batches.wait_idle().await;
    }

    /// The open WebSockets.
    #[cfg(feature = "ws")]
    pub(crate) fn sessions(&self) -> &crate::ws::Sessions {
        &self.0.sessions
    }

    /// One more WebSocket: it is told to close when shutdown begins.
    #[cfg(feature = "ws")]
    pub(crate) fn join_socket(
        &self,
        place: Option<crate::ws::ConnectionPlace>,
    ) -> crate::ws::SessionGuard {
        self.0.sessions.join(self.closing(), place)
    }

    /// The uploads waiting in temporary files.
    #[cfg(feature = "multipart")]
    pub(crate) fn uploads(&self) -> &Arc<crate::multipart::Spooled> {
        &self.0.uploads
    }
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle")
            .field("phase", &self.phase())
            .field("pending", &self.0.pending.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_only_move_forward_and_abandoning_survives_stopping() {
        let lifecycle = Lifecycle::default();
        assert_eq!(lifecycle.phase(), Phase::Serving);
        assert!(lifecycle.serving() && !*lifecycle.closing().borrow());
        lifecycle.begin_drain();
        assert_eq!(lifecycle.phase(), Phase::Draining);
        assert!(!lifecycle.serving() && *lifecycle.closing().borrow());
        lifecycle.joined(2);
        assert_eq!(lifecycle.abandon(), 2);
        assert!(lifecycle.abandoning());
        lifecycle.stop();
        assert_eq!(lifecycle.phase(), Phase::Stopped);
        assert!(
            lifecycle.abandoning(),
            "a server that gave up stays given up"
        );
        lifecycle.begin_drain();
        assert_eq!(lifecycle.phase(), Phase::Stopped);
    }

    #[test]
    fn clones_share_one_lifecycle_and_new_ones_start_serving() {
        let first = Lifecycle::default();
        let clone = first.clone();
        clone.abandon();
        assert!(first.abandoning());
        assert!(Lifecycle::default().serving());
    }
}
