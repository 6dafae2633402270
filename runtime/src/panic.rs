//! Catching a panic inside a future, so one handler or task cannot take
//! down a connection or the tasks queued after it.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Polls an inner future, turning a panic into `Err(payload)`.
pub(crate) struct CatchUnwind<F> {
    inner: F,
}

impl<F> CatchUnwind<F> {
    pub(crate) fn new(inner: F) -> Self {
        CatchUnwind { inner }
    }
}

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.inner;
        // The future is dropped right after a panic and never polled again,
        // so no broken invariant of it can be observed.
        match catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// Runs `function` on tokio's blocking threads, turning a panic into
/// `Err(payload)` as [`CatchUnwind`] does for a future. A runtime shutting
/// down before it ran gives `Err` with that reason.
pub(crate) async fn spawn_blocking_caught<F, T>(function: F) -> Result<T, Box<dyn Any + Send>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(function)
        .await
        .map_err(|error| match error.try_into_panic() {
            Ok(panic) => panic,
            Err(error) => Box::new(error.to_string()),
        })
}

/// The message a panic was raised with, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic without a message".to_owned()
    }
}
