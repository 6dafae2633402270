//! The runner: one per app, shared by its clones. It holds what is
//! app-wide: the load under the cap, the pool that runs regular `fn`
//! tasks, the durable queue, and the counts that tests and operators read.
//! What belongs to one server (its phase, its running batches and pending
//! tasks, which its shutdown drains or abandons) is in its
//! [`Lifecycle`]; what one app (or configured clone) says (the cap, the
//! task timeout) is in its [`TaskSettings`]. The three meet in the app's
//! `AppShared`, which each server's copy of the app has its own of: an
//! [`Owner`] is that, for one request's list.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use super::BackgroundTasks;
use super::batch::Batch;
use super::monitor::TaskStats;
use super::pool::BlockingPool;
#[cfg(feature = "durable")]
use super::task::QueuedTask;
use super::watch::Running;
use crate::lifecycle::Lifecycle;
use crate::shared::AppShared;

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

/// The default number of threads that run regular `fn` tasks at once;
/// change it with [`App::task_threads`](crate::App::task_threads).
///
/// ```
/// assert_eq!(atode::background::DEFAULT_TASK_THREADS, 64);
/// ```
pub const DEFAULT_TASK_THREADS: usize = 64;

/// What an app says about its background tasks: part of its settings,
/// copied when a clone is configured (as the body limit is), so
/// configuring a clone leaves the original as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TaskSettings {
    /// The most requests with background work (queued or running) at
    /// once; `usize::MAX` for no cap.
    pub(crate) cap: usize,
    /// How long an `async fn` task may run; `None` for no bound.
    pub(crate) timeout: Option<Duration>,
}

impl Default for TaskSettings {
    fn default() -> Self {
        TaskSettings {
            cap: DEFAULT_MAX_PENDING,
            timeout: None,
        }
    }
}

/// Runs every request's background tasks for one app.
pub(crate) struct TaskRunner {
    /// Batches started and not yet finished, whatever server (or client)
    /// they came through: what `TaskMonitor::wait_idle` waits for.
    batches: Running,
    /// Tasks handed over and not yet finished.
    pending_tasks: AtomicUsize,
    scheduled: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    panicked: AtomicU64,
    discarded: AtomicU64,
    timed_out: AtomicU64,
    abandoned: AtomicU64,
    refused: AtomicU64,
    /// Requests (then batches) holding a place under the cap, counted
    /// across the app's clones and servers; each checks it against its
    /// own cap.
    load: AtomicUsize,
    pub(crate) pool: BlockingPool,
    /// The app's durable queue, once [`App::durable`](crate::App::durable) set it.
    #[cfg(feature = "durable")]
    durable: std::sync::RwLock<Option<crate::durable::TaskQueue>>,
}

impl Default for TaskRunner {
    fn default() -> Self {
        TaskRunner {
            batches: Running::default(),
            pending_tasks: AtomicUsize::new(0),
            scheduled: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            panicked: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            abandoned: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            load: AtomicUsize::new(0),
            pool: BlockingPool::new(DEFAULT_TASK_THREADS),
            #[cfg(feature = "durable")]
            durable: std::sync::RwLock::new(None),
        }
    }
}

/// Why a durable call cannot be written: the app has no queue.
#[cfg(feature = "durable")]
pub(crate) const NO_QUEUE: &str = "a #[task] was queued, and the app has no durable queue: \
     connect one with `Durable::...connect()` and give it to `App::durable`";

/// What a request's list belongs to: the app as its request saw it, with
/// its runner, its settings, and the lifecycle of the server (or test
/// client) the request came through, which counts its batches and
/// pending tasks for its drain. One `Arc`, the one each request already
/// holds, so a list costs one reference count, as it did when it held the
/// runner alone.
#[derive(Clone)]
pub(crate) struct Owner(Arc<AppShared>);

impl Owner {
    pub(crate) fn of(app: &Arc<AppShared>) -> Self {
        Owner(Arc::clone(app))
    }

    pub(crate) fn runner(&self) -> &Arc<TaskRunner> {
        &self.0.runner
    }

    pub(crate) fn lifecycle(&self) -> &Lifecycle {
        &self.0.lifecycle
    }

    pub(crate) fn settings(&self) -> TaskSettings {
        self.0.tasks
    }

    /// An app of its own, with its own lifecycle and the default
    /// settings, changed by `configure`.
    #[cfg(test)]
    pub(crate) fn for_tests(configure: impl FnOnce(&mut AppShared)) -> Self {
        let mut app = AppShared::default();
        configure(&mut app);
        Owner(Arc::new(app))
    }

    /// The same app, as a request of another server (or client) sees it.
    #[cfg(test)]
    pub(crate) fn elsewhere(&self) -> Self {
        let mut app = (*self.0).clone();
        app.lifecycle = Lifecycle::default();
        Owner(Arc::new(app))
    }

    #[cfg(any(test, feature = "metrics"))]
    pub(crate) fn app(&self) -> &Arc<AppShared> {
        &self.0
    }

    /// Starts a batch running `tasks`' queue (`count` tasks, already moved
    /// to the running state), holding `admission` until it ends.
    pub(crate) fn start(self, tasks: BackgroundTasks, admission: Option<Admission>, count: usize) {
        self.runner().batches.enter();
        self.lifecycle().enter_batch();
        self.joined(count);
        Batch::new(self, tasks, admission).resume();
    }

    /// Counts `count` tasks handed over to be run.
    pub(crate) fn joined(&self, count: usize) {
        let runner = self.runner();
        runner.pending_tasks.fetch_add(count, Ordering::SeqCst);
        runner.scheduled.fetch_add(count as u64, Ordering::Relaxed);
        self.lifecycle().joined(count);
    }

    /// Counts one task's end.
    pub(crate) fn count(&self, outcome: Outcome) {
        let runner = self.runner();
        let counter = match outcome {
            Outcome::Completed => &runner.completed,
            Outcome::Failed => &runner.failed,
            Outcome::Panicked => &runner.panicked,
            Outcome::TimedOut => &runner.timed_out,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        runner.pending_tasks.fetch_sub(1, Ordering::SeqCst);
        self.lifecycle().ended(1);
    }

    /// Counts `count` handed-over tasks that will never run (logged by the
    /// caller): abandoned when their lifecycle gave up, discarded otherwise.
    pub(crate) fn lost(&self, count: usize) {
        if count == 0 {
            return;
        }
        let runner = self.runner();
        let counter = if self.lifecycle().abandoning() {
            &runner.abandoned
        } else {
            &runner.discarded
        };
        counter.fetch_add(count as u64, Ordering::Relaxed);
        runner.pending_tasks.fetch_sub(count, Ordering::SeqCst);
        self.lifecycle().ended(count);
    }

    /// Called by each batch as it ends, however it ends: the lifecycle
    /// first, so a server's drain is told no later than the app's monitor.
    pub(crate) fn finish_batch(&self) {
        self.lifecycle().leave_batch();
        self.runner().batches.leave();
    }

    /// A place under the app's cap for one request that reached for its
    /// `BackgroundTasks`, or `None` (counted) when the cap is reached.
    pub(crate) fn admit(app: &Arc<AppShared>) -> Option<Admission> {
        app.runner.admit(app.tasks.cap)
    }

    /// A place for a new batch of tasks added after their request's
    /// batches ended, or why there is none: refused once the lifecycle
    /// the request came through is shutting down, and past the app's cap.
    pub(crate) fn admit_batch(&self) -> Result<Admission, &'static str> {
        if !self.lifecycle().serving() {
            return Err("the server is shutting down");
        }
        self.runner()
            .take_place(self.settings().cap)
            .ok_or("the app's cap on pending background work was reached")
    }
}

/// One place under the cap, owned first by the request, then by the batch
/// running its tasks; given back when dropped, so no path can leak it.
pub(crate) struct Admission {
    runner: Arc<TaskRunner>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.runner.load.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How one task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Completed,
    Failed,
    Panicked,
    TimedOut,
}

impl TaskRunner {
    /// The app's durable queue, if it has one.
    #[cfg(feature = "durable")]
    pub(crate) fn durable_queue(&self) -> Option<crate::durable::TaskQueue> {
        self.durable
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    #[cfg(feature = "durable")]
    pub(crate) fn set_durable_queue(&self, queue: crate::durable::TaskQueue) {
        *self
            .durable
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(queue);
    }

    /// A durable call queued after its request's response (from a clone of
    /// the list) is written to the queue by the batch, as one of its tasks;
    /// a failed write is that task's error, logged.
    #[cfg(feature = "durable")]
    pub(crate) fn durable_late(&self, task: QueuedTask) -> QueuedTask {
        use super::task::{Work, WorkKind};
        let QueuedTask { name, work } = task;
        let job = match work.0 {
            WorkKind::Durable(job) => job,
            other => {
                return QueuedTask {
                    name,
                    work: Work(other),
                };
            }
        };
        let queue = self.durable_queue();
        let work = Work::future(async move {
            match queue {
                Some(queue) => queue.write(vec![job]).await.map_err(|error| {
                    format!("could not write the durable task's call to the queue: {error}")
                }),
                None => Err(NO_QUEUE.to_owned()),
            }
        });
        QueuedTask { name, work }
    }

    /// A place under a cap of `cap` for one request that reached for its
    /// `BackgroundTasks`, or `None` (counted) when the cap is reached.
    pub(crate) fn admit(self: &Arc<Self>, cap: usize) -> Option<Admission> {
        let admission = self.take_place(cap);
        if admission.is_none() {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        admission
    }

    /// A place under a cap of `cap`, if there is one left.
    fn take_place(self: &Arc<Self>, cap: usize) -> Option<Admission> {
        if self.load.fetch_add(1, Ordering::SeqCst) >= cap {
            self.load.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Admission {
            runner: Arc::clone(self),
        })
    }

    /// Records that `count` tasks of `route`, never handed over, will not
    /// run, and why.
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

    /// Waits until no batch of the app is left running, whatever server
    /// (or client) it came through.
    pub(crate) async fn wait_idle(&self) {
        self.batches.wait_idle().await;
    }

    pub(crate) fn stats(&self) -> TaskStats {
        TaskStats {
            scheduled: self.scheduled.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            panicked: self.panicked.load(Ordering::Relaxed),
            discarded: self.discarded.load(Ordering::Relaxed),
            timed_out: self.timed_out.load(Ordering::Relaxed),
            abandoned: self.abandoned.load(Ordering::Relaxed),
            pending: self.pending_tasks.load(Ordering::SeqCst) as u64,
            refused: self.refused.load(Ordering::Relaxed),
            #[cfg(feature = "durable")]
            durable: self
                .durable_queue()
                .map(|queue| queue.stats())
                .unwrap_or_default(),
        }
    }
}
