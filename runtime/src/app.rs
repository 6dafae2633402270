//! `App`: the routes, the state and the settings of one application.

use std::sync::Arc;

use crate::background::{TaskMonitor, TaskRunner};
use crate::extract::{Requirements, StateMap};
use crate::routing::{RouteDef, Router, Routes};
use crate::service::{Layered, LayeredService};
use crate::{Body, BoxError};

/// The largest request body body extractors read unless told otherwise: 2 MiB.
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
/// let app = App::new().routes(routes![index]);
/// # let _ = app;
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
    /// An app with no routes.
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

    /// Adds routes, as [`routes!`](crate::routes) lists them.
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
    /// #[derive(Clone)]
    /// struct Config {
    ///     greeting: &'static str,
    /// }
    ///
    /// let app = atode::App::new().state(Config { greeting: "hi" });
    /// # let _ = app;
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
    /// let app = atode::App::new().body_limit(64 * 1024);
    /// # let _ = app;
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
    pub fn max_pending_tasks(self, requests: usize) -> Self {
        self.shared().runner.set_cap(requests);
        self
    }

    /// A [`TaskMonitor`] for this app's background tasks: their counts, and
    /// a way to wait until they are done.
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

/// Why an app cannot start: what [`App::check`] found.
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
