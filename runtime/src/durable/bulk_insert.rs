//! One statement for many calls, and the insert notification that wakes
//! the workers when they commit.
//!
//! River's insert writes a batch a row at a time, one statement and one
//! round trip each (`client/insert.rs`, `persist_jobs`), which is what a
//! group commit spends most of its time on. A call that is available at
//! once and not unique (a "plain" call: most of them) needs none of what
//! that statement does beyond the row itself (no unique key, no nonce, no
//! duplicate to report), so these are written by one `INSERT ... SELECT`
//! over all of them. The row is the one River's insert writes for such a
//! call: River's table as its migrations define it (the schema River's Go
//! and Rust clients share), the same columns set, the others left to
//! their defaults, times from the database's clock, and the call's atode
//! id as its tag (see `Envelope` in `job.rs`). Unique and scheduled
//! calls still go through River's insert.
//!
//! The notification is River's too, on its topic `river_insert` with its
//! payload `{"queue": ...}`: `pg_notify` on PostgreSQL, a row of River's
//! notification outbox on SQLite. Sent in the transaction, it is delivered
//! when the calls commit, and only then.

#[cfg(feature = "postgres")]
use riverqueue::sqlx::Postgres;
use riverqueue::sqlx::{self, Sqlite};

use super::job::EncodedJob;

/// River's topic for insert notifications (`protocol.rs`; in SQLite's
/// statement as a literal).
#[cfg(feature = "postgres")]
pub(crate) const INSERT_TOPIC: &str = "river_insert";

/// What writing plain calls takes of each engine.
pub(crate) trait BulkInsert: sqlx::Database {
    /// Writes `jobs` (all plain) in one statement; returns the rows written.
    fn insert_plain<'c>(
        connection: &'c mut Self::Connection,
        jobs: &'c [&'c EncodedJob],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'c;

    /// Sends River's insert notification for each of `queues`.
    fn notify_insert<'c>(
        connection: &'c mut Self::Connection,
        queues: &'c [&'c str],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'c;
}

/// SQLite's insert of plain calls, from `$calls`: the calls as a JSON
/// array ([`calls_json`]), unpacked by `json_each` in order. `jsonb(...)`
/// stores the arguments as River's insert does.
macro_rules! sqlite_insert {
    ($calls:literal) => {
        concat!(
            "INSERT INTO river_job \
             (args, created_at, kind, max_attempts, priority, queue, scheduled_at, state, tags) \
             SELECT jsonb(call.value -> '$.a'), datetime('now', 'subsec'), call.value ->> '$.k', \
             call.value ->> '$.m', call.value ->> '$.p', call.value ->> '$.q', \
             datetime('now', 'subsec'), 'available', jsonb_array(call.value ->> '$.i') \
             FROM json_each(",
            $calls,
            ") AS call ORDER BY call.key"
        )
    };
}
pub(crate) use sqlite_insert;

/// SQLite's insert notification (a row of River's outbox) for each queue
/// of `$queues`, a JSON array of names.
macro_rules! sqlite_notify {
    ($queues:literal) => {
        concat!(
            "INSERT INTO river_notification (payload, topic) \
             SELECT json_object('queue', queue.value), 'river_insert' \
             FROM json_each(",
            $queues,
            ") AS queue"
        )
    };
}
pub(crate) use sqlite_notify;

impl BulkInsert for Sqlite {
    fn insert_plain<'c>(
        connection: &'c mut sqlx::SqliteConnection,
        jobs: &'c [&'c EncodedJob],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'c {
        // One parameter, so one prepared statement for every batch size.
        const INSERT: &str = sqlite_insert!("?1");
        let calls = calls_json(jobs);
        async move {
            Ok(sqlx::query(INSERT)
                .bind(calls)
                .execute(connection)
                .await?
                .rows_affected())
        }
    }

    fn notify_insert<'c>(
        connection: &'c mut sqlx::SqliteConnection,
        queues: &'c [&'c str],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'c {
        const NOTIFY: &str = sqlite_notify!("?1");
        let queues = queues_json(queues);
        async move {
            sqlx::query(NOTIFY)
                .bind(queues)
                .execute(connection)
                .await
                .map(drop)
        }
    }
}

/// PostgreSQL's insert of plain calls, from the calls' fields as arrays
/// bound as `$1`..`$6` ([`PostgresCalls`]), in order.
#[cfg(feature = "postgres")]
macro_rules! postgres_insert {
    () => {
        "INSERT INTO river_job \
         (args, kind, max_attempts, priority, queue, state, tags) \
         SELECT call.args::jsonb, call.kind, call.max_attempts, call.priority, call.queue, \
         'available', ARRAY[call.id] \
         FROM unnest($1::text[], $2::text[], $3::smallint[], $4::smallint[], $5::text[], \
         $6::text[]) \
         WITH ORDINALITY AS call(args, kind, max_attempts, priority, queue, id, position) \
         ORDER BY call.position"
    };
}

/// River's insert notification of each queue of the array `$queues`, on
/// the channel `<schema>.<$topic>`, the schema the one River uses when
/// given none: the connection's current one.
#[cfg(feature = "postgres")]
macro_rules! postgres_notify {
    ($queues:literal, $topic:literal) => {
        concat!(
            "SELECT pg_notify(concat(current_schema(), '.', ",
            $topic,
            "::text), json_build_object('queue', queue)::text) FROM unnest(",
            $queues,
            "::text[]) AS queue"
        )
    };
}

/// PostgreSQL's insert of plain calls and their queues' notifications in
/// one statement: run outside a transaction block, it commits as it ends
/// (`autocommit.rs`). A data-modifying `WITH` runs whether or not the rest
/// reads it.
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES_INSERT_NOTIFYING: &str = concat!(
    "WITH inserted AS (",
    postgres_insert!(),
    ") ",
    postgres_notify!("$8", "$7")
);

/// The fields of plain calls as the arrays [`postgres_insert!`] binds.
#[cfg(feature = "postgres")]
pub(crate) struct PostgresCalls<'j> {
    args: Vec<&'j str>,
    kinds: Vec<&'static str>,
    max_attempts: Vec<i16>,
    priorities: Vec<i16>,
    queues: Vec<&'static str>,
    ids: Vec<String>,
}

#[cfg(feature = "postgres")]
impl<'j> PostgresCalls<'j> {
    pub(crate) fn new(jobs: &[&'j EncodedJob]) -> Self {
        PostgresCalls {
            args: jobs.iter().map(|job| job.args.get()).collect(),
            kinds: jobs.iter().map(|job| job.kind).collect(),
            // River clamps a value wider than the `smallint` column likewise.
            max_attempts: jobs
                .iter()
                .map(|job| i16::try_from(job.max_attempts).unwrap_or(i16::MAX))
                .collect(),
            priorities: jobs.iter().map(|job| i16::from(job.priority)).collect(),
            queues: jobs.iter().map(|job| job.queue).collect(),
            ids: jobs.iter().map(|job| job.id.to_string()).collect(),
        }
    }

    /// `query` with the calls bound as `$1`..`$6`.
    pub(crate) fn bind<'q>(
        self,
        query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>
    where
        'j: 'q,
    {
        query
            .bind(self.args)
            .bind(self.kinds)
            .bind(self.max_attempts)
            .bind(self.priorities)
            .bind(self.queues)
            .bind(self.ids)
    }
}

#[cfg(feature = "postgres")]
impl BulkInsert for Postgres {
    fn insert_plain<'c>(
        connection: &'c mut sqlx::PgConnection,
        jobs: &'c [&'c EncodedJob],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'c {
        let query = PostgresCalls::new(jobs).bind(sqlx::query(postgres_insert!()));
        async move { Ok(query.execute(connection).await?.rows_affected()) }
    }

    fn notify_insert<'c>(
        connection: &'c mut sqlx::PgConnection,
        queues: &'c [&'c str],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'c {
        const NOTIFY: &str = postgres_notify!("$1", "$2");
        async move {
            sqlx::query(NOTIFY)
                .bind(queues)
                .bind(INSERT_TOPIC)
                .execute(connection)
                .await
                .map(drop)
        }
    }
}

/// `["queue", ...]`: queue names as a JSON array.
pub(crate) fn queues_json(queues: &[&str]) -> String {
    serde_json::to_string(queues).unwrap_or_default()
}

/// `[{"a": args, "i": id, "k": kind, "m": max_attempts, "p": priority, "q": queue}, ...]`,
/// the arguments as River encoded them, byte for byte.
pub(crate) fn calls_json(jobs: &[&EncodedJob]) -> String {
    use std::fmt::Write;

    let mut calls = String::with_capacity(jobs.iter().map(|job| job.args.get().len() + 64).sum());
    calls.push('[');
    for (i, job) in jobs.iter().enumerate() {
        if i > 0 {
            calls.push(',');
        }
        // Names are Rust identifiers and queue names: `Value`'s display
        // quotes and escapes them as JSON strings all the same.
        let _ = write!(
            calls,
            r#"{{"a":{},"i":"{}","k":{},"m":{},"p":{},"q":{}}}"#,
            job.args.get(),
            job.id,
            serde_json::Value::from(job.kind),
            job.max_attempts,
            job.priority,
            serde_json::Value::from(job.queue),
        );
    }
    calls.push(']');
    calls
}
