//! Group commit: the calls of requests that arrive while a commit is in
//! flight wait together, and the next transaction writes them all.
//!
//! A request's calls join the group; if no committer runs, the request
//! starts one. The committer takes everything waiting, writes it in one
//! transaction, answers each request, and takes what gathered meanwhile,
//! until nothing waits. A lone request is taken at once (no added
//! latency); under load each commit carries every request that arrived
//! during the one before, so the number of transactions (and, on SQLite,
//! of turns at the single writer) grows with the commit rate, not the
//! request rate.
//!
//! One committer, on both engines. A second one, writing while the first
//! waits for its commit, was measured on PostgreSQL (`bench/durable.sh`,
//! 32 connections, 2026-12-07, fdatasync 90 µs; bench/README.md has the
//! runs): it split the requests that gathered between two transactions,
//! each paying PostgreSQL's fixed cost of a transaction on `river_job`
//! (about 0.37 ms of the 0.58 ms that 16 calls take), and wrote a fifth
//! to a quarter fewer requests a second than one committer when it
//! started at once; started only once the commit in flight had taken a
//! millisecond, it rarely ran and changed nothing. With every commit
//! slowed by a millisecond (a `pg_sleep` in it, for a slow disk), two
//! committers starting at once wrote about 30 % more: a disk that slow is
//! where a second one would pay. The batch, not the number of commits in
//! flight, is what grows with the load: one committer's throughput is
//! bounded by [`MAX_BATCH_CALLS`] a commit.
//!
//! The committer is a task of its own, not the first request's future: a
//! request whose client goes away must not take its neighbours' calls down
//! with it (its own calls are written all the same: the handler finished,
//! as for in-process tasks).

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::error::DurableError;
use super::job::EncodedJob;
use super::lock;

/// Most calls one transaction writes; more wait for the next.
pub(crate) const MAX_BATCH_CALLS: usize = 1_000;

/// The requests waiting for a commit, and whether the committer runs.
#[derive(Default)]
pub(crate) struct Group {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    waiting: VecDeque<Entry>,
    committing: bool,
    /// Requests in the commit in flight.
    in_flight: usize,
}

/// One request's calls, waiting to be written.
pub(crate) struct Entry {
    pub(crate) jobs: Vec<EncodedJob>,
    /// The request's bound: past it, its calls must not be committed.
    pub(crate) deadline: Instant,
    reply: oneshot::Sender<Result<(), DurableError>>,
}

impl Entry {
    /// Tells the request how its write ended (a request that is gone no
    /// longer listens).
    pub(crate) fn answer(self, result: Result<(), DurableError>) {
        let _ = self.reply.send(result);
    }
}

/// Whether the caller of [`Group::join`] must start the committer.
#[must_use]
pub(crate) struct Joined {
    pub(crate) answer: oneshot::Receiver<Result<(), DurableError>>,
    pub(crate) start_committer: bool,
}

impl Group {
    /// Adds a request's calls to the group.
    pub(crate) fn join(&self, jobs: Vec<EncodedJob>, deadline: Instant) -> Joined {
        let (reply, answer) = oneshot::channel();
        let mut state = lock(&self.state);
        state.waiting.push_back(Entry {
            jobs,
            deadline,
            reply,
        });
        let start_committer = !state.committing;
        state.committing = true;
        Joined {
            answer,
            start_committer,
        }
    }

    /// How many requests' calls wait for a commit (not counting the ones
    /// in the commit in flight).
    pub(crate) fn waiting(&self) -> usize {
        lock(&self.state).waiting.len()
    }

    /// How many requests' calls the commit in flight writes.
    pub(crate) fn in_flight(&self) -> usize {
        lock(&self.state).in_flight
    }

    /// The next batch: every waiting request, up to [`MAX_BATCH_CALLS`]
    /// calls (a request is never split). `None` when nothing waits, and
    /// the committer ends, under the same lock, so that a request joining
    /// now starts the next one. `done` is the size of the committer's last
    /// batch, no longer in flight.
    fn next_batch(&self, done: usize) -> Option<Vec<Entry>> {
        let mut state = lock(&self.state);
        state.in_flight -= done;
        let mut calls = 0;
        let mut batch = Vec::new();
        while let Some(entry) = state.waiting.front() {
            if !batch.is_empty() && calls + entry.jobs.len() > MAX_BATCH_CALLS {
                break;
            }
            calls += entry.jobs.len();
            batch.extend(state.waiting.pop_front());
        }
        if batch.is_empty() {
            state.committing = false;
            return None;
        }
        state.in_flight += batch.len();
        Some(batch)
    }
}

/// Counts the committer out if its task is dropped before it ends on its
/// own (its runtime shut down mid-commit), so that the next request
/// starts another, which takes what still waits.
pub(crate) struct CommitterGuard<'a> {
    group: &'a Group,
    ended: bool,
    /// Requests in this committer's batch in flight.
    in_flight: usize,
}

impl<'a> CommitterGuard<'a> {
    pub(crate) fn new(group: &'a Group) -> Self {
        CommitterGuard {
            group,
            ended: false,
            in_flight: 0,
        }
    }

    /// The next batch, as [`Group::next_batch`]; `None` ends the committer.
    pub(crate) fn next_batch(&mut self) -> Option<Vec<Entry>> {
        let batch = self.group.next_batch(self.in_flight);
        self.in_flight = batch.as_ref().map_or(0, Vec::len);
        self.ended = batch.is_none();
        batch
    }
}

impl Drop for CommitterGuard<'_> {
    fn drop(&mut self) {
        if !self.ended {
            let mut state = lock(&self.group.state);
            state.committing = false;
            state.in_flight -= self.in_flight;
        }
    }
}
