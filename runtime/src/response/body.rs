//! `ResponseBody`: the body of every response an app serves.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::Either;

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
    body: Either<CompletionBody, Body>,
    /// The request this answers, in progress on its connection until this
    /// is dropped (the slowloris defence, `serve/head_deadline.rs`).
    in_progress: Option<crate::serve::InProgress>,
}

impl ResponseBody {
    /// A handler's body, with its request's tasks attached.
    pub(crate) fn direct(body: CompletionBody) -> Self {
        ResponseBody {
            body: Either::Left(body),
            in_progress: None,
        }
    }

    /// What the app's layers made of it; the tasks ride inside.
    pub(crate) fn layered(body: Body) -> Self {
        ResponseBody {
            body: Either::Right(body),
            in_progress: None,
        }
    }

    /// Keeps `request` in progress on its connection until this is dropped.
    pub(crate) fn hold(&mut self, request: Option<crate::serve::InProgress>) {
        self.in_progress = request;
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// An empty body carrying no tasks, for layers that answer by themselves
/// (a CORS preflight, a timeout).
impl Default for ResponseBody {
    fn default() -> Self {
        ResponseBody::direct(CompletionBody::new(Body::empty()))
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ResponseBody").finish_non_exhaustive()
    }
}
