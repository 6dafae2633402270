//! The server's connections: each one's task, the count of those open, and
//! the graceful shutdown that reaches them.
//!
//! hyper-util's `GracefulShutdown` wraps each connection in a future that
//! polls a watch channel's `changed()` whenever the connection is polled:
//! about 225 instructions a request, and the channel's future in every
//! connection's state. Here the connections are already in the coarse
//! timer's list for their header timeout, so the shutdown sets a flag and
//! wakes them all through it; each task checks the flag when polled, one
//! load.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use hyper_util::server::graceful::GracefulConnection;
use tokio::sync::Notify;

use super::body_deadline::BodyLimits;
use super::head_deadline::HeadWatch;
use super::timer::{CoarseTimer, Registration};
use crate::Limits;

/// The server's side, shared by the accept loop and every connection.
#[derive(Clone)]
pub(crate) struct Connections(Arc<Shared>);

pub(super) struct Shared {
    pub(super) timer: CoarseTimer,
    /// The header timeout, in ticks of the timer, rounded up.
    pub(super) head_timeout: u64,
    /// An HTTP/2 connection's idle timeout, in ticks, rounded up.
    pub(super) idle_timeout: u64,
    /// What request bodies are read under.
    pub(super) body: BodyLimits,
    closing: AtomicBool,
    open: AtomicUsize,
    /// Told when the last open connection ends during the shutdown.
    all_closed: Notify,
}

impl Connections {
    pub(crate) fn new(timer: CoarseTimer, limits: &Limits) -> Self {
        Connections(Arc::new(Shared {
            timer,
            head_timeout: CoarseTimer::ticks(limits.header_read_timeout),
            idle_timeout: CoarseTimer::ticks(limits.idle_timeout),
            body: BodyLimits::new(limits),
            closing: AtomicBool::new(false),
            open: AtomicUsize::new(0),
            all_closed: Notify::new(),
        }))
    }

    /// The watch of a connection accepted now: its header timeout starts
    /// at once.
    pub(crate) fn watch(&self) -> HeadWatch {
        HeadWatch::new(Arc::clone(&self.0))
    }

    /// The task that serves `connection` until it ends, it waits too long
    /// for a request head, or the shutdown has closed it.
    pub(crate) fn task<C, P>(
        &self,
        connection: C,
        place: P,
        remote: SocketAddr,
        head: HeadWatch,
    ) -> ConnectionTask<C, P> {
        self.0.open.fetch_add(1, Ordering::AcqRel);
        ConnectionTask {
            registration: self.0.timer.watch_heads(head.clone()),
            connection,
            told: false,
            head,
            remote,
            _open: Open(Arc::clone(&self.0)),
            _place: place,
        }
    }

    /// Tells every connection to finish its response in progress and close
    /// (hyper's graceful shutdown), then waits until all have.
    pub(crate) async fn shut_down(&self) {
        // Before the wake-up: a task that registers after it sees the flag.
        self.0.closing.store(true, Ordering::Release);
        self.0.timer.wake_connections();
        loop {
            // Made before the count is read, so an end in between is not
            // missed.
            let closed = self.0.all_closed.notified();
            if self.0.open.load(Ordering::Acquire) == 0 {
                return;
            }
            closed.await;
        }
    }
}

impl Shared {
    fn closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }
}

/// One open connection in the count.
struct Open(Arc<Shared>);

impl Drop for Open {
    fn drop(&mut self) {
        if self.0.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.all_closed.notify_waiters();
        }
    }
}

pin_project_lite::pin_project! {
    /// One connection's task: hyper's connection future with the
    /// connection's place under the limit.
    ///
    /// A named future rather than an `async` block: a block that awaits a
    /// captured future keeps it twice in its state (the capture and the
    /// awaited copy), 1.7 KB more for every connection, idle or not.
    pub(crate) struct ConnectionTask<C, P> {
        #[pin]
        connection: C,
        // Whether hyper was told to shut the connection down.
        told: bool,
        head: HeadWatch,
        // The ticker wakes the task when `head` has expired, and the
        // shutdown through it.
        registration: Registration,
        remote: SocketAddr,
        _open: Open,
        // Given back when the task ends, not before.
        _place: P,
    }
}

impl<C, P> Future for ConnectionTask<C, P>
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        // Once: only this task polls it, so the waker stays the same.
        if !this.registration.is_registered() {
            this.registration.wake_with(cx.waker());
        }
        // After registering: the shutdown sets the flag before it wakes
        // the registered, so one or the other reaches this task.
        if !*this.told && this.head.shared().closing() {
            *this.told = true;
            this.connection.as_mut().graceful_shutdown();
        }
        if this.head.expired_now() {
            let remote = *this.remote;
            if !this.head.is_http2() {
                tracing::debug!(target: "atode::serve", %remote, "no request head within the header timeout; closing the connection");
                return Poll::Ready(());
            }
            // No stream is open: `GOAWAY`, and hyper closes the connection.
            if !*this.told {
                tracing::debug!(target: "atode::serve", %remote, "HTTP/2 connection idle past the idle timeout; closing it");
                *this.told = true;
                this.connection.as_mut().graceful_shutdown();
            }
        }
        match this.connection.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(()),
            Poll::Ready(Err(error)) => {
                let remote = *this.remote;
                tracing::debug!(target: "atode::serve", %remote, %error, "connection ended with an error");
                Poll::Ready(())
            }
        }
    }
}
