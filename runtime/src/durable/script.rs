//! SQLite's group commit of plain calls as one prepared script: the whole
//! transaction in one round trip to the connection's thread, planned once
//! per connection.
//!
//! sqlx runs each SQLite connection on a thread of its own, and each
//! statement is a round trip to it. Written statement by statement, a
//! transaction of atode's own took five: the pool's check of the
//! connection, `BEGIN` (with the bound), the insert, `COMMIT`, and the busy
//! timeout set back. On two cores shared by the server, its clients and
//! the workers, each wake-up of that thread may wait for a core, and
//! while the single writer waits the next batch only gathers. Here the
//! transaction is one text, sent once (`bench/durable.sh`, 32 connections:
//! durable ÷ in-process 0.46–0.56 against 0.37–0.44 statement by
//! statement).
//!
//! ```sql
//! PRAGMA busy_timeout = <ms left, to two digits>; BEGIN IMMEDIATE;
//! INSERT INTO river_job ... json_each(?1) ... ;             -- the calls
//! INSERT INTO river_notification ... json_each(?2) ... ;    -- if a notice is due
//! COMMIT
//! ```
//!
//! The calls are bound, as one JSON text, so the text changes only with
//! the busy timeout and whether a notice is due, and sqlx's cache of
//! prepared statements keeps its plan: a script of literals was parsed and
//! planned every batch, a fifth of the connection thread's time (`perf`,
//! 32 connections). The busy timeout, which `PRAGMA` takes only as a
//! literal, is the time left rounded down to two significant digits: the
//! wait for the lock still ends by the request's bound, and under load one
//! text serves every batch. sqlx prepares each statement of a text and
//! binds `?N` in all of them; it calls that deprecated for SQLite (its
//! issue 3108) without a replacement that takes parameters, so the tests
//! that write through this script are what would tell if it went.
//!
//! The connection is the writer's own ([`Database::writer`]), which only
//! atode's writes use, each setting its busy timeout first: none is set
//! back after.
//!
//! The statements run in order and the first error stops the script, so
//! how many statements had finished says what SQLite refused, as separate
//! round trips did: the bound or the lock (nothing began), a call (the
//! inserts: the batch is written again a request at a time), or `COMMIT`.
//! With no answer at all, the calls may have been committed: `COMMIT` was
//! sent with the rest.
//!
//! [`Database::writer`]: super::database::Database::writer

use std::time::Duration;

use riverqueue::sqlx::sqlite::SqlitePool;
use riverqueue::sqlx::{self, AssertSqlSafe, Sqlite};
use tokio::time::Instant;
use tokio_stream::StreamExt;

use super::bulk_insert::{calls_json, queues_json, sqlite_insert, sqlite_notify};
use super::database::{BoundedWrite, KeptConnection, WriteConnection, millis_left};
use super::error::DurableError;
use super::job::EncodedJob;
use super::queue::TaskQueue;
use super::write::Failed;

/// How long after the request's bound the script may still answer. The
/// bound itself is SQLite's busy timeout, which ends a wait for the lock
/// with an answer; past this, the thread is stuck (a disk that stopped
/// answering), and no one knows what it did.
const SCRIPT_GRACE: Duration = Duration::from_millis(250);

/// The statements before the calls' inserts: the busy timeout, `BEGIN`.
const BEFORE_INSERTS: usize = 2;

/// What ends a transaction a refused statement left open.
const UNDO: &str = "ROLLBACK";

/// A transaction's statements as one text, and what it binds.
pub(super) struct Script {
    text: String,
    /// `?1`: the calls ([`calls_json`]).
    calls: String,
    /// `?2`: the queues to notify ([`queues_json`]), when a notice is due.
    queues: Option<String>,
    /// How many statements there are in all; `COMMIT` is the last.
    statements: usize,
}

impl Script {
    /// `jobs` (all plain), and `queues`' notices.
    pub(super) fn new(jobs: &[&EncodedJob], queues: &[&str], deadline: Instant) -> Script {
        let mut text = format!(
            concat!(
                "PRAGMA busy_timeout = {left}; BEGIN IMMEDIATE; ",
                sqlite_insert!("?1"),
                "; "
            ),
            left = coarse(millis_left(deadline)),
        );
        let mut statements = BEFORE_INSERTS + 1;
        let queues = (!queues.is_empty()).then(|| {
            text.push_str(concat!(sqlite_notify!("?2"), "; "));
            statements += 1;
            queues_json(queues)
        });
        text.push_str("COMMIT");
        Script {
            text,
            calls: calls_json(jobs),
            queues,
            statements: statements + 1,
        }
    }
}

/// `millis` rounded down to two significant digits: at most `millis`, and
/// one of some 90 values a decade.
fn coarse(millis: u128) -> u128 {
    let mut unit = 1;
    while millis / unit >= 100 {
        unit *= 10;
    }
    millis / unit * unit
}

impl TaskQueue {
    /// Runs `script` on `kept` or a connection of `pool`: the calls are
    /// committed (and the connection kept for the next script), or the
    /// error says what was refused, as [`Failed`] sorts it.
    pub(super) async fn commit_script(
        &self,
        pool: &SqlitePool,
        script: Script,
        deadline: Instant,
        kept: &mut KeptConnection,
    ) -> Result<(), Failed> {
        let bound = self.write_timeout();
        let mut connection = WriteConnection::new(Sqlite::take_kept(kept));
        let handle = match tokio::time::timeout_at(deadline, connection.acquire(pool)).await {
            Ok(Ok(handle)) => handle,
            Ok(Err(error)) => return Err(Failed::Transaction(error)),
            Err(_) => return Err(Failed::Transaction(DurableError::timed_out(bound, false))),
        };
        let mut finished = 0;
        let ran = tokio::time::timeout_at(deadline + SCRIPT_GRACE, async {
            let mut query = sqlx::query(AssertSqlSafe(script.text)).bind(script.calls);
            if let Some(queues) = script.queues {
                query = query.bind(queues);
            }
            let mut results = sqlx::Executor::execute_many(&mut *handle, query);
            while let Some(result) = results.next().await {
                result?;
                finished += 1;
            }
            Ok::<_, sqlx::Error>(())
        })
        .await;
        let commit = script.statements - 1;
        let error = match ran {
            // The connection is closed (unsettled) with the script in flight.
            Err(_) => return Err(Failed::Transaction(DurableError::timed_out(bound, true))),
            Ok(Ok(())) if finished == script.statements => {
                if let Some(connection) = connection.settled() {
                    Sqlite::keep(kept, connection);
                }
                return Ok(());
            }
            Ok(Ok(())) => {
                return Err(Failed::Transaction(DurableError::unexpected(format!(
                    "SQLite ran {finished} of the write's {} statements",
                    script.statements
                ))));
            }
            // Not SQLite's answer (the connection's thread failed): `COMMIT`
            // went with the rest, so no one knows.
            Ok(Err(error)) if !matches!(error, sqlx::Error::Database(_)) => {
                return Err(Failed::Transaction(DurableError::commit(error)));
            }
            Ok(Err(error)) => error,
        };
        let failed = if finished < BEFORE_INSERTS {
            // The bound, the lock, `BEGIN`: nothing was written.
            Failed::Transaction(error.into())
        } else if finished < commit {
            Failed::Statement(error.into())
        } else {
            Failed::Transaction(DurableError::commit(error))
        };
        if sqlx::raw_sql(UNDO).execute(&mut *handle).await.is_ok() {
            drop(connection.settled());
        }
        Err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::coarse;

    #[test]
    fn a_busy_timeout_is_the_time_left_to_two_digits_never_more() {
        for (left, set) in [
            (1, 1),
            (99, 99),
            (100, 100),
            (4_987, 4_900),
            (5_000, 5_000),
            (10_999, 10_000),
            (i32::MAX as u128, 2_100_000_000),
        ] {
            assert_eq!(coarse(left), set, "{left} ms left");
        }
        // Under load a batch has all but a few milliseconds of the write
        // timeout (5 s) left: one text for all of them.
        assert!((4_900..=4_999).all(|left| coarse(left) == 4_900));
    }
}
