//! `AttemptThreads`: the durable queue's own threads for the attempts of
//! regular `fn` tasks, and the places that bound what its workers run.
//!
//! A regular `fn` cannot be cancelled. When its attempt times out, or the
//! shutdown deadline passes, River is told at once (the call is retried, or
//! given back to the queue) while the function runs on to its end on its
//! thread. So the threads are atode's, not tokio's blocking pool:
//!
//! - a thread that is not the runtime's does not hold the process: dropping
//!   the runtime when `main` returns does not wait for it;
//! - `tokio::fs`, DNS lookups and upload spooling, which share tokio's
//!   pool, are not starved by stuck tasks;
//! - an attempt keeps its place in its queue's concurrency ([`Places`])
//!   until its function really returns, not only until River stops waiting
//!   for it;
//! - the call's id stays claimed ([`Claim`]) until then, so this process
//!   never runs a second attempt of the call beside it.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::id::TaskId;

/// How long an idle thread waits for work before it exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

/// The threads regular `fn` attempts run on, and the ids of the calls
/// whose attempts are running on them. Owned by the `TaskQueue`, shared
/// by its workers.
pub(crate) struct AttemptThreads {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    max_threads: usize,
    /// Calls with an attempt running on a thread, returned or not.
    running: Mutex<HashSet<TaskId>>,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

impl AttemptThreads {
    /// At most `max_threads` threads: the total concurrency of the queues
    /// this process works, which the places bound attempts to.
    pub(crate) fn new(max_threads: usize) -> Self {
        AttemptThreads {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                max_threads: max_threads.max(1),
                running: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// Claims call `id` for an attempt on a thread, or `None` while an
    /// earlier attempt of it still runs here. The claim ends when dropped.
    pub(crate) fn claim(&self, id: TaskId) -> Option<Claim> {
        lock(&self.shared.running).insert(id).then(|| Claim {
            shared: Arc::clone(&self.shared),
            id,
        })
    }

    /// How many calls have an attempt running on a thread.
    pub(crate) fn running(&self) -> usize {
        lock(&self.shared.running).len()
    }

    /// Runs `job` on a thread: an idle one, a new one, or (all threads
    /// busy, which the places make brief) the next to finish its job.
    /// `Err` when a thread was needed and none could be started; the job
    /// is dropped unrun then.
    pub(crate) fn spawn(&self, job: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let job: Job = Box::new(job);
        let mut state = lock(&self.shared.state);
        if state.jobs.len() < state.idle || state.threads >= self.shared.max_threads {
            state.jobs.push_back(job);
            self.shared.work.notify_one();
            return Ok(());
        }
        state.threads += 1;
        drop(state);
        let shared = Arc::clone(&self.shared);
        let spawned = std::thread::Builder::new()
            .name("atode-durable".to_owned())
            .spawn(move || shared.work_loop(job));
        if let Err(error) = spawned {
            lock(&self.shared.state).threads -= 1;
            return Err(error);
        }
        Ok(())
    }
}

impl Shared {
    fn work_loop(&self, mut job: Job) {
        loop {
            // The attempt's panic is caught inside; this one is a bug of
            // atode's own, and must not take the thread count with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            match self.next_job() {
                Some(next) => job = next,
                None => return,
            }
        }
    }

    /// The next queued job, or `None` (the thread ends) once the thread
    /// has been idle for `KEEP_ALIVE`.
    fn next_job(&self) -> Option<Job> {
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = state.jobs.pop_front() {
                return Some(job);
            }
            state.idle += 1;
            let (woken, wait) = self
                .work
                .wait_timeout(state, KEEP_ALIVE)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state = woken;
            state.idle -= 1;
            if wait.timed_out() && state.jobs.is_empty() {
                state.threads -= 1;
                return None;
            }
        }
    }
}

/// A call's id, claimed while an attempt of it runs on a thread.
pub(crate) struct Claim {
    shared: Arc<Shared>,
    id: TaskId,
}

impl Drop for Claim {
    fn drop(&mut self) {
        lock(&self.shared.running).remove(&self.id);
    }
}

/// The places of one queue: as many as its concurrency. Every attempt
/// holds one while its work runs: an `async fn`'s until its future ends or
/// is dropped, a regular `fn`'s until the function returns on its thread,
/// which may be long after River stopped waiting for it. River runs at most
/// the concurrency's attempts at once, and atode no more work than that.
#[derive(Clone)]
pub(crate) struct Places {
    semaphore: Arc<Semaphore>,
}

impl Places {
    pub(crate) fn new(concurrency: usize) -> Self {
        Places {
            semaphore: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Waits for a place, at most `patience`; `None` then.
    pub(crate) async fn take(&self, patience: Duration) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = Arc::clone(&self.semaphore).try_acquire_owned() {
            return Some(permit);
        }
        let semaphore = Arc::clone(&self.semaphore);
        match tokio::time::timeout(patience, semaphore.acquire_owned()).await {
            Ok(Ok(permit)) => Some(permit),
            // The semaphore is never closed.
            Ok(Err(_)) | Err(_) => None,
        }
    }

    /// Places free now.
    #[cfg(test)]
    pub(crate) fn free(&self) -> usize {
        self.semaphore.available_permits()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code runs under these locks that can panic halfway.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn a_call_is_claimed_once_until_its_claim_ends() {
        let threads = AttemptThreads::new(2);
        let (id, other) = (TaskId::random(), TaskId::random());
        let claim = threads.claim(id).expect("a first claim");
        assert!(threads.claim(id).is_none());
        let other_claim = threads.claim(other).expect("another call");
        assert_eq!(threads.running(), 2);
        drop(claim);
        assert!(threads.claim(id).is_some());
        drop(other_claim);
        assert_eq!(threads.running(), 0);
    }

    #[test]
    fn jobs_run_on_the_pools_own_threads_which_a_runtime_does_not_wait_for() {
        let threads = AttemptThreads::new(2);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let (blocked_tx, blocked) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        runtime.block_on(async {
            threads
                .spawn(move || {
                    let name = std::thread::current().name().map(str::to_owned);
                    blocked_tx.send(name).unwrap();
                    let _ = release_rx.recv();
                })
                .unwrap();
        });
        let name = blocked.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(name.as_deref(), Some("atode-durable"));
        // Dropping the runtime would wait for a thread of its blocking
        // pool; ours is not one.
        let (dropped_tx, dropped) = mpsc::channel();
        std::thread::spawn(move || {
            drop(runtime);
            dropped_tx.send(()).unwrap();
        });
        dropped
            .recv_timeout(Duration::from_secs(10))
            .expect("the runtime dropped while the job still blocks");
        drop(release);
    }

    #[test]
    fn past_its_threads_a_job_waits_for_one_to_finish() {
        let threads = AttemptThreads::new(1);
        let (release, release_rx) = mpsc::channel::<()>();
        let (ran_tx, ran) = mpsc::channel();
        let first = ran_tx.clone();
        threads
            .spawn(move || {
                let _ = release_rx.recv();
                first.send(("first", std::thread::current().id())).unwrap();
            })
            .unwrap();
        threads
            .spawn(move || {
                ran_tx
                    .send(("second", std::thread::current().id()))
                    .unwrap()
            })
            .unwrap();
        assert!(ran.recv_timeout(Duration::from_millis(100)).is_err());
        drop(release);
        let (first, first_thread) = ran.recv_timeout(Duration::from_secs(10)).unwrap();
        let (second, second_thread) = ran.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!((first, second), ("first", "second"));
        assert_eq!(first_thread, second_thread);
    }

    #[tokio::test]
    async fn a_place_is_held_until_its_permit_is_dropped_on_any_thread() {
        let places = Places::new(1);
        let permit = places.take(Duration::from_secs(1)).await.unwrap();
        assert!(places.take(Duration::from_millis(20)).await.is_none());
        std::thread::spawn(move || drop(permit)).join().unwrap();
        assert_eq!(places.free(), 1);
        assert!(places.take(Duration::from_millis(20)).await.is_some());
    }
}
