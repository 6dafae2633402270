//! Checking an app before it serves: what its routes need that it lacks.

use super::App;
use crate::extract::Requirements;

impl App {
    /// Checks that every route's extractors will find what they need: each
    /// [`State<T>`](crate::State) a handler takes was given to
    /// [`App::state`] or is returned by a start-up hook
    /// ([`App::on_startup`]), and each `State<T>` a hook takes is given
    /// before the hook runs. [`serve`](crate::serve) and
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
    /// // A start-up hook that returns a `Db` gives one too.
    /// let app = App::new().on_startup(|| async { Ok::<_, std::io::Error>(Db) });
    /// assert!(app.routes(routes![users]).check().is_ok());
    /// ```
    pub fn check(&self) -> Result<(), StartupError> {
        self.check_with(Hooks::Run)
    }

    /// [`App::check`] for an app served without its lifespan hooks, as
    /// [`TestClient::new`](crate::testing::TestClient::new) does: state only
    /// a start-up hook gives is missing, and the message says how to run it.
    pub(crate) fn check_without_hooks(&self) -> Result<(), StartupError> {
        self.check_with(Hooks::Skipped)
    }

    fn check_with(&self, hooks: Hooks) -> Result<(), StartupError> {
        let shared = &self.inner.routing.shared;
        let lifespan = &self.inner.lifespan;
        let from_hook = |id| lifespan.provided().any(|provided| provided == id);
        let mut problems = self.inner.routing.router.conflicts().to_vec();
        let given = |id| shared.state.contains(id) || (hooks == Hooks::Run && from_hook(id));
        // What is missing, each with how to give it.
        let missing = |needs: &Requirements| -> Vec<(&'static str, &'static str)> {
            let from_hooks = needs.missing(|id| !from_hook(id));
            let fix = |missing: &&str| {
                if from_hooks.contains(missing) {
                    "a start-up hook gives it, so start the client with `TestClient::start(app).await`, which runs the hooks"
                } else {
                    "add `.state(...)` with one"
                }
            };
            needs
                .missing(given)
                .into_iter()
                .map(|name| (name, fix(&name)))
                .collect()
        };
        let mut app_wide = Requirements::default();
        for wrap in &self.inner.layers {
            wrap.requirements(&mut app_wide);
        }
        for (name, fix) in missing(&app_wide) {
            problems.push(format!(
                "a middleware takes `State<{name}>`, but the app has no `{name}`: {fix}"
            ));
        }
        for route in self.inner.routing.router.table_routes() {
            let info = route.def.info();
            let mut needs = Requirements::default();
            (route.def.requirements)(&mut needs);
            for (name, fix) in missing(&needs) {
                problems.push(format!(
                    "`{}` ({}) takes `State<{name}>`, but the app has no `{name}`: {fix}",
                    info.name, info.declared
                ));
            }
            #[cfg(feature = "durable")]
            if needs.needs_durable_queue() && shared.runner.durable_queue().is_none() {
                problems.push(format!(
                    "`{}` ({}) takes `TaskQueue`, but the app has no durable queue: open one with `Durable::from_env(\"tasks.sqlite3\").connect().await?` and give it with `.durable(queue)`",
                    info.name, info.declared
                ));
            }
            let mut needs = Requirements::default();
            route.wraps_requirements(&mut needs);
            for (name, fix) in missing(&needs) {
                problems.push(format!(
                    "a middleware around `{}` ({}) takes `State<{name}>`, but the app has no `{name}`: {fix}",
                    info.name, info.declared
                ));
            }
        }
        if hooks == Hooks::Run {
            problems.extend(lifespan.problems(&shared.state));
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

impl App {
    /// What [`App::check`] cannot prove wrong but is likely a mistake, for
    /// the server to log as it starts: durable tasks in the program, routes
    /// that queue background tasks, and no durable queue. A route that
    /// queues a durable call then answers `500`; a route whose tasks all
    /// run in-process is fine, which is why this is no error.
    #[cfg(feature = "durable")]
    pub(crate) fn start_warnings(&self) -> Vec<String> {
        if self.inner.routing.shared.runner.durable_queue().is_some() {
            return Vec::new();
        }
        let tasks = crate::durable::linked_task_names();
        if tasks.is_empty() {
            return Vec::new();
        }
        let queuing: Vec<String> = self
            .inner
            .routing
            .router
            .table_routes()
            .filter(|route| {
                let mut needs = Requirements::default();
                (route.def.requirements)(&mut needs);
                needs.takes_background_tasks()
            })
            .map(|route| format!("`{}`", route.def.info().name))
            .collect();
        if queuing.is_empty() {
            return Vec::new();
        }
        vec![format!(
            "the program has durable tasks ({}) and routes that queue background tasks ({}), but the app has no durable queue: a route that queues a durable task will answer 500. Give the app one with `.durable(queue)`",
            tasks.join(", "),
            queuing.join(", ")
        )]
    }

    /// Without the `durable` feature there is nothing to warn of.
    #[cfg(not(feature = "durable"))]
    pub(crate) fn start_warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Whether the app's lifespan hooks will run when it serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hooks {
    Run,
    Skipped,
}

/// Why an app cannot start: what [`App::check`] found, every problem at
/// once, or the start-up hook ([`App::on_startup`]) that failed.
/// [`serve`](crate::serve) turns it into an I/O error (`InvalidInput` for
/// what [`App::check`] found, `Other` for a failed hook), and
/// [`TestClient::new`](crate::testing::TestClient::new) and
/// [`TestClient::start`](crate::testing::TestClient::start) panic with it;
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
/// // What `main` prints when it returns the error: the same words.
/// assert_eq!(format!("{error:?}"), message);
/// ```
pub struct StartupError {
    pub(super) problems: Vec<String>,
}

/// The message itself: a `main` that returns the error (through
/// `std::io::Error`) prints it with `Debug`, and should print what is
/// wrong, not a struct of escaped strings.
impl std::fmt::Debug for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
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
