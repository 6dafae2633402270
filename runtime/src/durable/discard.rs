//! `TaskQueue::discard`: giving up on a waiting call, kept as `discarded`
//! (as a call whose attempts all failed is) rather than deleted, so its
//! id still answers.

use riverqueue::sqlx;

use super::database::Database;
use super::error::{DurableError, found};
use super::id::TaskId;
use super::queue::TaskQueue;
use super::status::{TaskState, TaskStatus};

/// What [`TaskQueue::discard`] did with a call: one variant per answer a
/// route gives (`200`, `409`, `404`).
#[derive(Clone, Debug)]
pub enum Discard {
    /// The call is discarded, or was already: its status.
    Discarded(TaskStatus),
    /// The call is running, completed or cancelled, and stays so.
    Refused(TaskStatus),
    /// No call has this id: never written here, or cleaned up.
    Unknown,
}

/// Only a waiting call is discarded; the state is checked in the same
/// statement, so a worker taking the call meanwhile wins.
const DISCARD_SQLITE: &str = "UPDATE river_job SET state = 'discarded', finalized_at = $2 \
     WHERE id = $1 AND state IN ('available', 'pending', 'scheduled', 'retryable')";
#[cfg(feature = "postgres")]
const DISCARD_POSTGRES: &str = "UPDATE river_job SET state = 'discarded', finalized_at = now() \
     WHERE id = $1 AND state IN ('available', 'pending', 'scheduled', 'retryable')";

impl TaskQueue {
    /// Discards the call `id` if it is waiting (queued, scheduled, or
    /// waiting for a retry): it never runs, and reads `discarded` until
    /// River cleans it up, as a call whose attempts all failed does. A
    /// discarded call answers the same again; a running call is refused
    /// ([`cancel`](Self::cancel) stops it), as are completed and cancelled
    /// ones.
    ///
    /// ```standalone_crate
    /// use std::time::Duration;
    /// use atode::durable::{task, Discard, Durable, Later, TaskState};
    ///
    /// #[task]
    /// fn remind(user: u64) {
    ///     let _ = user;
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("atode-doc-discard-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let queue = Durable::sqlite(dir.join("tasks.sqlite3")).without_workers().connect().await?;
    /// let id = queue.add_task(remind.after(Duration::from_secs(3600)), (7,)).await?;
    ///
    /// let Discard::Discarded(status) = queue.discard(id).await? else {
    ///     panic!("a waiting call is discarded");
    /// };
    /// assert_eq!(status.state, TaskState::Discarded);
    /// assert!(matches!(queue.discard(id).await?, Discard::Discarded(_)));
    /// # drop(queue);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    pub async fn discard(&self, id: TaskId) -> Result<Discard, DurableError> {
        let Some(job_id) = self.database().job_id(id).await? else {
            return Ok(Discard::Unknown);
        };
        match self.database() {
            Database::Sqlite(pool) => {
                // River's own format for its SQLite timestamps (UTC).
                let now = riverqueue::jiff::Timestamp::now()
                    .strftime("%Y-%m-%d %H:%M:%S%.3f")
                    .to_string();
                sqlx::query(DISCARD_SQLITE)
                    .bind(job_id)
                    .bind(now)
                    .execute(pool)
                    .await?;
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => {
                sqlx::query(DISCARD_POSTGRES)
                    .bind(job_id)
                    .execute(pool)
                    .await?;
            }
        }
        let Some(row) = found(self.client().jobs().get(job_id).await)? else {
            return Ok(Discard::Unknown);
        };
        let status = TaskStatus::from_row(id, &row);
        Ok(match status.state {
            TaskState::Discarded => Discard::Discarded(status),
            _ => Discard::Refused(status),
        })
    }
}
