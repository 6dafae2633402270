//! A server's open WebSockets. An upgraded connection leaves hyper, and
//! with it hyper's graceful shutdown, so the server's lifecycle keeps its
//! own count: at shutdown it tells every socket to close (1001 Going
//! Away), waits for them within a bound, and then drops the ones that did
//! not finish.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::time::Instant;

/// A connection's place under
/// [`Limits::max_connections`](crate::Limits::max_connections), shared by
/// the connection and the sockets upgraded from it: the place is given back
/// when the last of them ends. So an HTTP/1.1 connection that becomes a
/// WebSocket keeps the one place it had, and WebSockets over one HTTP/2
/// connection share that connection's.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionPlace {
    /// Held for its drop, which gives the place back.
    _permit: Arc<OwnedSemaphorePermit>,
}

impl ConnectionPlace {
    pub(crate) fn new(permit: OwnedSemaphorePermit) -> Self {
        ConnectionPlace {
            _permit: Arc::new(permit),
        }
    }
}

/// One server's open WebSockets, part of its
/// [`Lifecycle`](crate::lifecycle::Lifecycle): shutdown begins with the
/// lifecycle's `closing` (each socket sends its close frame and finishes),
/// and once the bound on closing passes, `abort` drops the ones still
/// running.
///
/// Every socket holds receivers of `aborted` for as long as it lives, so
/// `closed()` says when the last one is gone, and a clone of `live`, which
/// counts them: no list to keep, and nothing a dropped or panicked socket
/// can leak.
pub(crate) struct Sessions {
    aborted: watch::Sender<bool>,
    live: Arc<()>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            aborted: watch::Sender::new(false),
            live: Arc::new(()),
        }
    }
}

impl Sessions {
    /// One more socket: its lifecycle's `closing` receiver, and its
    /// connection's place under the connection limit, which it keeps for
    /// as long as it lives (`None` without a server, as in
    /// [`TestClient`](crate::testing::TestClient)).
    pub(crate) fn join(
        &self,
        closing: watch::Receiver<bool>,
        place: Option<ConnectionPlace>,
    ) -> SessionGuard {
        SessionGuard {
            closing,
            aborted: self.aborted.subscribe(),
            _live: Arc::clone(&self.live),
            _place: place,
        }
    }

    /// How many sockets are open (or upgrading).
    pub(crate) fn open(&self) -> usize {
        Arc::strong_count(&self.live) - 1
    }

    /// Waits until every socket (told to close by the lifecycle) has, or
    /// until `stop_by`; then drops the rest. Returns how many were dropped.
    pub(crate) async fn close_all(&self, stop_by: Instant) -> usize {
        if tokio::time::timeout_at(stop_by, self.aborted.closed())
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
        self.aborted.send_replace(true);
        left
    }
}

/// One socket's place: alive while the socket is.
pub(crate) struct SessionGuard {
    closing: watch::Receiver<bool>,
    aborted: watch::Receiver<bool>,
    _live: Arc<()>,
    _place: Option<ConnectionPlace>,
}

impl SessionGuard {
    /// Resolves once the server starts shutting down (or is gone).
    pub(crate) fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.clone();
        async move {
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }

    /// Resolves once the server gives up waiting for sockets to close.
    pub(crate) fn aborted(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut aborted = self.aborted.clone();
        async move {
            let _ = aborted.wait_for(|aborted| *aborted).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn counts_sockets_by_their_guards_and_drops_the_stragglers() {
        let closing = watch::Sender::new(false);
        let sessions = Sessions::default();
        let first = sessions.join(closing.subscribe(), None);
        let second = sessions.join(closing.subscribe(), None);
        assert_eq!(sessions.open(), 2);
        let told = first.closing();
        let aborted = second.aborted();
        drop(first);
        assert_eq!(sessions.open(), 1);
        let waiter = tokio::spawn(told);
        closing.send_replace(true);
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
    fn a_socket_keeps_its_connections_place_until_both_have_ended() {
        let limit = Arc::new(tokio::sync::Semaphore::new(1));
        let sessions = Sessions::default();
        let closing = watch::Sender::new(false);
        let connection =
            ConnectionPlace::new(Arc::clone(&limit).try_acquire_owned().expect("one place"));
        let socket = sessions.join(closing.subscribe(), Some(connection.clone()));
        // The upgraded connection's own task ends: the socket keeps the place.
        drop(connection);
        assert_eq!(limit.available_permits(), 0);
        drop(socket);
        assert_eq!(limit.available_permits(), 1);
    }
}
