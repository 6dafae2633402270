//! One queued task: a `fn` or `async fn` with its arguments, ready to run.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

/// What running a task produced: `Err` carries the task's error, rendered.
pub(crate) type TaskOutcome = Result<(), String>;

type BoxTaskFuture = Pin<Box<dyn Future<Output = TaskOutcome> + Send>>;

/// The work of one task, still to be started. Opaque outside the crate.
#[doc(hidden)]
pub struct Work(pub(crate) WorkKind);

impl std::fmt::Debug for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            WorkKind::Async(_) => "Work(async)",
            WorkKind::Blocking(_) => "Work(blocking)",
            #[cfg(feature = "durable")]
            WorkKind::Durable(_) => "Work(durable)",
        })
    }
}

pub(crate) enum WorkKind {
    /// An `async fn`'s future, polled on the runtime's workers.
    Async(BoxTaskFuture),
    /// A regular `fn`, run on the app's task threads so it never stalls a worker.
    Blocking(Box<dyn FnOnce() -> TaskOutcome + Send>),
    /// A `#[task]`'s call, written to the app's durable queue rather than run.
    #[cfg(feature = "durable")]
    Durable(crate::durable::PendingJob),
}

impl Work {
    /// A regular `fn`'s call, run on the app's task threads.
    pub(crate) fn blocking<F, R>(function: F) -> Work
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskResult,
    {
        Work(WorkKind::Blocking(Box::new(move || {
            function().into_outcome()
        })))
    }

    /// An `async fn`'s call, polled on the runtime.
    pub(crate) fn future<F>(future: F) -> Work
    where
        F: Future + Send + 'static,
        F::Output: TaskResult,
    {
        Work(WorkKind::Async(Box::pin(async move {
            future.await.into_outcome()
        })))
    }
}

/// A task in a request's queue.
pub(crate) struct QueuedTask {
    /// The function's path, as `std::any::type_name` gives it, for logs.
    pub(crate) name: &'static str,
    pub(crate) work: Work,
}

impl QueuedTask {
    /// Whether the task is a regular `fn`, for the task threads.
    pub(crate) fn is_blocking(&self) -> bool {
        matches!(self.work.0, WorkKind::Blocking(_))
    }
}

/// What a task may return: `()`, or a `Result` whose error is logged.
///
/// ```
/// # use atode::BackgroundTasks;
/// fn ok() {}
/// fn fallible(path: &'static str) -> std::io::Result<()> {
///     std::fs::metadata(path).map(drop)
/// }
///
/// let tasks = BackgroundTasks::new();
/// tasks.add_task(ok, ());
/// tasks.add_task(fallible, ("/",));
/// assert_eq!(tasks.len(), 2);
/// ```
#[diagnostic::on_unimplemented(
    message = "a background task must return `()` or `Result<_, E>` where `E: Display`, not `{Self}`",
    note = "an `Err` is logged with the route and the task's name; the tasks after it still run"
)]
pub trait TaskResult {
    /// Turns the task's return value into its outcome.
    #[doc(hidden)]
    fn into_outcome(self) -> Result<(), String>;
}

impl TaskResult for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<T, E: Display> TaskResult for Result<T, E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map(drop).map_err(|error| error.to_string())
    }
}

/// Marks a task as a regular `fn`, run on the app's task threads. Named
/// only as [`IntoTask`]'s inferred `Kind`.
#[doc(hidden)]
#[derive(Debug)]
pub enum Blocking {}

/// Marks a task as an `async fn`, run on the runtime's workers.
#[doc(hidden)]
#[derive(Debug)]
pub enum Async {}

/// A function that [`BackgroundTasks::add_task`](crate::BackgroundTasks::add_task)
/// can queue with the tuple of arguments `Args`.
///
/// It is implemented for every `fn` and closure taking up to twelve arguments,
/// whether it is `async` or not; `Kind` tells the two apart and is inferred.
/// Name it to write a helper that queues tasks it is given:
///
/// ```
/// use atode::BackgroundTasks;
/// use atode::background::IntoTask;
///
/// /// Queues `task` once per recipient.
/// fn for_each_recipient<F, Kind>(tasks: &BackgroundTasks, task: F, recipients: &[&str])
/// where
///     F: IntoTask<(String,), Kind> + Clone,
/// {
///     for recipient in recipients {
///         tasks.add_task(task.clone(), (recipient.to_string(),));
///     }
/// }
///
/// async fn notify(_email: String) {}
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let tasks = BackgroundTasks::new();
/// for_each_recipient(&tasks, notify, &["a@example.com", "b@example.com"]);
/// assert_eq!(tasks.run().await.completed, 2);
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be queued as a background task with the arguments `{Args}`",
    label = "expected a `fn` or `async fn` that can be called with the arguments `{Args}`",
    note = "pass the arguments as a tuple: `add_task(f, ())`, `add_task(f, (a,))`, `add_task(f, (a, b))`",
    note = "the function, its arguments and its future must be `Send + 'static`, and it must return `()` or `Result<_, E: Display>`"
)]
pub trait IntoTask<Args, Kind>: Send + 'static {
    /// What [`add_task`](crate::BackgroundTasks::add_task) returns: `()`
    /// for a function run in this process, the
    /// [`TaskId`](crate::durable::TaskId) of a durable task's call.
    type Handle;

    #[doc(hidden)]
    fn into_queued(self, args: Args) -> (Work, Self::Handle);
}

macro_rules! impl_into_task {
    ($($arg:ident),*) => {
        impl<F, R, $($arg,)*> IntoTask<($($arg,)*), Blocking> for F
        where
            F: FnOnce($($arg),*) -> R + Send + 'static,
            R: TaskResult,
            $($arg: Send + 'static,)*
        {
            type Handle = ();

            #[allow(non_snake_case)]
            fn into_queued(self, ($($arg,)*): ($($arg,)*)) -> (Work, ()) {
                (Work::blocking(move || self($($arg),*)), ())
            }
        }

        impl<F, Fut, $($arg,)*> IntoTask<($($arg,)*), Async> for F
        where
            F: FnOnce($($arg),*) -> Fut + Send + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: TaskResult,
            $($arg: Send + 'static,)*
        {
            type Handle = ();

            #[allow(non_snake_case)]
            fn into_queued(self, ($($arg,)*): ($($arg,)*)) -> (Work, ()) {
                (Work::future(async move { self($($arg),*).await }), ())
            }
        }
    };
}

impl_into_task!();
impl_into_task!(A1);
impl_into_task!(A1, A2);
impl_into_task!(A1, A2, A3);
impl_into_task!(A1, A2, A3, A4);
impl_into_task!(A1, A2, A3, A4, A5);
impl_into_task!(A1, A2, A3, A4, A5, A6);
impl_into_task!(A1, A2, A3, A4, A5, A6, A7);
impl_into_task!(A1, A2, A3, A4, A5, A6, A7, A8);
impl_into_task!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
impl_into_task!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
impl_into_task!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
impl_into_task!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
