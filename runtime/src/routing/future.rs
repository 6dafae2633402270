//! `RouteFuture`: one request's response on its way, with a handler panic
//! turned into a `500` rather than a dropped connection.

use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::StatusCode;

use super::layered::BoxResponseFuture;
use super::{HandlerFuture, RouteInfo};
use crate::panic::panic_message;
use crate::response::{close_connection, json_detail};
use crate::serve::InProgress;
use crate::{Response, ResponseBody};

/// The future of one request's response, as the app's
/// [`Service`](tower_service::Service) returns it: for driving an
/// [`App`](crate::App) from tower or hyper code of your own. It never fails; a handler
/// that panics gives a `500`.
///
/// ```
/// use atode::{get, routes, App, Body, RouteFuture};
/// use http_body_util::BodyExt;
/// use tower_service::Service;
///
/// #[get("/")]
/// async fn index() -> &'static str {
///     "Hello, World!"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut app = App::new().routes(routes![index]);
/// let future: RouteFuture = app.call(atode::http::Request::new(Body::empty()));
/// let Ok(response) = future.await;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), "Hello, World!");
/// # }
/// ```
pub struct RouteFuture {
    stage: Stage,
    /// The request, in progress on its connection until the response's
    /// body is dropped (the slowloris defence, `serve/head_deadline.rs`):
    /// handed to the body here, where the response is made, rather than
    /// by a wrapping future that would move the response once more.
    in_progress: Option<InProgress>,
    /// Whether the response must close its HTTP/1.1 connection.
    last_on_connection: bool,
    /// The request's timing, on the app's outermost future, when the app
    /// has metrics.
    #[cfg(feature = "metrics")]
    timing: Option<crate::metrics::RequestTiming>,
    /// The request's span, on the app's outermost future, when something
    /// records spans: entered while the handler runs.
    #[cfg(feature = "otel")]
    span: Option<crate::otel::RequestSpan>,
    /// The route answering, for the metrics and the span: told to the
    /// outermost future through the response's extensions if layers stand
    /// between them.
    #[cfg(any(feature = "metrics", feature = "otel"))]
    matched: Option<super::MatchedRoute>,
}

enum Stage {
    /// Answered without a handler: 404, 405. Boxed, so that the common
    /// stage, `Running`, sets the size: hyper moves this future into its
    /// connection state for every request.
    Ready(Option<Box<Response>>),
    Running {
        route: &'static RouteInfo,
        future: HandlerFuture,
    },
    Layered(BoxResponseFuture),
}

impl RouteFuture {
    fn new(stage: Stage) -> Self {
        RouteFuture {
            stage,
            in_progress: None,
            last_on_connection: false,
            #[cfg(feature = "metrics")]
            timing: None,
            #[cfg(feature = "otel")]
            span: None,
            #[cfg(any(feature = "metrics", feature = "otel"))]
            matched: None,
        }
    }

    pub(crate) fn ready(response: Response) -> Self {
        RouteFuture::new(Stage::Ready(Some(Box::new(response))))
    }

    pub(crate) fn running(route: &'static RouteInfo, future: HandlerFuture) -> Self {
        RouteFuture::new(Stage::Running { route, future })
    }

    pub(crate) fn layered(future: BoxResponseFuture) -> Self {
        RouteFuture::new(Stage::Layered(future))
    }

    /// Keeps `request` in progress on its connection until the response's
    /// body is dropped.
    #[inline]
    pub(crate) fn holding(mut self, request: Option<InProgress>) -> Self {
        self.in_progress = request;
        self
    }

    /// Times the request into the app's metrics, as the app's outermost
    /// future.
    #[cfg(feature = "metrics")]
    pub(crate) fn timed(mut self, timing: Option<crate::metrics::RequestTiming>) -> Self {
        self.timing = timing;
        self
    }

    /// Traces the request in `span`, as the app's outermost future.
    #[cfg(feature = "otel")]
    pub(crate) fn traced(mut self, span: Option<crate::otel::RequestSpan>) -> Self {
        self.span = span;
        self
    }

    /// Names the route answering, for the metrics and the span.
    #[cfg(any(feature = "metrics", feature = "otel"))]
    pub(crate) fn answered_by(mut self, route: super::MatchedRoute) -> Self {
        self.matched = Some(route);
        self
    }

    /// Records the request in the app's metrics and its span if this is
    /// the outermost future, or tells the outermost which route answered.
    #[cfg(any(feature = "metrics", feature = "otel"))]
    fn report(&mut self, response: &mut Response<ResponseBody>) {
        #[cfg(feature = "metrics")]
        let timing = self.timing.take();
        #[cfg(not(feature = "metrics"))]
        let timing: Option<()> = None;
        #[cfg(feature = "otel")]
        let span = self.span.take();
        #[cfg(not(feature = "otel"))]
        let span: Option<()> = None;
        if timing.is_none() && span.is_none() {
            if let Some(route) = self.matched {
                response.extensions_mut().insert(route);
            }
            return;
        }
        let route = self
            .matched
            .or_else(|| response.extensions_mut().remove::<super::MatchedRoute>());
        #[cfg(feature = "metrics")]
        if let Some(timing) = timing {
            timing.finish(route, response.status());
        }
        #[cfg(feature = "otel")]
        if let Some(span) = span {
            span.finish(route, response.status());
        }
    }

    /// Makes the response the last on its HTTP/1.1 connection
    /// (`Connection: close`, which hyper honours by closing after it).
    pub(crate) fn last_on_connection(mut self) -> Self {
        self.last_on_connection = true;
        self
    }
}

impl Future for RouteFuture {
    type Output = Result<Response<ResponseBody>, Infallible>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The handler runs inside the request's span: its own spans, and
        // the tasks it queues, are the request's children.
        #[cfg(feature = "otel")]
        let span = self.span.as_ref().map(|span| span.span().clone());
        #[cfg(feature = "otel")]
        let _entered = span.as_ref().map(tracing::Span::enter);
        let mut response = match &mut self.stage {
            Stage::Ready(response) => match response.take() {
                Some(response) => (*response).map(ResponseBody::plain),
                // Polled again after it finished: a caller's bug, answered
                // rather than panicked on.
                None => json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                    .map(ResponseBody::plain),
            },
            Stage::Running { route, future } => {
                // The response is written straight into `ready` rather
                // than carried out of `catch_unwind` in a `Result` of a
                // `Poll`: each of those wrappers was a copy of it.
                let mut ready = None;
                let caught = catch_unwind(AssertUnwindSafe(|| {
                    if let Poll::Ready(response) = future.as_mut().poll(cx) {
                        ready = Some(response);
                    }
                }));
                match (caught, ready) {
                    (Ok(()), Some(response)) => response,
                    (Ok(()), None) => return Poll::Pending,
                    // The handler's future is dropped with this one, and
                    // with it the request's `RequestWork`: its tasks are
                    // discarded and its place under the cap given back.
                    (Err(panic), _) => {
                        tracing::error!(
                            target: "atode::handler",
                            route = route.name,
                            path = route.declared,
                            panic = panic_message(&*panic),
                            "handler panicked; answering 500"
                        );
                        json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                            .map(ResponseBody::plain)
                    }
                }
            }
            Stage::Layered(future) => match future.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(response) => response.map(ResponseBody::plain),
            },
        };
        if let Some(request) = self.in_progress.take() {
            response.body_mut().hold(request);
        }
        #[cfg(any(feature = "metrics", feature = "otel"))]
        self.report(&mut response);
        if self.last_on_connection {
            close_connection(response.headers_mut());
        }
        Poll::Ready(Ok(response))
    }
}
