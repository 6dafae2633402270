//! `CompletionBody`: the response body wrapper that starts a request's tasks
//! once the response's last frame has been handed to the HTTP layer.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http_body::{Frame, SizeHint};

use super::BackgroundTasks;
use crate::Body;

/// A response body that hands its request's [`BackgroundTasks`] to the runner
/// when the body is finished.
///
/// "Finished" is the first of: `poll_frame` returns `None`; the inner body
/// reports `is_end_stream()` right after yielding a frame (hyper does not
/// poll again then); a trailers frame; an error; or the body being dropped
/// (hyper drops an empty body, such as a `HEAD` response's, unpolled, and a
/// body whose client went away). Every case fires once, synchronously, so
/// the tasks never wait for a later poll and the response never waits for
/// the tasks.
///
/// Every response an [`App`](crate::App) serves has this body type; a tower
/// layer that wraps or replaces it still drops it, which starts the tasks.
///
/// ```
/// use atode::{Body, CompletionBody};
/// use http_body_util::BodyExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let body = CompletionBody::new(Body::from("done"));
/// assert_eq!(body.collect().await.unwrap().to_bytes(), "done");
/// # }
/// ```
pub struct CompletionBody<B = Body> {
    inner: B,
    tasks: Option<BackgroundTasks>,
}

impl<B> CompletionBody<B> {
    /// A body that carries no tasks.
    pub fn new(inner: B) -> Self {
        CompletionBody { inner, tasks: None }
    }

    pub(crate) fn with_tasks(inner: B, tasks: Option<BackgroundTasks>) -> Self {
        CompletionBody { inner, tasks }
    }

    fn complete(&mut self) {
        if let Some(tasks) = self.tasks.take() {
            tasks.schedule();
        }
    }
}

impl<B> http_body::Body for CompletionBody<B>
where
    B: http_body::Body + Unpin,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        let last = match &frame {
            None | Some(Err(_)) => true,
            Some(Ok(frame)) => frame.is_trailers() || self.inner.is_end_stream(),
        };
        if last {
            self.complete();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for CompletionBody<B> {
    fn drop(&mut self) {
        self.complete();
    }
}

impl<B: std::fmt::Debug> std::fmt::Debug for CompletionBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompletionBody")
            .field("inner", &self.inner)
            .field("tasks", &self.tasks)
            .finish()
    }
}
