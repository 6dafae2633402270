//! `State<T>`: app-wide values given to `App::state`.

use std::any::{Any, TypeId};
use std::collections::HashMap;

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

/// The state a `State<T>` asked for was never given to the app: the
/// rejection of [`State`], answered with a logged `500`. [`App::check`](crate::App::check)
/// catches it at start-up, so a request meets it only when the app is driven
/// without that check, such as called directly as a tower `Service`.
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
}

impl IntoResponse for MissingState {
    fn into_response(self) -> Response {
        tracing::error!(
            target: "atode::state",
            state = self.type_name,
            "a handler asked for state that was never given to App::state"
        );
        json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }
}

impl<T: Clone + Send + Sync + 'static> FromRequestParts for State<T> {
    type Rejection = MissingState;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, MissingState> {
        parts.state::<T>().cloned().map(State).ok_or(MissingState {
            type_name: std::any::type_name::<T>(),
        })
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
/// use atode::{FromRequestParts, RequestParts, StatusCode};
///
/// #[derive(Clone)]
/// struct Pool;
///
/// struct Connection;
///
/// impl FromRequestParts for Connection {
///     type Rejection = StatusCode;
///
///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, StatusCode> {
///         parts.state::<Pool>().map(|_pool| Connection).ok_or(StatusCode::INTERNAL_SERVER_ERROR)
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
    tasks: bool,
}

impl Requirements {
    /// Declares that app state of type `T` must be given to [`App::state`](crate::App::state).
    ///
    /// ```
    /// use atode::extract::Requirements;
    /// use atode::{get, routes, App, FromRequestParts, RequestParts, StatusCode};
    ///
    /// #[derive(Clone)]
    /// struct Pool;
    ///
    /// struct Connection;
    ///
    /// impl FromRequestParts for Connection {
    ///     type Rejection = StatusCode;
    ///
    ///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, StatusCode> {
    ///         parts.state::<Pool>().map(|_pool| Connection).ok_or(StatusCode::INTERNAL_SERVER_ERROR)
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

    /// Declares that the extractor queues background tasks, so the route is
    /// refused with `503` (before its handler runs) while the app's cap on
    /// pending background work is reached. Taking [`BackgroundTasks`](crate::BackgroundTasks)
    /// as an extractor declares it.
    ///
    /// ```
    /// use atode::extract::Requirements;
    /// use atode::{get, routes, App, BackgroundTasks, FromRequestParts, RequestParts};
    /// use atode::testing::TestClient;
    /// use std::convert::Infallible;
    ///
    /// /// Queues an audit line for the request.
    /// struct Audited;
    ///
    /// impl FromRequestParts for Audited {
    ///     type Rejection = Infallible;
    ///
    ///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
    ///         parts.background_tasks().add_task(|| {}, ());
    ///         Ok(Audited)
    ///     }
    ///
    ///     fn requirements(needs: &mut Requirements) {
    ///         needs.background_tasks();
    ///     }
    /// }
    ///
    /// #[get("/")]
    /// async fn index(_audited: Audited) -> &'static str {
    ///     "ok"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // With no room for background work, the route is refused up front.
    /// let client = TestClient::new(App::new().max_pending_tasks(0).routes(routes![index]));
    /// assert_eq!(client.get("/").await.status(), 503);
    /// # }
    /// ```
    pub fn background_tasks(&mut self) {
        self.tasks = true;
    }

    pub(crate) fn uses_tasks(&self) -> bool {
        self.tasks
    }

    /// The type names of the declared states the app does not have.
    pub(crate) fn missing_from(&self, states: &StateMap) -> Vec<&'static str> {
        self.states
            .iter()
            .filter(|(id, _)| !states.contains(*id))
            .map(|(_, name)| *name)
            .collect()
    }
}

/// App state, one value per type.
#[derive(Default)]
pub(crate) struct StateMap {
    values: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl StateMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.values.insert(TypeId::of::<T>(), Box::new(value));
    }

    pub(crate) fn get<T: 'static>(&self) -> Option<&T> {
        self.values
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref())
    }

    fn contains(&self, id: TypeId) -> bool {
        self.values.contains_key(&id)
    }
}
