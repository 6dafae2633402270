//! Writing calls in transactions of atode's own (a request's calls, and
//! [`TaskQueue::add_task`]'s): through the group commit, each request
//! bounded by [`Durable::write_timeout`](super::Durable::write_timeout),
//! and waking the workers once the calls are committed.

use std::collections::BTreeSet;
use std::time::Duration;

use riverqueue::sqlx::{self, Pool, Transaction};
use tokio::time::Instant;

use super::database::{BoundedWrite, Database, KeptConnection, QueueTransaction, WriteConnection};
use super::error::DurableError;
use super::group_commit::{CommitterGuard, Entry};
use super::job::{EncodedJob, PendingJob};
use super::queue::TaskQueue;
use super::script::Script;

/// How long after its own deadline a request still waits for the
/// committer's answer, which comes by the deadline unless the committer
/// itself is gone (its runtime shut down).
const ANSWER_GRACE: Duration = Duration::from_secs(1);

/// Why a transaction of atode's own failed.
pub(super) enum Failed {
    /// A statement writing the calls was refused (a trigger, a constraint,
    /// River refusing the batch): the calls of one request may be the
    /// cause, so a batch of several is written again, a request at a time.
    Statement(DurableError),
    /// Taking a connection, `BEGIN`, `COMMIT` or the bound: nothing a
    /// request's calls did, so every request of the batch shares it.
    Transaction(DurableError),
}

impl TaskQueue {
    /// Writes a request's calls, all or none, within
    /// [`Durable::write_timeout`](super::Durable::write_timeout): in the
    /// next transaction of the group commit, with the calls of the requests
    /// that arrive meanwhile. Past the bound the error says whether
    /// `COMMIT` had been sent ([`DurableError::may_have_committed`]).
    pub(crate) async fn write(&self, jobs: Vec<PendingJob>) -> Result<(), DurableError> {
        let bound = self.write_timeout();
        let deadline = crate::time::after_tokio(Instant::now(), bound);
        let jobs = jobs
            .into_iter()
            .map(PendingJob::encode)
            .collect::<Result<Vec<_>, _>>()?;
        let joined = self.group().join(jobs, deadline);
        if joined.start_committer {
            tokio::spawn(self.clone().commit_waiting());
        }
        let late = crate::time::after_tokio(deadline, ANSWER_GRACE);
        match tokio::time::timeout_at(late, joined.answer).await {
            Ok(Ok(written)) => written,
            // The committer is gone with the request's calls, committed or
            // not: no one here knows which.
            Ok(Err(_)) | Err(_) => Err(DurableError::timed_out(bound, true)),
        }
    }

    /// The committer: writes what waits, a batch per transaction, until
    /// nothing does; on SQLite, checkpoints the log between two batches
    /// once it has grown long.
    async fn commit_waiting(self) {
        let mut committer = CommitterGuard::new(self.group());
        let mut kept = KeptConnection::default();
        while let Some(batch) = committer.next_batch() {
            self.commit_batch(batch, &mut kept).await;
            // Between batches, the requests that gather meanwhile wait for
            // it as for a commit (`checkpoint.rs`).
            if let KeptConnection::Sqlite(connection) = &mut kept {
                self.checkpoints().catch_up(connection).await;
            }
        }
    }

    /// Writes `batch` in one transaction and answers each request. A
    /// request whose bound passed while it waited is answered at once, its
    /// calls unwritten; the transaction is bounded by the earliest bound
    /// left. If a statement fails, each request is written again alone, so
    /// one request's refused call fails that request only, and its
    /// neighbours' calls are committed or refused as they would be alone.
    async fn commit_batch(&self, batch: Vec<Entry>, kept: &mut KeptConnection) {
        let bound = self.write_timeout();
        let now = Instant::now();
        let (live, late): (Vec<Entry>, Vec<Entry>) =
            batch.into_iter().partition(|entry| entry.deadline > now);
        for entry in late {
            entry.answer(Err(DurableError::timed_out(bound, false)));
        }
        let Some(deadline) = live.iter().map(|entry| entry.deadline).min() else {
            return;
        };
        let jobs: Vec<&EncodedJob> = live.iter().flat_map(|entry| &entry.jobs).collect();
        match self.transact(&jobs, deadline, kept).await {
            Ok(()) => {
                for entry in live {
                    entry.answer(Ok(()));
                }
            }
            Err(Failed::Statement(error)) if live.len() > 1 => {
                tracing::debug!(
                    target: "atode::durable",
                    requests = live.len(),
                    %error,
                    "a group commit was refused; writing its requests one at a time"
                );
                for entry in live {
                    let jobs: Vec<&EncodedJob> = entry.jobs.iter().collect();
                    let written = self.transact(&jobs, entry.deadline, kept).await;
                    entry.answer(written.map_err(Failed::into_error));
                }
            }
            Err(failed) => {
                let errors = failed.into_error().shared(live.len());
                for (entry, error) in live.into_iter().zip(errors) {
                    entry.answer(Err(error));
                }
            }
        }
    }

    /// One transaction writing `jobs`, cut at `deadline`, on the
    /// committer's `kept` connection if it has one. Once committed, the
    /// calls are counted and the workers woken.
    async fn transact(
        &self,
        jobs: &[&EncodedJob],
        deadline: Instant,
        kept: &mut KeptConnection,
    ) -> Result<(), Failed> {
        if Instant::now() >= deadline {
            return Err(Failed::Transaction(DurableError::timed_out(
                self.write_timeout(),
                false,
            )));
        }
        let plain = jobs.iter().all(|job| job.plain);
        let written = match self.writer() {
            // Plain calls only (most batches): one round trip.
            Database::Sqlite(pool) if plain => {
                let queues = self.notices().due(self.database(), waking_queues(jobs));
                let script = Script::new(jobs, &queues, deadline);
                self.commit_script(pool, script, deadline, kept).await
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) if plain => {
                let queues = self.notices().due(self.database(), waking_queues(jobs));
                self.commit_statement(pool, jobs, &queues, deadline, kept)
                    .await
            }
            Database::Sqlite(pool) => self.commit_statements(pool, jobs, deadline, kept).await,
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => self.commit_statements(pool, jobs, deadline, kept).await,
        };
        written?;
        // Each engine's upkeep that the group commit leaves to others.
        match self.database() {
            Database::Sqlite(pool) => self.checkpoints().committed(pool),
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => self.pending_lists().committed(pool, jobs.len()),
        }
        self.counters().committed(jobs.len());
        // This process's workers, at once.
        for queue in waking_queues(jobs) {
            super::wake::wake_local_workers(self.client(), queue);
        }
        Ok(())
    }

    /// `jobs` written statement by statement in a transaction on `kept`
    /// or a connection of `pool`, cut at `deadline`. A connection that
    /// committed is kept for the next; after an error it goes back to the
    /// pool, which checks it before its next use.
    async fn commit_statements<DB>(
        &self,
        pool: &Pool<DB>,
        jobs: &[&EncodedJob],
        deadline: Instant,
        kept: &mut KeptConnection,
    ) -> Result<(), Failed>
    where
        DB: BoundedWrite,
        for<'c> Transaction<'c, DB>: QueueTransaction,
    {
        // Set just before `COMMIT` is sent: a write cut short before it
        // left nothing; after it, no one knows.
        let mut committing = false;
        let mut connection = WriteConnection::new(DB::take_kept(kept));
        let written = tokio::time::timeout_at(deadline, async {
            let transaction = DB::begin(&mut connection, pool, deadline)
                .await
                .map_err(Failed::Transaction)?;
            self.write_and_commit(transaction, jobs, &mut committing)
                .await
        })
        .await;
        // A refused statement or COMMIT still has its answer: the
        // connection may go back (the pool rolls back what is open).
        // Past the deadline it was dropped unsettled: closed.
        if let Ok(result) = &written {
            if let (Ok(()), Some(connection)) = (result, connection.settled()) {
                DB::keep(kept, connection);
            }
        }
        written.unwrap_or_else(|_| {
            Err(Failed::Transaction(DurableError::timed_out(
                self.write_timeout(),
                committing,
            )))
        })
    }

    /// `jobs` written in `transaction`, then `COMMIT`: `committing` is set
    /// just before it is sent.
    async fn write_and_commit<'c, DB>(
        &self,
        mut transaction: Transaction<'c, DB>,
        jobs: &[&EncodedJob],
        committing: &mut bool,
    ) -> Result<(), Failed>
    where
        DB: sqlx::Database,
        Transaction<'c, DB>: QueueTransaction,
    {
        self.write_in(&mut transaction, jobs)
            .await
            .map_err(Failed::Statement)?;
        *committing = true;
        transaction
            .commit()
            .await
            .map_err(|error| Failed::Transaction(DurableError::commit(error)))
    }

    /// Inserts `jobs` in `transaction`, and the notification that wakes
    /// their workers when it commits (not counted: the caller counts them
    /// once they are written, or as far as it can know).
    pub(super) async fn write_in<X: QueueTransaction>(
        &self,
        transaction: &mut X,
        jobs: &[&EncodedJob],
    ) -> Result<(), DurableError> {
        let (plain, others): (Vec<&EncodedJob>, Vec<&EncodedJob>) =
            jobs.iter().partition(|job| job.plain);
        if !plain.is_empty() {
            let written = transaction.insert_plain(&plain).await?;
            if written != plain.len() as u64 {
                return Err(DurableError::unexpected(format!(
                    "the queue wrote {written} of {} calls",
                    plain.len()
                )));
            }
        }
        if !others.is_empty() {
            self.insert_through_river(transaction, &others).await?;
        }
        // Other processes' workers: River's notification, paced.
        let queues = self.notices().due(self.database(), waking_queues(jobs));
        if !queues.is_empty() {
            transaction.notify_insert(&queues).await?;
        }
        Ok(())
    }

    /// Unique and scheduled calls: River's own insert, a row at a time.
    async fn insert_through_river<X: QueueTransaction>(
        &self,
        transaction: &mut X,
        jobs: &[&EncodedJob],
    ) -> Result<(), DurableError> {
        let mut batch = riverqueue::InsertBatch::new();
        for job in jobs {
            job.push_to(&mut batch);
        }
        let inserted = transaction.insert_batch(self.client(), batch).await?;
        if inserted.len() != jobs.len() {
            return Err(DurableError::unexpected(format!(
                "the queue wrote {} of {} calls",
                inserted.len(),
                jobs.len()
            )));
        }
        for (job, result) in jobs.iter().zip(inserted) {
            // River's row holds the id of a call it wrote; a duplicate's id
            // is recorded apart, naming the call it duplicates.
            if result.unique_skipped_as_duplicate {
                transaction.record(job.id.to_string(), result.id()).await?;
            }
        }
        Ok(())
    }
}

impl Failed {
    fn into_error(self) -> DurableError {
        match self {
            Failed::Statement(error) | Failed::Transaction(error) => error,
        }
    }
}

/// The queues of `jobs` that have a call available now.
pub(super) fn waking_queues(jobs: &[&EncodedJob]) -> BTreeSet<&'static str> {
    jobs.iter()
        .filter(|job| job.wakes())
        .map(|job| job.queue)
        .collect()
}
