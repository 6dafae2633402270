//! `BackgroundTasks`: the handle a request's handler and extractors queue work on.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use super::runner::{Admission, TaskRunner};
use super::task::{IntoTask, QueuedTask};

/// Work to run after the response has been written.
///
/// Take it as a handler parameter (any name, any position) and queue
/// functions on it; they run once the response's last body frame has been
/// handed to the HTTP layer, one after another in the order they were added,
/// so the client never waits for them.
///
/// ```no_run
/// use atode::{post, routes, App, BackgroundTasks, Json};
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Message {
///     message: &'static str,
/// }
///
/// fn write_notification(email: String, message: &'static str) -> std::io::Result<()> {
///     std::fs::write("log.txt", format!("notification for {email}: {message}"))
/// }
///
/// #[post("/send-notification/<email>")]
/// async fn send_notification(email: String, background_tasks: BackgroundTasks) -> Json<Message> {
///     background_tasks.add_task(write_notification, (email, "some notification"));
///     Json(Message { message: "Notification sent in the background" })
/// }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     atode::run(App::new().routes(routes![send_notification])).await
/// }
/// ```
///
/// The handle is cheap to clone, and every clone taken during one request
/// (by the handler and by the extractors it depends on) queues onto the same
/// list. A handler is still an ordinary `async fn`, so a unit test can call
/// it with a list of its own and look at what was queued:
///
/// ```
/// use atode::BackgroundTasks;
///
/// async fn log_line(_line: String) {}
///
/// async fn handler(tasks: BackgroundTasks) -> &'static str {
///     tasks.add_task(log_line, ("hello".to_owned(),));
///     "queued"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let tasks = BackgroundTasks::new();
/// assert_eq!(handler(tasks.clone()).await, "queued");
/// assert_eq!(tasks.len(), 1);
/// assert!(tasks.task_names()[0].ends_with("::log_line"));
/// let report = tasks.run().await;
/// assert_eq!(report.completed, 1);
/// # }
/// ```
#[derive(Clone)]
pub struct BackgroundTasks {
    shared: Arc<Shared>,
}

/// How many finished lists each thread keeps for reuse: enough for the
/// requests one worker has in flight at once.
const RECYCLED_PER_THREAD: usize = 64;

thread_local! {
    static RECYCLED: std::cell::RefCell<Vec<Arc<Shared>>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct Shared {
    /// The app's runner; `None` for a list a test made with [`BackgroundTasks::new`].
    runner: Option<Arc<TaskRunner>>,
    route: &'static str,
    state: Mutex<State>,
}

impl Shared {
    /// A list still open for tasks.
    fn open(
        runner: Option<Arc<TaskRunner>>,
        route: &'static str,
        admission: Option<Admission>,
    ) -> Self {
        Shared {
            runner,
            route,
            state: Mutex::new(State::Open(Vec::new(), admission)),
        }
    }
}

enum State {
    /// The request is still being handled: tasks wait here, with the
    /// request's place under the app's cap, which goes to the runner with
    /// them and is given back when they have run.
    Open(Vec<QueuedTask>, Option<Admission>),
    /// The response is out and the queue was handed to the runner; a task
    /// added now (from a clone that outlived the request) runs at once.
    Scheduled,
    /// The handler failed: its tasks were dropped, and so are later ones.
    Discarded,
}

/// How a list of tasks run by [`BackgroundTasks::run`] went: for a unit
/// test to check that its tasks succeed.
///
/// ```
/// use atode::BackgroundTasks;
///
/// fn crashes() {
///     panic!("a bug in a task");
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let tasks = BackgroundTasks::new();
/// tasks.add_task(crashes, ());
/// tasks.add_task(|| {}, ());
/// let report = tasks.run().await;
/// assert_eq!((report.completed, report.failed, report.panicked), (1, 0, 1));
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunReport {
    /// Tasks that returned `()` or `Ok`.
    pub completed: usize,
    /// Tasks that returned `Err`.
    pub failed: usize,
    /// Tasks that panicked.
    pub panicked: usize,
}

impl BackgroundTasks {
    /// An empty list that belongs to no request, for calling a handler
    /// directly in a unit test. Inside a server, take `BackgroundTasks` as a
    /// handler parameter instead: that one is run after the response.
    ///
    /// ```
    /// let tasks = atode::BackgroundTasks::new();
    /// assert!(tasks.is_empty());
    /// ```
    pub fn new() -> Self {
        BackgroundTasks {
            shared: Arc::new(Shared::open(None, "<test>", None)),
        }
    }

    /// The list of one request of `route`. Reuses a list recycled on this
    /// thread when there is one, so a request that queues nothing
    /// allocates nothing (DESIGN.md point 10).
    pub(crate) fn for_route(
        runner: Arc<TaskRunner>,
        route: &'static str,
        admission: Option<Admission>,
    ) -> Self {
        let fresh = Shared::open(Some(runner), route, admission);
        let recycled = RECYCLED.with(|recycled| recycled.borrow_mut().pop());
        if let Some(mut shared) = recycled {
            // Recycled lists have no other handle, so this always succeeds.
            if let Some(old) = Arc::get_mut(&mut shared) {
                *old = fresh;
                return BackgroundTasks { shared };
            }
        }
        BackgroundTasks {
            shared: Arc::new(fresh),
        }
    }

    /// Keeps this list for a later request on this thread, once its tasks
    /// have been handed to the runner and no other handle to it is left.
    pub(crate) fn recycle(self) {
        let scheduled = matches!(*self.lock(), State::Scheduled);
        if scheduled && Arc::strong_count(&self.shared) == 1 && Arc::weak_count(&self.shared) == 0 {
            RECYCLED.with(|recycled| {
                let mut recycled = recycled.borrow_mut();
                if recycled.len() < RECYCLED_PER_THREAD {
                    recycled.push(self.shared);
                }
            });
        }
    }

    /// Queues `task` to be called with `args` after the response is written.
    ///
    /// `task` is an `async fn` or a regular `fn` (or a closure), and `args`
    /// a tuple of its arguments: `()`, `(a,)`, `(a, b)`, up to twelve. A
    /// regular `fn` runs on tokio's blocking pool, so it may do blocking I/O.
    /// A task may return `()` or a `Result`; an `Err` or a panic is logged
    /// with the route and the task's name, and the tasks after it still run.
    ///
    /// ```
    /// use atode::BackgroundTasks;
    ///
    /// fn write_log(path: std::path::PathBuf, line: String) -> std::io::Result<()> {
    ///     std::fs::write(path, line)
    /// }
    ///
    /// async fn notify(email: String) {
    ///     let _ = email;
    /// }
    ///
    /// let tasks = BackgroundTasks::new();
    /// tasks.add_task(write_log, ("log.txt".into(), "hello".to_owned()));
    /// tasks.add_task(notify, ("a@example.com".to_owned(),));
    /// tasks.add_task(|| println!("done"), ());
    /// assert_eq!(tasks.len(), 3);
    /// ```
    pub fn add_task<F, Args, Kind>(&self, task: F, args: Args)
    where
        F: IntoTask<Args, Kind>,
    {
        let task = QueuedTask {
            name: std::any::type_name::<F>(),
            work: task.into_work(args),
        };
        let mut state = self.lock();
        match &mut *state {
            State::Open(tasks, _) => tasks.push(task),
            State::Scheduled => {
                drop(state);
                if let Some(runner) = &self.shared.runner {
                    tracing::debug!(
                        target: "atode::background",
                        route = self.shared.route,
                        task = task.name,
                        "task added after the response was written; running it now"
                    );
                    runner.schedule(self.shared.route, vec![task], None);
                }
            }
            State::Discarded => {
                drop(state);
                let runner = self.shared.runner.as_deref();
                TaskRunner::discard(runner, self.shared.route, 1, "its handler failed");
            }
        }
    }

    /// How many tasks are queued and not yet handed to the runner.
    ///
    /// ```
    /// let tasks = atode::BackgroundTasks::new();
    /// tasks.add_task(|| {}, ());
    /// tasks.clone().add_task(|| {}, ()); // clones share the list
    /// assert_eq!(tasks.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match &*self.lock() {
            State::Open(tasks, _) => tasks.len(),
            State::Scheduled | State::Discarded => 0,
        }
    }

    /// Whether no task is queued.
    ///
    /// ```
    /// let tasks = atode::BackgroundTasks::new();
    /// assert!(tasks.is_empty());
    /// tasks.add_task(|| {}, ());
    /// assert!(!tasks.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The names of the queued tasks, in order: each function's path, as
    /// [`std::any::type_name`] gives it.
    ///
    /// ```
    /// fn audit() {}
    ///
    /// let tasks = atode::BackgroundTasks::new();
    /// tasks.add_task(audit, ());
    /// assert!(tasks.task_names()[0].ends_with("::audit"));
    /// ```
    pub fn task_names(&self) -> Vec<&'static str> {
        match &*self.lock() {
            State::Open(tasks, _) => tasks.iter().map(|task| task.name).collect(),
            State::Scheduled | State::Discarded => Vec::new(),
        }
    }

    /// Runs the queued tasks now, one after another, and reports how they
    /// went. Meant for unit tests; a server runs them by itself.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let tasks = atode::BackgroundTasks::new();
    /// tasks.add_task(|| Err::<(), _>("no mail server"), ());
    /// tasks.add_task(|| async {}, ());
    /// let report = tasks.run().await;
    /// assert_eq!((report.completed, report.failed), (1, 1));
    /// # }
    /// ```
    pub async fn run(&self) -> RunReport {
        let tasks = self.take_open();
        let mut report = RunReport::default();
        for task in tasks {
            match super::runner::run_task(self.shared.route, task).await {
                super::runner::Outcome::Completed => report.completed += 1,
                super::runner::Outcome::Failed => report.failed += 1,
                super::runner::Outcome::Panicked => report.panicked += 1,
            }
        }
        report
    }

    /// Hands the queue to the runner: called once the response is out.
    pub(crate) fn schedule(&self) {
        let tasks = std::mem::replace(&mut *self.lock(), State::Scheduled);
        if let (State::Open(tasks, admission), Some(runner)) = (tasks, &self.shared.runner) {
            if !tasks.is_empty() {
                runner.schedule(self.shared.route, tasks, admission);
            }
        }
    }

    /// Drops the queue, logging how many tasks were lost and why.
    pub(crate) fn discard(&self, reason: &'static str) {
        let tasks = std::mem::replace(&mut *self.lock(), State::Discarded);
        if let State::Open(tasks, _admission) = tasks {
            TaskRunner::discard(
                self.shared.runner.as_deref(),
                self.shared.route,
                tasks.len(),
                reason,
            );
        }
    }

    /// Moves the tasks queued on `other` to the end of this list.
    pub(crate) fn append(&self, other: &BackgroundTasks) {
        if Arc::ptr_eq(&self.shared, &other.shared) {
            return;
        }
        let moved = other.take_open();
        let mut state = self.lock();
        match &mut *state {
            State::Open(tasks, _) => tasks.extend(moved),
            State::Scheduled | State::Discarded => {
                drop(state);
                // Not reachable from the framework, which appends before scheduling.
                let runner = self.shared.runner.as_deref();
                TaskRunner::discard(
                    runner,
                    self.shared.route,
                    moved.len(),
                    "its list was closed",
                );
            }
        }
    }

    fn take_open(&self) -> Vec<QueuedTask> {
        match &mut *self.lock() {
            State::Open(tasks, _) => std::mem::take(tasks),
            State::Scheduled | State::Discarded => Vec::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock is held cannot leave the Vec half-updated.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for BackgroundTasks {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTasks")
            .field("route", &self.shared.route)
            .field("tasks", &self.task_names())
            .finish()
    }
}

impl Drop for Shared {
    /// A list dropped while still open belongs to a request whose handler
    /// never finished (it panicked, or was cancelled): its tasks are lost,
    /// and that is logged and counted rather than silent.
    fn drop(&mut self) {
        let state = self
            .state
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let State::Open(tasks, _) = state {
            if !tasks.is_empty() && self.runner.is_some() {
                TaskRunner::discard(
                    self.runner.as_deref(),
                    self.route,
                    tasks.len(),
                    "its handler did not finish",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_tasks() -> (BackgroundTasks, Arc<TaskRunner>) {
        let runner = Arc::new(TaskRunner::default());
        (
            BackgroundTasks::for_route(Arc::clone(&runner), "test", None),
            runner,
        )
    }

    #[test]
    fn clones_share_one_list() {
        let tasks = BackgroundTasks::new();
        let clone = tasks.clone();
        clone.add_task(|| {}, ());
        tasks.add_task(|| {}, ());
        assert_eq!(tasks.len(), 2);
        assert_eq!(clone.len(), 2);
    }

    #[tokio::test]
    async fn appended_tasks_run_after_the_injected_ones() {
        let (tasks, runner) = request_tasks();
        let order = Arc::new(Mutex::new(Vec::new()));
        let record = |label: &'static str| {
            let order = Arc::clone(&order);
            move || order.lock().expect("order").push(label)
        };
        tasks.add_task(record("injected"), ());
        let carried = BackgroundTasks::new();
        carried.add_task(record("carried"), ());
        tasks.append(&carried);
        assert!(carried.is_empty());
        tasks.schedule();
        runner.wait_idle().await;
        assert_eq!(*order.lock().expect("order"), ["injected", "carried"]);
    }

    #[tokio::test]
    async fn discarding_counts_the_tasks_and_drops_later_ones() {
        let (tasks, runner) = request_tasks();
        tasks.add_task(|| {}, ());
        tasks.add_task(|| {}, ());
        tasks.discard("a test said so");
        tasks.add_task(|| {}, ());
        assert_eq!(runner.stats().discarded, 3);
        assert_eq!(runner.stats().scheduled, 0);
    }

    #[tokio::test]
    async fn a_task_added_after_the_response_runs_at_once() {
        let (tasks, runner) = request_tasks();
        tasks.schedule();
        let (done, ran) = tokio::sync::oneshot::channel();
        tasks.add_task(move || done.send(()).expect("receiver alive"), ());
        ran.await.expect("the late task ran");
        assert_eq!(runner.stats().scheduled, 1);
    }

    #[tokio::test]
    async fn a_finished_list_is_reused_by_the_next_request_on_the_thread() {
        let (tasks, runner) = request_tasks();
        let address = Arc::as_ptr(&tasks.shared);
        tasks.schedule();
        tasks.recycle();
        let next = BackgroundTasks::for_route(Arc::clone(&runner), "next", None);
        assert_eq!(Arc::as_ptr(&next.shared), address);
        assert!(next.is_empty());
        next.add_task(|| {}, ());
        assert_eq!(next.len(), 1, "a reused list takes tasks again");
    }

    #[test]
    fn a_list_still_shared_is_not_recycled() {
        let (tasks, runner) = request_tasks();
        let kept = tasks.clone();
        tasks.schedule();
        tasks.recycle();
        let next = BackgroundTasks::for_route(runner, "next", None);
        assert!(!Arc::ptr_eq(&next.shared, &kept.shared));
    }

    #[test]
    fn a_list_dropped_while_open_counts_its_tasks_as_discarded() {
        let (tasks, runner) = request_tasks();
        tasks.add_task(|| {}, ());
        drop(tasks);
        assert_eq!(runner.stats().discarded, 1);
    }
}
