//! `Routes`: the app's routing as a tower service, the core that layers
//! wrap; and the wrapped service behind one type, so the app need not name
//! its layers.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::StatusCode;

use super::RouteDef;
use super::dispatch::Routing;
use super::future::RouteFuture;
use super::scoped::ScopedRoute;
use crate::body::IntoBody;
use crate::extract::RemoteAddr;
use crate::response::json_detail;
use crate::shared::AppShared;
use crate::{Body, BoxError, Response, ResponseBody};

/// The service each of an app's layers wraps: the routing itself for the
/// first [`App::layer`](crate::App::layer), the layers before it for the
/// next. A layer of your own wraps it as any [`tower_service::Service`]:
///
/// ```
/// use atode::http::{HeaderValue, Request};
/// use atode::routing::Routes;
/// use atode::{get, routes, App, Body, Response, ResponseBody, testing::TestClient};
/// use std::convert::Infallible;
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use tower_layer::layer_fn;
/// use tower_service::Service;
///
/// /// Adds `x-served-by` to every response.
/// #[derive(Clone)]
/// struct ServedBy(Routes);
///
/// impl Service<Request<Body>> for ServedBy {
///     type Response = Response<ResponseBody>;
///     type Error = Infallible;
///     type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;
///
///     fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
///         self.0.poll_ready(cx)
///     }
///
///     fn call(&mut self, request: Request<Body>) -> Self::Future {
///         let future = self.0.call(request);
///         Box::pin(async move {
///             let mut response = future.await?;
///             response.headers_mut().insert("x-served-by", HeaderValue::from_static("atode"));
///             Ok(response)
///         })
///     }
/// }
///
/// #[get("/")]
/// async fn index() -> &'static str {
///     "hi"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new().routes(routes![index]).layer(layer_fn(ServedBy));
/// let client = TestClient::new(app);
/// assert_eq!(client.get("/").await.header("x-served-by"), Some("atode"));
/// assert_eq!(client.get("/nowhere").await.header("x-served-by"), Some("atode"));
/// # }
/// ```
#[derive(Clone)]
pub struct Routes(RoutesKind);

#[derive(Clone)]
enum RoutesKind {
    Direct(Arc<Routing>),
    /// One route, inside its routers' layers.
    Route(Arc<ScopedRoute>),
    Layered(Arc<dyn LayeredService>),
}

impl Routes {
    pub(crate) fn direct(routing: Arc<Routing>) -> Self {
        Routes(RoutesKind::Direct(routing))
    }

    pub(crate) fn route(def: RouteDef, shared: Arc<AppShared>) -> Self {
        Routes(RoutesKind::Route(Arc::new(ScopedRoute::new(def, shared))))
    }

    pub(crate) fn layered(layered: Arc<dyn LayeredService>) -> Self {
        Routes(RoutesKind::Layered(layered))
    }

    /// Serves one request. `remote` is the client's address, when known;
    /// layers only pass the request on, so for them it rides in the
    /// request's extensions.
    #[inline]
    pub(crate) fn handle<B: IntoBody>(
        &self,
        request: http::Request<B>,
        remote: Option<std::net::SocketAddr>,
    ) -> RouteFuture {
        match &self.0 {
            RoutesKind::Direct(routing) => routing.handle(request, remote),
            RoutesKind::Route(route) => route.handle(request, remote),
            RoutesKind::Layered(layered) => {
                let mut request = request.map(IntoBody::into_body);
                if let Some(remote) = remote {
                    request.extensions_mut().insert(RemoteAddr(remote));
                }
                RouteFuture::layered(layered.call(request))
            }
        }
    }
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Routes")
    }
}

impl tower_service::Service<http::Request<Body>> for Routes {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> RouteFuture {
        match &self.0 {
            RoutesKind::Direct(routing) => {
                let remote = request.extensions().get::<RemoteAddr>().map(|addr| addr.0);
                routing.handle(request, remote)
            }
            RoutesKind::Route(route) => {
                let remote = request.extensions().get::<RemoteAddr>().map(|addr| addr.0);
                route.handle(request, remote)
            }
            RoutesKind::Layered(layered) => RouteFuture::layered(layered.call(request)),
        }
    }
}

pub(crate) type BoxResponseFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

/// A layered service behind one type, so the app need not name its layers.
pub(crate) trait LayeredService: Send + Sync {
    fn call(&self, request: http::Request<Body>) -> BoxResponseFuture;
}

/// A tower service behind [`LayeredService`]. Tower services take `&mut
/// self`, so each request gets a clone of the stack, as tower's own boxed
/// services do; the stack is shared (`Sync`), so the clone needs no lock.
pub(crate) struct Layered<S> {
    service: S,
    /// Give an error answer without a body atode's `{"detail": ...}`: for
    /// a service mounted at a path, which answers its clients directly.
    detail_on_bare_errors: bool,
}

impl<S> Layered<S> {
    pub(crate) fn new(service: S) -> Self {
        Layered {
            service,
            detail_on_bare_errors: false,
        }
    }

    /// A service that answers clients itself (a mount, a fallback): its
    /// `4xx`/`5xx` answers without a body (tower-http's `ServeDir` gives
    /// its 404, 405 and 416 so) get `{"detail": "<reason>"}`, as atode's
    /// own errors have, headers such as `Allow` and `Content-Range` kept.
    pub(crate) fn answering_clients(service: S) -> Self {
        Layered {
            service,
            detail_on_bare_errors: true,
        }
    }
}

/// `response` with `{"detail": "<reason phrase>"}` when it is an error
/// without a body.
fn with_detail<B>(response: http::Response<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let status = response.status();
    let bare = (status.is_client_error() || status.is_server_error())
        && (response.body().is_end_stream() || response.body().size_hint().exact() == Some(0));
    if !bare {
        return response.map(Body::new);
    }
    let (mut parts, _) = response.into_parts();
    let detailed = json_detail(status, status.canonical_reason().unwrap_or("Error"));
    let (detailed_parts, body) = detailed.into_parts();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    parts.headers.extend(detailed_parts.headers);
    http::Response::from_parts(parts, body)
}

impl<S, B> LayeredService for Layered<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn call(&self, request: http::Request<Body>) -> BoxResponseFuture {
        let mut service = self.service.clone();
        let detail_on_bare_errors = self.detail_on_bare_errors;
        Box::pin(async move {
            let result = match poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(Into::into)
            {
                Ok(()) => service.call(request).await.map_err(Into::into),
                Err(error) => Err(error),
            };
            match result {
                Ok(response) if detail_on_bare_errors => with_detail(response),
                Ok(response) => response.map(Body::new),
                Err(error) => {
                    let error: BoxError = error;
                    tracing::error!(target: "atode::layer", %error, "a layer failed the request; answering 500");
                    json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                }
            }
        })
    }
}
