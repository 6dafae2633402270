//! `TaskQueue::retry`: running a call again now, on the path a dashboard's
//! action and code share.

use super::error::{DurableError, found};
use super::id::TaskId;
use super::queue::TaskQueue;
use super::status::{TaskState, TaskStatus};

/// What [`TaskQueue::retry`] did with a call: one variant per answer a
/// route gives (`200`, `409`, `404`), as [`Cancellation`](super::Cancellation)
/// has.
#[derive(Clone, Debug)]
pub enum Retry {
    /// The call waits for a worker, due now: its status after the retry.
    /// Retrying a call already due changes nothing, and answers the same.
    Queued(TaskStatus),
    /// The call is running, or completed: it is left as it is.
    Refused(TaskStatus),
    /// No call has this id: never written here, or cleaned up.
    Unknown,
}

impl TaskQueue {
    /// Makes the call `id` due now:
    ///
    /// - **Waiting** (scheduled, or waiting for a retry's backoff): it is
    ///   due now and keeps its attempts; one already due is left as it is.
    /// - **Discarded or cancelled**: it is queued again, with one more
    ///   attempt if it had used them all.
    /// - **Running or completed**: refused ([`Retry::Refused`]); a running
    ///   call is cancelled with [`cancel`](Self::cancel) first, and a
    ///   completed one is not run twice by a button.
    ///
    /// ```standalone_crate
    /// use std::time::Duration;
    /// use atode::durable::{task, Durable, Later, Retry, TaskState};
    ///
    /// #[task]
    /// fn remind(user: u64) {
    ///     let _ = user;
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("atode-doc-retry-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let queue = Durable::sqlite(dir.join("tasks.sqlite3")).without_workers().connect().await?;
    /// let id = queue.add_task(remind.after(Duration::from_secs(3600)), (7,)).await?;
    ///
    /// let Retry::Queued(status) = queue.retry(id).await? else {
    ///     panic!("a scheduled call can be made due now");
    /// };
    /// assert_eq!(status.state, TaskState::Queued);
    /// // Again: the same answer, nothing changed.
    /// assert!(matches!(queue.retry(id).await?, Retry::Queued(_)));
    /// # drop(queue);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    pub async fn retry(&self, id: TaskId) -> Result<Retry, DurableError> {
        let Some(job_id) = self.database().job_id(id).await? else {
            return Ok(Retry::Unknown);
        };
        let Some(row) = found(self.client().jobs().get(job_id).await)? else {
            return Ok(Retry::Unknown);
        };
        let status = TaskStatus::from_row(id, &row);
        if refused(status.state) {
            return Ok(Retry::Refused(status));
        }
        // River leaves a running call as it is, so a call that started
        // between the two reads comes back `running`, refused.
        let Some(row) = found(self.client().jobs().retry(job_id).await)? else {
            return Ok(Retry::Unknown);
        };
        let status = TaskStatus::from_row(id, &row);
        Ok(if refused(status.state) {
            Retry::Refused(status)
        } else {
            Retry::Queued(status)
        })
    }
}

fn refused(state: TaskState) -> bool {
    matches!(state, TaskState::Running | TaskState::Completed)
}
