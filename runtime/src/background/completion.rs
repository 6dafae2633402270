//! `CompletionBody`: the response body wrapper that starts a request's tasks
//! once the response's last frame has been handed to the HTTP layer.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http_body::{Frame, SizeHint};

use super::request::PendingTasks;
use crate::Body;

/// A response body that hands its request's background tasks to the
/// runner when the body is finished. Not a public API: the response of a
/// request that queued tasks carries one inside its
/// [`ResponseBody`](crate::ResponseBody); other responses do without.
///
/// "Finished" is the first of: `poll_frame` returns `None`; the inner body
/// reports `is_end_stream()` right after yielding a frame (hyper does not
/// poll again then); a trailers frame; an error; or the body being dropped
/// (hyper drops an empty body, such as a `HEAD` response's, unpolled, and a
/// body whose client went away). Every case fires once, synchronously, so
/// the tasks never wait for a later poll and the response never waits for
/// the tasks. A tower layer that wraps or replaces the body still drops it,
/// which starts the tasks.
pub struct CompletionBody<B = Body> {
    inner: B,
    tasks: Option<PendingTasks>,
}

impl<B> CompletionBody<B> {
    pub(crate) fn with_tasks(inner: B, tasks: PendingTasks) -> Self {
        CompletionBody {
            inner,
            tasks: Some(tasks),
        }
    }

    fn complete(&mut self) {
        if let Some(tasks) = self.tasks.take() {
            tasks.start();
        }
    }
}

impl<B> http_body::Body for CompletionBody<B>
where
    B: http_body::Body + Unpin,
{
    type Data = B::Data;
    type Error = B::Error;

    #[inline]
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

    #[inline]
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    #[inline]
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
            .field("tasks", &self.tasks.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::HeaderMap;
    use http_body::Body as _;
    use http_body_util::{BodyExt, StreamBody};

    use super::*;
    use crate::background::runner::{Owner, TaskRunner};
    use crate::background::{RequestWatch, RequestWork};
    use crate::body::ReceiverStream;

    /// A body wrapping `inner` whose request queued one empty task.
    fn with_one_task<B>(inner: B) -> (CompletionBody<B>, Owner) {
        let (body, owner, _watch) = watched(inner);
        (body, owner)
    }

    /// The same, with the watch that counts the batches its tasks start.
    fn watched<B>(inner: B) -> (CompletionBody<B>, Owner, RequestWatch) {
        let owner = Owner::for_tests(|_| {});
        let watch = RequestWatch::default();
        let mut work = RequestWork::default();
        work.tasks(owner.app(), "test", || Some(watch.clone()))
            .add_task(|| {}, ());
        let pending = work.finish(owner.app(), "test", || None, None, None, None);
        let pending = pending.expect("the request queued a task");
        (CompletionBody::with_tasks(inner, pending), owner, watch)
    }

    fn scheduled(owner: &Owner) -> u64 {
        let runner: &TaskRunner = owner.runner();
        runner.stats().scheduled
    }

    type Frames = Vec<Result<Frame<Bytes>, std::convert::Infallible>>;

    /// A body that yields `frames` and then ends, without knowing its end
    /// in advance (as a streamed response does not).
    fn stream(
        frames: Frames,
    ) -> StreamBody<ReceiverStream<Result<Frame<Bytes>, std::convert::Infallible>>> {
        let (sender, receiver) = tokio::sync::mpsc::channel(frames.len().max(1));
        for frame in frames {
            sender.try_send(frame).expect("channel has room");
        }
        StreamBody::new(ReceiverStream::new(receiver))
    }

    #[tokio::test]
    async fn a_single_chunk_body_fires_with_its_only_frame() {
        let (mut body, runner) = with_one_task(Body::from("all of it"));
        body.frame().await.expect("a frame").expect("data");
        // hyper stops polling once `is_end_stream` is true: no `None` is seen.
        assert!(body.is_end_stream());
        assert_eq!(scheduled(&runner), 1);
    }

    #[tokio::test]
    async fn a_streamed_body_fires_only_at_its_end() {
        let frames = vec![
            Ok(Frame::data(Bytes::from("a"))),
            Ok(Frame::data(Bytes::from("b"))),
        ];
        let (mut body, runner) = with_one_task(stream(frames));
        body.frame().await.expect("first").expect("data");
        body.frame().await.expect("second").expect("data");
        assert_eq!(scheduled(&runner), 0);
        assert!(body.frame().await.is_none());
        assert_eq!(scheduled(&runner), 1);
    }

    #[tokio::test]
    async fn a_trailers_frame_fires() {
        let frames = vec![
            Ok(Frame::data(Bytes::from("a"))),
            Ok(Frame::trailers(HeaderMap::new())),
        ];
        let (mut body, runner) = with_one_task(stream(frames));
        body.frame().await.expect("data frame").expect("data");
        assert_eq!(scheduled(&runner), 0);
        body.frame()
            .await
            .expect("trailers frame")
            .expect("trailers");
        assert_eq!(scheduled(&runner), 1);
    }

    #[tokio::test]
    async fn dropping_an_unpolled_body_fires() {
        let (body, runner) = with_one_task(Body::empty());
        assert_eq!(scheduled(&runner), 0);
        drop(body);
        assert_eq!(scheduled(&runner), 1);
    }

    /// Fires at the last frame, and neither a poll after the end nor the
    /// drop starts the batch again: the watch counts every batch start.
    #[tokio::test]
    async fn it_fires_once() {
        let (mut body, runner, watch) = watched(stream(vec![Ok(Frame::data(Bytes::from("x")))]));
        body.frame().await.expect("a frame").expect("data");
        assert_eq!(watch.started(), 0, "not before the end");
        assert!(body.frame().await.is_none());
        assert_eq!(watch.started(), 1);
        assert!(body.frame().await.is_none(), "polled past the end");
        drop(body);
        assert_eq!(
            watch.started(),
            1,
            "one batch, whatever else happens to the body"
        );
        runner.runner().wait_idle().await;
        assert_eq!(runner.runner().stats().completed, 1);
    }
}
