//! `BackgroundTasks`: the handle a request's handler and extractors queue work on.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use super::runner::{Admission, Outcome, Owner, TaskRunner};
use super::task::{IntoTask, QueuedTask};
use super::watch::RequestWatch;

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
    static RECYCLED: RefCell<Vec<Arc<Shared>>> = const { RefCell::new(Vec::new()) };
}

struct Shared {
    /// The app's runner and settings, and the lifecycle of the server (or
    /// client) the request came through; `None` for a list a test made
    /// with [`BackgroundTasks::new`].
    owner: Option<Owner>,
    route: &'static str,
    /// Told when this request's batches start and end, for a `TestClient`
    /// that waits for this request's tasks only.
    watch: Option<RequestWatch>,
    state: Mutex<State>,
    /// The trace context of the span the list was made in (its request's,
    /// in a handler): its tasks' spans are that span's children, whenever
    /// they run. The context, not the span: holding the span would keep
    /// the request's open until its tasks end (and a recycled list, until
    /// its thread does).
    #[cfg(feature = "otel")]
    trace: Option<opentelemetry::Context>,
}

impl Shared {
    fn new(
        owner: Option<Owner>,
        route: &'static str,
        watch: Option<RequestWatch>,
        state: State,
    ) -> Self {
        Shared {
            owner,
            route,
            watch,
            state: Mutex::new(state),
            #[cfg(feature = "otel")]
            trace: crate::otel::current_context(),
        }
    }
}

/// The list holds tasks only: the request's place under the cap belongs to
/// the request (then to the batch that runs its tasks), so a clone kept by
/// a task cannot hold that place.
enum State {
    /// The request is still being handled: tasks wait here.
    Open(Vec<QueuedTask>),
    /// A batch is running the tasks, one after another; a task added now
    /// (from a clone: a task queuing a follow-up) joins the end of it.
    Running(VecDeque<QueuedTask>),
    /// Every task has run; a task added now starts a new batch, under the
    /// cap like any other.
    Idle,
    /// Tasks added now are dropped, counted and logged, for this reason.
    Discarded(&'static str),
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
    /// directly in a unit test, or for a response to carry (return
    /// `(response, tasks)`: its tasks join the request's). Inside a server,
    /// take `BackgroundTasks` as a handler parameter instead. A list of
    /// this kind that is dropped with tasks it never ran logs a warning
    /// with their count.
    ///
    /// ```
    /// let tasks = atode::BackgroundTasks::new();
    /// assert!(tasks.is_empty());
    /// ```
    pub fn new() -> Self {
        BackgroundTasks {
            shared: Arc::new(Shared::new(None, "<test>", None, State::Open(Vec::new()))),
        }
    }

    /// The list of one request of `route`. Reuses a list recycled on this
    /// thread when there is one, so a request that queues nothing
    /// allocates nothing (the README's point 10).
    pub(crate) fn for_request(
        owner: Owner,
        route: &'static str,
        watch: Option<RequestWatch>,
    ) -> Self {
        let fresh = Shared::new(Some(owner), route, watch, State::Open(Vec::new()));
        let recycled = RECYCLED
            .try_with(|recycled| recycled.try_borrow_mut().ok()?.pop())
            .ok()
            .flatten();
        match recycled {
            Some(mut shared) => match Arc::get_mut(&mut shared) {
                Some(old) => {
                    *old = fresh;
                    BackgroundTasks { shared }
                }
                // Only lists with no other handle are recycled: this is a
                // broken invariant, so the list is not reused.
                None => {
                    debug_assert!(false, "a recycled list still had another handle");
                    BackgroundTasks {
                        shared: Arc::new(fresh),
                    }
                }
            },
            None => BackgroundTasks {
                shared: Arc::new(fresh),
            },
        }
    }

    /// The list a request gets when the app's cap on pending background
    /// work is reached: the request is answered `503` before its handler
    /// runs, and anything queued on it is counted as discarded.
    pub(crate) fn refused(owner: Owner, route: &'static str) -> Self {
        BackgroundTasks {
            shared: Arc::new(Shared::new(
                Some(owner),
                route,
                None,
                State::Discarded("the app's cap on pending background work was reached"),
            )),
        }
    }

    /// Keeps this list for a later request on this thread, once its tasks
    /// have all run and no other handle to it is left.
    pub(crate) fn recycle(self) {
        let idle = matches!(*self.lock(), State::Idle);
        if idle && Arc::strong_count(&self.shared) == 1 && Arc::weak_count(&self.shared) == 0 {
            // During thread teardown the thread-local may be gone: the list
            // is then simply freed.
            let _ = RECYCLED.try_with(|recycled| {
                if let Ok(mut recycled) = recycled.try_borrow_mut() {
                    if recycled.len() < RECYCLED_PER_THREAD {
                        recycled.push(self.shared);
                    }
                }
            });
        }
    }

    /// Queues `task` to be called with `args` after the response is written.
    ///
    /// `task` is an `async fn` or a regular `fn` (or a closure), and `args`
    /// a tuple of its arguments: `()`, `(a,)`, `(a, b)`, up to twelve. A
    /// regular `fn` runs on the app's own pool of task threads, so it may
    /// do blocking I/O. A task may return `()` or a `Result`; an `Err` or a
    /// panic is logged with the route and the task's name, and the tasks
    /// after it still run.
    ///
    /// A task added from a clone once the request's tasks are running
    /// joins the end of them; one added after they have all run starts
    /// again under the app's cap, or is counted as discarded (and logged)
    /// when the cap is reached or the server is shutting down.
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
    ///
    /// A function declared with [`#[task]`](crate::durable::task) (feature
    /// `durable`) is not run here: its call is written to the app's durable
    /// queue before the response's first byte, and `add_task` returns its
    /// [`TaskId`](crate::durable::TaskId).
    pub fn add_task<F, Args, Kind>(&self, task: F, args: Args) -> F::Handle
    where
        F: IntoTask<Args, Kind>,
    {
        let (work, handle) = task.into_queued(args);
        self.push(QueuedTask {
            name: std::any::type_name::<F>(),
            work,
        });
        handle
    }

    fn push(&self, task: QueuedTask) {
        let route = self.shared.route;
        let mut state = self.lock();
        let refusal = match &mut *state {
            State::Open(tasks) => {
                tasks.push(task);
                return;
            }
            State::Running(tasks) => {
                // Counted before the lock is let go: a task thread that
                // takes the task and counts its end must find it counted,
                // or `pending` would wrap below zero meanwhile.
                if let Some(owner) = &self.shared.owner {
                    owner.joined(1);
                }
                tasks.push_back(task);
                return;
            }
            State::Idle => match &self.shared.owner {
                Some(owner) => match owner.admit_batch() {
                    Ok(admission) => {
                        *state = State::Running(VecDeque::from([task]));
                        drop(state);
                        owner.clone().start(self.clone(), Some(admission), 1);
                        return;
                    }
                    Err(reason) => (task, reason),
                },
                None => (task, "its list belongs to no app"),
            },
            State::Discarded(reason) => (task, *reason),
        };
        drop(state);
        let (task, reason) = refusal;
        // Dropped outside the lock: the task may hold a clone of this list.
        drop(task);
        TaskRunner::discard(self.runner(), route, 1, reason);
    }

    /// How many tasks are queued and not yet started.
    ///
    /// ```
    /// let tasks = atode::BackgroundTasks::new();
    /// tasks.add_task(|| {}, ());
    /// tasks.clone().add_task(|| {}, ()); // clones share the list
    /// assert_eq!(tasks.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match &*self.lock() {
            State::Open(tasks) => tasks.len(),
            State::Running(tasks) => tasks.len(),
            State::Idle | State::Discarded(_) => 0,
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
            State::Open(tasks) => tasks.iter().map(|task| task.name).collect(),
            State::Running(tasks) => tasks.iter().map(|task| task.name).collect(),
            State::Idle | State::Discarded(_) => Vec::new(),
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
            match super::batch::run_alone(self.shared.route, task).await {
                Outcome::Completed => report.completed += 1,
                Outcome::Failed => report.failed += 1,
                Outcome::Panicked => report.panicked += 1,
                Outcome::TimedOut => {}
            }
        }
        report
    }

    /// Hands the queue to the runner, with the request's place under the
    /// cap: called once the response is out. A list with nothing queued
    /// gives the place back at once.
    pub(crate) fn schedule(self, admission: Option<Admission>) {
        let mut state = self.lock();
        let tasks = match &mut *state {
            State::Open(tasks) => std::mem::take(tasks),
            State::Running(_) | State::Idle | State::Discarded(_) => return,
        };
        let owner = match &self.shared.owner {
            Some(owner) if !tasks.is_empty() => owner.clone(),
            _ => {
                // Nothing to run (or nothing to run it: a list of no app).
                *state = if tasks.is_empty() {
                    State::Idle
                } else {
                    State::Open(tasks)
                };
                drop(state);
                drop(admission);
                self.recycle();
                return;
            }
        };
        let count = tasks.len();
        *state = State::Running(VecDeque::from(tasks));
        drop(state);
        owner.start(self, admission, count);
    }

    /// The next task of a running batch, or `None` once there is none left
    /// (the list is then idle: a task added later starts a new batch).
    pub(crate) fn next_task(&self) -> Option<QueuedTask> {
        let mut state = self.lock();
        match &mut *state {
            State::Running(tasks) => {
                let next = tasks.pop_front();
                if next.is_none() {
                    *state = State::Idle;
                }
                next
            }
            State::Open(_) | State::Idle | State::Discarded(_) => None,
        }
    }

    /// Takes the tasks a batch has not started, closing the list for
    /// `reason`: for a batch that is being abandoned.
    pub(crate) fn close_unrun(&self, reason: &'static str) -> Vec<QueuedTask> {
        let mut state = self.lock();
        if !matches!(*state, State::Running(_)) {
            return Vec::new();
        }
        match std::mem::replace(&mut *state, State::Discarded(reason)) {
            State::Running(tasks) => tasks.into(),
            State::Open(_) | State::Idle | State::Discarded(_) => Vec::new(),
        }
    }

    /// Drops the queue, logging how many tasks were lost and why; tasks
    /// added later are dropped the same way.
    pub(crate) fn discard(&self, reason: &'static str) {
        let dropped = {
            let mut state = self.lock();
            match &*state {
                State::Open(_) => match std::mem::replace(&mut *state, State::Discarded(reason)) {
                    State::Open(tasks) => tasks,
                    _ => Vec::new(),
                },
                State::Running(_) | State::Idle | State::Discarded(_) => return,
            }
        };
        // Dropped outside the lock: a task may hold a clone of this list,
        // and dropping it breaks the cycle that would keep the list alive.
        let count = dropped.len();
        drop(dropped);
        TaskRunner::discard(self.runner(), self.shared.route, count, reason);
    }

    /// Whether `other` is a handle to this same list.
    pub(crate) fn is_same_list(&self, other: &BackgroundTasks) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Moves the tasks queued on `other` to the end of this list.
    pub(crate) fn append(&self, other: &BackgroundTasks) {
        if Arc::ptr_eq(&self.shared, &other.shared) {
            return;
        }
        for task in other.take_open() {
            self.push(task);
        }
    }

    pub(crate) fn route(&self) -> &'static str {
        self.shared.route
    }

    /// The app's runner, unless the list belongs to no app.
    fn runner(&self) -> Option<&TaskRunner> {
        self.shared.owner.as_ref().map(|owner| &**owner.runner())
    }

    /// The trace context its tasks' spans are children of.
    #[cfg(feature = "otel")]
    pub(crate) fn trace(&self) -> Option<&opentelemetry::Context> {
        self.shared.trace.as_ref()
    }

    pub(crate) fn watch(&self) -> Option<&RequestWatch> {
        self.shared.watch.as_ref()
    }

    /// Takes the durable tasks' calls queued while the request was
    /// handled, leaving the in-process tasks in their order: the calls are
    /// written to the queue before the response.
    #[cfg(feature = "durable")]
    pub(crate) fn take_durable(&self) -> Vec<crate::durable::PendingJob> {
        use super::task::WorkKind;
        let mut state = self.lock();
        let State::Open(tasks) = &mut *state else {
            return Vec::new();
        };
        if !tasks
            .iter()
            .any(|task| matches!(task.work.0, WorkKind::Durable(_)))
        {
            return Vec::new();
        }
        let (durable, local): (Vec<_>, Vec<_>) = std::mem::take(tasks)
            .into_iter()
            .partition(|task| matches!(task.work.0, WorkKind::Durable(_)));
        *tasks = local;
        durable
            .into_iter()
            .filter_map(|task| match task.work.0 {
                WorkKind::Durable(job) => Some(job),
                _ => None,
            })
            .collect()
    }

    fn take_open(&self) -> Vec<QueuedTask> {
        match &mut *self.lock() {
            State::Open(tasks) => std::mem::take(tasks),
            State::Running(_) | State::Idle | State::Discarded(_) => Vec::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock is held cannot leave the queue half-updated.
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
    /// A list dropped with tasks it never ran: one made with
    /// [`BackgroundTasks::new`] and neither run nor returned in a response
    /// (a mistake worth a warning), or a request's list whose request was
    /// dropped without accounting for it. Never silent, never a panic.
    fn drop(&mut self) {
        let state = self
            .state
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let unrun = match state {
            State::Open(tasks) => tasks.len(),
            State::Running(tasks) => tasks.len(),
            State::Idle | State::Discarded(_) => 0,
        };
        if unrun == 0 {
            return;
        }
        match &self.owner {
            None => tracing::warn!(
                target: "atode::background",
                dropped = unrun,
                "{unrun} background task(s) dropped without running: a list made with \
                 BackgroundTasks::new() runs only when returned in a response, as \
                 `(response, tasks)`, or with `.run()`; take `BackgroundTasks` as a \
                 handler parameter to have them run after the response"
            ),
            Some(owner) => TaskRunner::discard(
                Some(owner.runner()),
                self.route,
                unrun,
                "their list was dropped before they ran",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::background::RequestWork;

    fn owner() -> Owner {
        Owner::for_tests(|_| {})
    }

    fn request_tasks(owner: &Owner) -> BackgroundTasks {
        BackgroundTasks::for_request(owner.clone(), "test", None)
    }

    /// A task that waits for `gate`, then reports `label` on `events`.
    async fn gated(
        gate: tokio::sync::oneshot::Receiver<()>,
        events: tokio::sync::mpsc::UnboundedSender<&'static str>,
        label: &'static str,
    ) {
        let _ = gate.await;
        let _ = events.send(label);
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
        let owner = owner();
        let tasks = request_tasks(&owner);
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
        tasks.schedule(None);
        owner.runner().wait_idle().await;
        assert_eq!(*order.lock().expect("order"), ["injected", "carried"]);
    }

    #[tokio::test]
    async fn discarding_counts_the_tasks_and_drops_later_ones() {
        let owner = owner();
        let tasks = request_tasks(&owner);
        tasks.add_task(|| {}, ());
        tasks.add_task(|| {}, ());
        tasks.discard("a test said so");
        tasks.add_task(|| {}, ());
        assert_eq!(owner.runner().stats().discarded, 3);
        assert_eq!(owner.runner().stats().scheduled, 0);
    }

    /// Scenario 5 of the lifecycle issue: a task added from a clone while
    /// the batch runs joins its end, after the task that is running.
    #[tokio::test]
    async fn a_task_added_while_the_batch_runs_joins_its_end() {
        let owner = owner();
        let tasks = request_tasks(&owner);
        let (events, mut seen) = tokio::sync::mpsc::unbounded_channel();
        let (open, gate) = tokio::sync::oneshot::channel();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let first = gated(gate, events.clone(), "first");
        tasks.add_task(
            move || async move {
                let _ = started.send(());
                first.await;
            },
            (),
        );
        tasks.clone().schedule(None);
        running.await.expect("the first task started");
        let late = events.clone();
        tasks.add_task(move || async move { late.send("late").expect("open") }, ());
        assert_eq!(
            owner.runner().stats().scheduled,
            2,
            "the late task is counted"
        );
        let _ = open.send(());
        assert_eq!(seen.recv().await, Some("first"));
        assert_eq!(
            seen.recv().await,
            Some("late"),
            "it ran after the first, not beside it"
        );
        owner.runner().wait_idle().await;
        assert_eq!(owner.runner().stats().pending, 0);
    }

    /// Scenario 5: a task added after the batch ended starts a new one, under
    /// the cap: with the cap full it is counted as discarded, not run.
    #[tokio::test]
    async fn a_task_added_after_the_batch_ended_is_under_the_cap() {
        let owner = Owner::for_tests(|app| app.tasks.cap = 1);
        let tasks = request_tasks(&owner);
        tasks.add_task(|| {}, ());
        tasks.clone().schedule(None);
        owner.runner().wait_idle().await;

        let held = Owner::admit(owner.app()).expect("the cap has room again");
        tasks.add_task(|| -> () { panic!("must not run past the cap") }, ());
        assert_eq!(owner.runner().stats().discarded, 1);
        drop(held);

        let (done, ran) = tokio::sync::oneshot::channel();
        tasks.add_task(move || done.send(()).expect("receiver"), ());
        ran.await.expect("with room, the late task runs");
        owner.runner().wait_idle().await;
        assert_eq!(owner.runner().stats().completed, 2);
    }

    /// Scenario 5: once draining starts, a new batch is refused and counted.
    #[tokio::test]
    async fn a_new_batch_is_refused_once_draining_starts() {
        let owner = owner();
        let tasks = request_tasks(&owner);
        tasks.clone().schedule(None);
        owner.lifecycle().begin_drain();
        tasks.add_task(|| -> () { panic!("must not run while draining") }, ());
        assert_eq!(owner.runner().stats().discarded, 1);
        assert_eq!(owner.runner().stats().pending, 0);
        owner.runner().wait_idle().await;

        // A list of the same app that came through another server (or
        // client) is under that one's lifecycle, which still serves.
        let elsewhere = owner.elsewhere();
        let other = request_tasks(&elsewhere);
        other.clone().schedule(None);
        let (done, ran) = tokio::sync::oneshot::channel();
        other.add_task(move || done.send(()).expect("receiver"), ());
        ran.await.expect("the other server's late task runs");
        elsewhere.lifecycle().wait_idle().await;
        assert_eq!(owner.runner().stats().completed, 1);
    }

    #[tokio::test]
    async fn a_finished_list_is_reused_by_the_next_request_on_the_thread() {
        let owner = owner();
        let tasks = request_tasks(&owner);
        let address = Arc::as_ptr(&tasks.shared);
        tasks.schedule(None);
        let next = BackgroundTasks::for_request(owner.clone(), "next", None);
        assert_eq!(Arc::as_ptr(&next.shared), address);
        assert!(next.is_empty());
        next.add_task(|| {}, ());
        assert_eq!(next.len(), 1, "a reused list takes tasks again");
    }

    /// A list finished while a clone of it is still held (by a task, say)
    /// is not kept for reuse: the thread's recycled lists do not take it,
    /// and the next request gets a list of its own. Checked on the
    /// recycled lists themselves, so it holds in release builds too, where
    /// `for_request`'s debug assertion is gone.
    #[test]
    fn a_list_still_shared_is_not_recycled() {
        let owner = owner();
        let tasks = request_tasks(&owner);
        let kept = tasks.clone();
        tasks.schedule(None);
        let taken = RECYCLED.with(|recycled| {
            recycled
                .borrow()
                .iter()
                .any(|shared| Arc::ptr_eq(shared, &kept.shared))
        });
        assert!(!taken, "a list still shared was recycled");
        assert_eq!(
            Arc::strong_count(&kept.shared),
            1,
            "something besides `kept` holds the list"
        );
        let next = BackgroundTasks::for_request(owner, "next", None);
        assert!(!Arc::ptr_eq(&next.shared, &kept.shared));
    }

    /// Scenario 6: a list finished in a thread-local destructor, after the
    /// recycling thread-local is gone, is freed without a panic (a panic
    /// there aborts the process).
    #[test]
    fn a_list_finished_during_thread_teardown_does_not_panic() {
        struct FinishOnDrop(Option<Owner>);
        impl Drop for FinishOnDrop {
            fn drop(&mut self) {
                if let Some(owner) = self.0.take() {
                    BackgroundTasks::for_request(owner, "teardown", None).schedule(None);
                }
            }
        }
        thread_local! {
            static HOLDER: RefCell<FinishOnDrop> = const { RefCell::new(FinishOnDrop(None)) };
        }
        let owner = owner();
        let thread = std::thread::spawn(move || {
            // Registered first, so destroyed after `RECYCLED` (registered
            // second, by the recycling below).
            HOLDER.with(|holder| holder.borrow_mut().0 = Some(owner.clone()));
            BackgroundTasks::for_request(owner, "warm-up", None).schedule(None);
        });
        thread.join().expect("the thread's teardown did not panic");
    }

    /// Scenario 9: a list made with `new()` and dropped with tasks warns.
    #[test]
    fn a_dropped_list_of_its_own_warns_with_its_count() {
        let logs = crate::testing_logs::capture(|| {
            let tasks = BackgroundTasks::new();
            tasks.add_task(|| {}, ());
            tasks.add_task(|| {}, ());
        });
        assert!(
            logs.contains("WARN") && logs.contains("2 background task(s) dropped without running"),
            "{logs}"
        );
        let quiet = crate::testing_logs::capture(|| {
            let own = BackgroundTasks::new();
            own.add_task(|| {}, ());
            let owner = owner();
            let request = request_tasks(&owner);
            request.append(&own);
            request.discard("a test said so");
        });
        assert!(!quiet.contains("dropped without running"), "{quiet}");
    }

    /// Scenario 1 at the unit level: the request owns its place under the
    /// cap; a task holding its own list and a request dropped before its
    /// handler finished leak neither the place nor the list.
    #[tokio::test]
    async fn a_request_dropped_unfinished_frees_its_place_and_its_list() {
        let owner = Owner::for_tests(|app| app.tasks.cap = 1);
        let mut work = RequestWork::default();
        let tasks = work.tasks(owner.app(), "test", || None);
        let (witness, freed) = tokio::sync::oneshot::channel::<()>();
        let follow_up = tasks.clone();
        tasks.add_task(
            move || {
                let _keep = (follow_up, witness);
            },
            (),
        );
        drop(tasks);
        assert!(
            Owner::admit(owner.app()).is_none(),
            "the request holds the only place"
        );
        drop(work);
        assert!(
            freed.await.is_err(),
            "the task (and the list it held) was dropped"
        );
        assert!(Owner::admit(owner.app()).is_some(), "the place came back");
        assert_eq!(owner.runner().stats().discarded, 1);
    }
}
