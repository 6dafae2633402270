//! `State<T>`: app-wide values given to `App::state`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use http::StatusCode;

use super::{FromRequestParts, RequestParts};
use crate::response::json_detail;
use crate::{IntoResponse, Response};

/// A clone of the app state of type `T`, given to
/// [`App::state`](crate::App::state).
///
/// ```
/// use atode::{get, routes, App, State};
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// #[derive(Clone, Default)]
/// struct Hits(Arc<AtomicU64>);
///
/// #[get("/hits")]
/// async fn hits(State(hits): State<Hits>) -> String {
///     (hits.0.fetch_add(1, Ordering::Relaxed) + 1).to_string()
/// }
///
/// let app = App::new().state(Hits::default()).routes(routes![hits]);
/// # let _ = app;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct State<T>(pub T);

/// The state asked for was never given to the app: the rejection of
/// [`State`] and of [`RequestParts::state`], answered with a `500` and an
/// error log that names the type, the route and the fix. Every lookup gets
/// this answer, whether or not its extractor declared the state in
/// [`FromRequestParts::requirements`]: a declaration only moves the report
/// to start-up ([`App::check`](crate::App::check), which
/// [`serve`](crate::serve) and the `TestClient` run), where it also stops
/// the server from starting.
///
/// ```
/// use atode::{get, routes, App, Body, State};
/// use tower_service::Service;
///
/// #[derive(Clone)]
/// struct Db;
///
/// #[get("/")]
/// async fn index(State(_db): State<Db>) -> &'static str {
///     "ok"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut app = App::new().routes(routes![index]); // no `.state(Db)`
/// assert!(app.check().is_err());
/// let Ok(response) = app.call(atode::http::Request::new(Body::empty())).await;
/// assert_eq!(response.status(), 500);
/// # }
/// ```
#[derive(Debug)]
pub struct MissingState {
    type_name: &'static str,
    route: &'static str,
}

impl MissingState {
    pub(crate) fn new<T>(route: &'static str) -> Self {
        MissingState {
            type_name: std::any::type_name::<T>(),
            route,
        }
    }
}

impl std::fmt::Display for MissingState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "route `{}` asked for state `{}`, which the app was never given: add `.state(...)` with one",
            self.route, self.type_name
        )
    }
}

impl std::error::Error for MissingState {}

impl IntoResponse for MissingState {
    fn into_response(self) -> Response {
        tracing::error!(target: "atode::state", state = self.type_name, route = self.route, "{self}");
        json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }
}

impl<T: Clone + Send + Sync + 'static> FromRequestParts for State<T> {
    type Rejection = MissingState;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, MissingState> {
        parts.state::<T>().cloned().map(State)
    }

    fn requirements(needs: &mut Requirements) {
        needs.state::<T>();
    }
}

/// What a route's extractors need from the app, gathered when the app is
/// checked before it serves, so a missing `App::state` is a start-up error
/// rather than a `500` on the first request.
///
/// An extractor of your own that reads app state declares it in
/// [`FromRequestParts::requirements`]:
///
/// ```
/// use atode::extract::Requirements;
/// use atode::extract::MissingState;
/// use atode::{FromRequestParts, RequestParts};
///
/// #[derive(Clone)]
/// struct Pool;
///
/// struct Connection;
///
/// impl FromRequestParts for Connection {
///     type Rejection = MissingState;
///
///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, MissingState> {
///         parts.state::<Pool>().map(|_pool| Connection)
///     }
///
///     fn requirements(needs: &mut Requirements) {
///         needs.state::<Pool>();
///     }
/// }
/// ```
#[derive(Debug, Default)]
pub struct Requirements {
    states: Vec<(TypeId, &'static str)>,
    /// A parameter needs the app's durable queue (`TaskQueue`).
    #[cfg(feature = "durable")]
    durable_queue: bool,
    /// A parameter takes the request's `BackgroundTasks`.
    #[cfg(feature = "durable")]
    background_tasks: bool,
}

impl Requirements {
    /// Declares that app state of type `T` must be given to [`App::state`](crate::App::state).
    ///
    /// ```
    /// use atode::extract::Requirements;
    /// use atode::extract::MissingState;
    /// use atode::{get, routes, App, FromRequestParts, RequestParts};
    ///
    /// #[derive(Clone)]
    /// struct Pool;
    ///
    /// struct Connection;
    ///
    /// impl FromRequestParts for Connection {
    ///     type Rejection = MissingState;
    ///
    ///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, MissingState> {
    ///         parts.state::<Pool>().map(|_pool| Connection)
    ///     }
    ///
    ///     fn requirements(needs: &mut Requirements) {
    ///         needs.state::<Pool>();
    ///     }
    /// }
    ///
    /// #[get("/")]
    /// async fn index(_connection: Connection) -> &'static str {
    ///     "ok"
    /// }
    ///
    /// assert!(App::new().routes(routes![index]).check().is_err());
    /// assert!(App::new().state(Pool).routes(routes![index]).check().is_ok());
    /// ```
    pub fn state<T: 'static>(&mut self) {
        self.states
            .push((TypeId::of::<T>(), std::any::type_name::<T>()));
    }

    /// Declares that the app must have a durable queue
    /// ([`App::durable`](crate::App::durable)): a parameter reads it.
    #[cfg(feature = "durable")]
    pub(crate) fn durable_queue(&mut self) {
        self.durable_queue = true;
    }

    /// Declares that a parameter takes the request's `BackgroundTasks`
    /// (only the `durable` feature's start-up warning reads it).
    pub(crate) fn background_tasks(&mut self) {
        #[cfg(feature = "durable")]
        {
            self.background_tasks = true;
        }
    }

    /// Whether a parameter reads the app's durable queue.
    #[cfg(feature = "durable")]
    pub(crate) fn needs_durable_queue(&self) -> bool {
        self.durable_queue
    }

    /// Whether a parameter takes the request's `BackgroundTasks`.
    #[cfg(feature = "durable")]
    pub(crate) fn takes_background_tasks(&self) -> bool {
        self.background_tasks
    }

    /// The type names of the declared states that `has` says are absent.
    pub(crate) fn missing(&self, has: impl Fn(TypeId) -> bool) -> Vec<&'static str> {
        self.states
            .iter()
            .filter(|(id, _)| !has(*id))
            .map(|(_, name)| *name)
            .collect()
    }
}

/// App state, one value per type. Values are shared, so an app configured
/// further after a clone copies the map, not the values.
#[derive(Clone, Default)]
pub(crate) struct StateMap {
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl StateMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.values.insert(TypeId::of::<T>(), Arc::new(value));
    }

    pub(crate) fn get<T: 'static>(&self) -> Option<&T> {
        self.values
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref())
    }

    pub(crate) fn contains(&self, id: TypeId) -> bool {
        self.values.contains_key(&id)
    }
}
