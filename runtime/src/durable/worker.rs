//! Running one attempt of a durable task's call: the River worker atode
//! registers for each `#[task]`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use riverqueue::jiff::Timestamp;
use riverqueue::{Job, WorkCancelled, WorkContext, WorkError, WorkOutcome, Worker, WorkerTimeout};
use tracing::Instrument;

use super::counters::DurableCounters;
use super::current::{self, CurrentCall};
use super::job::Envelope;
use super::task::Task;
use crate::background::task::WorkKind;
use crate::panic::{CatchUnwind, panic_message, spawn_blocking_caught};

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

pub(crate) struct TaskWorker<T> {
    backoff: Option<Backoff>,
    counters: Arc<DurableCounters>,
    task: PhantomData<fn() -> T>,
}

impl<T: Task> TaskWorker<T> {
    pub(crate) fn new(backoff: Option<Backoff>, counters: Arc<DurableCounters>) -> Self {
        TaskWorker {
            backoff,
            counters,
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
        self.backoff.map(|backoff| backoff.after(job.row.attempt))
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
        let span = tracing::info_span!(
            target: "atode::durable",
            "durable_task",
            task = T::NAME,
            id = %job.args.task_id,
            attempt = job.row.attempt,
        );
        let result = attempt::<T>(context, job).instrument(span.clone()).await;
        let _entered = span.enter();
        self.counters.count(&result);
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

async fn attempt<T: Task>(
    context: WorkContext,
    job: Job<Envelope<T>>,
) -> Result<WorkOutcome, AttemptFailed> {
    let call = CurrentCall {
        id: job.args.task_id,
        task: T::NAME,
        attempt: u32::try_from(job.row.attempt).unwrap_or(0),
    };
    let work = T::run(job.args.args);
    let outcome = match work.0 {
        WorkKind::Async(future) => {
            let cancelled = context.cancellation_token();
            tokio::select! {
                biased;
                result = current::scope(call, CatchUnwind::new(future)) => result,
                () = cancelled.cancelled() => return Err(AttemptFailed::Cancelled(WorkCancelled)),
            }
        }
        // A regular `fn` cannot be cancelled: it runs to its end on
        // tokio's blocking threads, and a stop waits for it.
        WorkKind::Blocking(function) => {
            spawn_blocking_caught(move || current::within(call, function)).await
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
