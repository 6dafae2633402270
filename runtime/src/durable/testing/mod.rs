//! `TestQueue`: a test's hand on the durable queue. It lists the calls a
//! request queued, runs the due ones one at a time through the worker's
//! own code, and moves the queue's clock, so a test asserts what a task
//! was asked to do and what it did without a worker racing it and without
//! sleeping. River's Go `rivertest` and Django's dummy task backend are
//! its models.
//!
//! `run_next` takes a call as a worker would, and records the outcome as
//! River's executor would: River claims the call (its own test seam,
//! `claim_job_for_test`) and completes it (`Jobs::complete`); a failure, a
//! snooze and the clock are `sql.rs`'s.

pub(crate) mod attempt;
mod sql;

use std::time::{Duration, SystemTime};

use riverqueue::jiff::Timestamp;
use riverqueue::{JobListOrderBy, JobListParams, JobRow, JobState};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::database::Database;
use super::error::DurableError;
use super::id::TaskId;
use super::queue::TaskQueue;
use super::release::{SCHEDULER_INTERVAL, cancel_was_asked};
use super::status::{TaskState, TaskStatus};
use attempt::Attempted;
use sql::Outcome;

/// How many calls [`TestQueue::run_pending`] runs before it gives up: a
/// task that queues a due call of itself each time would never let it
/// return.
pub const RUN_PENDING_LIMIT: usize = 1000;

/// The most rows River lists at once.
const PAGE: u32 = 10_000;

/// A test's hand on an app's durable queue: what was queued, run on
/// demand, on a clock the test moves. Take it from
/// [`TestClient::durable`](crate::testing::TestClient::durable), or make
/// it from a queue with [`TestQueue::new`].
///
/// Nothing runs a call but [`run_next`](Self::run_next) and
/// [`run_pending`](Self::run_pending): open the queue
/// [`without_workers`](crate::durable::Durable::without_workers) (a
/// `TestClient` never starts workers, but a server of the same queue
/// would). Both refuse, with a panic that says why, to run beside workers
/// of this queue in this process, or beside another worker process whose
/// lease on the database is live: two runners would race for the calls.
///
/// Its methods panic on a database error, naming what they were doing, as
/// a test wants.
///
/// ```no_run
/// use std::time::Duration;
/// use atode::durable::{task, Durable, Later, TaskState};
/// use atode::testing::TestQueue;
///
/// #[task(max_attempts = 2)]
/// async fn remind(user: u64) -> Result<(), String> {
///     if user == 0 { Err("no user 0".to_owned()) } else { Ok(()) }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::durable::DurableError> {
/// let queue = Durable::sqlite("test-tasks.sqlite3").without_workers().connect().await?;
/// queue.add_task(remind.after(Duration::from_secs(3600)), (7,)).await?;
/// let tasks = TestQueue::new(queue);
///
/// assert!(tasks.run_pending().await.is_empty()); // due in an hour
/// tasks.advance(Duration::from_secs(3600)).await;
/// let ran = tasks.run_pending().await;
/// assert_eq!(ran[0].status.state, TaskState::Completed);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TestQueue {
    queue: TaskQueue,
}

/// A call waiting in the queue (queued, scheduled, waiting for a retry,
/// or running), as [`TestQueue::queued`] lists it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct QueuedCall {
    /// The id `add_task` returned.
    pub id: TaskId,
    /// The task's name.
    pub task: String,
    /// The function's arguments, as stored: a JSON array, one element per
    /// argument. [`args`](Self::args) reads them as their types.
    pub args: Value,
    /// The queue its workers take it from.
    pub queue: String,
    /// 1 (first) to 4 (last): among due calls, lower runs first.
    pub priority: u8,
    /// When it is due, on the queue's clock ([`TestQueue::advance`] moves
    /// it earlier).
    pub scheduled_at: SystemTime,
    /// Attempts started so far.
    pub attempt: u32,
    /// Attempts it gets in all.
    pub max_attempts: u32,
    /// Where it is: `Queued`, `Scheduled`, `Retrying` (or `Running`).
    pub state: TaskState,
    /// The last attempt's error, if an attempt failed.
    pub last_error: Option<String>,
}

/// One attempt [`TestQueue::run_next`] ran: the call, what the attempt
/// returned, and the call's status after it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RanCall {
    /// The call as it was taken, its `attempt` this attempt's number.
    pub call: QueuedCall,
    /// This attempt's error: the text of the `Err` it returned, `panicked:
    /// ...`, or `cancelled` (its timeout). `None` when it completed.
    pub error: Option<String>,
    /// The call after the attempt, as [`TaskQueue::status`] reads it:
    /// `Completed`, `Retrying` (its `scheduled_at` is the next attempt's
    /// time), `Discarded` (out of attempts), or `Cancelled`.
    pub status: TaskStatus,
}

impl QueuedCall {
    /// The arguments as the task's types: a tuple, as `add_task` took them.
    ///
    /// # Panics
    ///
    /// If they are not of that shape; the message shows them.
    ///
    /// ```
    /// # use atode::durable::TaskId;
    /// # let call = atode::testing::QueuedCall::example(serde_json::json!(["ada@example.com", 3]));
    /// let (email, tries): (String, u32) = call.args();
    /// assert_eq!((email.as_str(), tries), ("ada@example.com", 3));
    /// ```
    pub fn args<A: DeserializeOwned>(&self) -> A {
        A::deserialize(&self.args).unwrap_or_else(|error| {
            panic!(
                "the arguments of `{}` ({}) are not {}: {error}",
                self.task,
                self.args,
                std::any::type_name::<A>()
            )
        })
    }

    /// A call of a task `send` with `args`, for this type's doctests.
    #[doc(hidden)]
    pub fn example(args: Value) -> Self {
        QueuedCall {
            id: TaskId::random(),
            task: "send".to_owned(),
            args,
            queue: super::DEFAULT_QUEUE.to_owned(),
            priority: 1,
            scheduled_at: SystemTime::now(),
            attempt: 0,
            max_attempts: u32::from(super::DEFAULT_MAX_ATTEMPTS),
            state: TaskState::Queued,
            last_error: None,
        }
    }

    /// The call River's `row` holds, if atode wrote it (a call written by
    /// another River client has no atode id).
    fn from_row(row: &JobRow) -> Option<Self> {
        let id = crate::durable::id::of_row(row)?;
        let envelope: Value = serde_json::from_str(row.encoded_args.get()).ok()?;
        let status = TaskStatus::from_row(id, row);
        Some(QueuedCall {
            id,
            task: row.kind.clone(),
            args: envelope.get("args").cloned().unwrap_or(Value::Null),
            queue: row.queue.clone(),
            priority: u8::try_from(row.priority).unwrap_or(u8::MAX),
            scheduled_at: SystemTime::from(row.scheduled_at),
            attempt: status.attempt,
            max_attempts: status.max_attempts,
            state: status.state,
            last_error: status.last_error,
        })
    }
}

impl RanCall {
    /// Whether the attempt completed.
    ///
    /// ```
    /// # let ran = atode::testing::RanCall::example(None);
    /// assert!(ran.is_ok());
    /// # let ran = atode::testing::RanCall::example(Some("refused"));
    /// assert_eq!(ran.error.as_deref(), Some("refused"));
    /// ```
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// An attempt of a call of `send` that failed with `error`, or
    /// completed, for this type's doctests.
    #[doc(hidden)]
    pub fn example(error: Option<&str>) -> Self {
        let call = QueuedCall::example(Value::Array(Vec::new()));
        let status = TaskStatus {
            id: call.id,
            task: call.task.clone(),
            state: match error {
                Some(_) => TaskState::Retrying,
                None => TaskState::Completed,
            },
            attempt: 1,
            max_attempts: call.max_attempts,
            last_error: error.map(str::to_owned),
            created_at: Timestamp::now().to_string(),
            scheduled_at: Timestamp::now().to_string(),
            finalized_at: None,
        };
        RanCall {
            call,
            error: error.map(str::to_owned),
            status,
        }
    }
}

impl TestQueue {
    /// A test's hand on `queue`.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::durable::DurableError> {
    /// let queue = atode::durable::Durable::sqlite("test-tasks.sqlite3").without_workers().connect().await?;
    /// let tasks = atode::testing::TestQueue::new(queue);
    /// assert!(tasks.queued().await.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn new(queue: TaskQueue) -> Self {
        TestQueue { queue }
    }

    /// The queue, to read a call's [`status`](TaskQueue::status) or write
    /// one with [`add_task`](TaskQueue::add_task).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::durable::DurableError> {
    /// # let queue = atode::durable::Durable::sqlite("test-tasks.sqlite3").without_workers().connect().await?;
    /// let tasks = atode::testing::TestQueue::new(queue);
    /// assert!(tasks.queue().status(atode::durable::TaskId::random()).await?.is_none());
    /// # Ok(()) }
    /// ```
    pub fn queue(&self) -> &TaskQueue {
        &self.queue
    }

    /// The calls not yet finished (queued, scheduled, waiting for a retry,
    /// or running), by the time they are due, then the order they were
    /// written in. None ran to be listed: listing runs nothing.
    ///
    /// # Panics
    ///
    /// If the queue's database cannot be read.
    ///
    /// ```no_run
    /// use atode::durable::{task, Durable};
    /// use atode::testing::TestQueue;
    ///
    /// #[task]
    /// async fn welcome(email: String) {
    ///     let _ = email;
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::durable::DurableError> {
    /// let queue = Durable::sqlite("test-tasks.sqlite3").without_workers().connect().await?;
    /// let id = queue.add_task(welcome, ("ada@example.com".to_owned(),)).await?;
    /// let queued = TestQueue::new(queue).queued().await;
    /// assert_eq!((queued[0].id, queued[0].task.as_str()), (id, "welcome"));
    /// assert_eq!(queued[0].args::<(String,)>().0, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub async fn queued(&self) -> Vec<QueuedCall> {
        let states = [
            JobState::Available,
            JobState::Pending,
            JobState::Retryable,
            JobState::Running,
            JobState::Scheduled,
        ];
        let rows = self
            .rows(&states)
            .await
            .unwrap_or_else(|error| panic!("listing the queued calls: {error}"));
        rows.iter().filter_map(QueuedCall::from_row).collect()
    }

    /// Runs the first due call, if any, and returns what its attempt did.
    /// Due: its time has come on the queue's clock ([`advance`](Self::advance)
    /// moves it), and this process registered its task (a call of another
    /// program's task waits for that program's workers). The first: the
    /// lowest priority number, then the earliest time, then the first
    /// written, as a worker with one slot takes them.
    ///
    /// The call runs as a worker runs it, through the same code: the task's
    /// function (a regular `fn` on the queue's threads), its timeout, its
    /// retries with the queue's backoff (or River's), `max_attempts` then
    /// `discarded`; the outcome is stored, so [`TaskQueue::status`] reads
    /// it, and [`current`](crate::durable::current) answers in the task.
    ///
    /// # Panics
    ///
    /// If workers run beside it (see [`TestQueue`]), or the queue's
    /// database cannot be read or written.
    ///
    /// ```no_run
    /// use atode::durable::{task, Durable};
    /// use atode::testing::TestQueue;
    ///
    /// #[task]
    /// async fn welcome(email: String) {
    ///     let _ = email;
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::durable::DurableError> {
    /// let queue = Durable::sqlite("test-tasks.sqlite3").without_workers().connect().await?;
    /// queue.add_task(welcome, ("ada@example.com".to_owned(),)).await?;
    /// let tasks = TestQueue::new(queue);
    /// let ran = tasks.run_next().await.expect("a call was due");
    /// assert!(ran.is_ok());
    /// assert!(tasks.run_next().await.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn run_next(&self) -> Option<RanCall> {
        self.refuse_beside_workers().await;
        let next = self
            .next_due()
            .await
            .unwrap_or_else(|error| panic!("looking for a due call: {error}"))?;
        Some(
            self.run(next)
                .await
                .unwrap_or_else(|error| panic!("running a due call: {error}")),
        )
    }

    /// Runs the due calls one at a time, in [`run_next`](Self::run_next)'s
    /// order, until none is due, and returns each attempt. A call queued
    /// by a task as it ran is run too once due, and so is a failed call
    /// whose retry is due at once; a retry due later waits for
    /// [`advance`](Self::advance).
    ///
    /// # Panics
    ///
    /// After [`RUN_PENDING_LIMIT`] attempts with calls still due (a task
    /// that queues a due call of itself each time would never stop: step
    /// it with `run_next`), and as `run_next` does.
    ///
    /// ```no_run
    /// use atode::durable::{task, Durable, TaskState};
    /// use atode::testing::TestQueue;
    ///
    /// #[task(max_attempts = 1)]
    /// async fn charge(cents: u64) -> Result<(), String> {
    ///     if cents > 0 { Ok(()) } else { Err("nothing to charge".to_owned()) }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::durable::DurableError> {
    /// let queue = Durable::sqlite("test-tasks.sqlite3").without_workers().connect().await?;
    /// queue.add_task(charge, (500,)).await?;
    /// queue.add_task(charge, (0,)).await?;
    /// let ran = TestQueue::new(queue).run_pending().await;
    /// assert_eq!(ran.len(), 2);
    /// assert!(ran[0].is_ok());
    /// assert_eq!(ran[1].error.as_deref(), Some("nothing to charge"));
    /// assert_eq!(ran[1].status.state, TaskState::Discarded);
    /// # Ok(()) }
    /// ```
    pub async fn run_pending(&self) -> Vec<RanCall> {
        let mut ran = Vec::new();
        while let Some(call) = self.run_next().await {
            ran.push(call);
            if ran.len() == RUN_PENDING_LIMIT && self.has_due().await {
                let tasks: Vec<&str> = ran
                    .iter()
                    .rev()
                    .take(5)
                    .map(|ran| ran.call.task.as_str())
                    .collect();
                panic!(
                    "run_pending ran {RUN_PENDING_LIMIT} calls and calls are still due (the last \
                     ones: {tasks:?}): a task that queues a due call each time it runs never \
                     ends; step through it with run_next"
                );
            }
        }
        ran
    }

    /// Moves the queue's clock `by` forward: every waiting call (delayed,
    /// or waiting for a retry) becomes due `by` sooner, without a sleep.
    /// Calls queued later are due on the clock as it then is: a call
    /// queued with `after(d)` after an `advance` is due `d` after it was
    /// queued. Millisecond precision.
    ///
    /// # Panics
    ///
    /// If the queue's database cannot be written.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use atode::durable::{task, Durable, Later};
    /// use atode::testing::TestQueue;
    ///
    /// #[task]
    /// async fn remind(user: u64) {
    ///     let _ = user;
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), atode::durable::DurableError> {
    /// let queue = Durable::sqlite("test-tasks.sqlite3").without_workers().connect().await?;
    /// queue.add_task(remind.after(Duration::from_secs(24 * 3600)), (7,)).await?;
    /// let tasks = TestQueue::new(queue);
    /// tasks.advance(Duration::from_secs(23 * 3600)).await;
    /// assert!(tasks.run_pending().await.is_empty());
    /// tasks.advance(Duration::from_secs(3600)).await;
    /// assert_eq!(tasks.run_pending().await.len(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn advance(&self, by: Duration) {
        sql::shift_waiting(self.queue.database(), by)
            .await
            .unwrap_or_else(|error| panic!("advancing the queue's clock by {by:?}: {error}"));
    }

    /// Panics if workers may be taking this queue's calls.
    async fn refuse_beside_workers(&self) {
        if self.queue.workers_running() {
            panic!(
                "TestQueue runs calls by hand, and this queue's workers are running in this \
                 process (it is served, or runs `run_worker`): open the test's queue with \
                 `Durable::without_workers()`, or do not serve it"
            );
        }
        let others = sql::live_workers(self.queue.database(), self.queue.client().id())
            .await
            .unwrap_or_else(|error| panic!("reading the queue's worker leases: {error}"));
        if !others.is_empty() {
            panic!(
                "TestQueue runs calls by hand, and worker processes hold live leases on this \
                 queue's database ({others:?}): give the test a database of its own"
            );
        }
    }

    /// The rows in `states`, by time then id.
    async fn rows(&self, states: &[JobState]) -> Result<Vec<JobRow>, DurableError> {
        let params = JobListParams::default()
            .states(states.iter().copied())
            .order_by(JobListOrderBy::ScheduledAt)
            .limit(PAGE);
        let mut page = self.queue.client().jobs().list(params.clone()).await?;
        let mut rows = std::mem::take(&mut page.jobs);
        while let Some(cursor) = page.last_cursor.take() {
            page = self
                .queue
                .client()
                .jobs()
                .list(params.clone().after(cursor))
                .await?;
            if page.jobs.is_empty() {
                break;
            }
            rows.append(&mut page.jobs);
        }
        Ok(rows)
    }

    /// The call `run_next` takes: due, of a task this process knows, first
    /// by priority, time and id.
    async fn next_due(&self) -> Result<Option<JobRow>, DurableError> {
        let now = Timestamp::now();
        let states = [
            JobState::Available,
            JobState::Retryable,
            JobState::Scheduled,
        ];
        Ok(self
            .rows(&states)
            .await?
            .into_iter()
            .filter(|row| row.scheduled_at <= now && self.queue.setup_of(&row.kind).is_some())
            .min_by_key(|row| (row.priority, row.scheduled_at, row.id)))
    }

    async fn has_due(&self) -> bool {
        matches!(self.next_due().await, Ok(Some(_)))
    }

    /// Runs one attempt of the due call `row`, and records its outcome.
    async fn run(&self, row: JobRow) -> Result<RanCall, DurableError> {
        let client = self.queue.client();
        let (task, setup) = self
            .queue
            .setup_of(&row.kind)
            .cloned()
            .ok_or_else(|| DurableError::unexpected(format!("no task `{}`", row.kind)))?;
        if row.state != JobState::Available {
            // What River's scheduler does once a waiting call is due.
            client.jobs().retry(row.id).await?;
        }
        // River's own claim, as a worker's fetch makes it: `running`, the
        // attempt counted, this client its last `attempted_by`.
        let (claimed, context) = riverqueue::__private::claim_job_for_test(client, row.id).await?;
        let call = QueuedCall::from_row(&claimed).ok_or_else(|| {
            DurableError::unexpected(format!("call {} has no atode id", claimed.id))
        })?;
        let attempted = (task.attempt())(setup, context, claimed.clone()).await;
        let error = self.record(&claimed, attempted).await?;
        let after = client.jobs().get(claimed.id).await?;
        Ok(RanCall {
            status: TaskStatus::from_row(call.id, &after),
            call,
            error,
        })
    }

    /// Stores how the attempt of `claimed` ended, as River's executor
    /// would; returns its error, if it failed.
    async fn record(
        &self,
        claimed: &JobRow,
        attempted: Attempted,
    ) -> Result<Option<String>, DurableError> {
        let (outcome, error) = match attempted {
            Attempted::Completed => {
                self.complete(claimed.id).await?;
                return Ok(None);
            }
            Attempted::Snoozed(after) => {
                let state = if after <= SCHEDULER_INTERVAL {
                    "available"
                } else {
                    "scheduled"
                };
                (Outcome::Snoozed { state, after }, None)
            }
            Attempted::Failed { error, retry_after } => {
                // Cancelled while it ran (`TaskQueue::cancel` marks it).
                let now = self.queue.client().jobs().get(claimed.id).await?;
                let cancelled = now
                    .metadata
                    .get::<String>("cancel_attempted_at")
                    .ok()
                    .flatten()
                    .is_some_and(|at| cancel_was_asked(&at));
                let (state, retry_after) = if cancelled {
                    ("cancelled", None)
                } else if claimed.attempt >= claimed.max_attempts {
                    ("discarded", None)
                } else if retry_after <= SCHEDULER_INTERVAL {
                    ("available", Some(retry_after))
                } else {
                    ("retryable", Some(retry_after))
                };
                let attempt_error =
                    riverqueue::AttemptError::new(Timestamp::now(), claimed.attempt, error.clone());
                let attempt_error = serde_json::to_string(&attempt_error).map_err(|error| {
                    DurableError::unexpected(format!("an attempt's error: {error}"))
                })?;
                let outcome = Outcome::Failed {
                    error: attempt_error,
                    state,
                    retry_after,
                };
                (outcome, Some(error))
            }
        };
        if !sql::record(self.queue.database(), claimed.id, claimed.attempt, &outcome).await? {
            return Err(DurableError::unexpected(format!(
                "call {} was no longer running its attempt {} when it ended: something else took it",
                claimed.id, claimed.attempt
            )));
        }
        Ok(error)
    }

    /// Completes the running call `job_id` through River.
    async fn complete(&self, job_id: i64) -> Result<(), DurableError> {
        let jobs = self.queue.client().jobs();
        match self.queue.database() {
            Database::Sqlite(_) => {
                let mut transaction = self.queue.begin_sqlite().await?;
                jobs.complete(job_id).tx(&mut transaction).await?;
                transaction.commit().await?;
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => {
                let mut transaction = self.queue.begin_postgres().await?;
                jobs.complete(job_id).tx(&mut transaction).await?;
                transaction.commit().await?;
            }
        }
        Ok(())
    }
}
