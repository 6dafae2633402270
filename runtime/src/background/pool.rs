//! `BlockingPool`: the app's own threads for regular `fn` tasks.
//!
//! They are not tokio's blocking pool, which `tokio::fs` and DNS lookups
//! share: ten thousand tasks stuck on a slow mail server must not starve a
//! handler's file read. The pool is bounded (queued batches wait for a
//! thread), grows on demand, lets idle threads go, and its threads are not
//! the runtime's, so a task still blocked at a shutdown deadline does not
//! hold the process: it ends when `main` returns.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::batch::Batch;
use super::task::QueuedTask;

/// How long an idle thread waits for work before it exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

thread_local! {
    /// Set on the pool's own threads.
    static TASK_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is one of a pool's task threads.
pub(crate) fn on_task_thread() -> bool {
    TASK_THREAD.get()
}

pub(crate) struct BlockingPool {
    shared: Arc<PoolShared>,
}

struct PoolShared {
    state: Mutex<PoolState>,
    work: Condvar,
    max_threads: AtomicUsize,
}

#[derive(Default)]
struct PoolState {
    jobs: VecDeque<(Batch, QueuedTask)>,
    threads: usize,
    idle: usize,
}

impl BlockingPool {
    pub(crate) fn new(max_threads: usize) -> Self {
        BlockingPool {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState::default()),
                work: Condvar::new(),
                max_threads: AtomicUsize::new(max_threads.max(1)),
            }),
        }
    }

    pub(crate) fn set_max_threads(&self, threads: usize) {
        self.shared
            .max_threads
            .store(threads.max(1), Ordering::Relaxed);
    }

    /// Queues `batch` to run from `task` on, on a pool thread.
    pub(crate) fn submit(&self, batch: Batch, task: QueuedTask) {
        let mut state = self.shared.lock();
        state.jobs.push_back((batch, task));
        if state.idle > 0 {
            self.shared.work.notify_one();
        }
        let spawn = state.jobs.len() > state.idle
            && state.threads < self.shared.max_threads.load(Ordering::Relaxed);
        if !spawn {
            return;
        }
        state.threads += 1;
        drop(state);
        let shared = Arc::clone(&self.shared);
        let spawned = std::thread::Builder::new()
            .name("atode-task".to_owned())
            .spawn(move || shared.work_loop());
        if let Err(error) = spawned {
            let mut state = self.shared.lock();
            state.threads -= 1;
            // With no thread at all, nothing would ever run the queue: its
            // batches are dropped here, which counts and logs their tasks.
            let stranded: Vec<_> = if state.threads == 0 {
                state.jobs.drain(..).collect()
            } else {
                Vec::new()
            };
            drop(state);
            tracing::error!(
                target: "atode::background",
                %error,
                stranded = stranded.len(),
                "cannot start a thread for background tasks"
            );
            drop(stranded);
        }
    }
}

impl PoolShared {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // No code runs under this lock that can panic halfway.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn work_loop(&self) {
        TASK_THREAD.set(true);
        let mut state = self.lock();
        loop {
            if let Some((batch, task)) = state.jobs.pop_front() {
                drop(state);
                // A task's panic is caught inside; this one is a bug of
                // atode's own, and must not take the thread count with it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    batch.run_blocking(task);
                }));
                state = self.lock();
                continue;
            }
            state.idle += 1;
            let (next, wait) = self
                .work
                .wait_timeout(state, KEEP_ALIVE)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state = next;
            state.idle -= 1;
            if wait.timed_out() && state.jobs.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}
