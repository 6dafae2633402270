//! Durable background tasks (feature `durable`): calls written to a queue
//! in a database before the response, run by workers in this process or in
//! others, retried until they succeed, never lost to a crash.
//!
//! A function declared with [`#[task]`](task) is queued like any other
//! background task, with [`BackgroundTasks::add_task`](crate::BackgroundTasks::add_task),
//! but its call is stored, not kept in memory:
//!
//! - **A 200 means committed.** The calls a handler queued are written, in
//!   one transaction, after the handler succeeded and before the response's
//!   first byte. A handler that fails, panics or is rejected writes nothing;
//!   a write that fails answers `503`, not a `200` for work that does not
//!   exist.
//! - **At least once.** A worker takes a call, runs it, and records the
//!   outcome. A worker killed mid-call leaves it `running`; once the
//!   process's [`Durable::worker_lease`] expires (10 s), another worker
//!   runs it again. A task whose effects must not happen twice keys them
//!   on its arguments (or uses `#[task(unique_for = "...")]` to drop
//!   duplicate calls).
//! - **Retries.** An `Err` or a panic is retried with a growing wait stored
//!   with the call, up to `max_attempts`; then the call is `discarded`,
//!   its last error kept. [`TaskQueue::status`] reads it by id, and
//!   [`TaskQueue::cancel`] stops it.
//!
//! The engine is [River](https://riverqueue.com)'s Rust client, on a SQLite
//! file by default and on PostgreSQL with the `postgres` feature; its types
//! do not appear in atode's API.
//!
//! ```no_run
//! use atode::durable::{task, Durable, TaskId, TaskQueue, TaskStatus};
//! use atode::{get, post, routes, App, BackgroundTasks, Json, StatusCode};
//! use serde::Serialize;
//!
//! #[task(max_attempts = 5)]
//! fn write_notification(email: String, message: String) -> std::io::Result<()> {
//!     use std::io::Write;
//!     let mut log = std::fs::OpenOptions::new().create(true).append(true).open("log.txt")?;
//!     writeln!(log, "notification for {email}: {message}")
//! }
//!
//! #[derive(Serialize)]
//! struct Queued {
//!     task_id: TaskId,
//! }
//!
//! #[post("/send-notification/<email>")]
//! async fn send_notification(email: String, background_tasks: BackgroundTasks) -> Json<Queued> {
//!     let task_id = background_tasks.add_task(write_notification, (email, "some notification".into()));
//!     Json(Queued { task_id })
//! }
//!
//! #[get("/tasks/<id>")]
//! async fn task_status(id: TaskId, queue: TaskQueue) -> Result<Json<TaskStatus>, StatusCode> {
//!     match queue.status(id).await {
//!         Ok(Some(status)) => Ok(Json(status)),
//!         Ok(None) => Err(StatusCode::NOT_FOUND),
//!         Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE),
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     // Every `#[task]` in the program is registered with the queue.
//!     let queue = Durable::from_env("tasks.sqlite3").connect().await?;
//!     atode::run(App::new().durable(queue).routes(routes![send_notification, task_status])).await
//! }
//! ```

// A call's way through the files: `#[task]` implements `Task` (`task`);
// `add_task` makes a `PendingJob` with its `TaskId` (`job`, `id`); the
// request writes it through `TaskQueue` (`queue`) into the `Database`
// (`database`); River hands it to a `TaskWorker` (`worker`), which counts
// what happened (`counters`); `status` reads it back, `cancel` stops
// it, `retry` makes it due now and `discard` gives it up; `calls` pages
// through them for a dashboard, hiding what `redact` names.

#[cfg(feature = "postgres")]
mod autocommit;
mod bulk_insert;
#[cfg(feature = "dashboard")]
pub(crate) mod calls;
mod cancel;
mod checkpoint;
mod counters;
mod current;
mod database;
mod discard;
mod error;
mod extract;
mod group_commit;
mod id;
mod id_index;
mod job;
mod lease;
#[cfg(feature = "metrics")]
mod metrics;
mod notices;
#[cfg(feature = "postgres")]
mod pending_list;
mod queue;
mod redact;
mod registry;
mod release;
mod retry;
mod schedule;
mod script;
mod status;
mod task;
pub(crate) mod testing;
mod threads;
mod turn;
mod unknown;
mod wake;
mod worker;
mod write;

pub use cancel::Cancellation;
pub use counters::DurableStats;
pub use current::{CurrentCall, current};
pub use database::QueueTransaction;
pub use discard::Discard;
pub use error::DurableError;
pub use id::{ParseTaskIdError, TaskId};
pub use lease::DEFAULT_WORKER_LEASE;
pub use queue::{
    DATABASE_URL_VAR, DEFAULT_CONCURRENCY, DEFAULT_FETCH_COOLDOWN, DEFAULT_POLL_INTERVAL,
    DEFAULT_RESCUE_AFTER, DEFAULT_TIMEOUT, DEFAULT_WRITE_TIMEOUT, Durable, RESCUE_AFTER_VAR,
    TaskQueue,
};
pub use retry::Retry;
pub use schedule::{DurableCall, Later, Scheduled};
pub use status::{TaskState, TaskStatus};
pub use task::{DEFAULT_MAX_ATTEMPTS, DEFAULT_QUEUE, Task, TaskArg, TaskArgs, TaskOptions};

pub use atode_macros::task;

#[doc(hidden)]
pub use job::Durable as DurableKind;

/// What `#[task]` expands to uses these; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::registry::TaskRegistration;
    pub use inventory;
}
pub(crate) use job::PendingJob;
pub(crate) use registry::linked_names as linked_task_names;

/// The `sqlx` the queue uses, for transactions of the app's own
/// ([`TaskQueue::add_task_in`]).
pub use riverqueue::sqlx;

/// The mutex's value, whether or not a thread panicked holding it: the
/// durable queue's shared state stays consistent across each critical
/// section, so a poisoned lock is no reason to stop.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
