//! One attempt of a claimed call, run by a test
//! ([`TestQueue::run_pending`](crate::testing::TestQueue::run_pending))
//! instead of River's producer: the task's own worker, with its timeout,
//! and the wait River would store before the next attempt.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use riverqueue::jiff::Timestamp;
use riverqueue::{
    DefaultRetryPolicy, Job, JobRow, RetryPolicy, WorkContext, WorkError, WorkOutcome, Worker,
    WorkerTimeout,
};

use super::super::job::Envelope;
use super::super::task::Task;
use super::super::worker::{TaskWorker, WorkerSetup};

/// Runs one attempt of a claimed call of a task: one per task, made by
/// [`attempt`] and kept in its registration.
pub(crate) type Attempt =
    fn(WorkerSetup, WorkContext, JobRow) -> Pin<Box<dyn Future<Output = Attempted> + Send>>;

/// How an attempt ended, as River's executor would record it.
#[derive(Debug)]
pub(crate) enum Attempted {
    Completed,
    /// Given back to the queue for this long without using up the attempt
    /// (an earlier attempt of the call still runs on its thread).
    Snoozed(Duration),
    /// Failed: River's text of the error, and the wait before the next
    /// attempt should the call have one left.
    Failed {
        error: String,
        retry_after: Duration,
    },
}

/// [`Attempt`] for `T`.
pub(crate) fn attempt<T: Task>(
    setup: WorkerSetup,
    context: WorkContext,
    row: JobRow,
) -> Pin<Box<dyn Future<Output = Attempted> + Send>> {
    Box::pin(run::<T>(setup, context, row))
}

/// What River's executor does with a claimed row, minus its hooks (atode
/// registers none): the worker's `work`, cancelled at its timeout, and on
/// failure the worker's `next_retry`, else River's own policy.
async fn run<T: Task>(setup: WorkerSetup, context: WorkContext, row: JobRow) -> Attempted {
    let client_timeout = setup.timeout;
    let worker = TaskWorker::<T>::new(setup);
    let job = match row.decode_args::<Envelope<T>>() {
        Ok(envelope) => Job::new(envelope, row.clone()),
        // River fails such an attempt before working it, and retries it
        // with its own policy alone.
        Err(error) => {
            let error = WorkError::new(format!("job row couldn't be decoded: {error}"));
            return Attempted::Failed {
                error: riverqueue::__private::error_chain(&error),
                retry_after: DefaultRetryPolicy::default().next_retry(
                    &row,
                    &error,
                    Timestamp::now(),
                ),
            };
        }
    };
    let limit = match worker.timeout(&job) {
        WorkerTimeout::After(limit) => Some(limit),
        WorkerTimeout::ClientDefault => Some(client_timeout),
        _ => None,
    };
    let cancel = context.cancellation_token().clone();
    let work = worker.work(context, job);
    tokio::pin!(work);
    let result = match limit {
        Some(limit) => match tokio::time::timeout(crate::time::bounded(limit), &mut work).await {
            Ok(result) => result,
            // As River does at the timeout: the attempt is told, and ends.
            Err(_) => {
                cancel.cancel();
                work.await
            }
        },
        None => work.await,
    };
    match result {
        Ok(WorkOutcome::Snooze(after)) => Attempted::Snoozed(after),
        Ok(_) => Attempted::Completed,
        Err(failed) => {
            let error = riverqueue::__private::error_chain(&failed);
            let failed = WorkError::new(failed);
            let now = Timestamp::now();
            let own = row.decode_args::<Envelope<T>>().ok().and_then(|envelope| {
                worker.next_retry(&Job::new(envelope, row.clone()), &failed, now)
            });
            let retry_after =
                own.unwrap_or_else(|| DefaultRetryPolicy::default().next_retry(&row, &failed, now));
            Attempted::Failed { error, retry_after }
        }
    }
}
