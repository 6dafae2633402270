//! `ResponseBody`: the body of every response an app serves.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use crate::background::CompletionBody;
use crate::{Body, BoxError};

/// The body of every response an app serves: the handler's body with its
/// request's tasks attached, or whatever the app's layers made of it. Read
/// it as any [`http_body::Body`]; reading it to the end (or dropping it)
/// starts the request's tasks.
///
/// ```
/// use atode::ResponseBody;
/// use http_body_util::BodyExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // The default is empty, for a layer that answers by itself.
/// let body = ResponseBody::default();
/// assert!(body.collect().await.unwrap().to_bytes().is_empty());
/// # }
/// ```
pub struct ResponseBody {
    body: Inner,
    /// The request this answers, in progress on its connection until this
    /// is dropped (the slowloris defence, `serve/head_deadline.rs`).
    in_progress: Option<crate::serve::InProgress>,
}

/// The two bodies a response can have. Not `http_body_util::Either`:
/// hyper polls this body once or twice per response, and its methods are
/// marked `#[inline]` so they fold into hyper's write loop.
enum Inner {
    /// A handler's body, with its request's tasks attached.
    Direct(CompletionBody),
    /// A body with no tasks of its own: a handler's whose request queued
    /// none, or what the app's layers made of one (the tasks ride inside).
    Plain(Body),
}

impl ResponseBody {
    /// A handler's body, with its request's tasks attached.
    pub(crate) fn direct(body: CompletionBody) -> Self {
        ResponseBody {
            body: Inner::Direct(body),
            in_progress: None,
        }
    }

    /// A body with no tasks attached: what the app's layers made of a
    /// handler's (the tasks ride inside), or the body of a request that
    /// queued none.
    pub(crate) fn plain(body: Body) -> Self {
        ResponseBody {
            body: Inner::Plain(body),
            in_progress: None,
        }
    }

    /// Keeps `request` in progress on its connection until this is dropped.
    pub(crate) fn hold(&mut self, request: crate::serve::InProgress) {
        self.in_progress = Some(request);
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    #[inline]
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.body {
            Inner::Direct(body) => Pin::new(body).poll_frame(cx),
            Inner::Plain(body) => Pin::new(body).poll_frame(cx),
        }
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        match &self.body {
            Inner::Direct(body) => body.is_end_stream(),
            Inner::Plain(body) => body.is_end_stream(),
        }
    }

    #[inline]
    fn size_hint(&self) -> SizeHint {
        match &self.body {
            Inner::Direct(body) => body.size_hint(),
            Inner::Plain(body) => body.size_hint(),
        }
    }
}

/// An empty body carrying no tasks, for layers that answer by themselves
/// (a CORS preflight, a timeout).
impl Default for ResponseBody {
    fn default() -> Self {
        ResponseBody::plain(Body::empty())
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ResponseBody").finish_non_exhaustive()
    }
}
