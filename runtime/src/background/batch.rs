//! `Batch`: one request's tasks being run, one after another, each where it
//! belongs: an `async fn` on the runtime, a regular `fn` on the app's task
//! threads. The batch owns the request's place under the cap, is counted
//! in the lifecycle of the server its request came through (whose
//! shutdown drains or abandons it), and its `Drop` accounts for every task
//! it did not run, however it ends.

use std::sync::Arc;

use tokio::runtime::Handle;

use super::BackgroundTasks;
use super::runner::{Admission, Outcome, Owner};
use super::task::{QueuedTask, TaskOutcome, WorkKind};
use crate::panic::{CatchUnwind, panic_message, spawn_blocking_caught};

pub(crate) struct Batch {
    /// The app's runner, the app's settings and the request's lifecycle.
    owner: Owner,
    /// The request's list, in its running state: tasks added from a clone
    /// while the batch runs join its end. `None` only inside `drop`.
    tasks: Option<BackgroundTasks>,
    route: &'static str,
    /// Given back when the batch is dropped, whatever ended it.
    admission: Option<Admission>,
    /// The runtime async tasks run on, and that regular `fn`s see as
    /// current (`Handle::current()` works in them, as in `spawn_blocking`).
    runtime: Option<Handle>,
    /// A task was taken from the list and has not been counted yet.
    in_flight: bool,
    /// When the tasks were handed over, for their pickup times; only when
    /// the app has metrics.
    #[cfg(feature = "metrics")]
    handed_over: Option<std::time::Instant>,
}

impl Batch {
    pub(crate) fn new(owner: Owner, tasks: BackgroundTasks, admission: Option<Admission>) -> Self {
        if let Some(watch) = tasks.watch() {
            watch.enter();
        }
        #[cfg(feature = "metrics")]
        let owner_has_metrics = owner.app().metrics.is_some();
        Batch {
            owner,
            route: tasks.route(),
            tasks: Some(tasks),
            admission,
            runtime: Handle::try_current().ok(),
            in_flight: false,
            #[cfg(feature = "metrics")]
            handed_over: owner_has_metrics.then(std::time::Instant::now),
        }
    }

    /// Runs the next task where it belongs, or ends the batch.
    pub(crate) fn resume(mut self) {
        if let Some(task) = self.next() {
            self.dispatch(task);
        }
    }

    /// Hands the batch, from `task` on, to where `task` runs: the task
    /// threads for a regular `fn`, the runtime for an `async fn`.
    fn dispatch(self, task: QueuedTask) {
        if task.is_blocking() {
            let runner = Arc::clone(self.owner.runner());
            runner.pool.submit(self, task);
        } else if let Some(runtime) = self.runtime.clone() {
            runtime.spawn(self.run_async(task));
        } else {
            // Only a response body dropped outside any runtime gets here;
            // `Drop` counts and logs what is lost.
            drop(task);
        }
    }

    /// The next task, unless the request's server gave up its shutdown.
    fn next(&mut self) -> Option<QueuedTask> {
        if self.owner.lifecycle().abandoning() {
            return None;
        }
        let next = self.tasks.as_ref().and_then(BackgroundTasks::next_task);
        self.in_flight = next.is_some();
        #[cfg(feature = "durable")]
        let next = next.map(|task| self.owner.runner().durable_late(task));
        next
    }

    /// Records a task that started at `started` (`None` without metrics)
    /// and ended now with `outcome`.
    #[cfg(feature = "metrics")]
    fn measured(&self, name: &'static str, outcome: Outcome, started: Option<std::time::Instant>) {
        let (Some(handed_over), Some(started)) = (self.handed_over, started) else {
            return;
        };
        if let Some(metrics) = &self.owner.app().metrics {
            let pickup = started.saturating_duration_since(handed_over);
            metrics
                .background
                .ended(name, self.route, outcome, pickup, started.elapsed());
        }
    }

    /// The span of one task, `name`: a child of its request's.
    #[cfg(feature = "otel")]
    fn task_span(&self, name: &'static str) -> tracing::Span {
        let span = tracing::info_span!(
            target: "atode::background",
            parent: None,
            "background task",
            otel.name = name,
            task = name,
            route = self.route,
        );
        if let Some(trace) = self.tasks.as_ref().and_then(BackgroundTasks::trace) {
            crate::otel::set_parent(&span, trace.clone());
        }
        span
    }

    fn done(&mut self, outcome: Outcome) {
        self.in_flight = false;
        self.owner.count(outcome);
    }

    /// Runs tasks on the runtime from `task` on, until the batch ends or
    /// meets a regular `fn`, which goes to the task threads with the batch.
    async fn run_async(mut self, mut task: QueuedTask) {
        loop {
            if self.owner.lifecycle().abandoning() {
                // Waited past the deadline: `Drop` counts it, unstarted.
                return;
            }
            if task.is_blocking() {
                self.dispatch(task);
                return;
            }
            let name = task.name;
            let route = self.route;
            let WorkKind::Async(future) = task.work.0 else {
                return;
            };
            #[cfg(feature = "otel")]
            let future = tracing::Instrument::instrument(future, self.task_span(name));
            #[cfg(feature = "metrics")]
            let started = self.handed_over.map(|_| std::time::Instant::now());
            let outcome = match self.owner.settings().timeout {
                None => log_outcome(route, name, CatchUnwind::new(future).await),
                Some(limit) => match tokio::time::timeout(limit, CatchUnwind::new(future)).await {
                    Ok(result) => log_outcome(route, name, result),
                    Err(_) => {
                        tracing::error!(
                            target: "atode::background",
                            route,
                            task = name,
                            "background task timed out after {limit:?}; cancelled"
                        );
                        Outcome::TimedOut
                    }
                },
            };
            #[cfg(feature = "metrics")]
            self.measured(name, outcome, started);
            self.done(outcome);
            match self.next() {
                Some(next) => task = next,
                None => return,
            }
        }
    }

    /// Runs tasks on a task thread from `task` on, until the batch ends or
    /// meets an `async fn`, which goes to the runtime with the batch.
    pub(crate) fn run_blocking(mut self, mut task: QueuedTask) {
        let runtime = self.runtime.clone();
        let context = runtime.as_ref().map(Handle::enter);
        loop {
            if self.owner.lifecycle().abandoning() {
                // Waited for a thread past the deadline: `Drop` counts it, unstarted.
                return;
            }
            if !task.is_blocking() {
                drop(context);
                self.dispatch(task);
                return;
            }
            let name = task.name;
            let WorkKind::Blocking(function) = task.work.0 else {
                return;
            };
            #[cfg(feature = "otel")]
            let span = self.task_span(name);
            #[cfg(feature = "otel")]
            let _entered = span.enter();
            #[cfg(feature = "metrics")]
            let started = self.handed_over.map(|_| std::time::Instant::now());
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(function));
            let outcome = log_outcome(self.route, name, result);
            #[cfg(feature = "metrics")]
            self.measured(name, outcome, started);
            self.done(outcome);
            match self.next() {
                Some(next) => task = next,
                None => return,
            }
        }
    }
}

impl Drop for Batch {
    /// Accounts for every task the batch did not run, whatever ended it: the
    /// shutdown deadline, a runtime dropping the batch's future unpolled, or
    /// no thread to run it on. Never panics.
    fn drop(&mut self) {
        let Some(tasks) = self.tasks.take() else {
            return;
        };
        let abandoned = self.owner.lifecycle().abandoning();
        let reason = if abandoned {
            "the shutdown deadline passed before they ran"
        } else {
            "their batch was dropped before they ran"
        };
        let unrun = tasks.close_unrun(reason).len() + usize::from(self.in_flight);
        if unrun > 0 {
            tracing::warn!(
                target: "atode::background",
                route = self.route,
                lost = unrun,
                "{unrun} background task(s) {}",
                if abandoned {
                    "abandoned at the shutdown deadline"
                } else {
                    "lost: their batch was dropped before they ran (the runtime shut down, or no task thread could be made)"
                }
            );
            self.owner.lost(unrun);
        }
        // The place goes back before anyone waiting is told the batch ended.
        drop(self.admission.take());
        if let Some(watch) = tasks.watch() {
            watch.leave();
        }
        self.owner.finish_batch();
        // A list nobody else holds is reused by the next request on this
        // thread; on a task thread no request would find it. (A flag of
        // the pool's, not `Handle::try_current`, which clones the handle.)
        if !super::pool::on_task_thread() {
            tasks.recycle();
        }
    }
}

/// Runs one task of a list that belongs to no app (`BackgroundTasks::run`,
/// in a unit test): a regular `fn` on tokio's blocking pool.
pub(crate) async fn run_alone(route: &'static str, task: QueuedTask) -> Outcome {
    let name = task.name;
    match task.work.0 {
        // No app, so no queue: the call is made here, as a test expects.
        #[cfg(feature = "durable")]
        WorkKind::Durable(job) => {
            let task = QueuedTask {
                name,
                work: job.into_work(),
            };
            Box::pin(run_alone(route, task)).await
        }
        WorkKind::Async(future) => log_outcome(route, name, CatchUnwind::new(future).await),
        WorkKind::Blocking(function) => {
            log_outcome(route, name, spawn_blocking_caught(function).await)
        }
    }
}

/// Logs how a task ended, unless it succeeded. `result` is `Err` with the
/// panic's payload when the task panicked.
fn log_outcome(
    route: &'static str,
    name: &'static str,
    result: Result<TaskOutcome, Box<dyn std::any::Any + Send>>,
) -> Outcome {
    match result {
        Ok(Ok(())) => Outcome::Completed,
        Ok(Err(error)) => {
            tracing::error!(target: "atode::background", route, task = name, %error, "background task failed");
            Outcome::Failed
        }
        Err(panic) => {
            let panic = panic_message(&*panic);
            tracing::error!(target: "atode::background", route, task = name, panic, "background task panicked");
            Outcome::Panicked
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::background::BackgroundTasks;
    use crate::background::runner::Owner;

    async fn pends_forever() {
        std::future::pending::<()>().await;
    }

    /// A batch queued on a runtime that is dropped: its future goes unpolled
    /// (or is cut off), and `Drop` still accounts for each task.
    fn dropped_with_its_runtime(owner: &Owner, abandon: bool) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let tasks = BackgroundTasks::for_request(owner.clone(), "test", None);
            tasks.add_task(pends_forever, ());
            tasks.add_task(|| async {}, ());
            tasks.schedule(None);
            tokio::task::yield_now().await; // the first task starts, and hangs
        });
        if abandon {
            owner.lifecycle().abandon();
        }
        drop(runtime);
    }

    #[test]
    fn a_batch_dropped_with_its_runtime_counts_what_it_did_not_run() {
        let owner = Owner::for_tests(|_| {});
        dropped_with_its_runtime(&owner, false);
        let stats = owner.runner().stats();
        assert_eq!((stats.scheduled, stats.discarded, stats.pending), (2, 2, 0));
        assert_eq!(owner.lifecycle().pending(), 0);
        let waited = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
            .block_on(async {
                let limit = std::time::Duration::from_secs(5);
                tokio::time::timeout(limit, async {
                    owner.runner().wait_idle().await;
                    owner.lifecycle().wait_idle().await;
                })
                .await
            });
        assert!(waited.is_ok(), "wait_idle hung on a dropped batch");
    }

    #[test]
    fn past_the_deadline_what_a_batch_did_not_run_is_abandoned() {
        let owner = Owner::for_tests(|_| {});
        dropped_with_its_runtime(&owner, true);
        let stats = owner.runner().stats();
        assert_eq!((stats.abandoned, stats.discarded, stats.pending), (2, 0, 0));
        assert_eq!(owner.lifecycle().pending(), 0);
    }

    /// Two lifecycles of one app: abandoning one leaves the other's batch
    /// running, and each counts only its own pending tasks.
    #[tokio::test]
    async fn abandoning_one_lifecycle_leaves_anothers_batch_alone() {
        let first = Owner::for_tests(|_| {});
        let second = first.elsewhere();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let tasks = BackgroundTasks::for_request(second.clone(), "test", None);
        tasks.add_task(
            move || async move {
                let _ = started.send(());
                let _ = released.await;
            },
            (),
        );
        tasks.add_task(|| {}, ());
        tasks.schedule(None);
        running.await.expect("the first task started");
        assert_eq!(first.lifecycle().abandon(), 0, "nothing of the first's");
        assert_eq!(second.lifecycle().pending(), 2);
        let _ = release.send(());
        second.lifecycle().wait_idle().await;
        let stats = first.runner().stats();
        assert_eq!((stats.completed, stats.abandoned), (2, 0));
    }
}
