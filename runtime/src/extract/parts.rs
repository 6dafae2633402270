//! `RequestParts`: what extractors see of a request.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{HeaderMap, Method, Uri, Version};

use super::PathParams;
use crate::BackgroundTasks;
use crate::app::AppShared;
use crate::background::Admission;
use crate::routing::RouteInfo;

/// The request head, the route it matched, and the app it reached: what an
/// extractor works from.
///
/// ```
/// use atode::{FromRequestParts, RequestParts};
/// use std::convert::Infallible;
///
/// struct IsHead(bool);
///
/// impl FromRequestParts for IsHead {
///     type Rejection = Infallible;
///
///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
///         Ok(IsHead(parts.method() == atode::Method::HEAD))
///     }
/// }
/// ```
///
/// Every accessor, in one extractor:
///
/// ```
/// use atode::{get, routes, App, FromRequestParts, RequestParts, testing::TestClient};
/// use std::convert::Infallible;
///
/// #[derive(Clone)]
/// struct Greeting(&'static str);
///
/// /// What an extractor can see of the request.
/// struct Seen(Vec<String>);
///
/// impl FromRequestParts for Seen {
///     type Rejection = Infallible;
///
///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
///         parts.extensions_mut().insert(42_u32);
///         parts.background_tasks().add_task(|| {}, ());
///         Ok(Seen(vec![
///             format!("{} {} {:?}", parts.method(), parts.uri(), parts.version()),
///             format!("agent {:?}", parts.headers()["user-agent"]),
///             format!("extension {:?}", parts.extensions().get::<u32>()),
///             format!("from {:?}", parts.remote_addr().map(|addr| addr.ip())),
///             format!("route {}", parts.route_path()),
///             format!("greeting {:?}", parts.state::<Greeting>().map(|greeting| greeting.0)),
///             format!("body limit {}", parts.body_limit()),
///             format!("tasks {}", parts.background_tasks().len()),
///         ]))
///     }
/// }
///
/// #[get("/items/<id>")]
/// async fn show(id: u32, Seen(seen): Seen) -> String {
///     format!("{id}\n{}", seen.join("\n"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().state(Greeting("hi")).routes(routes![show]));
/// let response = client
///     .get("/items/7")
///     .query(&[("full", "1")])
///     .header("user-agent", "doc")
///     .remote_addr(([10, 0, 0, 1], 80).into())
///     .await;
/// assert_eq!(
///     response.text(),
///     "7\n\
///      GET /items/7?full=1 HTTP/1.1\n\
///      agent \"doc\"\n\
///      extension Some(42)\n\
///      from Some(10.0.0.1)\n\
///      route /items/<id>\n\
///      greeting Some(\"hi\")\n\
///      body limit 2097152\n\
///      tasks 1"
/// );
/// # }
/// ```
pub struct RequestParts {
    head: http::request::Parts,
    params: PathParams,
    route: &'static RouteInfo,
    app: Arc<AppShared>,
    remote: Option<SocketAddr>,
    /// Made on first use, so a request that queues nothing allocates nothing.
    tasks: Option<BackgroundTasks>,
    /// The request's place under the cap on pending background work, taken
    /// before the handler ran; handed to its `BackgroundTasks`.
    admission: Option<Admission>,
}

impl RequestParts {
    pub(crate) fn new(
        head: http::request::Parts,
        params: PathParams,
        route: &'static RouteInfo,
        app: Arc<AppShared>,
    ) -> Self {
        RequestParts {
            head,
            params,
            route,
            app,
            remote: None,
            tasks: None,
            admission: None,
        }
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.head.method
    }

    /// The request URI, as the client sent it.
    pub fn uri(&self) -> &Uri {
        &self.head.uri
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The request's extensions, for values that layers attach.
    pub fn extensions(&self) -> &http::Extensions {
        &self.head.extensions
    }

    /// The request's extensions, mutably.
    pub fn extensions_mut(&mut self) -> &mut http::Extensions {
        &mut self.head.extensions
    }

    /// The client's address, when the request came over a socket.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote
    }

    pub(crate) fn set_admission(&mut self, admission: Admission) {
        self.admission = Some(admission);
    }

    pub(crate) fn set_remote_addr(&mut self, remote: Option<SocketAddr>) {
        self.remote = remote;
    }

    /// The route's path as written in its attribute, such as
    /// `"/send-notification/<email>"`.
    pub fn route_path(&self) -> &'static str {
        self.route.declared
    }

    /// The app state of type `T` given to [`App::state`](crate::App::state).
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.app.state.get::<T>()
    }

    /// The largest body, in bytes, that body extractors read.
    pub fn body_limit(&self) -> usize {
        self.route.body_limit.unwrap_or(self.app.body_limit)
    }

    /// The request's [`BackgroundTasks`]: every call returns a handle to the
    /// same list, which is run after the response.
    pub fn background_tasks(&mut self) -> BackgroundTasks {
        self.tasks
            .get_or_insert_with(|| {
                let runner = &self.app.runner;
                let admission = self
                    .admission
                    .take()
                    .unwrap_or_else(|| runner.force_admit());
                BackgroundTasks::for_route(Arc::clone(runner), self.route.name, Some(admission))
            })
            .clone()
    }

    /// The route's path in the router's syntax (`/files/{*path}`).
    pub(crate) fn route_syntax(&self) -> &'static str {
        self.route.path
    }

    pub(crate) fn path_param(&self, index: usize) -> Option<&str> {
        self.params.get(index, self.head.uri.path())
    }

    pub(crate) fn take_tasks(&mut self) -> Option<BackgroundTasks> {
        self.tasks.take()
    }
}

impl std::fmt::Debug for RequestParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestParts")
            .field("method", &self.head.method)
            .field("uri", &self.head.uri)
            .field("route", &self.route.declared)
            .finish_non_exhaustive()
    }
}
