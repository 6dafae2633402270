//! The slowloris defence, [`Limits::header_read_timeout`](crate::Limits),
//! kept per connection rather than per request.
//!
//! hyper's own header-read timeout starts a sleep for every request: a
//! boxed future, a place in the timer's list and its removal, reads of the
//! clock and the sleep's own polls; turning it off for this took 1,127
//! instructions off a plaintext request of 11,000 (bench/README.md). And
//! it starts only once the first bytes are in, so a client that connects
//! and sends nothing is never timed out at all.
//!
//! Here each connection has one [`HeadWatch`]: how many of its requests are
//! in progress, and since when it has had none. A request is in progress
//! from the moment hyper hands its head to the app until its response's
//! body is dropped (written, or abandoned). A connection with none in
//! progress for longer than the timeout is waiting for a head that does not
//! come (the first, or the next on a keep-alive connection), and its task
//! ends, which closes it. The coarse timer's ticker checks every watch ten
//! times a second; a request costs two counter updates.
//!
//! From its first request on, an HTTP/2 connection is timed the same way
//! with [`Limits::idle_timeout`](crate::Limits) instead: its streams are
//! multiplexed, so a connection with none open is idle, not slow, and is
//! sent `GOAWAY` once idle for that long.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use http::Version;

use super::body_deadline::TimedBody;
use super::connections::Shared;

/// One connection's requests in progress, shared by its task, its service
/// and the guards of its responses.
#[derive(Clone)]
pub(crate) struct HeadWatch(Arc<State>);

struct State {
    server: Arc<Shared>,
    in_progress: AtomicUsize,
    /// The tick since which no request has been in progress.
    since: AtomicU64,
    /// Whether a request came over HTTP/2: the idle timeout applies.
    http2: AtomicBool,
}

impl HeadWatch {
    /// The watch of a connection accepted now: it waits for its first head
    /// from now on.
    pub(super) fn new(server: Arc<Shared>) -> Self {
        let since = server.timer.ticks_now();
        HeadWatch(Arc::new(State {
            server,
            in_progress: AtomicUsize::new(0),
            since: AtomicU64::new(since),
            http2: AtomicBool::new(false),
        }))
    }

    pub(super) fn shared(&self) -> &Shared {
        &self.0.server
    }

    /// A request's head is in: the connection is not waiting for one (nor
    /// idle) until the returned guard is dropped.
    pub(crate) fn begin(&self, version: Version) -> Option<InProgress> {
        if version == Version::HTTP_2 && !self.0.http2.load(Ordering::Relaxed) {
            self.0.http2.store(true, Ordering::Release);
        }
        self.0.in_progress.fetch_add(1, Ordering::AcqRel);
        Some(InProgress(self.clone()))
    }

    /// Whether the connection speaks HTTP/2 (and is timed by the idle
    /// timeout).
    pub(crate) fn is_http2(&self) -> bool {
        self.0.http2.load(Ordering::Acquire)
    }

    /// A request body of this connection, to be read under the server's
    /// body limits.
    pub(crate) fn timed_body(&self, body: hyper::body::Incoming) -> TimedBody {
        TimedBody::new(body, self.0.server.timer.clone(), self.0.server.body)
    }

    /// Whether the connection has waited for a head for longer than the
    /// timeout, at tick `now`.
    pub(crate) fn expired(&self, now: u64) -> bool {
        // `in_progress` first: a guard stamps `since` before it counts
        // down, so a count of none comes with its stamp.
        if self.0.in_progress.load(Ordering::Acquire) > 0 {
            return false;
        }
        let since = self.0.since.load(Ordering::Acquire);
        let timeout = if self.is_http2() {
            self.0.server.idle_timeout
        } else {
            self.0.server.head_timeout
        };
        now >= since.saturating_add(timeout)
    }

    /// [`expired`](Self::expired) at the timer's current tick.
    pub(crate) fn expired_now(&self) -> bool {
        self.expired(self.0.server.timer.ticks_now())
    }
}

/// A request in progress on its connection; dropped with its response's
/// body.
pub(crate) struct InProgress(HeadWatch);

impl Drop for InProgress {
    fn drop(&mut self) {
        let state = &self.0.0;
        state
            .since
            .store(state.server.timer.ticks_now(), Ordering::Release);
        state.in_progress.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::connections::Connections;
    use crate::serve::timer::CoarseTimer;
    use std::time::Duration;

    fn watch(timeout: Duration) -> HeadWatch {
        let limits = crate::Limits {
            header_read_timeout: timeout,
            idle_timeout: timeout * 2,
            ..Default::default()
        };
        Connections::new(CoarseTimer::new(), &limits).watch()
    }

    #[test]
    fn a_connection_waiting_for_a_head_expires_after_the_timeout_and_not_before() {
        let watch = watch(Duration::from_millis(300));
        // 300 ms is 3 ticks, plus the one the clock may lag by.
        assert!(!watch.expired(3));
        assert!(watch.expired(4));
    }

    #[test]
    fn a_request_in_progress_holds_the_timeout_off_and_its_end_restarts_it() {
        let watch = watch(Duration::from_millis(300));
        let first = watch.begin(Version::HTTP_11).expect("a guard for HTTP/1.1");
        let second = watch.begin(Version::HTTP_11).expect("a guard for HTTP/1.1");
        assert!(!watch.expired(1_000));
        drop(first);
        assert!(!watch.expired(1_000), "one request is still in progress");
        drop(second);
        // Stamped at the clock's tick then (0, no ticker in this test).
        assert!(watch.expired(4));
    }

    #[test]
    fn http2_is_timed_by_the_idle_timeout_from_its_first_request_on() {
        // Header timeout 3 ticks (+1), idle timeout 6 (+1).
        let watch = watch(Duration::from_millis(300));
        let stream = watch.begin(Version::HTTP_2).expect("a guard for HTTP/2");
        assert!(watch.is_http2());
        assert!(!watch.expired(1_000), "a stream is open");
        drop(stream);
        assert!(!watch.expired(6));
        assert!(watch.expired(7));
    }
}
