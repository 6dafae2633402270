//! `App`: the routes, the state and the settings of one application.

mod check;
#[cfg(feature = "dashboard")]
mod dashboard;
mod fallback;
mod lifespan;
#[cfg(feature = "metrics")]
mod metrics;
#[cfg(feature = "openapi")]
mod openapi;
mod service;

pub use check::StartupError;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::background::TaskMonitor;
use crate::lifecycle::Lifecycle;
use crate::lifespan::Lifespan;
use crate::routing::{RouteDef, RouteTable, Routes, RoutesLayer, Routing, Wrap};
use crate::shared::AppShared;

/// The largest request body body extractors read unless told otherwise: 2 MiB.
/// Change it for a whole app with [`App::body_limit`], or for one route with
/// `body_limit = ...` in its attribute; a larger body is answered `413`.
///
/// ```
/// use atode::{post, routes, App, DEFAULT_BODY_LIMIT};
/// use atode::testing::TestClient;
/// use bytes::Bytes;
///
/// #[post("/upload")]
/// async fn upload(body: Bytes) -> String {
///     body.len().to_string()
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![upload]));
/// let fits = client.post("/upload").body(vec![0; DEFAULT_BODY_LIMIT]).await;
/// assert_eq!(fits.text(), DEFAULT_BODY_LIMIT.to_string());
/// let over = client.post("/upload").body(vec![0; DEFAULT_BODY_LIMIT + 1]).await;
/// assert_eq!(over.status(), 413);
/// # }
/// ```
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// An application: its routes, its shared state, and its background task
/// runner. Build it, then hand it to [`run`](crate::run) or
/// [`serve`](crate::serve). It is also a [`tower_service::Service`], so tower
/// layers can wrap it.
///
/// ```
/// use atode::{get, routes, App};
///
/// #[get("/")]
/// async fn index() -> &'static str {
///     "Hello, World!"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new().routes(routes![index]);
///
/// // In-process, as a test drives it:
/// let client = atode::testing::TestClient::new(app);
/// assert_eq!(client.get("/").await.text(), "Hello, World!");
/// # }
/// ```
///
/// Every method that configures the app takes and returns it by value, in
/// any order: routes and state added after a layer are still inside it.
///
/// **Clones.** An app is configuration, and cheap to clone. Configuring a
/// clone (its routes, state, layers, [`body_limit`](App::body_limit),
/// [`max_pending_tasks`](App::max_pending_tasks),
/// [`task_timeout`](App::task_timeout), ...) leaves the original as it
/// was. What clones share is the app's task runner: its counts
/// ([`App::task_monitor`]), the requests holding a place under the cap
/// (which each clone checks against its own cap), its task threads
/// ([`App::task_threads`] sets them for every clone) and its durable queue
/// ([`App::durable`], likewise).
///
/// **Servers.** Nothing of a server's life is kept in the app: each
/// [`serve`](crate::serve), and each
/// [`TestClient`](crate::testing::TestClient), has a lifecycle of its own
/// (serving, draining, abandoning, stopped). Two servers of one app drain,
/// abandon and count only the background tasks, event streams and
/// WebSockets of their own requests, and an app can be served again, or
/// driven by a `TestClient`, after a server of it stopped, even one that
/// abandoned its tasks at its shutdown deadline.
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
}

#[derive(Clone)]
struct AppInner {
    routing: Arc<Routing>,
    /// Each wraps what the previous ones made; applied when the app first
    /// serves, so the order of the builder calls does not matter.
    layers: Vec<Wrap>,
    /// The routing inside its layers, built on first use.
    service: OnceLock<Routes>,
    /// The OpenAPI document's settings.
    #[cfg(feature = "openapi")]
    openapi: crate::openapi::Settings,
    /// The document and its page, built on first use (by `App::check` or
    /// the first request), or what stops them being built.
    #[cfg(feature = "openapi")]
    docs: OnceLock<Result<Arc<crate::openapi::DocsSite>, Vec<String>>>,
    /// Start-up and shutdown hooks, run by the server around serving.
    lifespan: Lifespan,
}

impl App {
    /// An app with no routes, no state and the default settings: the
    /// starting point that the other methods build on. Until routes are
    /// added it answers every request `404`, in FastAPI's JSON shape.
    ///
    /// ```
    /// use atode::{App, testing::TestClient};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new());
    /// let response = client.get("/anything").await;
    /// assert_eq!(response.status(), 404);
    /// assert_eq!(response.text(), r#"{"detail":"Not Found"}"#);
    /// # }
    /// ```
    pub fn new() -> Self {
        let routing = Routing {
            router: RouteTable::default(),
            shared: Arc::new(AppShared::default()),
            #[cfg(feature = "openapi")]
            docs: None,
            unmatched: Default::default(),
        };
        App {
            inner: Arc::new(AppInner {
                routing: Arc::new(routing),
                layers: Vec::new(),
                service: OnceLock::new(),
                #[cfg(feature = "openapi")]
                openapi: crate::openapi::Settings::default(),
                #[cfg(feature = "openapi")]
                docs: OnceLock::new(),
                lifespan: Lifespan::default(),
            }),
        }
    }

    /// Adds routes, as [`routes!`](crate::routes) lists them. Call it as
    /// often as needed, say once per module of handlers. A path that has
    /// routes answers other methods `405` with an `Allow` header.
    ///
    /// ```
    /// use atode::{get, post, routes, App, StatusCode, testing::TestClient};
    ///
    /// #[get("/items")]
    /// async fn list() -> &'static str {
    ///     "[]"
    /// }
    ///
    /// #[post("/items")]
    /// async fn create() -> (StatusCode, &'static str) {
    ///     (StatusCode::CREATED, "made")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![list]).routes(routes![create]));
    /// assert_eq!(client.get("/items").await.text(), "[]");
    /// assert_eq!(client.post("/items").await.status(), StatusCode::CREATED);
    /// let response = client.delete("/items").await;
    /// assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    /// assert!(response.header("allow").is_some_and(|allow| allow.contains("POST")));
    /// # }
    /// ```
    ///
    /// Two routes that answer the same method and path, or whose paths
    /// match the same requests, are a start-up error naming both
    /// ([`App::check`], which [`serve`](crate::serve) runs).
    pub fn routes(mut self, routes: impl IntoIterator<Item = RouteDef>) -> Self {
        let routing = self.routing_mut();
        for route in routes {
            routing.router.add(route, Vec::new());
        }
        self
    }

    /// Adds a [`Router`](crate::Router)'s routes, under its prefix and
    /// with its tags. Two routes that answer one request, here or across
    /// routers, and a prefix that is not a plain path, are start-up errors
    /// naming them ([`App::check`]).
    ///
    /// ```
    /// use atode::{get, routes, App, Router};
    ///
    /// #[get("/status")]
    /// async fn status() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// let error = App::new().router(Router::new("/api/").routes(routes![status])).check().unwrap_err();
    /// assert!(error.to_string().contains("the router prefix `/api/` ends with `/`"));
    /// ```
    pub fn router(mut self, router: crate::Router) -> Self {
        let (routes, problems) = router.into_routes();
        let routing = self.routing_mut();
        for problem in problems {
            routing.router.problem(problem);
        }
        for (route, wraps) in routes {
            routing.router.add(route, wraps);
        }
        self
    }

    /// Adds app state, which handlers take with [`State<T>`](crate::State).
    /// One value per type; a second value of a type replaces the first.
    ///
    /// ```
    /// use atode::{get, routes, App, State, testing::TestClient};
    ///
    /// #[derive(Clone)]
    /// struct Config {
    ///     greeting: &'static str,
    /// }
    ///
    /// #[get("/")]
    /// async fn greet(State(config): State<Config>) -> &'static str {
    ///     config.greeting
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().state(Config { greeting: "hi" }).routes(routes![greet]);
    /// assert_eq!(TestClient::new(app).get("/").await.text(), "hi");
    /// # }
    /// ```
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.shared_mut().state.insert(value);
        self
    }

    /// Sets the largest request body, in bytes, that body extractors such
    /// as [`Json`](crate::Json) read; larger bodies get `413`. Default:
    /// [`DEFAULT_BODY_LIMIT`] (2 MiB).
    ///
    /// ```
    /// use atode::{post, routes, App, testing::TestClient};
    ///
    /// #[post("/echo")]
    /// async fn echo(text: String) -> String {
    ///     text
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().body_limit(4).routes(routes![echo]);
    /// let client = TestClient::new(app);
    /// assert_eq!(client.post("/echo").body("four").await.text(), "four");
    /// assert_eq!(client.post("/echo").body("fives").await.status(), 413);
    /// # }
    /// ```
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.shared_mut().body_limit = bytes;
        self
    }

    /// Sets the most `name=value` pairs a [`Query`](crate::Query) or
    /// [`Form`](crate::Form) reads; past it the request is answered `422`
    /// (`"type": "too_many_fields"`) without reading the rest, so the
    /// largest input allowed costs work in proportion to its length.
    /// Default: [`DEFAULT_MAX_FIELDS`](crate::extract::DEFAULT_MAX_FIELDS)
    /// (1,000, as Starlette's forms). Multipart forms have their own,
    /// [`Multipart::max_parts`](https://docs.rs/atode/latest/atode/multipart/struct.Multipart.html#method.max_parts).
    ///
    /// ```
    /// use atode::{get, routes, App, Query, testing::TestClient};
    /// use std::collections::HashMap;
    ///
    /// #[get("/tags")]
    /// async fn tags(Query(tags): Query<HashMap<String, String>>) -> String {
    ///     tags.len().to_string()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().max_fields(3).routes(routes![tags]));
    /// assert_eq!(client.get("/tags?a=1&b=2&c=3").await.text(), "3");
    /// let refused = client.get("/tags?a=1&b=2&c=3&d=4").await;
    /// assert_eq!(refused.status(), 422);
    /// assert!(refused.text().contains("too_many_fields"));
    /// # }
    /// ```
    pub fn max_fields(mut self, pairs: usize) -> Self {
        self.shared_mut().max_fields = pairs;
        self
    }

    /// Caps the requests whose background work is queued or still running.
    /// Past the cap, a route that takes [`BackgroundTasks`](crate::BackgroundTasks)
    /// is answered `503` with `Retry-After: 1` before its handler runs;
    /// routes without tasks are unaffected. Default:
    /// [`DEFAULT_MAX_PENDING`](crate::background::DEFAULT_MAX_PENDING) (10,000).
    /// The cap is this app's own (a clone capped differently leaves the
    /// original as it was); the requests it counts are those of the app
    /// and its clones, which share one task runner.
    ///
    /// ```
    /// let app = atode::App::new().max_pending_tasks(1_000);
    /// # let _ = app;
    /// ```
    ///
    /// With a cap of zero, every route that takes tasks is refused, which
    /// shows the answer a client gets:
    ///
    /// ```
    /// use atode::{get, routes, App, BackgroundTasks, testing::TestClient};
    ///
    /// #[get("/queue")]
    /// async fn queue(tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(|| {}, ());
    ///     "queued"
    /// }
    ///
    /// #[get("/health")]
    /// async fn health() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().max_pending_tasks(0).routes(routes![queue, health]);
    /// let client = TestClient::new(app);
    /// let refused = client.get("/queue").await;
    /// assert_eq!(refused.status(), 503);
    /// assert_eq!(refused.header("retry-after"), Some("1"));
    /// assert_eq!(client.get("/health").await.text(), "ok");
    /// assert_eq!(client.task_monitor().stats().refused, 1);
    /// # }
    /// ```
    pub fn max_pending_tasks(mut self, requests: usize) -> Self {
        self.shared_mut().tasks.cap = requests;
        self
    }

    /// How many regular `fn` tasks run at once, each on a thread of the
    /// app's own (more wait their turn, under [`App::max_pending_tasks`]).
    /// These threads are not tokio's blocking pool, so tasks stuck on a
    /// slow server never starve a handler's `tokio::fs` or DNS work.
    /// Default: [`DEFAULT_TASK_THREADS`](crate::background::DEFAULT_TASK_THREADS) (64).
    /// The threads are the app's, shared by its clones: setting them on a
    /// clone sets them for all.
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks, testing::TestClient};
    ///
    /// fn send_mail(to: String) {
    ///     let _ = to; // a blocking SMTP call
    /// }
    ///
    /// #[post("/signup/<email>")]
    /// async fn signup(email: String, tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(send_mail, (email,));
    ///     "welcome"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().task_threads(8).routes(routes![signup]);
    /// let client = TestClient::new(app);
    /// client.post("/signup/ada@example.com").await;
    /// assert_eq!(client.task_monitor().stats().completed, 1);
    /// # }
    /// ```
    pub fn task_threads(self, threads: usize) -> Self {
        self.shared().runner.pool.set_max_threads(threads);
        self
    }

    /// Cancels an `async fn` task still running `timeout` after it
    /// started: it is logged and counted as
    /// [`timed_out`](crate::TaskStats::timed_out), and the tasks after it
    /// run. A regular `fn` cannot be cancelled, so it is not bounded. By
    /// default there is no timeout. Needs tokio's time driver (on with
    /// `#[tokio::main]`).
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks, testing::TestClient};
    /// use std::time::Duration;
    ///
    /// async fn hangs() {
    ///     std::future::pending::<()>().await;
    /// }
    ///
    /// #[post("/work")]
    /// async fn work(tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(hangs, ());
    ///     "queued"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().task_timeout(Duration::from_millis(10)).routes(routes![work]);
    /// let client = TestClient::new(app);
    /// client.post("/work").await; // returns once the task was cancelled
    /// assert_eq!(client.task_monitor().stats().timed_out, 1);
    /// # }
    /// ```
    pub fn task_timeout(mut self, timeout: Duration) -> Self {
        self.shared_mut().tasks.timeout = Some(timeout);
        self
    }

    /// Gives the app a durable queue (feature `durable`): the calls of
    /// [`#[task]`](crate::durable::task) functions its handlers queue are
    /// written there before each response, and the queue's workers run in
    /// this process while it serves (unless the queue was made
    /// [`without_workers`](crate::durable::Durable::without_workers)), and
    /// stop with it. Handlers can take the [`TaskQueue`](crate::durable::TaskQueue)
    /// as a parameter. The queue is the app's, shared by its clones.
    ///
    /// ```standalone_crate
    /// use atode::durable::{task, Durable};
    /// use atode::{post, routes, App, BackgroundTasks, testing::TestClient};
    ///
    /// #[task]
    /// async fn welcome(user: String) {
    ///     println!("welcome, {user}");
    /// }
    ///
    /// #[post("/users/<name>")]
    /// async fn create(name: String, tasks: BackgroundTasks) -> String {
    ///     tasks.add_task(welcome, (name,)).to_string()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let dir = std::env::temp_dir().join(format!("atode-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let queue = Durable::sqlite(dir.join("tasks.sqlite3")).task(welcome).connect().await.unwrap();
    /// let client = TestClient::new(App::new().durable(queue.clone()).routes(routes![create]));
    /// let response = client.post("/users/ada").await;
    /// assert_eq!(response.status(), 200);
    /// let id = response.text().parse().unwrap();
    /// assert!(queue.status(id).await.unwrap().is_some()); // written before the response
    /// # }
    /// ```
    #[cfg(feature = "durable")]
    pub fn durable(self, queue: crate::durable::TaskQueue) -> Self {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.shared().metrics {
            queue.count_in(&metrics.durable);
        }
        self.shared().runner.set_durable_queue(queue);
        self
    }

    /// A [`TaskMonitor`] for this app's background tasks: their counts, and
    /// a way to wait until they are done. Take it before handing the app to
    /// the server, to export metrics or to wait for the tasks in a test.
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks, testing::TestClient};
    ///
    /// #[post("/jobs")]
    /// async fn enqueue(tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(|| {}, ());
    ///     tasks.add_task(|| Err::<(), _>("disk full"), ());
    ///     "queued"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().routes(routes![enqueue]);
    /// let monitor = app.task_monitor();
    /// TestClient::new(app).post("/jobs").await; // returns once the tasks ran
    /// let stats = monitor.stats();
    /// assert_eq!((stats.scheduled, stats.completed, stats.failed), (2, 1, 1));
    /// # }
    /// ```
    pub fn task_monitor(&self) -> TaskMonitor {
        TaskMonitor::new(Arc::clone(&self.shared().runner))
    }

    /// Wraps the app in a [`tower_layer::Layer`], such as tower-http's
    /// `TraceLayer` or `CompressionLayer`. Layers see every request (404s
    /// included), and a body they wrap or replace still starts its tasks
    /// when it is finished or dropped.
    ///
    /// **Order:** the last `.layer()` is the outermost: it sees the request
    /// first and the response last, as with axum's `Router::layer`. Routes
    /// and state may be added before or after.
    ///
    /// ```
    /// use atode::{get, routes, App, Body, testing::TestClient};
    /// use atode::http::{HeaderValue, Request};
    /// use tower_layer::layer_fn;
    /// use tower_service::Service;
    /// use std::task::{Context, Poll};
    ///
    /// /// Appends its name to the `x-trail` request header, then calls `inner`.
    /// #[derive(Clone)]
    /// struct Mark<S> { name: &'static str, inner: S }
    ///
    /// impl<S: Service<Request<Body>>> Service<Request<Body>> for Mark<S> {
    ///     type Response = S::Response;
    ///     type Error = S::Error;
    ///     type Future = S::Future;
    ///
    ///     fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
    ///         self.inner.poll_ready(cx)
    ///     }
    ///
    ///     fn call(&mut self, mut request: Request<Body>) -> S::Future {
    ///         let trail = match request.headers().get("x-trail") {
    ///             Some(trail) => format!("{} {}", trail.to_str().unwrap(), self.name),
    ///             None => self.name.to_owned(),
    ///         };
    ///         request.headers_mut().insert("x-trail", HeaderValue::from_str(&trail).unwrap());
    ///         self.inner.call(request)
    ///     }
    /// }
    ///
    /// #[get("/")]
    /// async fn trail(headers: atode::HeaderMap) -> String {
    ///     headers["x-trail"].to_str().unwrap().to_owned()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .layer(layer_fn(|inner| Mark { name: "inner", inner }))
    ///     .layer(layer_fn(|inner| Mark { name: "outer", inner }))
    ///     .routes(routes![trail]); // routes after layers are inside them too
    /// assert_eq!(TestClient::new(app).get("/").await.text(), "outer inner");
    /// # }
    /// ```
    pub fn layer<L: RoutesLayer>(mut self, layer: L) -> Self {
        self.inner_mut().layers.push(Wrap::layer(layer));
        self
    }

    /// Wraps the app in a middleware function: `function(request, next)`
    /// runs for every request, before the routes, and returns the response,
    /// usually `next.run(request).await` changed or replaced. Middleware
    /// and layers wrap each other in the order they are added: the last is
    /// outermost. See [`atode::middleware`](crate::middleware).
    ///
    /// ```
    /// use atode::middleware::Next;
    /// use atode::{get, routes, App, Body, Response, testing::TestClient};
    /// use atode::http::Request;
    ///
    /// async fn no_store(request: Request<Body>, next: Next) -> Response {
    ///     let mut response = next.run(request).await;
    ///     response.headers_mut().insert("cache-control", "no-store".parse().unwrap());
    ///     response
    /// }
    ///
    /// #[get("/")]
    /// async fn index() -> &'static str {
    ///     "hi"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().middleware(no_store).routes(routes![index]));
    /// assert_eq!(client.get("/").await.header("cache-control"), Some("no-store"));
    /// # }
    /// ```
    pub fn middleware<M, Args>(mut self, function: M) -> Self
    where
        M: crate::middleware::Middleware<Args>,
    {
        self.inner_mut()
            .layers
            .push(crate::middleware::wrap(function));
        self
    }

    /// The routing inside the app's layers: built once, on first use.
    pub(crate) fn service(&self) -> &Routes {
        self.inner.service.get_or_init(|| {
            #[cfg(feature = "openapi")]
            let routing = self.routing_with_docs();
            #[cfg(not(feature = "openapi"))]
            let routing = Arc::clone(&self.inner.routing);
            let core = Routes::direct(Routing::bound(routing));
            let shared = &self.inner.routing.shared;
            self.inner
                .layers
                .iter()
                .fold(core, |inner, wrap| wrap.apply(inner, shared))
        })
    }

    pub(crate) fn shared(&self) -> &AppShared {
        &self.inner.routing.shared
    }

    /// This app as one server (or test client) serves it: a copy whose
    /// requests carry `lifecycle` (in the `AppShared` each already holds,
    /// so a request pays nothing for it), its routing and layers built
    /// anew around it. Everything else is the app's: its state, its
    /// settings, its task runner, its OpenAPI document.
    pub(crate) fn with_lifecycle(&self, lifecycle: Lifecycle) -> App {
        let mut inner = (*self.inner).clone();
        inner.service = OnceLock::new();
        let mut routing = (*inner.routing).clone();
        let mut shared = (*routing.shared).clone();
        shared.lifecycle = lifecycle;
        routing.shared = Arc::new(shared);
        inner.routing = Arc::new(routing);
        App {
            inner: Arc::new(inner),
        }
    }

    /// The app's parts, to change: copied first if the app was cloned, and
    /// the built service is dropped so the next request sees the change.
    fn inner_mut(&mut self) -> &mut AppInner {
        let inner = Arc::make_mut(&mut self.inner);
        inner.service = OnceLock::new();
        #[cfg(feature = "openapi")]
        {
            inner.docs = OnceLock::new();
        }
        inner
    }

    fn routing_mut(&mut self) -> &mut Routing {
        Arc::make_mut(&mut self.inner_mut().routing)
    }

    fn shared_mut(&mut self) -> &mut AppShared {
        Arc::make_mut(&mut self.routing_mut().shared)
    }
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("body_limit", &self.shared().body_limit)
            .field("layers", &self.inner.layers.len())
            .field("startup_hooks", &self.inner.lifespan.startup.len())
            .field("shutdown_hooks", &self.inner.lifespan.shutdown.len())
            .finish_non_exhaustive()
    }
}
