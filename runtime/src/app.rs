//! `App`: the routes, the state and the settings of one application.

use std::sync::Arc;

use crate::background::{TaskMonitor, TaskRunner};
use crate::extract::{Requirements, StateMap};
use crate::routing::{RouteDef, Router, Routes};
use crate::service::{Layered, LayeredService};
use crate::{Body, BoxError};

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
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<AppInner>,
}

pub(crate) struct AppInner {
    pub(crate) routing: Arc<Routing>,
    /// The routing wrapped in the layers given to [`App::layer`], if any.
    pub(crate) layered: Option<Arc<dyn LayeredService>>,
}

/// The routes and what they share: the service at the core of the layers.
pub(crate) struct Routing {
    pub(crate) router: Router,
    pub(crate) shared: Arc<AppShared>,
}

/// What every request of an app can reach.
pub(crate) struct AppShared {
    pub(crate) state: StateMap,
    pub(crate) runner: Arc<TaskRunner>,
    pub(crate) body_limit: usize,
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
        let shared = AppShared {
            state: StateMap::default(),
            runner: Arc::default(),
            body_limit: DEFAULT_BODY_LIMIT,
        };
        let routing = Routing {
            router: Router::default(),
            shared: Arc::new(shared),
        };
        App {
            inner: Arc::new(AppInner {
                routing: Arc::new(routing),
                layered: None,
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
    /// # Panics
    ///
    /// If two routes answer the same method and path, or their paths
    /// conflict in the router: a mistake to catch at start-up, not per request.
    pub fn routes(mut self, routes: impl IntoIterator<Item = RouteDef>) -> Self {
        let routing = self.routing_mut();
        for route in routes {
            routing.router.add(route);
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

    /// Caps the requests whose background work is queued or still running.
    /// Past the cap, a route that takes [`BackgroundTasks`](crate::BackgroundTasks)
    /// is answered `503` with `Retry-After: 1` before its handler runs;
    /// routes without tasks are unaffected. Default:
    /// [`DEFAULT_MAX_PENDING`](crate::background::DEFAULT_MAX_PENDING) (10,000).
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
    pub fn max_pending_tasks(self, requests: usize) -> Self {
        self.shared().runner.set_cap(requests);
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
        TaskMonitor::new(Arc::clone(&self.inner.routing.shared.runner))
    }

    /// Checks that every route's extractors will find what they need: each
    /// [`State<T>`](crate::State) a handler takes was given to
    /// [`App::state`]. [`serve`](crate::serve) and
    /// [`TestClient`](crate::testing::TestClient) check before they start, so
    /// a missing state is a start-up error rather than a `500` later.
    ///
    /// ```
    /// use atode::{get, routes, App, State};
    ///
    /// #[derive(Clone)]
    /// struct Db;
    ///
    /// #[get("/users")]
    /// async fn users(State(_db): State<Db>) -> &'static str {
    ///     "[]"
    /// }
    ///
    /// let error = App::new().routes(routes![users]).check().unwrap_err();
    /// assert!(error.to_string().contains("rust_out::Db") || error.to_string().contains("::Db"));
    /// assert!(App::new().state(Db).routes(routes![users]).check().is_ok());
    /// ```
    pub fn check(&self) -> Result<(), StartupError> {
        let shared = self.shared();
        let mut problems = Vec::new();
        for route in self.inner.routing.router.routes() {
            let mut needs = Requirements::default();
            (route.requirements)(&mut needs);
            for missing in needs.missing_from(&shared.state) {
                let info = route.info();
                problems.push(format!(
                    "`{}` ({}) takes `State<{missing}>`, but the app has no `{missing}`: add `.state(...)` with one",
                    info.name, info.declared
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StartupError { problems })
        }
    }

    /// Wraps the app in a [`tower_layer::Layer`], such as tower-http's
    /// `TraceLayer` or `CompressionLayer`. Layers see every request (404s
    /// included), and a body they wrap or replace still starts its tasks
    /// when it is finished or dropped. Add routes and state first.
    ///
    /// ```
    /// use atode::{App, routing::Routes};
    /// use tower_layer::layer_fn;
    ///
    /// // A layer that does nothing, to show the shape.
    /// let app = App::new().layer(layer_fn(|routes: Routes| routes));
    /// # let _ = app;
    /// ```
    ///
    /// # Panics
    ///
    /// If the app was cloned or served before this call.
    pub fn layer<L, B>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<Routes>,
        L::Service: tower_service::Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + 'static,
        <L::Service as tower_service::Service<http::Request<Body>>>::Future: Send + 'static,
        <L::Service as tower_service::Service<http::Request<Body>>>::Error: Into<BoxError>,
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let routes = self.routes_service();
        self.inner_mut().layered = Some(Arc::new(Layered::new(layer.layer(routes))));
        self
    }

    /// The routing wrapped in the app's layers, if any.
    pub(crate) fn routes_service(&self) -> Routes {
        match &self.inner.layered {
            Some(layered) => Routes::layered(Arc::clone(layered)),
            None => Routes::direct(Arc::clone(&self.inner.routing)),
        }
    }

    pub(crate) fn shared(&self) -> &AppShared {
        &self.inner.routing.shared
    }

    fn inner_mut(&mut self) -> &mut AppInner {
        Arc::get_mut(&mut self.inner)
            .expect("atode: configure the App before cloning or serving it")
    }

    fn routing_mut(&mut self) -> &mut Routing {
        Arc::get_mut(&mut self.inner_mut().routing)
            .expect("atode: add routes and state before layers")
    }

    fn shared_mut(&mut self) -> &mut AppShared {
        Arc::get_mut(&mut self.routing_mut().shared)
            .expect("atode: configure the App before serving it")
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
            .field("layered", &self.inner.layered.is_some())
            .finish_non_exhaustive()
    }
}

/// Why an app cannot start: what [`App::check`] found, every problem at
/// once. [`serve`](crate::serve) turns it into an `InvalidInput` I/O error
/// and [`TestClient::new`](crate::testing::TestClient::new) panics with it;
/// call [`App::check`] yourself to report it your own way.
///
/// ```
/// use atode::{get, routes, App, StartupError, State};
///
/// #[derive(Clone)]
/// struct Db;
///
/// #[get("/")]
/// async fn index(State(_db): State<Db>) -> &'static str {
///     "ok"
/// }
///
/// let error: StartupError = App::new().routes(routes![index]).check().unwrap_err();
/// let message = error.to_string();
/// assert!(message.starts_with("atode: the app cannot start:"));
/// assert!(message.contains("`index`") && message.contains("takes `State<"));
/// ```
#[derive(Debug)]
pub struct StartupError {
    problems: Vec<String>,
}

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "atode: the app cannot start: {}",
            self.problems.join("; ")
        )
    }
}

impl std::error::Error for StartupError {}
