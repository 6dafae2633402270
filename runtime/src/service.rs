//! The app as a service: routing one request to its handler, and turning a
//! handler panic into a `500` rather than a dropped connection.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{StatusCode, header};

use crate::extract::{PathParams, RequestParts};
use crate::panic::{CatchUnwind, panic_message};
use crate::response::json_detail;
use crate::routing::{HandlerFuture, Match, RouteDef, RouteInfo};
use crate::{App, Body, BoxError, CompletionBody, Response};

impl App {
    /// Routes one request. `remote` is the client's address, when known.
    pub(crate) fn handle(
        &self,
        request: http::Request<Body>,
        remote: Option<SocketAddr>,
    ) -> RouteFuture {
        let (head, body) = request.into_parts();
        let found = match self.inner.router.at(&head.method, head.uri.path()) {
            Match::Found { route, params } => Ok((
                route,
                PathParams::from_slices(head.uri.path(), params.iter().map(|(_, value)| value)),
            )),
            Match::MethodNotAllowed(allow) => {
                let mut response =
                    json_detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
                response.headers_mut().insert(header::ALLOW, allow);
                Err(response)
            }
            Match::NotFound => Err(json_detail(StatusCode::NOT_FOUND, "Not Found")),
        };
        match found {
            Ok((RouteDef { info, call }, params)) => {
                let mut parts =
                    RequestParts::new(head, params, info, Arc::clone(&self.inner.shared));
                parts.set_remote_addr(remote);
                RouteFuture(Stage::Running {
                    route: info,
                    future: CatchUnwind::new(call(parts, body)),
                })
            }
            Err(response) => RouteFuture(Stage::Ready(Some(response.map(CompletionBody::new)))),
        }
    }
}

/// The future of one request's response, as the app's
/// [`Service`](tower_service::Service) returns it.
pub struct RouteFuture(Stage);

enum Stage {
    /// Answered without a handler: 404, 405.
    Ready(Option<Response<CompletionBody>>),
    Running {
        route: &'static RouteInfo,
        future: CatchUnwind<HandlerFuture>,
    },
}

impl Future for RouteFuture {
    type Output = Result<Response<CompletionBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            Stage::Ready(response) => Poll::Ready(Ok(response
                .take()
                .expect("atode: RouteFuture polled after completion"))),
            Stage::Running { route, future } => match Pin::new(future).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(response)) => Poll::Ready(Ok(response)),
                Poll::Ready(Err(panic)) => {
                    tracing::error!(
                        target: "atode::handler",
                        route = route.name,
                        path = route.declared,
                        panic = panic_message(&*panic),
                        "handler panicked; answering 500"
                    );
                    let response =
                        json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
                    Poll::Ready(Ok(response.map(CompletionBody::new)))
                }
            },
        }
    }
}

impl<B> tower_service::Service<http::Request<B>> for App
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<CompletionBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> RouteFuture {
        self.handle(request.map(Body::new), None)
    }
}

/// The service hyper drives for one connection.
#[derive(Clone)]
pub(crate) struct ConnectionService {
    pub(crate) app: App,
    pub(crate) remote: SocketAddr,
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for ConnectionService {
    type Response = Response<CompletionBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn call(&self, request: http::Request<hyper::body::Incoming>) -> RouteFuture {
        self.app.handle(request.map(Body::from), Some(self.remote))
    }
}
