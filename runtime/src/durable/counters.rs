//! What this process did with durable tasks, for `TaskMonitor`.

use std::sync::atomic::{AtomicU64, Ordering};

use riverqueue::WorkOutcome;

use super::worker::AttemptFailed;

/// This process's counts of durable tasks' calls: written to the queue by
/// its requests, and attempts its workers made. Other processes sharing the
/// queue count their own; the queue itself is the record of every call
/// (see [`TaskQueue::status`](crate::durable::TaskQueue::status)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DurableStats {
    /// Calls written to the queue (with a request's response, or directly).
    pub enqueued: u64,
    /// Transactions of atode's own that committed calls (a request's, or
    /// `TaskQueue::add_task`'s). Under load, requests share a commit (group
    /// commit): `enqueued / commits` is how many calls one carried.
    pub commits: u64,
    /// Requests answered `503` because their calls could not be written.
    pub enqueue_failed: u64,
    /// Attempts that completed.
    pub completed: u64,
    /// Attempts that returned `Err` (retried until the task's attempts run out).
    pub failed: u64,
    /// Attempts that panicked (retried likewise).
    pub panicked: u64,
    /// Attempts cancelled by their timeout or by a stop.
    pub cancelled: u64,
    /// Calls waiting in the queues this process works, of tasks it does not
    /// have (renamed, or missing from this program), at the last look: its
    /// workers cannot run them, and each such task is logged as a warning.
    /// Workers look when they start and every 30 s.
    pub unknown: u64,
}

#[derive(Debug, Default)]
pub(crate) struct DurableCounters {
    /// The metrics of the app this queue serves, once it has them
    /// (`App::metrics` and `App::durable`, in either order); the first
    /// such app's, if the queue serves several.
    #[cfg(feature = "metrics")]
    pub(crate) metrics: std::sync::OnceLock<std::sync::Arc<crate::metrics::DurableMetrics>>,
    enqueued: AtomicU64,
    commits: AtomicU64,
    enqueue_failed: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    panicked: AtomicU64,
    cancelled: AtomicU64,
    unknown: AtomicU64,
}

impl DurableCounters {
    pub(crate) fn enqueued(&self, calls: usize) {
        self.enqueued.fetch_add(calls as u64, Ordering::Relaxed);
    }

    /// One transaction of atode's own committed `calls`.
    pub(crate) fn committed(&self, calls: usize) {
        self.enqueued(calls);
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn enqueue_failed(&self) {
        self.enqueue_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// The calls of unknown tasks found at the last look (`unknown.rs`).
    pub(crate) fn set_unknown(&self, calls: u64) {
        self.unknown.store(calls, Ordering::Relaxed);
    }

    pub(crate) fn count(&self, result: &Result<WorkOutcome, AttemptFailed>) {
        let counter = match result {
            Ok(_) => &self.completed,
            Err(AttemptFailed::Returned(_)) => &self.failed,
            Err(AttemptFailed::Panicked(_)) => &self.panicked,
            Err(AttemptFailed::Cancelled(_)) => &self.cancelled,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> DurableStats {
        DurableStats {
            enqueued: self.enqueued.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            enqueue_failed: self.enqueue_failed.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            panicked: self.panicked.load(Ordering::Relaxed),
            cancelled: self.cancelled.load(Ordering::Relaxed),
            unknown: self.unknown.load(Ordering::Relaxed),
        }
    }
}
