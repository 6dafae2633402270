//! `State<T>`: app-wide values given to `App::state`.

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

/// The state a `State<T>` asked for was never given to the app.
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
}
