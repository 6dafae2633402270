//! Background tasks: work a handler queues to run after its response.
//!
//! See [`BackgroundTasks`] for the handle and when its tasks run, and
//! [`TaskMonitor`] for their counts.

// A request's work, in the order the files take it up: the request owns
// its list and its place under the cap (`request`), its response body
// starts the tasks (`completion`), the runner (`runner`) runs them as one
// batch (`batch`), regular `fn`s on the app's own threads (`pool`). The
// batch is counted in the lifecycle (`crate::lifecycle`) of the server
// its request came through, which drains or abandons it.

mod batch;
pub(crate) mod completion;
mod monitor;
mod pool;
mod request;
mod runner;
pub(crate) mod task;
mod tasks;
mod watch;

pub use monitor::{TaskMonitor, TaskStats};
pub use runner::{DEFAULT_MAX_PENDING, DEFAULT_TASK_THREADS};
pub use task::{IntoTask, TaskResult};
pub use tasks::{BackgroundTasks, RunReport};

pub(crate) use completion::CompletionBody;
pub(crate) use request::{PendingTasks, RequestWork};
#[cfg(feature = "durable")]
pub(crate) use runner::NO_QUEUE;
#[cfg(feature = "metrics")]
pub(crate) use runner::Outcome;
pub(crate) use runner::{TaskRunner, TaskSettings};
pub(crate) use watch::{RequestWatch, Running};
