//! `RequestParts`: what extractors see of a request.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{HeaderMap, Method, Uri, Version};

use super::{MissingState, PathParams};
use crate::BackgroundTasks;
use crate::background::{PendingTasks, RequestWatch, RequestWork};
#[cfg(feature = "ws")]
use crate::lifecycle::Lifecycle;
use crate::routing::RouteInfo;
use crate::shared::AppShared;

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
///             format!("greeting {:?}", parts.state::<Greeting>().ok().map(|greeting| greeting.0)),
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
    /// The app, as the server (or test client) the request came through
    /// serves it: with that server's lifecycle, which drains the request's
    /// tasks, event streams and sockets.
    app: Arc<AppShared>,
    remote: Option<SocketAddr>,
    /// The request's background work: its list, made on first use (so a
    /// request that queues nothing allocates nothing), and its place under
    /// the app's cap, taken with it.
    work: RequestWork,
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
            work: RequestWork::default(),
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

    pub(crate) fn set_remote_addr(&mut self, remote: Option<SocketAddr>) {
        self.remote = remote;
    }

    /// The route's path as written in its attribute, such as
    /// `"/send-notification/<email>"`.
    pub fn route_path(&self) -> &'static str {
        self.route.declared
    }

    /// The app state of type `T` given to [`App::state`](crate::App::state),
    /// or the [`MissingState`](crate::extract::MissingState) rejection (a
    /// logged `500` naming the type and the fix) when the app has none.
    pub fn state<T: Send + Sync + 'static>(&self) -> Result<&T, MissingState> {
        self.app
            .state
            .get::<T>()
            .ok_or_else(|| MissingState::new::<T>(self.route.name))
    }

    /// The largest body, in bytes, that body extractors read.
    pub fn body_limit(&self) -> usize {
        self.route.body_limit.unwrap_or(self.app.body_limit)
    }

    /// The most `name=value` pairs a query string or urlencoded form is
    /// read with ([`App::max_fields`](crate::App::max_fields)).
    pub fn max_fields(&self) -> usize {
        self.app.max_fields
    }

    /// The request's [`BackgroundTasks`]: every call returns a handle to the
    /// same list, which is run after the response.
    ///
    /// The first call takes the request's place under the app's cap on
    /// pending background work ([`App::max_pending_tasks`](crate::App::max_pending_tasks)).
    /// Past the cap, the request is answered `503` with `Retry-After`
    /// before its handler runs, whatever the extractor does next, and the
    /// list it gets discards what is queued on it, with a logged count:
    ///
    /// ```
    /// use atode::{get, routes, App, FromRequestParts, RequestParts, testing::TestClient};
    /// use std::convert::Infallible;
    ///
    /// /// Queues an audit line for every request.
    /// struct Audited;
    ///
    /// impl FromRequestParts for Audited {
    ///     type Rejection = Infallible;
    ///
    ///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
    ///         parts.background_tasks().add_task(|| {}, ());
    ///         Ok(Audited)
    ///     }
    /// }
    ///
    /// #[get("/")]
    /// async fn index(_audited: Audited) -> &'static str {
    ///     "ok"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().max_pending_tasks(0).routes(routes![index]));
    /// let response = client.get("/").await;
    /// assert_eq!(response.status(), 503);
    /// assert_eq!(response.header("retry-after"), Some("1"));
    /// assert_eq!(client.task_monitor().stats().discarded, 1);
    /// # }
    /// ```
    pub fn background_tasks(&mut self) -> BackgroundTasks {
        let head = &self.head;
        self.work.tasks(&self.app, self.route.name, || watch(head))
    }

    /// The app, as the request's server serves it.
    #[cfg(feature = "metrics")]
    pub(crate) fn shared(&self) -> &Arc<AppShared> {
        &self.app
    }

    /// The app's task runner.
    #[cfg(feature = "durable")]
    pub(crate) fn app_runner(&self) -> &crate::background::TaskRunner {
        &self.app.runner
    }

    /// The lifecycle of the server (or test client) the request came
    /// through.
    #[cfg(feature = "ws")]
    pub(crate) fn lifecycle(&self) -> &Lifecycle {
        &self.app.lifecycle
    }

    /// Becomes `true` when the server the request came through starts
    /// shutting down.
    pub(crate) fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.app.lifecycle.closing()
    }

    /// The uploads waiting in temporary files, which the server the
    /// request came through deletes if it abandons their tasks.
    #[cfg(feature = "multipart")]
    pub(crate) fn uploads(&self) -> &Arc<crate::multipart::Spooled> {
        self.app.lifecycle.uploads()
    }

    /// The route's handler name, for logs.
    #[cfg(feature = "durable")]
    pub(crate) fn route_name(&self) -> &'static str {
        self.route.name
    }

    /// The route's path in the router's syntax (`/files/{*path}`).
    pub(crate) fn route_syntax(&self) -> &'static str {
        self.route.path
    }

    pub(crate) fn path_param(&self, index: usize) -> Option<&str> {
        self.params.get(index, self.head.uri.path())
    }

    /// Takes the request head back, as a middleware passes the request on
    /// after its extractors read it. The parts keep only what ending the
    /// request's own background work needs (the `TestClient`'s watch).
    pub(crate) fn take_head(&mut self) -> http::request::Parts {
        let (mut stub, ()) = http::Request::new(()).into_parts();
        if let Some(watch) = watch(&self.head) {
            stub.extensions.insert(watch);
        }
        std::mem::replace(&mut self.head, stub)
    }

    /// Whether the app's cap refused this request's background work.
    pub(crate) fn refused(&self) -> bool {
        self.work.refused()
    }

    /// Whether nothing reached for the request's tasks: it holds no list
    /// and no place under the cap, and was not refused.
    #[inline]
    pub(crate) fn untouched_work(&self) -> bool {
        self.work.is_untouched()
    }

    /// Takes the durable calls queued on the request's list (and on a list
    /// its response carries), to write with [`write_durable`](Self::write_durable).
    #[cfg(feature = "durable")]
    pub(crate) fn take_durable(
        &self,
        carried: Option<&BackgroundTasks>,
    ) -> Vec<crate::durable::PendingJob> {
        let mut jobs = self.work.take_durable();
        if let Some(carried) = carried {
            jobs.extend(carried.take_durable());
        }
        #[cfg(feature = "dashboard")]
        for job in &mut jobs {
            job.queued_by_route(self.route.path);
        }
        jobs
    }

    /// Writes `jobs` to the app's queue, in one transaction. `Err` is the
    /// response to send instead: `503` when the write failed or passed its
    /// bound (saying so when `COMMIT` was sent and the calls may be
    /// queued after all), `500` when the app has no queue (all logged).
    #[cfg(feature = "durable")]
    pub(crate) async fn write_durable(
        &self,
        jobs: Vec<crate::durable::PendingJob>,
    ) -> Result<(), crate::Response> {
        let route = self.route.name;
        let Some(queue) = self.app.runner.durable_queue() else {
            tracing::error!(
                target: "atode::durable",
                route,
                lost = jobs.len(),
                "{}; answering 500",
                crate::background::NO_QUEUE
            );
            return Err(crate::response::json_detail(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
            ));
        };
        let count = jobs.len();
        let written = queue.write(jobs);
        // The commit in the request's trace, between the request and the
        // calls' attempts.
        #[cfg(feature = "otel")]
        let written = tracing::Instrument::instrument(
            written,
            // An `i64`: OpenTelemetry's integers are signed (a `usize`
            // would be exported as text).
            tracing::info_span!(
                target: "atode::durable",
                "durable commit",
                calls = i64::try_from(count).unwrap_or(i64::MAX)
            ),
        );
        let Err(error) = written.await else {
            return Ok(());
        };
        queue.count_enqueue_failure();
        // Past `COMMIT` no one knows whether the calls are in.
        let (what, detail) = if error.may_have_committed() {
            (
                "durable task calls may or may not have been written (COMMIT was sent, \
                 its answer did not come); answering 503",
                "The background work may not have been queued; retry shortly",
            )
        } else {
            (
                "durable task calls could not be written; answering 503, nothing was queued",
                "The background work could not be queued; retry shortly",
            )
        };
        tracing::error!(target: "atode::durable", route, calls = count, %error, "{what}");
        Err(crate::response::unavailable(detail))
    }

    /// Admits work the handler returned under the app's cap: see
    /// [`RequestWork::admit_returned`].
    pub(crate) fn admit_returned(&mut self) -> bool {
        let head = &self.head;
        self.work
            .admit_returned(&self.app, self.route.name, || watch(head))
    }

    /// Ends the request's background work: see [`RequestWork::finish`].
    pub(crate) fn finish_work(
        &mut self,
        carried: Option<BackgroundTasks>,
        failed: Option<&'static str>,
        error_path: Option<BackgroundTasks>,
    ) -> Option<PendingTasks> {
        let head = &self.head;
        std::mem::take(&mut self.work).finish(
            &self.app,
            self.route.name,
            || watch(head),
            carried,
            failed,
            error_path,
        )
    }
}

/// The `TestClient`'s watch on this request's tasks, if it set one.
fn watch(head: &http::request::Parts) -> Option<RequestWatch> {
    head.extensions.get::<RequestWatch>().cloned()
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
