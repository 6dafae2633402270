//! PostgreSQL's group commit of plain calls as one statement that commits
//! itself: one round trip per batch instead of three.
//!
//! Written statement by statement, a batch took `BEGIN` with its bounds,
//! the insert and `COMMIT`, each a round trip on which the committer, and
//! every request in the batch, waited. Here the insert and its queues'
//! notifications are one prepared statement
//! ([`POSTGRES_INSERT_NOTIFYING`]), run outside a transaction block, which
//! PostgreSQL commits as it ends, or rolls back whole on an error. Its
//! plan is cached on the connection, so a batch is one exchange
//! (`Bind`, `Execute`, `Sync`). `bench/durable.sh`, 32 connections,
//! 2026-12-07: 26.2–27.8k durable req/s (durable ÷ in-process 0.51–0.56,
//! 22–24 µs of PostgreSQL's CPU a request), against 19.4–20.5k (0.35–0.42,
//! 32–33 µs) with three round trips, and 20.8–26.3k (0.46–0.59, 25–31 µs)
//! with the same transaction sent as one text of literals, parsed and
//! planned every batch.
//!
//! The bounds a transaction of atode's own sets for itself (`SET LOCAL`,
//! `database.rs`) would take a round trip of their own: here the
//! connection carries them from its start, set by the writer's pool
//! ([`Database::writer`]) to the write timeout.
//!
//! What a write cut at its deadline leaves: the statement is prepared
//! apart, before anything that can commit is sent (once per connection),
//! so a cut while taking the connection or preparing left nothing; a cut
//! once the statement was sent may have committed, as a cut after
//! `COMMIT` was.

use riverqueue::sqlx::{self, Executor, PgPool, Postgres, SqlSafeStr};
use tokio::time::Instant;

use super::bulk_insert::{INSERT_TOPIC, POSTGRES_INSERT_NOTIFYING, PostgresCalls};
use super::database::{BoundedWrite, KeptConnection, WriteConnection};
use super::error::DurableError;
use super::job::EncodedJob;
use super::queue::TaskQueue;
use super::write::Failed;

impl TaskQueue {
    /// Writes `jobs` (all plain) and `queues`' notifications in one
    /// statement on `kept` or a connection of `pool`, cut at `deadline`.
    pub(super) async fn commit_statement(
        &self,
        pool: &PgPool,
        jobs: &[&EncodedJob],
        queues: &[&str],
        deadline: Instant,
        kept: &mut KeptConnection,
    ) -> Result<(), Failed> {
        let mut connection = WriteConnection::new(Postgres::take_kept(kept));
        // Set once the statement, which commits, is sent.
        let mut sent = false;
        let written = tokio::time::timeout_at(deadline, async {
            let handle = connection
                .acquire(pool)
                .await
                .map_err(Failed::Transaction)?;
            handle
                .prepare(POSTGRES_INSERT_NOTIFYING.into_sql_str())
                .await
                .map_err(|error| Failed::Transaction(error.into()))?;
            sent = true;
            PostgresCalls::new(jobs)
                .bind(sqlx::query(POSTGRES_INSERT_NOTIFYING))
                .bind(INSERT_TOPIC)
                .bind(queues)
                .execute(&mut *handle)
                .await
                .map(drop)
                .map_err(|error| match error {
                    // PostgreSQL's refusal, of a call or of the commit: the
                    // statement was rolled back whole, so the batch may be
                    // written again a request at a time.
                    sqlx::Error::Database(_) => Failed::Statement(error.into()),
                    // No answer: it may have committed.
                    error => Failed::Transaction(DurableError::commit(error)),
                })
        })
        .await;
        match written {
            // Dropped unsettled, the connection is closed, the statement in
            // flight with it.
            Err(_) => Err(Failed::Transaction(DurableError::timed_out(
                self.write_timeout(),
                sent,
            ))),
            Ok(result) => {
                // Answered: the connection may serve the next write.
                if let (Ok(()), Some(connection)) = (&result, connection.settled()) {
                    Postgres::keep(kept, connection);
                }
                result
            }
        }
    }
}
