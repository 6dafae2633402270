//! `TaskQueue::cancel`: stopping a call, on the one path that code and a
//! dashboard's action share.

use super::error::{DurableError, found};
use super::id::TaskId;
use super::queue::TaskQueue;
use super::status::{TaskState, TaskStatus};

/// What [`TaskQueue::cancel`] did with a call: one variant per answer a
/// route gives (`200`, `409`, `404`). Not `non_exhaustive`, so that a
/// route's `match` stays exhaustive: the compiler checks it answers each.
#[derive(Clone, Debug)]
pub enum Cancellation {
    /// The call is cancelled, or was already: its status after the cancel.
    /// A call that was waiting reads `cancelled`; one that was running reads
    /// `running` until its attempt has stopped, then `cancelled`.
    Cancelled(TaskStatus),
    /// The call had already completed or been discarded, and stays so.
    Finished(TaskStatus),
    /// No call has this id: never written here, or cleaned up.
    Unknown,
}

impl TaskQueue {
    /// Cancels the call `id`, wherever it is:
    ///
    /// - **Waiting** (queued, scheduled, or waiting for a retry): it is
    ///   cancelled at once and never runs.
    /// - **Running an `async fn`**: the worker running it, in this process
    ///   or another, is told (by `NOTIFY` on PostgreSQL; on SQLite at once
    ///   in this process, and through River's outbox, polled every 100 ms,
    ///   in another) and drops the attempt's future; the call ends
    ///   `cancelled`, not retried. An attempt that completes before its
    ///   worker hears stays `completed`. A PostgreSQL worker whose listener
    ///   was not yet connected (it had just started) misses the `NOTIFY`
    ///   and hears at River's next check of its running calls, within a
    ///   minute.
    /// - **Running a regular `fn`**: a thread cannot be stopped. The call
    ///   ends `cancelled` all the same and never runs again; the function
    ///   runs on to its end on its thread, and its result is ignored.
    ///
    /// Cancelling a cancelled call again answers as the first time did; a
    /// completed or discarded call cannot be cancelled
    /// ([`Cancellation::Finished`]). The id of a call dropped as a duplicate
    /// of a unique task's cancels the call it duplicated, whose status
    /// [`status`](Self::status) reads for it.
    ///
    /// ```standalone_crate
    /// use std::time::Duration;
    /// use atode::durable::{task, Cancellation, Durable, Later, TaskId, TaskState};
    ///
    /// #[task]
    /// fn remind(user: u64) {
    ///     let _ = user;
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("atode-doc-cancel-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let queue = Durable::sqlite(dir.join("tasks.sqlite3")).without_workers().connect().await?;
    /// let id = queue.add_task(remind.after(Duration::from_secs(3600)), (7,)).await?;
    ///
    /// let Cancellation::Cancelled(status) = queue.cancel(id).await? else {
    ///     panic!("a scheduled call is cancelled");
    /// };
    /// assert_eq!(status.state, TaskState::Cancelled);
    /// // Again: the same answer.
    /// assert!(matches!(queue.cancel(id).await?, Cancellation::Cancelled(_)));
    /// assert!(matches!(queue.cancel(TaskId::random()).await?, Cancellation::Unknown));
    /// # drop(queue);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self, id: TaskId) -> Result<Cancellation, DurableError> {
        let Some(job_id) = self.database().job_id(id).await? else {
            return Ok(Cancellation::Unknown);
        };
        // River cancels a waiting job; marks a running one and tells the
        // client running it (NOTIFY on PostgreSQL, its outbox on SQLite,
        // and directly when that client is this one), whose failed attempt
        // is then recorded `cancelled`, not retried; a finished one it
        // returns as it is.
        // `None`: cleaned up between the two reads.
        let Some(row) = found(self.client().jobs().cancel(job_id).await)? else {
            return Ok(Cancellation::Unknown);
        };
        let status = TaskStatus::from_row(id, &row);
        Ok(match status.state {
            TaskState::Completed | TaskState::Discarded => Cancellation::Finished(status),
            _ => Cancellation::Cancelled(status),
        })
    }
}
