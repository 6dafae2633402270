//! `RouteFuture`: one request's response on its way, with a handler panic
//! turned into a `500` rather than a dropped connection.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::StatusCode;

use super::layered::BoxResponseFuture;
use super::{HandlerFuture, RouteInfo};
use crate::background::CompletionBody;
use crate::panic::{CatchUnwind, panic_message};
use crate::response::json_detail;
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
pub struct RouteFuture(Stage);

enum Stage {
    /// Answered without a handler: 404, 405. Boxed, so that the common
    /// stage, `Running`, sets the size: hyper moves this future into its
    /// connection state for every request.
    Ready(Option<Box<Response>>),
    Running {
        route: &'static RouteInfo,
        future: CatchUnwind<HandlerFuture>,
    },
    Layered(BoxResponseFuture),
}

impl RouteFuture {
    pub(crate) fn ready(response: Response) -> Self {
        RouteFuture(Stage::Ready(Some(Box::new(response))))
    }

    pub(crate) fn running(route: &'static RouteInfo, future: HandlerFuture) -> Self {
        RouteFuture(Stage::Running {
            route,
            future: CatchUnwind::new(future),
        })
    }

    pub(crate) fn layered(future: BoxResponseFuture) -> Self {
        RouteFuture(Stage::Layered(future))
    }
}

impl Future for RouteFuture {
    type Output = Result<Response<ResponseBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let response = match &mut self.0 {
            Stage::Ready(response) => match response.take() {
                Some(response) => {
                    (*response).map(|body| ResponseBody::direct(CompletionBody::new(body)))
                }
                // Polled again after it finished: a caller's bug, answered
                // rather than panicked on.
                None => json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                    .map(|body| ResponseBody::direct(CompletionBody::new(body))),
            },
            Stage::Running { route, future } => match Pin::new(future).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(response)) => response.map(ResponseBody::direct),
                Poll::Ready(Err(panic)) => {
                    // The handler's future, and with it the request's
                    // `RequestWork`, was dropped: its tasks are discarded
                    // and its place under the cap given back.
                    tracing::error!(
                        target: "atode::handler",
                        route = route.name,
                        path = route.declared,
                        panic = panic_message(&*panic),
                        "handler panicked; answering 500"
                    );
                    json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                        .map(|body| ResponseBody::direct(CompletionBody::new(body)))
                }
            },
            Stage::Layered(future) => match future.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(response) => response.map(ResponseBody::layered),
            },
        };
        Poll::Ready(Ok(response))
    }
}
