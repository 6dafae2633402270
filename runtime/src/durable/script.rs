//! A group commit of plain calls as one script: the whole transaction in
//! one round trip to the database instead of four or five.
//!
//! Written statement by statement, a transaction of atode's own is a round
//! trip each: `BEGIN` (with the bound), the insert, `COMMIT`, and on
//! SQLite the busy timeout set back. Each is a wait: on PostgreSQL for its
//! server process, on SQLite for the thread sqlx runs each connection on,
//! and on two cores shared by the server, its clients and the workers, a
//! process or thread woken often waits for a core. While the committer
//! waits, the next batch only gathers. Here the transaction is one text,
//! sent once (`bench/durable.sh`, 32 connections, SQLite: durable ÷
//! in-process 0.46–0.56 against 0.37–0.44 statement by statement):
//!
//! ```sql
//! -- SQLite
//! PRAGMA busy_timeout = <ms left>; BEGIN IMMEDIATE;
//! INSERT INTO river_job ... ;             -- the calls
//! INSERT INTO river_notification ... ;    -- if a notice is due
//! COMMIT; PRAGMA busy_timeout = 10000
//! -- PostgreSQL
//! BEGIN; SET LOCAL statement_timeout = <ms left>; SET LOCAL lock_timeout = ...;
//! SET LOCAL idle_in_transaction_session_timeout = ...;
//! INSERT INTO river_job ... ;             -- the calls
//! SELECT pg_notify(...) ... ;             -- if a notice is due
//! COMMIT
//! ```
//!
//! A script takes no bound parameters (`sqlx::raw_sql`; PostgreSQL's
//! simple query), so the calls are in it as one JSON string literal,
//! quoted as each engine reads one ([`sqlite_literal`], [`postgres_literal`]).
//!
//! The statements run in order and the first error stops the script, so
//! how many statements had finished says what the database refused, as
//! separate round trips did: the bound or the lock (nothing began), a call
//! (the inserts: the batch is written again a request at a time), or
//! `COMMIT`. With no answer at all, the calls may have been committed:
//! `COMMIT` was sent with the rest.

use std::time::Duration;

use riverqueue::sqlx::{self, AssertSqlSafe, Pool};
use tokio::time::Instant;
use tokio_stream::StreamExt;

use super::bulk_insert::{calls_json, sqlite_insert, sqlite_notify};
use super::database::{RESTORE_BUSY_TIMEOUT, WriteConnection, millis_left};
use super::error::DurableError;
use super::job::EncodedJob;
use super::queue::TaskQueue;
use super::write::Failed;

/// How long after the request's bound the script may still answer. The
/// bound itself is the database's (SQLite's busy timeout; PostgreSQL's
/// statement and lock timeouts), which ends a wait with an answer; past
/// this, the database or the way to it is stuck, and no one knows what it
/// did.
const SCRIPT_GRACE: Duration = Duration::from_millis(250);

/// A transaction's statements as one text.
pub(super) struct Script {
    text: String,
    /// How many statements come before the calls' inserts.
    before: usize,
    /// How many statements there are in all.
    statements: usize,
    /// How many come after `COMMIT`.
    after: usize,
    /// What ends a transaction a refused statement left open, and sets
    /// the connection back.
    undo: &'static str,
}

impl Script {
    /// SQLite's: `jobs` (all plain), and `queues`' notices.
    pub(super) fn sqlite(jobs: &[&EncodedJob], queues: &[&str], deadline: Instant) -> Script {
        let mut text = format!(
            concat!(
                "PRAGMA busy_timeout = {left}; BEGIN IMMEDIATE; ",
                sqlite_insert!("{calls}"),
                "; "
            ),
            left = millis_left(deadline),
            calls = sqlite_literal(&calls_json(jobs)),
        );
        let mut statements = 3;
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
            before: 2,
            statements: statements + 2,
            after: 1,
            undo: "ROLLBACK; PRAGMA busy_timeout = 10000",
        }
    }
}

impl TaskQueue {
    /// Runs `script` on a connection of `pool`: the calls are committed,
    /// or the error says what was refused, as [`Failed`] sorts it.
    pub(super) async fn commit_script<DB>(
        &self,
        pool: &Pool<DB>,
        script: Script,
        deadline: Instant,
    ) -> Result<(), Failed>
    where
        DB: sqlx::Database,
        for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    {
        let bound = self.write_timeout();
        let mut connection = WriteConnection::new();
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
        let commit = script.statements - script.after - 1;
        let error = match ran {
            // The connection is closed (unsettled) with the script in flight.
            Err(_) => return Err(Failed::Transaction(DurableError::timed_out(bound, true))),
            Ok(Ok(())) if finished == script.statements => {
                connection.settle();
                return Ok(());
            }
            Ok(Ok(())) => {
                return Err(Failed::Transaction(DurableError::unexpected(format!(
                    "the database ran {finished} of the write's {} statements",
                    script.statements
                ))));
            }
            // Not the database's answer (the connection or its thread
            // failed): `COMMIT` went with the rest, so no one knows.
            Ok(Err(error)) if !matches!(error, sqlx::Error::Database(_)) => {
                return Err(Failed::Transaction(DurableError::commit(error)));
            }
            // Committed; only what follows `COMMIT` failed (SQLite's busy
            // timeout set back), so the connection is closed, not reused.
            Ok(Err(_)) if finished > commit => return Ok(()),
            Ok(Err(error)) => error,
        };
        let failed = if finished < script.before {
            // The bound, the lock, `BEGIN`: nothing was written.
            Failed::Transaction(error.into())
        } else if finished < commit {
            Failed::Statement(error.into())
        } else {
            Failed::Transaction(DurableError::commit(error))
        };
        if sqlx::raw_sql(script.undo)
            .execute(&mut *handle)
            .await
            .is_ok()
        {
            connection.settle();
        }
        Err(failed)
    }
}

/// `["queue", ...]`.
fn queues_json(queues: &[&str]) -> String {
    serde_json::to_string(queues).unwrap_or_default()
}

/// `text` as a SQLite string literal: between single quotes, a quote
/// inside written twice. Nothing else is special in one.
fn sqlite_literal(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        if c == '\'' {
            quoted.push('\'');
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
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
