//! The app as a service: routing one request to its handler, turning a
//! handler panic into a `500` rather than a dropped connection, and the
//! tower layers around it.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{StatusCode, header};
use http_body::{Frame, SizeHint};

use crate::app::Routing;
use crate::extract::{PathParams, RemoteAddr, RequestParts};
use crate::panic::{CatchUnwind, panic_message};
use crate::response::json_detail;
use crate::routing::{HandlerFuture, Match, RouteDef, RouteInfo};
use crate::{App, Body, BoxError, CompletionBody, Response};

impl Routing {
    /// Routes one request. `remote` is the client's address, when known.
    fn handle(
        self: &Arc<Self>,
        request: http::Request<Body>,
        remote: Option<SocketAddr>,
    ) -> RouteFuture {
        let (head, body) = request.into_parts();
        let found = match self.router.at(&head.method, head.uri.path()) {
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
            Ok((
                RouteDef {
                    info,
                    call,
                    uses_tasks,
                    ..
                },
                params,
            )) => {
                let mut parts = RequestParts::new(head, params, info, Arc::clone(&self.shared));
                parts.set_remote_addr(remote);
                if uses_tasks {
                    // Refused before the handler runs: work is turned away
                    // honestly rather than accepted and dropped.
                    match self.shared.runner.admit() {
                        Some(admission) => parts.set_admission(admission),
                        None => {
                            return RouteFuture(Stage::Ready(Some(
                                overloaded().map(CompletionBody::new),
                            )));
                        }
                    }
                }
                RouteFuture(Stage::Running {
                    route: info,
                    future: CatchUnwind::new(call(parts, body)),
                })
            }
            Err(response) => RouteFuture(Stage::Ready(Some(response.map(CompletionBody::new)))),
        }
    }
}

impl App {
    /// Serves one request through the layers (if any) and the routing.
    pub(crate) fn handle(
        &self,
        mut request: http::Request<Body>,
        remote: Option<SocketAddr>,
    ) -> RouteFuture {
        match &self.inner.layered {
            None => self.inner.routing.handle(request, remote),
            Some(layered) => {
                // Layers only pass the request on, so the address rides along in it.
                if let Some(remote) = remote {
                    request.extensions_mut().insert(RemoteAddr(remote));
                }
                RouteFuture(Stage::Layered(layered.call(request)))
            }
        }
    }
}

/// `503` with `Retry-After`, for a route that takes background tasks while
/// the app's cap on pending background work is reached.
fn overloaded() -> Response {
    let mut response = json_detail(
        StatusCode::SERVICE_UNAVAILABLE,
        "Too much background work is pending; retry shortly",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, http::HeaderValue::from_static("1"));
    response
}

/// The service at the core of an app's layers: the routing, wrapped in the
/// layers added before. [`App::layer`] hands it to each layer, and a layer
/// of your own wraps it as any [`tower_service::Service`]:
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
    Layered(Arc<dyn LayeredService>),
}

impl Routes {
    pub(crate) fn direct(routing: Arc<Routing>) -> Self {
        Routes(RoutesKind::Direct(routing))
    }

    pub(crate) fn layered(layered: Arc<dyn LayeredService>) -> Self {
        Routes(RoutesKind::Layered(layered))
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
            RoutesKind::Layered(layered) => RouteFuture(Stage::Layered(layered.call(request))),
        }
    }
}

type BoxResponseFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

/// A layered service behind one type, so the app need not name its layers.
pub(crate) trait LayeredService: Send + Sync {
    fn call(&self, request: http::Request<Body>) -> BoxResponseFuture;
}

/// A tower service behind [`LayeredService`]. Tower services take `&mut
/// self`, so each request gets a clone, as tower's own boxed services do.
pub(crate) struct Layered<S> {
    service: Mutex<S>,
}

impl<S> Layered<S> {
    pub(crate) fn new(service: S) -> Self {
        Layered {
            service: Mutex::new(service),
        }
    }
}

impl<S, B> LayeredService for Layered<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn call(&self, request: http::Request<Body>) -> BoxResponseFuture {
        let mut service = self
            .service
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        Box::pin(async move {
            let result = match poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(Into::into)
            {
                Ok(()) => service.call(request).await.map_err(Into::into),
                Err(error) => Err(error),
            };
            match result {
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
pub struct ResponseBody(ResponseKind);

enum ResponseKind {
    Direct(CompletionBody<Body>),
    Layered(Body),
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.0 {
            ResponseKind::Direct(body) => Pin::new(body).poll_frame(cx),
            ResponseKind::Layered(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            ResponseKind::Direct(body) => body.is_end_stream(),
            ResponseKind::Layered(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            ResponseKind::Direct(body) => body.size_hint(),
            ResponseKind::Layered(body) => body.size_hint(),
        }
    }
}

/// An empty body carrying no tasks, for layers that answer by themselves
/// (a CORS preflight, a timeout).
impl Default for ResponseBody {
    fn default() -> Self {
        ResponseBody(ResponseKind::Direct(CompletionBody::new(Body::empty())))
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            ResponseKind::Direct(body) => f.debug_tuple("ResponseBody").field(body).finish(),
            ResponseKind::Layered(body) => f.debug_tuple("ResponseBody").field(body).finish(),
        }
    }
}

/// The future of one request's response, as the app's
/// [`Service`](tower_service::Service) returns it: for driving an
/// [`App`] from tower or hyper code of your own. It never fails; a handler
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
    /// Answered without a handler: 404, 405.
    Ready(Option<Response<CompletionBody>>),
    Running {
        route: &'static RouteInfo,
        future: CatchUnwind<HandlerFuture>,
    },
    Layered(BoxResponseFuture),
}

impl Future for RouteFuture {
    type Output = Result<Response<ResponseBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let direct = |response: Response<CompletionBody>| {
            Poll::Ready(Ok(response.map(|b| ResponseBody(ResponseKind::Direct(b)))))
        };
        match &mut self.0 {
            Stage::Ready(response) => direct(
                response
                    .take()
                    .expect("atode: RouteFuture polled after completion"),
            ),
            Stage::Running { route, future } => match Pin::new(future).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(response)) => direct(response),
                Poll::Ready(Err(panic)) => {
                    tracing::error!(
                        target: "atode::handler",
                        route = route.name,
                        path = route.declared,
                        panic = panic_message(&*panic),
                        "handler panicked; answering 500"
                    );
                    direct(
                        json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                            .map(CompletionBody::new),
                    )
                }
            },
            Stage::Layered(future) => future
                .as_mut()
                .poll(cx)
                .map(|response| Ok(response.map(|b| ResponseBody(ResponseKind::Layered(b))))),
        }
    }
}

impl<B> tower_service::Service<http::Request<B>> for App
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> RouteFuture {
        let request = request.map(Body::new);
        let remote = request.extensions().get::<RemoteAddr>().map(|addr| addr.0);
        self.handle(request, remote)
    }
}

/// The service hyper drives for one connection.
#[derive(Clone)]
pub(crate) struct ConnectionService {
    pub(crate) app: App,
    pub(crate) remote: SocketAddr,
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for ConnectionService {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn call(&self, request: http::Request<hyper::body::Incoming>) -> RouteFuture {
        self.app.handle(request.map(Body::from), Some(self.remote))
    }
}
