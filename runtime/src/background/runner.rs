//! The runner: starts each request's queue once its response is out, and
//! keeps the counts that shutdown, tests and operators read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::Notify;

use super::task::{QueuedTask, TaskOutcome, WorkKind};
use crate::panic::{CatchUnwind, panic_message};

/// Runs every request's background tasks for one app.
pub(crate) struct TaskRunner {
    /// Queues handed over and not yet finished.
    pending_batches: AtomicUsize,
    /// Tasks handed over and not yet finished, for the shutdown log.
    pending_tasks: AtomicUsize,
    scheduled: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    panicked: AtomicU64,
    discarded: AtomicU64,
    /// Woken when `pending_batches` drops to zero.
    idle: Notify,
    /// The most requests with background work (queued or running) at once;
    /// `usize::MAX` for no cap.
    cap: AtomicUsize,
    /// Requests with background work admitted and not yet finished.
    load: AtomicUsize,
    refused: AtomicU64,
}

impl Default for TaskRunner {
    fn default() -> Self {
        TaskRunner {
            pending_batches: AtomicUsize::new(0),
            pending_tasks: AtomicUsize::new(0),
            scheduled: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            panicked: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            idle: Notify::new(),
            cap: AtomicUsize::new(DEFAULT_MAX_PENDING),
            load: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
        }
    }
}

/// The default cap on requests whose background work is queued or running;
/// change it with [`App::max_pending_tasks`](crate::App::max_pending_tasks).
///
/// ```
/// use atode::background::DEFAULT_MAX_PENDING;
///
/// assert_eq!(DEFAULT_MAX_PENDING, 10_000);
/// // Allow more for an app whose tasks are small.
/// let app = atode::App::new().max_pending_tasks(4 * DEFAULT_MAX_PENDING);
/// # let _ = app;
/// ```
pub const DEFAULT_MAX_PENDING: usize = 10_000;

/// One request's place under the cap; given back when dropped.
pub(crate) struct Admission {
    runner: Arc<TaskRunner>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.runner.load.fetch_sub(1, Ordering::SeqCst);
    }
}

pub(crate) enum Outcome {
    Completed,
    Failed,
    Panicked,
}

impl TaskRunner {
    /// Starts `tasks` on their own tokio task: in order, each isolated from
    /// the others' errors and panics.
    pub(crate) fn schedule(
        self: &Arc<Self>,
        route: &'static str,
        tasks: Vec<QueuedTask>,
        admission: Option<Admission>,
    ) {
        let count = tasks.len();
        self.pending_batches.fetch_add(1, Ordering::SeqCst);
        self.pending_tasks.fetch_add(count, Ordering::SeqCst);
        self.scheduled.fetch_add(count as u64, Ordering::Relaxed);
        match tokio::runtime::Handle::try_current() {
            // A batch of regular `fn`s runs whole on one blocking-pool
            // thread: one hand-off instead of a task plus a trip per `fn`.
            Ok(runtime) if tasks.iter().all(QueuedTask::is_blocking) => {
                let runner = Arc::clone(self);
                runtime.spawn_blocking(move || runner.run_blocking_batch(route, tasks, admission));
            }
            Ok(runtime) => {
                runtime.spawn(Arc::clone(self).run_batch(route, tasks, admission));
            }
            Err(_) => {
                // Only reachable when a response body is dropped outside any
                // runtime; the loss is still counted and logged.
                tracing::error!(
                    target: "atode::background",
                    route,
                    lost = count,
                    "no tokio runtime to run background tasks on; {count} task(s) lost"
                );
                self.discarded.fetch_add(count as u64, Ordering::Relaxed);
                self.pending_tasks.fetch_sub(count, Ordering::SeqCst);
                self.finish_batch();
            }
        }
    }

    /// `admission` is the batch's place under the cap, given back (dropped)
    /// when the last task has finished.
    async fn run_batch(
        self: Arc<Self>,
        route: &'static str,
        tasks: Vec<QueuedTask>,
        admission: Option<Admission>,
    ) {
        for task in tasks {
            let outcome = run_task(route, task).await;
            self.count(outcome);
        }
        drop(admission);
        self.finish_batch();
    }

    /// [`run_batch`](Self::run_batch) for a batch of regular `fn`s only, on
    /// the blocking pool.
    fn run_blocking_batch(
        self: Arc<Self>,
        route: &'static str,
        tasks: Vec<QueuedTask>,
        admission: Option<Admission>,
    ) {
        for task in tasks {
            let name = task.name;
            let result = match task.work.0 {
                WorkKind::Blocking(function) => {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(function))
                        .map_err(|panic| panic_message(&*panic))
                }
                // Not reached: `schedule` sends only batches of regular `fn`s here.
                WorkKind::Async(_) => Err("an async task in a blocking batch".to_owned()),
            };
            self.count(outcome(route, name, result));
        }
        drop(admission);
        self.finish_batch();
    }

    fn count(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Completed => &self.completed,
            Outcome::Failed => &self.failed,
            Outcome::Panicked => &self.panicked,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.pending_tasks.fetch_sub(1, Ordering::SeqCst);
    }

    fn finish_batch(&self) {
        if self.pending_batches.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Sets the cap; `usize::MAX` for none.
    pub(crate) fn set_cap(&self, cap: usize) {
        self.cap.store(cap, Ordering::Relaxed);
    }

    /// A place under the cap for one request that takes background tasks,
    /// or `None` (counted) when the cap is reached.
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Admission> {
        let cap = self.cap.load(Ordering::Relaxed);
        if self.load.fetch_add(1, Ordering::SeqCst) >= cap {
            self.load.fetch_sub(1, Ordering::SeqCst);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(Admission {
            runner: Arc::clone(self),
        })
    }

    /// A place for a request whose extractor queued tasks without its route
    /// declaring them: it cannot be refused any more, but is counted.
    pub(crate) fn force_admit(self: &Arc<Self>) -> Admission {
        self.load.fetch_add(1, Ordering::SeqCst);
        Admission {
            runner: Arc::clone(self),
        }
    }

    /// Records that `count` tasks of `route` will never run, and why.
    pub(crate) fn discard(
        runner: Option<&TaskRunner>,
        route: &'static str,
        count: usize,
        reason: &'static str,
    ) {
        if count == 0 {
            return;
        }
        tracing::warn!(
            target: "atode::background",
            route,
            discarded = count,
            "{count} background task(s) discarded because {reason}"
        );
        if let Some(runner) = runner {
            runner.discarded.fetch_add(count as u64, Ordering::Relaxed);
        }
    }

    /// Waits until no handed-over task is left to run.
    pub(crate) async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            // Register before reading the count, so a wake-up in between is kept.
            notified.as_mut().enable();
            if self.pending_batches.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn stats(&self) -> TaskStats {
        TaskStats {
            scheduled: self.scheduled.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            panicked: self.panicked.load(Ordering::Relaxed),
            discarded: self.discarded.load(Ordering::Relaxed),
            pending: self.pending_tasks.load(Ordering::SeqCst) as u64,
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

/// Runs one task to its end, logging an `Err` or a panic.
pub(crate) async fn run_task(route: &'static str, task: QueuedTask) -> Outcome {
    let name = task.name;
    let result = match task.work.0 {
        WorkKind::Async(future) => CatchUnwind::new(future)
            .await
            .map_err(|panic| panic_message(&*panic)),
        WorkKind::Blocking(function) => match tokio::task::spawn_blocking(function).await {
            Ok(outcome) => Ok(outcome),
            Err(error) => Err(match error.try_into_panic() {
                Ok(panic) => panic_message(&*panic),
                Err(error) => error.to_string(),
            }),
        },
    };
    outcome(route, name, result)
}

/// Logs how a task ended, unless it succeeded. `result` is `Err` with the
/// panic's message when the task panicked.
fn outcome(
    route: &'static str,
    name: &'static str,
    result: Result<TaskOutcome, String>,
) -> Outcome {
    match result {
        Ok(Ok(())) => Outcome::Completed,
        Ok(Err(error)) => {
            tracing::error!(target: "atode::background", route, task = name, %error, "background task failed");
            Outcome::Failed
        }
        Err(panic) => {
            tracing::error!(target: "atode::background", route, task = name, panic, "background task panicked");
            Outcome::Panicked
        }
    }
}

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
    /// Tasks dropped without running because their handler failed, with the
    /// count logged.
    pub discarded: u64,
    /// Tasks handed to the runner that have not finished yet.
    pub pending: u64,
    /// Requests refused with `503` because too much background work was
    /// pending (see [`App::max_pending_tasks`](crate::App::max_pending_tasks)).
    pub refused: u64,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::BackgroundTasks;

    fn panics() {
        panic!("a regular fn panicked on purpose");
    }

    #[tokio::test]
    async fn a_batch_of_regular_fns_isolates_failures_and_panics() {
        let runner = Arc::new(TaskRunner::default());
        let tasks = BackgroundTasks::for_route(Arc::clone(&runner), "test", None);
        let (done, ran) = tokio::sync::oneshot::channel();
        tasks.add_task(|| {}, ());
        tasks.add_task(panics, ());
        tasks.add_task(|| Err::<(), _>("no disk"), ());
        tasks.add_task(move || done.send(()).expect("receiver"), ());
        tasks.schedule();
        ran.await.expect("the last fn ran after the failures");
        runner.wait_idle().await;
        let stats = runner.stats();
        assert_eq!(
            (stats.completed, stats.failed, stats.panicked, stats.pending),
            (2, 1, 1, 0)
        );
    }
}
