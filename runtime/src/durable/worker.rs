//! Running one attempt of a durable task's call: the River worker atode
//! registers for each `#[task]`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use riverqueue::jiff::Timestamp;
use riverqueue::tokio_util::sync::CancellationToken;
use riverqueue::{Job, WorkCancelled, WorkContext, WorkError, WorkOutcome, Worker, WorkerTimeout};
use tokio::runtime::Handle;
use tokio::sync::OwnedSemaphorePermit;
use tracing::Instrument;

use super::counters::DurableCounters;
use super::current::{self, CurrentCall};
use super::id::TaskId;
use super::job::Envelope;
use super::task::Task;
use super::threads::{AttemptThreads, Places};
use crate::background::task::{TaskOutcome, WorkKind};
use crate::panic::{CatchUnwind, panic_message};

/// How long a call is given back to the queue for when an earlier attempt
/// of it still runs on a thread of this process (it timed out, and a
/// regular `fn` cannot be stopped): long enough not to spin on the
/// database, short enough to run soon after that attempt returns.
pub(crate) const BUSY_SNOOZE: Duration = Duration::from_secs(1);

/// How long to wait before the next attempt of a call that failed: `base`
/// doubled at each attempt, up to `max`. The time of the next attempt is
/// stored with the call, so a restart does not shorten the wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub(crate) base: Duration,
    pub(crate) max: Duration,
}

impl Backoff {
    /// The wait after attempt `attempt` (1 for the first) failed.
    pub(crate) fn after(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(32);
        self.base
            .checked_mul(1u32 << doublings.min(31))
            .map_or(self.max, |delay| delay.min(self.max))
    }
}

/// What the workers of one queue share, set up by `Durable::connect`.
#[derive(Clone)]
pub(crate) struct WorkerSetup {
    pub(crate) backoff: Option<Backoff>,
    pub(crate) counters: Arc<DurableCounters>,
    /// The queue's threads for regular `fn`s (all queues share them).
    pub(crate) threads: Arc<AttemptThreads>,
    /// The places of the task's queue: its concurrency.
    pub(crate) places: Places,
    /// The attempt timeout of tasks without one of their own.
    pub(crate) timeout: Duration,
}

pub(crate) struct TaskWorker<T> {
    setup: WorkerSetup,
    task: PhantomData<fn() -> T>,
}

impl<T: Task> TaskWorker<T> {
    pub(crate) fn new(setup: WorkerSetup) -> Self {
        TaskWorker {
            setup,
            task: PhantomData,
        }
    }
}

/// Why an attempt did not complete, as River records it on the call.
#[derive(Debug)]
pub(crate) enum AttemptFailed {
    Returned(String),
    Panicked(String),
    /// The attempt was cancelled (its timeout, or a hard stop): during a
    /// stop the call is released without using up the attempt.
    Cancelled(WorkCancelled),
}

impl fmt::Display for AttemptFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptFailed::Returned(error) => f.write_str(error),
            AttemptFailed::Panicked(message) => write!(f, "panicked: {message}"),
            AttemptFailed::Cancelled(_) => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for AttemptFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AttemptFailed::Cancelled(cancelled) => Some(cancelled),
            AttemptFailed::Returned(_) | AttemptFailed::Panicked(_) => None,
        }
    }
}

impl<T: Task> Worker<Envelope<T>> for TaskWorker<T> {
    type Error = AttemptFailed;

    fn next_retry(
        &self,
        job: &Job<Envelope<T>>,
        _error: &WorkError,
        _now: Timestamp,
    ) -> Option<Duration> {
        self.setup
            .backoff
            .map(|backoff| backoff.after(job.row.attempt))
    }

    fn timeout(&self, _job: &Job<Envelope<T>>) -> WorkerTimeout {
        match T::options().timeout_after() {
            Some(limit) => WorkerTimeout::After(limit),
            None => WorkerTimeout::ClientDefault,
        }
    }

    async fn work(
        &self,
        context: WorkContext,
        job: Job<Envelope<T>>,
    ) -> Result<WorkOutcome, AttemptFailed> {
        let Some(id) = super::id::of_tags(&job.row.tags).or(job.args.legacy_id) else {
            return Err(AttemptFailed::Returned(format!(
                "River's job {} of kind `{}` carries no atode task id: atode did not write it",
                job.row.id,
                T::NAME
            )));
        };
        let span = tracing::info_span!(
            target: "atode::durable",
            "durable_task",
            task = T::NAME,
            id = %id,
            attempt = job.row.attempt,
        );
        #[cfg(feature = "otel")]
        if let Some(traceparent) = &job.args.traceparent {
            crate::otel::link_or_parent(&span, traceparent, job.row.attempt == 1);
        }
        #[cfg(feature = "metrics")]
        let timing = self.setup.counters.metrics.get().map(|metrics| {
            // Both times are the database's, so no clocks are compared.
            let pickup = job
                .row
                .attempted_at
                .and_then(|at| Duration::try_from(at.duration_since(job.row.scheduled_at)).ok());
            (metrics, pickup, std::time::Instant::now())
        });
        let result = self
            .attempt(id, context, job)
            .instrument(span.clone())
            .await;
        let _entered = span.enter();
        if let Ok(WorkOutcome::Snooze(_)) = result {
            // Not run, and not an attempt: River gives the call back
            // without using one up. Logged where it was decided.
            return result;
        }
        self.setup.counters.count(&result);
        #[cfg(feature = "metrics")]
        if let Some((metrics, pickup, start)) = timing {
            use crate::metrics::AttemptOutcome;
            let outcome = match &result {
                Ok(_) => AttemptOutcome::Completed,
                Err(AttemptFailed::Returned(_)) => AttemptOutcome::Failed,
                Err(AttemptFailed::Panicked(_)) => AttemptOutcome::Panicked,
                Err(AttemptFailed::Cancelled(_)) => AttemptOutcome::Cancelled,
            };
            metrics.attempt(T::NAME, outcome, pickup, start.elapsed());
        }
        match &result {
            Ok(_) => tracing::debug!(target: "atode::durable", "durable task completed"),
            Err(AttemptFailed::Cancelled(_)) => {
                tracing::warn!(target: "atode::durable", "durable task cancelled")
            }
            Err(error) => tracing::error!(target: "atode::durable", %error, "durable task failed"),
        }
        result
    }
}

impl<T: Task> TaskWorker<T> {
    async fn attempt(
        &self,
        id: TaskId,
        context: WorkContext,
        job: Job<Envelope<T>>,
    ) -> Result<WorkOutcome, AttemptFailed> {
        let call = CurrentCall {
            id,
            task: T::NAME,
            attempt: u32::try_from(job.row.attempt).unwrap_or(0),
        };
        // Cancelled by the attempt's timeout, a stop past the shutdown
        // deadline, or a cancellation of the call.
        let cancelled = context.cancellation_token();
        let timeout = T::options().timeout_after().unwrap_or(self.setup.timeout);
        let work = T::run(job.args.args);
        let outcome = match work.0 {
            WorkKind::Async(future) => {
                let Some(_place) = self.take_place(timeout, cancelled).await else {
                    return Ok(WorkOutcome::Snooze(Duration::ZERO));
                };
                // Dropping the future ends the attempt, and frees its place.
                tokio::select! {
                    biased;
                    result = current::scope(call, CatchUnwind::new(future)) => result,
                    () = cancelled.cancelled() => return Err(AttemptFailed::Cancelled(WorkCancelled)),
                }
            }
            WorkKind::Blocking(function) => {
                // An earlier attempt of this call that timed out may still
                // run on its thread (a regular `fn` cannot be stopped). The
                // call is given back to the queue for a while, without
                // using up an attempt, rather than run beside it: waiting
                // here would hold one of River's slots, and count against
                // this attempt's timeout, for as long as that function
                // blocks, maybe for ever; given back, the call can also go
                // to a worker in another process.
                let Some(claim) = self.setup.threads.claim(call.id) else {
                    tracing::debug!(
                        target: "atode::durable",
                        "an earlier attempt of this call still runs on its thread; the call goes back to the queue for {BUSY_SNOOZE:?}"
                    );
                    return Ok(WorkOutcome::Snooze(BUSY_SNOOZE));
                };
                let Some(place) = self.take_place(timeout, cancelled).await else {
                    return Ok(WorkOutcome::Snooze(Duration::ZERO));
                };
                self.run_on_thread(call, function, claim, place, cancelled)
                    .await?
            }
            WorkKind::Durable(_) => Ok(Err(
                "a durable task's function queued a durable call instead of running".to_owned(),
            )),
        };
        match outcome {
            Ok(Ok(())) => Ok(WorkOutcome::Complete),
            Ok(Err(error)) => Err(AttemptFailed::Returned(error)),
            Err(panic) => Err(AttemptFailed::Panicked(panic_message(&*panic))),
        }
    }

    /// Waits for a place in the queue's concurrency, at most half the
    /// attempt's timeout (which runs meanwhile: the rest is the function's)
    /// and until the attempt is cancelled. Places are missing only while
    /// attempts that River stopped waiting for still run on their threads;
    /// `None` then, and the call goes back to the queue without using up
    /// an attempt.
    async fn take_place(
        &self,
        timeout: Duration,
        cancelled: &CancellationToken,
    ) -> Option<OwnedSemaphorePermit> {
        let place = tokio::select! {
            biased;
            () = cancelled.cancelled() => None,
            place = self.setup.places.take(timeout / 2) => place,
        };
        if place.is_none() && !cancelled.is_cancelled() {
            tracing::warn!(
                target: "atode::durable",
                "no place free in the queue (attempts that timed out still run on their threads); the call goes back to the queue"
            );
        }
        place
    }

    /// Runs a regular `fn` on one of the queue's threads, holding the
    /// call's claim and its place until the function returns. Cancelled
    /// (its timeout, or a stop past the deadline), the attempt ends at once
    /// for River, which retries the call or gives it back to the queue,
    /// while the function runs on to its end: its thread is not the
    /// runtime's, so it holds neither a stop nor the process.
    async fn run_on_thread(
        &self,
        call: CurrentCall,
        function: Box<dyn FnOnce() -> TaskOutcome + Send>,
        claim: super::threads::Claim,
        place: OwnedSemaphorePermit,
        cancelled: &CancellationToken,
    ) -> Result<Result<TaskOutcome, Box<dyn std::any::Any + Send>>, AttemptFailed> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        // `Handle::current()` works in the function, as on tokio's threads.
        let runtime = Handle::try_current().ok();
        let spawned = self.setup.threads.spawn(move || {
            let entered = runtime.as_ref().map(Handle::enter);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                current::within(call, function)
            }));
            drop(entered);
            // Freed before the outcome is told, so a retry River starts on
            // hearing it finds the call's claim and a place free.
            drop(place);
            drop(claim);
            let _ = sender.send(result);
        });
        if let Err(error) = spawned {
            return Err(AttemptFailed::Returned(format!(
                "no thread could be started for the attempt: {error}"
            )));
        }
        tokio::select! {
            biased;
            result = receiver => result.map_err(|_| {
                AttemptFailed::Returned("the attempt's thread ended before running it".to_owned())
            }),
            () = cancelled.cancelled() => {
                tracing::warn!(
                    target: "atode::durable",
                    "durable task cancelled while its function runs; it runs on to its end on its thread, keeping its place, and this process runs no other attempt of the call until then"
                );
                Err(AttemptFailed::Cancelled(WorkCancelled))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;
    use std::time::Duration;

    #[test]
    fn the_wait_doubles_up_to_its_cap() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let waits: Vec<_> = (1..=6).map(|attempt| backoff.after(attempt)).collect();
        assert_eq!(
            waits,
            [100, 200, 400, 800, 1000, 1000].map(Duration::from_millis)
        );
        assert_eq!(backoff.after(i32::MAX), Duration::from_secs(1));
    }
}
