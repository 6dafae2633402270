//! `Task`: what `#[task]` makes of a function, and the options it takes.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::background::task::Work;

/// A function declared with [`#[task]`](crate::durable::task): its arguments
/// are stored in the app's queue, and a worker (in this process or another)
/// calls it after the response has been written.
///
/// Implemented by the attribute, on a unit struct that takes the function's
/// name, so `background_tasks.add_task(send_welcome, (user_id,))` reads as
/// for an in-process task. Call the function itself with
/// `send_welcome::call(user_id)`, also from its own body (a task that
/// calls itself by name now names the struct). Since the name is a unit
/// struct in its module, a `let send_welcome = ...` there is read as a
/// pattern matching it and does not compile: pick another variable name.
///
/// ```
/// use atode::durable::{task, Task};
///
/// /// Sends the welcome email.
/// #[task(max_attempts = 5, timeout = "30s")]
/// async fn send_welcome(user_id: u64, email: String) -> Result<(), String> {
///     if email.contains('@') { Ok(()) } else { Err(format!("user {user_id}: bad address")) }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// assert_eq!(send_welcome::NAME, "send_welcome");
/// assert_eq!(send_welcome::options().attempts(), 5);
/// assert!(send_welcome::call(1, "a@example.com".into()).await.is_ok());
/// # }
/// ```
pub trait Task: Copy + Send + Sync + 'static {
    /// The task's name, stored with each queued call: a worker runs a call
    /// with the task of the same name. The function's name unless
    /// `#[task(name = "...")]` gives another; keep it when renaming the
    /// function, or calls queued before a deploy find no task.
    const NAME: &'static str;

    /// The function's arguments, as a tuple.
    type Args: TaskArgs;

    /// The options given to `#[task(...)]`.
    fn options() -> TaskOptions {
        TaskOptions::new()
    }

    /// Calls the function with `args`: the work one attempt does.
    #[doc(hidden)]
    fn run(args: Self::Args) -> Work;
}

/// The arguments of a durable task: stored as JSON in the queue, so they
/// must survive a round trip through serde.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of a durable task",
    label = "a durable task's arguments are stored in the queue as JSON",
    note = "use an owned type that implements `serde::Serialize` and `serde::de::DeserializeOwned` (`String` for `&str`, `Vec<T>` for `&[T]`)"
)]
pub trait TaskArg: Serialize + DeserializeOwned + Send + Sync + 'static {}

impl<T: Serialize + DeserializeOwned + Send + Sync + 'static> TaskArg for T {}

/// The tuple of a durable task's arguments.
pub trait TaskArgs: Serialize + DeserializeOwned + Send + Sync + 'static {}

impl<T: Serialize + DeserializeOwned + Send + Sync + 'static> TaskArgs for T {}

/// How calls of one task are queued and retried: what `#[task(...)]` sets.
///
/// ```
/// use std::time::Duration;
/// use atode::durable::TaskOptions;
///
/// let options = TaskOptions::new().queue("mail").max_attempts(3).timeout(Duration::from_secs(10));
/// assert_eq!(options.queue_name(), "mail");
/// assert_eq!(options.attempts(), 3);
/// assert_eq!(options.timeout_after(), Some(Duration::from_secs(10)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskOptions {
    queue: &'static str,
    max_attempts: u16,
    priority: u8,
    timeout: Option<Duration>,
    unique_for: Option<Duration>,
}

/// The attempts a task gets unless `#[task(max_attempts = N)]` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u16 = 25;

/// The queue a task goes to unless `#[task(queue = "...")]` says otherwise.
pub const DEFAULT_QUEUE: &str = "default";

impl TaskOptions {
    /// The defaults: queue `"default"`, 25 attempts, priority 1, the
    /// queue's own timeout, no uniqueness.
    pub const fn new() -> Self {
        TaskOptions {
            queue: DEFAULT_QUEUE,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            priority: 1,
            timeout: None,
            unique_for: None,
        }
    }

    /// The queue the task's calls go to; a worker works the queues it was
    /// given (see [`Durable::queue`](crate::durable::Durable::queue)).
    pub const fn queue(mut self, queue: &'static str) -> Self {
        self.queue = queue;
        self
    }

    /// How many times a call is tried before it is discarded (at least 1).
    pub const fn max_attempts(mut self, attempts: u16) -> Self {
        self.max_attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// 1 (first) to 4 (last): among calls ready to run, lower runs first.
    pub const fn priority(mut self, priority: u8) -> Self {
        self.priority = if priority < 1 {
            1
        } else if priority > 4 {
            4
        } else {
            priority
        };
        self
    }

    /// How long one attempt may take; past it the attempt fails (and is
    /// retried). An `async fn` is cancelled; a regular `fn` cannot be, so
    /// its attempt is failed and its thread left to finish.
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Queues a call only if no call of this task with the same arguments
    /// was queued in the current window of this length: the arguments are
    /// the idempotency key.
    pub const fn unique_for(mut self, window: Duration) -> Self {
        self.unique_for = Some(window);
        self
    }

    /// The queue's name.
    pub const fn queue_name(&self) -> &'static str {
        self.queue
    }

    /// How many times a call is tried.
    pub const fn attempts(&self) -> u16 {
        self.max_attempts
    }

    /// The priority, 1 to 4.
    pub const fn priority_level(&self) -> u8 {
        self.priority
    }

    /// The timeout of one attempt, if the task sets one.
    pub const fn timeout_after(&self) -> Option<Duration> {
        self.timeout
    }

    /// The uniqueness window, if the task sets one.
    pub const fn unique_window(&self) -> Option<Duration> {
        self.unique_for
    }
}

impl Default for TaskOptions {
    fn default() -> Self {
        Self::new()
    }
}
