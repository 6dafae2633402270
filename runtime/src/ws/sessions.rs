//! The app's open WebSockets. An upgraded connection leaves hyper, and with
//! it hyper's graceful shutdown, so the server keeps its own count: at
//! shutdown it tells every socket to close (1001 Going Away), waits for them
//! within a bound, and then drops the ones that did not finish.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

/// Where the server is in its life, as the sockets see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Serving: sockets run as their handlers like.
    Open,
    /// Shutting down: each socket sends its close frame and finishes.
    Closing,
    /// Past the bound: sockets still running are dropped.
    Abort,
}

/// Every socket holds receivers of `phase` for as long as it lives, so
/// `closed()` says when the last one is gone, and a clone of `live`, which
/// counts them: no list to keep, and nothing a dropped or panicked socket
/// can leak.
pub(crate) struct Sessions {
    phase: watch::Sender<Phase>,
    live: Arc<()>,
    /// The server's connection limit, so an upgraded socket keeps counting
    /// against it after hyper lets its connection go.
    connections: Mutex<Option<Arc<Semaphore>>>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            phase: watch::Sender::new(Phase::Open),
            live: Arc::new(()),
            connections: Mutex::new(None),
        }
    }
}

impl Sessions {
    /// A server starts serving: sockets open, under its connection limit.
    pub(crate) fn serve(&self, connections: Arc<Semaphore>) {
        self.phase.send_replace(Phase::Open);
        if let Ok(mut slot) = self.connections.lock() {
            *slot = Some(connections);
        }
    }

    /// A place for one more socket: its phase receiver, and its place under
    /// the connection limit (`None` at the limit; without a server, as in
    /// [`TestClient`](crate::testing::TestClient), there is no limit).
    pub(crate) fn join(&self) -> Result<SessionGuard, AtCapacity> {
        let permit = match self.connections.lock().ok().and_then(|slot| slot.clone()) {
            Some(connections) => Some(connections.try_acquire_owned().map_err(|_| AtCapacity)?),
            None => None,
        };
        Ok(SessionGuard {
            phase: self.phase.subscribe(),
            _live: Arc::clone(&self.live),
            _permit: permit,
        })
    }

    /// How many sockets are open (or upgrading).
    pub(crate) fn open(&self) -> usize {
        Arc::strong_count(&self.live) - 1
    }

    /// Tells every socket to close, and waits until they have, or until
    /// `stop_by`; then drops the rest. Returns how many were dropped.
    pub(crate) async fn close_all(&self, stop_by: Instant) -> usize {
        self.phase.send_replace(Phase::Closing);
        if tokio::time::timeout_at(stop_by, self.phase.closed())
            .await
            .is_ok()
        {
            return 0;
        }
        self.abort()
    }

    /// Drops every socket still running; returns how many there were.
    pub(crate) fn abort(&self) -> usize {
        let left = self.open();
        self.phase.send_replace(Phase::Abort);
        left
    }
}

/// The server is at its connection limit.
#[derive(Debug)]
pub(crate) struct AtCapacity;

/// One socket's place: alive while the socket is.
pub(crate) struct SessionGuard {
    phase: watch::Receiver<Phase>,
    _live: Arc<()>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl SessionGuard {
    /// Resolves once the server starts shutting down (or is gone).
    pub(crate) fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut phase = self.phase.clone();
        async move {
            let _ = phase.wait_for(|phase| *phase != Phase::Open).await;
        }
    }

    /// Resolves once the server gives up waiting for sockets to close.
    pub(crate) fn aborted(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut phase = self.phase.clone();
        async move {
            let _ = phase.wait_for(|phase| *phase == Phase::Abort).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn counts_sockets_by_their_guards_and_drops_the_stragglers() {
        let sessions = Sessions::default();
        let first = sessions.join().expect("no limit");
        let second = sessions.join().expect("no limit");
        assert_eq!(sessions.open(), 2);
        let closing = first.closing();
        let aborted = second.aborted();
        drop(first);
        assert_eq!(sessions.open(), 1);
        let waiter = tokio::spawn(closing);
        // `second` never closes: close_all gives up at the bound.
        let dropped = sessions
            .close_all(Instant::now() + Duration::from_millis(20))
            .await;
        assert_eq!(dropped, 1);
        waiter.await.expect("closing resolved at shutdown");
        aborted.await;
        drop(second);
        assert_eq!(sessions.open(), 0);
        let all_closed = sessions.close_all(Instant::now()).await;
        assert_eq!(all_closed, 0);
    }

    #[test]
    fn a_socket_counts_against_the_connection_limit() {
        let sessions = Sessions::default();
        sessions.serve(Arc::new(Semaphore::new(1)));
        let held = sessions.join().expect("one place");
        assert!(sessions.join().is_err());
        drop(held);
        assert!(sessions.join().is_ok());
    }
}
