//! SQLite's group commit of plain calls as one script: the whole
//! transaction in one round trip to the connection's thread instead of
//! five.
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
//! statement). PostgreSQL gets its one round trip from a prepared
//! statement that commits itself instead (`autocommit.rs`): a script of
//! literals is parsed and planned every batch, which measured slower.
//!
//! ```sql
//! PRAGMA busy_timeout = <ms left>; BEGIN IMMEDIATE;
//! INSERT INTO river_job ... ;             -- the calls
//! INSERT INTO river_notification ... ;    -- if a notice is due
//! COMMIT; PRAGMA busy_timeout = 10000
//! ```
//!
//! A script takes no bound parameters (`sqlx::raw_sql`), so the calls are
//! in it as one JSON string literal ([`sqlite_literal`]).
//!
//! The statements run in order and the first error stops the script, so
//! how many statements had finished says what SQLite refused, as separate
//! round trips did: the bound or the lock (nothing began), a call (the
//! inserts: the batch is written again a request at a time), or `COMMIT`.
//! With no answer at all, the calls may have been committed: `COMMIT` was
//! sent with the rest.

use std::time::Duration;

use riverqueue::sqlx::sqlite::SqlitePool;
use riverqueue::sqlx::{self, AssertSqlSafe, Sqlite};
use tokio::time::Instant;
use tokio_stream::StreamExt;

use super::bulk_insert::{calls_json, queues_json, sqlite_insert, sqlite_notify};
use super::database::{
    BoundedWrite, KeptConnection, RESTORE_BUSY_TIMEOUT, WriteConnection, millis_left,
};
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

/// What ends a transaction a refused statement left open, and sets the
/// connection's busy timeout back.
const UNDO: &str = "ROLLBACK; PRAGMA busy_timeout = 10000";

/// A transaction's statements as one text.
pub(super) struct Script {
    text: String,
    /// How many statements there are in all; `COMMIT` is the one before
    /// the last.
    statements: usize,
}

impl Script {
    /// `jobs` (all plain), and `queues`' notices.
    pub(super) fn new(jobs: &[&EncodedJob], queues: &[&str], deadline: Instant) -> Script {
        let mut text = format!(
            concat!(
                "PRAGMA busy_timeout = {left}; BEGIN IMMEDIATE; ",
                sqlite_insert!("{calls}"),
                "; "
            ),
            left = millis_left(deadline),
            calls = sqlite_literal(&calls_json(jobs)),
        );
        let mut statements = BEFORE_INSERTS + 1;
        if !queues.is_empty() {
            text.push_str(&format!(
                concat!(sqlite_notify!("{queues}"), "; "),
                queues = sqlite_literal(&queues_json(queues)),
            ));
            statements += 1;
        }
        text.push_str("COMMIT; ");
        text.push_str(RESTORE_BUSY_TIMEOUT);
        Script {
            text,
            statements: statements + 2,
        }
    }
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
            let mut results = sqlx::raw_sql(AssertSqlSafe(script.text)).execute_many(&mut *handle);
            while let Some(result) = results.next().await {
                result?;
                finished += 1;
            }
            Ok::<_, sqlx::Error>(())
        })
        .await;
        let commit = script.statements - 2;
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
            // Committed; only the busy timeout was not set back, so the
            // connection is closed, not reused.
            Ok(Err(_)) if finished > commit => return Ok(()),
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

/// `text` as a SQLite string literal: between single quotes, a quote
/// inside written twice. Nothing else is special in one.
fn sqlite_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    /// Texts a literal must carry through unchanged.
    const TEXTS: [&str; 7] = [
        "",
        "plain",
        r#"[{"a":{"email":"o'brien@example.com"}}]"#,
        "'; DROP TABLE river_job; --",
        "''",
        r#"back\slash, \', "quotes", \\"#,
        "💌 e\u{301}",
    ];

    /// What SQLite reads back from each literal is the text it quotes.
    #[tokio::test]
    async fn a_sqlite_literal_reads_back_as_its_text() {
        use riverqueue::sqlx::{self, AssertSqlSafe, Connection, SqliteConnection};
        let mut connection = SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        for text in TEXTS {
            let select = format!("SELECT {}", super::sqlite_literal(text));
            let read: String = sqlx::query_scalar(AssertSqlSafe(select))
                .fetch_one(&mut connection)
                .await
                .expect("SQLite reads the literal");
            assert_eq!(read, text);
        }
    }
}
