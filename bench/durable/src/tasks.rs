//! The work both engines run, and how the bench learns it was done: a
//! count every run bumps from inside the task, and a notification when it
//! reaches its target, so no wait is a guess.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atode::durable::task;
use riverqueue::{Job, JobArgs, WorkContext, WorkOutcome};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

/// Runs of the tasks below, and the target the bench waits for.
pub struct Progress {
    done: AtomicU64,
    target: AtomicU64,
    reached: Notify,
}

pub static PROGRESS: Progress = Progress {
    done: AtomicU64::new(0),
    target: AtomicU64::new(u64::MAX),
    reached: Notify::const_new(),
};

impl Progress {
    /// Zero runs and no target: before a measurement.
    pub fn reset(&self) {
        self.target.store(u64::MAX, Ordering::SeqCst);
        self.done.store(0, Ordering::SeqCst);
    }

    pub fn done(&self) -> u64 {
        self.done.load(Ordering::SeqCst)
    }

    /// One run finished.
    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if done >= self.target.load(Ordering::SeqCst) {
            self.reached.notify_one();
        }
    }

    /// Waits until `target` runs finished; `guard` only bounds a broken
    /// run. `Err` carries how many had run by then.
    pub async fn wait_for(&self, target: u64, guard: Duration) -> Result<(), u64> {
        self.target.store(target, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + guard;
        // A notification left from an earlier run only makes this check again.
        while self.done() < target {
            if tokio::time::timeout_at(deadline, self.reached.notified())
                .await
                .is_err()
            {
                return Err(self.done());
            }
        }
        Ok(())
    }
}

/// When each call of `picked_up` started, by its request's number.
pub static STARTED: Mutex<Option<HashMap<u64, Instant>>> = Mutex::new(None);

/// The durable task of the enqueue and latency runs: notes when it started.
#[task]
pub async fn picked_up(i: u64) {
    picked_up_body(i);
}

fn picked_up_body(i: u64) {
    let now = Instant::now();
    if let Some(started) = STARTED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .as_mut()
    {
        started.insert(i, now);
    }
    PROGRESS.tick();
}

/// River's job of the latency run: the same body.
#[derive(Clone, Debug, Deserialize, JobArgs, Serialize)]
#[river(kind = "river_picked_up")]
pub struct RiverPickedUp {
    pub i: u64,
}

pub async fn river_picked_up(
    _context: WorkContext,
    job: Job<RiverPickedUp>,
) -> Result<WorkOutcome, std::convert::Infallible> {
    picked_up_body(job.args.i);
    Ok(WorkOutcome::Complete)
}

/// Calls whose body has run, by number: the completion run's pollers wait
/// here before they ask the queue, so they poll only once the call can be
/// `completed` and do not load the database meanwhile.
pub static FINISHED: Finished = Finished {
    calls: Mutex::new(None),
};

pub struct Finished {
    calls: Mutex<Option<HashMap<u64, Arc<Notify>>>>,
}

impl Finished {
    /// Forgets every call: before a measurement.
    pub fn reset(&self) {
        *self.lock() = Some(HashMap::new());
    }

    /// Call `i`'s body has run.
    fn signal(&self, i: u64) {
        self.entry(i).notify_one();
    }

    /// Waits until call `i`'s body has run (at once if it already has: the
    /// permit `notify_one` left).
    pub async fn wait(&self, i: u64) {
        let notify = self.entry(i);
        notify.notified().await;
        if let Some(calls) = self.lock().as_mut() {
            calls.remove(&i);
        }
    }

    fn entry(&self, i: u64) -> Arc<Notify> {
        let mut calls = self.lock();
        Arc::clone(calls.get_or_insert_with(HashMap::new).entry(i).or_default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<HashMap<u64, Arc<Notify>>>> {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The durable task of the completion run: does nothing but say so.
#[task]
pub async fn finished(i: u64) {
    FINISHED.signal(i);
    PROGRESS.tick();
}

/// River's job of the completion run: the same body.
#[derive(Clone, Debug, Deserialize, JobArgs, Serialize)]
#[river(kind = "river_finished")]
pub struct RiverFinished {
    pub i: u64,
}

pub async fn river_finished(
    _context: WorkContext,
    job: Job<RiverFinished>,
) -> Result<WorkOutcome, std::convert::Infallible> {
    FINISHED.signal(job.args.i);
    PROGRESS.tick();
    Ok(WorkOutcome::Complete)
}

/// The in-process task of the enqueue run: a regular `fn` that does nothing.
pub fn in_memory(i: u64) {
    black_box(i);
}

/// atode's task of the processing run.
#[task]
pub async fn count(i: u64) {
    black_box(i);
    PROGRESS.tick();
}

/// River's job of the processing run: the same body.
#[derive(Clone, Debug, Deserialize, JobArgs, Serialize)]
#[river(kind = "river_count")]
pub struct RiverCount {
    pub i: u64,
}

pub async fn river_count(
    _context: WorkContext,
    job: Job<RiverCount>,
) -> Result<WorkOutcome, std::convert::Infallible> {
    black_box(job.args.i);
    PROGRESS.tick();
    Ok(WorkOutcome::Complete)
}
