//! Background tasks: work a handler queues to run after its response.
//!
//! See [`BackgroundTasks`] for the handle, [`CompletionBody`] for when the
//! tasks start, and [`TaskMonitor`] for their counts.

mod completion;
mod runner;
mod task;
mod tasks;

pub use completion::CompletionBody;
pub use runner::{TaskMonitor, TaskStats};
pub use task::{Async, IntoTask, Sync, TaskResult};
pub use tasks::{BackgroundTasks, RunReport};

pub use runner::DEFAULT_MAX_PENDING;

pub(crate) use runner::{Admission, TaskRunner};
