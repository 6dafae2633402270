//! `current()`: which call, and which attempt of it, a task is running.

use std::cell::Cell;

use super::id::TaskId;

/// The call a durable task's function is running for: its id (stable
/// across attempts, so a good idempotency key for the task's effects) and
/// the attempt number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CurrentCall {
    /// The id `add_task` returned for the call.
    pub id: TaskId,
    /// The task's name.
    pub task: &'static str,
    /// 1 for the first attempt, 2 for the first retry, and so on.
    pub attempt: u32,
}

tokio::task_local! {
    static ASYNC_CALL: CurrentCall;
}

thread_local! {
    static BLOCKING_CALL: Cell<Option<CurrentCall>> = const { Cell::new(None) };
}

/// The call the running durable task works for, or `None` outside one (a
/// direct `call`, an in-process task, a test).
///
/// ```
/// use atode::durable::{current, task};
///
/// #[task]
/// async fn charge(order: u64) -> Result<(), String> {
///     // The same id on every attempt: the payment provider drops repeats.
///     let key = current().map(|call| call.id.to_string()).unwrap_or_default();
///     let _ = (order, key);
///     Ok(())
/// }
///
/// assert!(current().is_none());
/// ```
pub fn current() -> Option<CurrentCall> {
    ASYNC_CALL
        .try_with(|call| *call)
        .ok()
        .or_else(|| BLOCKING_CALL.with(Cell::get))
}

/// Runs `future` as `call`'s attempt.
pub(crate) async fn scope<F: Future>(call: CurrentCall, future: F) -> F::Output {
    ASYNC_CALL.scope(call, future).await
}

/// Runs `function` as `call`'s attempt, on the current thread.
pub(crate) fn within<R>(call: CurrentCall, function: impl FnOnce() -> R) -> R {
    struct Reset(Option<CurrentCall>);
    impl Drop for Reset {
        fn drop(&mut self) {
            BLOCKING_CALL.with(|current| current.set(self.0));
        }
    }
    let _reset = Reset(BLOCKING_CALL.with(|current| current.replace(Some(call))));
    function()
}
