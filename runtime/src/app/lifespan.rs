//! The app's lifespan hooks: registering them, and running them for the
//! server and the `TestClient`.

use tokio::time::Instant;

use super::{App, StartupError};
use crate::lifespan::{ShutdownHook, StartupHook};

impl App {
    /// Runs `hook` when the app starts, before the server accepts a
    /// connection: open a pool, run migrations, warm a cache. What it
    /// returns in `Ok` becomes app state, which handlers take with
    /// [`State<T>`](crate::State) (return `Ok(())`, or just `()`, for a
    /// hook that only prepares something); a hook's value replaces an
    /// [`App::state`] of the same type. If a hook returns `Err` or panics,
    /// the app does not start: [`run`](crate::run) and
    /// [`serve`](crate::serve) return an error naming the hook and its
    /// error, `run` before it even binds its address.
    ///
    /// Hooks run in the order they were registered, once each time the
    /// app is served, after [`App::check`] passed. A hook may take up to
    /// four `State<T>` parameters: state given with [`App::state`] or
    /// returned by a hook registered before it, which `App::check` verifies.
    ///
    /// ```
    /// use atode::{get, routes, App, State};
    /// use atode::testing::TestClient;
    /// use std::sync::Arc;
    ///
    /// #[derive(Clone)]
    /// struct Settings {
    ///     database_url: &'static str,
    /// }
    ///
    /// /// Stands for a real connection pool.
    /// #[derive(Clone)]
    /// struct Db(Arc<String>);
    ///
    /// impl Db {
    ///     async fn connect(url: &str) -> std::io::Result<Db> {
    ///         Ok(Db(Arc::new(format!("connected to {url}"))))
    ///     }
    /// }
    ///
    /// #[get("/status")]
    /// async fn status(State(db): State<Db>) -> String {
    ///     db.0.to_string()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .state(Settings { database_url: "postgres://db/app" })
    ///     .on_startup(|State(settings): State<Settings>| async move {
    ///         Db::connect(settings.database_url).await
    ///     })
    ///     .on_startup(|| async { /* warm a cache */ })
    ///     .routes(routes![status]);
    /// let client = TestClient::start(app).await; // runs the hooks
    /// assert_eq!(client.get("/status").await.text(), "connected to postgres://db/app");
    /// # }
    /// ```
    ///
    /// A failing hook stops the server before it listens:
    ///
    /// ```
    /// use atode::App;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// let app = App::new().on_startup(|| async { Err::<(), _>("the cache is unreachable") });
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let error = atode::serve(listener, app).await.unwrap_err();
    /// assert!(error.to_string().contains("the cache is unreachable"));
    /// # Ok(()) }
    /// ```
    pub fn on_startup<Args>(mut self, hook: impl StartupHook<Args>) -> Self {
        self.inner_mut().lifespan.startup.push(hook.into_hook());
        self
    }

    /// Runs `hook` at graceful shutdown, once the in-flight responses are
    /// out, every background task has run (or was abandoned at the
    /// deadline) and the durable workers have stopped: the last thing the
    /// server does, so a hook can close what the tasks were using. Shutdown
    /// hooks run in reverse order of registration, so what was opened
    /// first is closed last. A hook that returns `Err` or panics is logged
    /// (target `atode::lifespan`) and the others still run.
    ///
    /// A hook may take up to four `State<T>` parameters: the app's state,
    /// including what start-up hooks returned. With a shutdown deadline
    /// ([`Serve::shutdown_deadline`](crate::Serve::shutdown_deadline),
    /// `$ATODE_SHUTDOWN_DEADLINE`), the hooks share what is left of it, so
    /// the server still returns by the deadline: a hook still waiting when
    /// it passes is cancelled and logged, and the hooks after it are polled
    /// once (a hook with nothing to wait for still runs). Shutdown hooks run
    /// only when the start-up hooks all succeeded.
    ///
    /// ```
    /// use atode::{App, State};
    /// use atode::testing::TestClient;
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[derive(Clone, Default)]
    /// struct Journal(Arc<Mutex<Vec<&'static str>>>);
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let journal = Journal::default();
    /// let app = App::new()
    ///     .state(journal.clone())
    ///     .on_shutdown(|State(journal): State<Journal>| async move {
    ///         journal.0.lock().unwrap().push("close the pool");
    ///     })
    ///     .on_shutdown(|State(journal): State<Journal>| async move {
    ///         journal.0.lock().unwrap().push("flush metrics");
    ///         Err::<(), _>("the collector is gone") // logged; the next hook still runs
    ///     });
    /// let client = TestClient::start(app).await;
    /// let failures = client.shutdown().await;
    /// assert_eq!(*journal.0.lock().unwrap(), ["flush metrics", "close the pool"]);
    /// assert_eq!(failures.len(), 1);
    /// # }
    /// ```
    pub fn on_shutdown<Args>(mut self, hook: impl ShutdownHook<Args>) -> Self {
        self.inner_mut().lifespan.shutdown.push(hook.into_hook());
        self
    }

    /// Runs the start-up hooks and returns the app with the state they
    /// gave; the app itself is checked by the caller first. A clone shares
    /// the task runner, so the monitors taken before still count.
    pub(crate) async fn start(&self) -> Result<App, StartupError> {
        if self.inner.lifespan.startup.is_empty() {
            return Ok(self.clone());
        }
        let mut state = self.shared().state.clone();
        self.inner
            .lifespan
            .start(&mut state)
            .await
            .map_err(|problem| StartupError {
                problems: vec![problem],
            })?;
        let mut started = self.clone();
        started.shared_mut().state = state;
        Ok(started)
    }

    /// Runs the shutdown hooks of an app [`start`](Self::start) returned;
    /// gives what failed, each one already logged.
    pub(crate) async fn shut_down(&self, deadline: Option<Instant>) -> Vec<String> {
        self.inner
            .lifespan
            .shut_down(&self.shared().state, deadline)
            .await
    }
}
