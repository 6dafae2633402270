//! Group commit: the calls of requests that arrive while a commit is in
//! flight wait together, and the next transaction writes them all.
//!
//! A request's calls join the group; if fewer committers run than the
//! queue allows (one on SQLite, two on PostgreSQL), the request starts
//! one. A committer takes everything waiting, writes it in one
//! transaction, answers each request, and takes what gathered meanwhile,
//! until nothing waits. A lone request is taken at once (no added
//! latency); under load each commit carries every request that arrived
//! during the one before, so the number of transactions (and, on SQLite,
//! of turns at the single writer) grows with the commit rate, not the
//! request rate.
//!
//! Committers take turns at writing: one at a time takes a batch and
//! writes it ([`Group::writing_turn`]), and gives the turn up as it sends
//! `COMMIT`, so that a second committer (on PostgreSQL) writes the next
//! batch while the first waits for its commit to reach the disk. A
//! committer never takes a batch while another writes one: the requests
//! arriving meanwhile gather for the next, rather than being split
//! between two transactions that each pay a commit. On a disk whose flush
//! is slow, the waits overlap; on a fast one, batches stay as large as
//! with one committer.
//!
//! The committer is a task of its own, not the first request's future: a
//! request whose client goes away must not take its neighbours' calls down
//! with it (its own calls are written all the same: the handler finished,
//! as for in-process tasks).

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::{Semaphore, SemaphorePermit, oneshot};
use tokio::time::Instant;

use super::error::DurableError;
use super::job::EncodedJob;
use super::lock;

/// Most calls one transaction writes; more wait for the next.
pub(crate) const MAX_BATCH_CALLS: usize = 1_000;

/// The requests waiting for a commit, and the committers that run.
pub(crate) struct Group {
    state: Mutex<State>,
    /// Most committers at once: 1 on SQLite (one writer at a time), more
    /// on PostgreSQL, whose commits wait for the disk: while one waits,
    /// another writes what gathered meanwhile.
    committers: usize,
    /// The turn at writing a batch: one permit.
    writing: Semaphore,
}

#[derive(Default)]
struct State {
    waiting: VecDeque<Entry>,
    committers: usize,
    /// Requests in the commits in flight.
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
    pub(crate) fn new(committers: usize) -> Self {
        Group {
            state: Mutex::default(),
            committers: committers.max(1),
            writing: Semaphore::new(1),
        }
    }

    /// Waits for the turn at writing a batch, which the committer holds
    /// from taking its batch until it sends `COMMIT`.
    pub(crate) async fn writing_turn(&self) -> Turn<'_> {
        // The semaphore is never closed.
        Turn(self.writing.acquire().await.ok())
    }

    /// Adds a request's calls to the group.
    pub(crate) fn join(&self, jobs: Vec<EncodedJob>, deadline: Instant) -> Joined {
        let (reply, answer) = oneshot::channel();
        let mut state = lock(&self.state);
        state.waiting.push_back(Entry {
            jobs,
            deadline,
            reply,
        });
        let start_committer = state.committers < self.committers;
        if start_committer {
            state.committers += 1;
        }
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

    /// How many requests' calls the commits in flight write.
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
            state.committers -= 1;
            return None;
        }
        state.in_flight += batch.len();
        Some(batch)
    }
}

/// A committer's turn at writing a batch ([`Group::writing_turn`]).
pub(crate) struct Turn<'a>(Option<SemaphorePermit<'a>>);

impl Turn<'_> {
    /// No turn to give up: for writes that keep the committer's turn to
    /// the end (a refused batch's requests written again one at a time).
    pub(crate) fn kept() -> Self {
        Turn(None)
    }

    /// Gives the turn to the next committer: this one's batch is written,
    /// and it waits for its commit.
    pub(crate) fn pass(&mut self) {
        self.0 = None;
    }
}

/// Counts a committer out if its task is dropped before it ends on its
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
            state.committers -= 1;
            state.in_flight -= self.in_flight;
        }
    }
}
