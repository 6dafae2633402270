//! `TaskMonitor` and `TaskStats`: what an app's background tasks did, for
//! metrics and tests.

use std::sync::Arc;

use super::runner::TaskRunner;

/// A view of an app's background tasks: counts, and a way to wait until
/// they are done. Get one from [`App::task_monitor`](crate::App::task_monitor)
/// before handing the app to the server.
///
/// ```
/// use atode::App;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new();
/// let monitor = app.task_monitor();
/// monitor.wait_idle().await; // nothing queued: returns at once
/// assert_eq!(monitor.stats().pending, 0);
/// # }
/// ```
#[derive(Clone)]
pub struct TaskMonitor {
    runner: Arc<TaskRunner>,
}

impl TaskMonitor {
    pub(crate) fn new(runner: Arc<TaskRunner>) -> Self {
        TaskMonitor { runner }
    }

    /// The counts so far: a snapshot, cheap enough to read for every
    /// metrics scrape. See [`TaskStats`] for what each count means.
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks, testing::TestClient};
    ///
    /// #[post("/jobs")]
    /// async fn enqueue(tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(|| {}, ());
    ///     "queued"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().routes(routes![enqueue]);
    /// let monitor = app.task_monitor();
    /// assert_eq!(monitor.stats().scheduled, 0);
    /// TestClient::new(app).post("/jobs").await;
    /// assert_eq!(monitor.stats().completed, 1);
    /// # }
    /// ```
    pub fn stats(&self) -> TaskStats {
        self.runner.stats()
    }

    /// Waits until every task handed to the runner has finished. Tasks of a
    /// response still being written are not handed over yet.
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks, testing::TestClient};
    ///
    /// async fn send_mail() {
    ///     tokio::task::yield_now().await;
    /// }
    ///
    /// #[post("/signup")]
    /// async fn signup(tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(send_mail, ());
    ///     "welcome"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().routes(routes![signup]);
    /// let monitor = app.task_monitor();
    /// let client = TestClient::new(app);
    /// client.post("/signup").without_waiting_for_tasks().await;
    /// monitor.wait_idle().await;
    /// assert_eq!(monitor.stats().completed, 1);
    /// # }
    /// ```
    pub async fn wait_idle(&self) {
        self.runner.wait_idle().await;
    }
}

impl std::fmt::Debug for TaskMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TaskMonitor").field(&self.stats()).finish()
    }
}

/// Counts of an app's background tasks since it was built, from
/// [`TaskMonitor::stats`]: to export as metrics, or to check in a test what
/// a request's tasks did.
///
/// ```
/// use atode::{post, routes, App, BackgroundTasks, StatusCode, testing::TestClient};
///
/// fn ok() {}
///
/// fn fails() -> Result<(), String> {
///     Err("no mail server".to_owned())
/// }
///
/// fn crashes() {
///     panic!("a bug in a task");
/// }
///
/// #[post("/work")]
/// async fn work(tasks: BackgroundTasks) -> &'static str {
///     tasks.add_task(ok, ());
///     tasks.add_task(fails, ());
///     tasks.add_task(crashes, ());
///     "queued"
/// }
///
/// #[post("/broken")]
/// async fn broken(tasks: BackgroundTasks) -> Result<&'static str, StatusCode> {
///     tasks.add_task(ok, ());
///     Err(StatusCode::CONFLICT) // a failed handler's tasks are discarded
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![work, broken]));
/// client.post("/work").await;
/// client.post("/broken").await;
/// let stats = client.task_monitor().stats();
/// assert_eq!(stats.scheduled, 3);
/// assert_eq!((stats.completed, stats.failed, stats.panicked), (1, 1, 1));
/// assert_eq!(stats.discarded, 1);
/// assert_eq!((stats.pending, stats.refused), (0, 0));
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskStats {
    /// Tasks handed to the runner after their response was written.
    pub scheduled: u64,
    /// Tasks that returned `()` or `Ok`.
    pub completed: u64,
    /// Tasks that returned `Err` (each one logged).
    pub failed: u64,
    /// Tasks that panicked (each one logged).
    pub panicked: u64,
    /// Tasks dropped without running, each time with the count and the
    /// reason logged: their handler failed, their request was refused, or
    /// they were added where nothing could run them any more.
    pub discarded: u64,
    /// Async tasks cancelled at the app's task timeout
    /// ([`App::task_timeout`](crate::App::task_timeout)), each one logged.
    pub timed_out: u64,
    /// Tasks left unrun (or cut off) at a shutdown deadline, with the count
    /// logged.
    pub abandoned: u64,
    /// Tasks handed to the runner that have not finished yet.
    pub pending: u64,
    /// Requests refused with `503` because too much background work was
    /// pending (see [`App::max_pending_tasks`](crate::App::max_pending_tasks)).
    pub refused: u64,
    /// Durable tasks' calls this process wrote and attempts it ran.
    #[cfg(feature = "durable")]
    pub durable: crate::durable::DurableStats,
}
