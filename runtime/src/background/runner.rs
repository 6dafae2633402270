//! The runner: one per app. It starts each request's batch once its
//! response is out, holds the cap on pending work and the pool that runs
//! regular `fn` tasks, and keeps the counts that shutdown, tests and
//! operators read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use super::BackgroundTasks;
use super::batch::Batch;
use super::monitor::TaskStats;
use super::pool::BlockingPool;
#[cfg(feature = "durable")]
use super::task::QueuedTask;
use super::watch::Running;

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

/// Where the app is in its life: tasks are refused or abandoned by phase.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Phase {
    Serving = 0,
    /// In-flight responses are done; running batches finish, new ones are refused.
    Draining = 1,
    /// The shutdown deadline passed: no task starts any more.
    Abandoned = 2,
}

/// Runs every request's background tasks for one app.
pub(crate) struct TaskRunner {
    /// Batches started and not yet finished.
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
    /// The most requests with background work (queued or running) at once;
    /// `usize::MAX` for no cap.
    cap: AtomicUsize,
    /// Requests (then batches) holding a place under the cap.
    load: AtomicUsize,
    phase: AtomicU8,
    /// The async task timeout in nanoseconds; 0 for none.
    task_timeout: AtomicU64,
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
            cap: AtomicUsize::new(DEFAULT_MAX_PENDING),
            load: AtomicUsize::new(0),
            phase: AtomicU8::new(Phase::Serving as u8),
            task_timeout: AtomicU64::new(0),
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

    /// Starts a batch running `tasks`' queue (`count` tasks, already moved
    /// to the running state), holding `admission` until it ends.
    pub(crate) fn start(
        self: &Arc<Self>,
        tasks: BackgroundTasks,
        admission: Option<Admission>,
        count: usize,
    ) {
        self.batches.enter();
        self.joined(count);
        Batch::new(Arc::clone(self), tasks, admission).resume();
    }

    /// Counts `count` tasks handed over to be run.
    pub(crate) fn joined(&self, count: usize) {
        self.pending_tasks.fetch_add(count, Ordering::SeqCst);
        self.scheduled.fetch_add(count as u64, Ordering::Relaxed);
    }

    /// Counts one task's end.
    pub(crate) fn count(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Completed => &self.completed,
            Outcome::Failed => &self.failed,
            Outcome::Panicked => &self.panicked,
            Outcome::TimedOut => &self.timed_out,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.pending_tasks.fetch_sub(1, Ordering::SeqCst);
    }

    /// Counts `count` handed-over tasks that will never run (logged by the
    /// caller): abandoned at the deadline, or discarded otherwise.
    pub(crate) fn lost(&self, count: usize) {
        if count == 0 {
            return;
        }
        let counter = if self.abandoning() {
            &self.abandoned
        } else {
            &self.discarded
        };
        counter.fetch_add(count as u64, Ordering::Relaxed);
        self.pending_tasks.fetch_sub(count, Ordering::SeqCst);
    }

    /// Called by each batch as it ends, however it ends.
    pub(crate) fn finish_batch(&self) {
        self.batches.leave();
    }

    /// Sets the cap; `usize::MAX` for none.
    pub(crate) fn set_cap(&self, cap: usize) {
        self.cap.store(cap, Ordering::Relaxed);
    }

    pub(crate) fn set_task_timeout(&self, timeout: Option<Duration>) {
        let nanos = timeout.map_or(0, |timeout| {
            u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX).max(1)
        });
        self.task_timeout.store(nanos, Ordering::Relaxed);
    }

    pub(crate) fn task_timeout(&self) -> Option<Duration> {
        match self.task_timeout.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// A place under the cap for one request that reached for its
    /// `BackgroundTasks`, or `None` (counted) when the cap is reached.
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Admission> {
        let admission = self.take_place();
        if admission.is_none() {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        admission
    }

    /// A place under the cap, if there is one left.
    fn take_place(self: &Arc<Self>) -> Option<Admission> {
        let cap = self.cap.load(Ordering::Relaxed);
        if self.load.fetch_add(1, Ordering::SeqCst) >= cap {
            self.load.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Admission {
            runner: Arc::clone(self),
        })
    }

    /// A place for a new batch of tasks added after their request's first
    /// batch ended, or why there is none.
    pub(crate) fn admit_batch(self: &Arc<Self>) -> Result<Admission, &'static str> {
        if self.phase() != Phase::Serving {
            return Err("the server is shutting down");
        }
        self.take_place()
            .ok_or("the app's cap on pending background work was reached")
    }

    /// In-flight responses are done: batches running finish (with the
    /// tasks that join them), new batches are refused.
    pub(crate) fn begin_drain(&self) {
        let _ = self.phase.compare_exchange(
            Phase::Serving as u8,
            Phase::Draining as u8,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }

    /// The shutdown deadline passed: no task starts from now on. Returns
    /// how many tasks were still pending.
    pub(crate) fn abandon(&self) -> usize {
        self.phase.store(Phase::Abandoned as u8, Ordering::SeqCst);
        self.pending_tasks.load(Ordering::SeqCst)
    }

    pub(crate) fn abandoning(&self) -> bool {
        self.phase() == Phase::Abandoned
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::SeqCst) {
            0 => Phase::Serving,
            1 => Phase::Draining,
            _ => Phase::Abandoned,
        }
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

    /// Waits until no batch is left running.
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
