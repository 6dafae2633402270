//! Checking an app before it serves: what its routes need that it lacks.

use super::App;
use crate::extract::Requirements;

impl App {
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
        let shared = &self.inner.routing.shared;
        let mut problems = self.inner.routing.router.conflicts().to_vec();
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
        #[cfg(feature = "openapi")]
        problems.extend(self.openapi_problems());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StartupError { problems })
        }
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
    pub(super) problems: Vec<String>,
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
