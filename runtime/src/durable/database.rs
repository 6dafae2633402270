//! Opening the queue's database: a SQLite file (the default) or
//! PostgreSQL, River's tables, and atode's table of task ids.

use std::str::FromStr;
use std::time::Duration;

use riverqueue::sqlx::pool::PoolConnection;
use riverqueue::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use riverqueue::sqlx::{self, AssertSqlSafe, Connection, Pool, Sqlite, Transaction};
#[cfg(feature = "postgres")]
use riverqueue::sqlx::{PgPool, Postgres, postgres::PgPoolOptions};
use tokio::time::Instant;

use super::error::DurableError;
use super::id::TaskId;

/// The queue's database, as River and atode's own statements use it.
#[derive(Clone, Debug)]
pub(crate) enum Database {
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

/// atode's table, for the one case River's row does not hold the id a
/// handler returned: a call River skipped as a duplicate of another
/// (`unique_for`), whose id maps to the job it duplicates.
const CREATE_TASK_TABLE: &str = "CREATE TABLE IF NOT EXISTS atode_task (\
     id TEXT PRIMARY KEY, \
     job_id BIGINT NOT NULL)";

/// The PostgreSQL advisory lock key under which a process brings the
/// schema up to date ("atode" and 1, in ASCII hex).
#[cfg(feature = "postgres")]
const MIGRATION_LOCK: i64 = 0x61_74_6f_64_65_00_00_01;

/// How long a writer waits for another process's write to SQLite before it
/// fails with "database is locked". A write of atode's own waits no longer
/// than its bound instead ([`BoundedWrite::begin`]).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a PostgreSQL pool waits for a connection before it fails.
#[cfg(feature = "postgres")]
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `$body` with `$pool` bound to the database's pool, whichever the
/// engine: for statements that read the same on both.
macro_rules! with_pool {
    ($database:expr, $pool:ident => $body:expr) => {
        match $database {
            $crate::durable::database::Database::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            $crate::durable::database::Database::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

impl Database {
    /// Connects to `url` (`sqlite://path` or `postgres://...`) and brings
    /// its schema up to date.
    pub(crate) async fn open(url: &str) -> Result<Self, DurableError> {
        let database = if url.starts_with("sqlite:") {
            Database::Sqlite(open_sqlite(url).await?)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            open_postgres(url).await?
        } else {
            return Err(DurableError::config(format!(
                "the durable queue's URL must start with `sqlite:` or `postgres:`, not {:?}",
                redact(url)
            )));
        };
        database.migrate().await?;
        Ok(database)
    }

    async fn migrate(&self) -> Result<(), DurableError> {
        match self {
            Database::Sqlite(pool) => migrate_sqlite(pool).await?,
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => {
                // River's migrator takes no lock: processes opening a new
                // database at once (a web process and its worker) each
                // apply its first migration, and all but one fail on
                // `river_migration`'s key; concurrent `CREATE TABLE IF NOT
                // EXISTS` can fail likewise. A session lock, held on a
                // connection of its own while the rest runs on others,
                // makes the later ones wait, then find it all done. It
                // goes with its session if this process dies holding it.
                let mut lock = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(MIGRATION_LOCK)
                    .execute(&mut *lock)
                    .await?;
                let migrated = self.migrate_postgres(pool).await;
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(MIGRATION_LOCK)
                    .execute(&mut *lock)
                    .await?;
                return migrated;
            }
        };
        self.create_schema().await
    }

    #[cfg(feature = "postgres")]
    async fn migrate_postgres(&self, pool: &PgPool) -> Result<(), DurableError> {
        riverqueue::migrate::PostgresMigrator::new(pool.clone())
            .migrate_up()
            .await
            .map_err(DurableError::migrate)?;
        self.create_schema().await
    }

    /// atode's own tables and index, beside River's.
    async fn create_schema(&self) -> Result<(), DurableError> {
        self.create_if_missing(&[CREATE_TASK_TABLE, super::id_index::create_index(self)])
            .await?;
        super::id_index::move_legacy_ids(self).await?;
        super::lease::create_table(self).await
    }

    /// Runs `statements` (`CREATE ... IF NOT EXISTS`) in one transaction:
    /// on SQLite holding the write lock from its start; on PostgreSQL with its notices off: it answers `IF NOT EXISTS` on
    /// an existing table with a NOTICE ("already exists, skipping"), which
    /// sqlx logs at INFO on every start.
    pub(crate) async fn create_if_missing(
        &self,
        statements: &[&'static str],
    ) -> Result<(), DurableError> {
        match self {
            Database::Sqlite(pool) => {
                // `IMMEDIATE` takes the write lock first, waiting for it
                // (the busy timeout): a statement that reads the schema,
                // then writes, fails at once instead when another process
                // wrote in between (SQLite's `SQLITE_BUSY_SNAPSHOT`), as
                // processes opening a new file at once do.
                let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
                for statement in statements {
                    sqlx::query(*statement).execute(&mut *transaction).await?;
                }
                transaction.commit().await?;
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => {
                let mut transaction = pool.begin().await?;
                sqlx::query("SET LOCAL client_min_messages = warning")
                    .execute(&mut *transaction)
                    .await?;
                for statement in statements {
                    sqlx::query(*statement).execute(&mut *transaction).await?;
                }
                transaction.commit().await?;
            }
        }
        Ok(())
    }

    /// Deletes the duplicates' ids whose job River no longer holds (it
    /// deletes completed calls after a day, discarded ones after a week),
    /// so atode's table does not outgrow River's. Returns how many went.
    pub(crate) async fn forget_cleaned(&self) -> Result<u64, DurableError> {
        const FORGET: &str = "DELETE FROM atode_task WHERE NOT EXISTS \
             (SELECT 1 FROM river_job WHERE river_job.id = atode_task.job_id)";
        Ok(with_pool!(self, pool => sqlx::query(FORGET).execute(pool).await?.rows_affected()))
    }

    /// Where the group commit writes, bounded by `bound` (the write
    /// timeout): a pool of its own of one connection (one committer writes
    /// at a time), made as this one's are, which connects when the first
    /// write needs it. On SQLite it never checkpoints the log
    /// (`checkpoint.rs` does, on this pool). On PostgreSQL its sessions
    /// start with `statement_timeout` and `lock_timeout` set to `bound`: a
    /// statement that commits itself (`autocommit.rs`) has no transaction
    /// to set them in without a round trip of its own.
    // SQLite's bound is set per write (its busy timeout), so a build
    // without PostgreSQL has no use for `bound` here.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) fn writer(&self, bound: Duration) -> Database {
        match self {
            Database::Sqlite(pool) => {
                // SQLite's checkpoints run elsewhere (`checkpoint.rs`); each
                // write sets its own busy timeout (its bound).
                let options = pool
                    .connect_options()
                    .as_ref()
                    .clone()
                    .pragma("wal_autocheckpoint", "0");
                Database::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .test_before_acquire(false)
                        .connect_lazy_with(options),
                )
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => {
                let left = bound_millis(bound).to_string();
                let options = pool.connect_options().as_ref().clone().options([
                    ("statement_timeout", left.as_str()),
                    ("lock_timeout", left.as_str()),
                ]);
                Database::Postgres(
                    PgPoolOptions::new()
                        .max_connections(1)
                        .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
                        .connect_lazy_with(options),
                )
            }
        }
    }

    /// River's job id for the call `id`, if it was written: its own row,
    /// or the row it was a duplicate of.
    pub(crate) async fn job_id(&self, id: TaskId) -> Result<Option<i64>, DurableError> {
        super::id_index::job_id(self, id).await
    }
}

/// A connection checked out of the pool for one write of atode's own
/// (`BEGIN`, the calls, `COMMIT`), bounded by a deadline. It is kept for
/// the committer's next write, or goes back to the pool, only once the
/// write has ended with an answer (committed, or refused and rolled back:
/// [`settled`](Self::settled)). A write abandoned midway (its deadline
/// passed, or the request was dropped) may have a statement in flight and
/// its transaction open: its connection is closed instead, never handed to
/// another write in a state no one knows, and the database rolls back what
/// it was not told to commit.
pub(crate) struct WriteConnection<DB: sqlx::Database> {
    connection: Option<PoolConnection<DB>>,
    settled: bool,
}

impl<DB: sqlx::Database> WriteConnection<DB> {
    /// A write on `kept`, the committer's connection from its last write,
    /// or on one taken from the pool when there is none.
    pub(crate) fn new(kept: Option<PoolConnection<DB>>) -> Self {
        WriteConnection {
            connection: kept,
            settled: false,
        }
    }

    pub(crate) async fn acquire(
        &mut self,
        pool: &Pool<DB>,
    ) -> Result<&mut DB::Connection, DurableError> {
        let connection = match self.connection.take() {
            Some(kept) => kept,
            None => pool.acquire().await?,
        };
        Ok(&mut **self.connection.insert(connection))
    }

    /// The write ended with an answer: the connection may serve the next
    /// (dropped, it goes back to the pool, which rolls back a transaction
    /// left open by an error).
    pub(crate) fn settled(mut self) -> Option<PoolConnection<DB>> {
        self.settled = true;
        self.connection.take()
    }
}

/// The connection a committer keeps from one write to the next while
/// batches keep coming, so that each does not take one from the pool: on
/// PostgreSQL that is a round trip (the pool's check of the connection)
/// per commit. It goes back to the pool when the committer ends.
#[derive(Default)]
pub(crate) enum KeptConnection {
    #[default]
    None,
    Sqlite(PoolConnection<Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(PoolConnection<Postgres>),
}

/// A write of atode's own on each engine, statement by statement: `BEGIN`
/// bounded by the deadline, on the committer's connection. Nothing is set
/// back after: only these writes use the writer's pool
/// ([`Database::writer`]), and each sets its own bound first.
pub(crate) trait BoundedWrite: sqlx::Database {
    /// `BEGIN` on a connection of `pool`, the database bounding the
    /// transaction until `deadline`, in the same round trip.
    fn begin<'c>(
        connection: &'c mut WriteConnection<Self>,
        pool: &'c Pool<Self>,
        deadline: Instant,
    ) -> impl Future<Output = Result<Transaction<'c, Self>, DurableError>> + Send + 'c;

    /// The committer's connection, if it kept one of this engine.
    fn take_kept(kept: &mut KeptConnection) -> Option<PoolConnection<Self>>;

    /// Keeps `connection` for the committer's next write.
    fn keep(kept: &mut KeptConnection, connection: PoolConnection<Self>);
}

impl BoundedWrite for Sqlite {
    /// `BEGIN IMMEDIATE`, waiting for another connection's write lock
    /// until `deadline` at most (SQLite's busy timeout, set for this write).
    async fn begin<'c>(
        connection: &'c mut WriteConnection<Sqlite>,
        pool: &'c SqlitePool,
        deadline: Instant,
    ) -> Result<Transaction<'c, Sqlite>, DurableError> {
        let left = millis_left(deadline);
        Ok(connection
            .acquire(pool)
            .await?
            .begin_with(AssertSqlSafe(format!(
                "PRAGMA busy_timeout = {left}; BEGIN IMMEDIATE"
            )))
            .await?)
    }

    fn take_kept(kept: &mut KeptConnection) -> Option<PoolConnection<Sqlite>> {
        match std::mem::take(kept) {
            KeptConnection::Sqlite(connection) => Some(connection),
            _ => None,
        }
    }

    fn keep(kept: &mut KeptConnection, connection: PoolConnection<Sqlite>) {
        *kept = KeptConnection::Sqlite(connection);
    }
}

#[cfg(feature = "postgres")]
impl BoundedWrite for Postgres {
    /// A statement that runs or waits for a lock past `deadline` is
    /// aborted, and a session left idle in the transaction longer (its
    /// client went silent) is ended, both rolling the transaction back.
    /// `SET LOCAL`: the pool's settings are back at the transaction's end.
    async fn begin<'c>(
        connection: &'c mut WriteConnection<Postgres>,
        pool: &'c PgPool,
        deadline: Instant,
    ) -> Result<Transaction<'c, Postgres>, DurableError> {
        let left = millis_left(deadline);
        Ok(connection
            .acquire(pool)
            .await?
            .begin_with(AssertSqlSafe(format!(
                "BEGIN; SET LOCAL statement_timeout = {left}; SET LOCAL lock_timeout = {left}; \
                 SET LOCAL idle_in_transaction_session_timeout = {left}"
            )))
            .await?)
    }

    fn take_kept(kept: &mut KeptConnection) -> Option<PoolConnection<Postgres>> {
        match std::mem::take(kept) {
            KeptConnection::Postgres(connection) => Some(connection),
            _ => None,
        }
    }

    fn keep(kept: &mut KeptConnection, connection: PoolConnection<Postgres>) {
        *kept = KeptConnection::Postgres(connection);
    }
}

impl<DB: sqlx::Database> Drop for WriteConnection<DB> {
    fn drop(&mut self) {
        if !self.settled {
            if let Some(connection) = self.connection.take() {
                // Detached, the pool opens another in its place; dropped,
                // its socket (or SQLite handle, once the statement in
                // flight ends) is closed with the transaction uncommitted.
                drop(connection.detach());
            }
        }
    }
}

/// The milliseconds left until `deadline`, as the engines take a timeout
/// ([`bound_millis`]).
pub(crate) fn millis_left(deadline: Instant) -> u128 {
    bound_millis(deadline.saturating_duration_since(Instant::now()))
}

/// `bound` in milliseconds, as the engines take a timeout: at least 1 (0
/// would mean no bound at all) and at most `i32::MAX`.
pub(crate) fn bound_millis(bound: Duration) -> u128 {
    bound.as_millis().clamp(1, i32::MAX as u128)
}

/// A transaction the queue's calls can be written in: the app's own, for
/// an outbox-style write, or the one atode opens for a request's calls.
pub trait QueueTransaction: sealed::Sealed + Send {}

impl QueueTransaction for Transaction<'_, Sqlite> {}

#[cfg(feature = "postgres")]
impl QueueTransaction for Transaction<'_, Postgres> {}

pub(crate) mod sealed {
    use super::*;
    use crate::durable::bulk_insert::BulkInsert;
    use crate::durable::job::EncodedJob;

    /// What writing a call needs of a transaction: River's insert, and
    /// atode's row for a call River skipped as a duplicate.
    pub trait Sealed {
        fn insert_batch<'t>(
            &'t mut self,
            client: &'t riverqueue::Client,
            batch: riverqueue::InsertBatch,
        ) -> impl Future<Output = Result<Vec<riverqueue::InsertBatchResult>, riverqueue::Error>>
        + Send
        + 't;

        fn record<'t>(
            &'t mut self,
            id: String,
            job_id: i64,
        ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 't;

        /// Writes plain calls in one statement (`bulk_insert.rs`).
        fn insert_plain<'t>(
            &'t mut self,
            jobs: &'t [&'t EncodedJob],
        ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 't;

        /// River's insert notification for `queues`, delivered on commit.
        fn notify_insert<'t>(
            &'t mut self,
            queues: &'t [&'t str],
        ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 't;
    }

    /// The same statements on each engine: River's insert in the caller's
    /// transaction, and atode's row for a duplicate.
    macro_rules! transaction_of {
        ($($(#[$cfg:meta])* $engine:ty),*) => {$(
            $(#[$cfg])*
            impl Sealed for Transaction<'_, $engine> {
                fn insert_batch<'t>(
                    &'t mut self,
                    client: &'t riverqueue::Client,
                    batch: riverqueue::InsertBatch,
                ) -> impl Future<Output = Result<Vec<riverqueue::InsertBatchResult>, riverqueue::Error>>
                + Send
                + 't {
                    client.insert_batch(batch).tx(self).into_future()
                }

                fn insert_plain<'t>(
                    &'t mut self,
                    jobs: &'t [&'t EncodedJob],
                ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 't {
                    <$engine as BulkInsert>::insert_plain(&mut **self, jobs)
                }

                fn notify_insert<'t>(
                    &'t mut self,
                    queues: &'t [&'t str],
                ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 't {
                    <$engine as BulkInsert>::notify_insert(&mut **self, queues)
                }

                async fn record(&mut self, id: String, job_id: i64) -> Result<(), sqlx::Error> {
                    sqlx::query("INSERT INTO atode_task (id, job_id) VALUES ($1, $2)")
                        .bind(id)
                        .bind(job_id)
                        .execute(&mut **self)
                        .await
                        .map(drop)
                }
            }
        )*};
    }

    transaction_of!(
        Sqlite,
        #[cfg(feature = "postgres")]
        Postgres
    );
}

/// River's migrations on SQLite. It takes no lock, and SQLite offers none
/// that spans the migrator's connections, so processes opening a new file
/// at once (a web process and its worker) race to apply each migration,
/// and all but one fail ("table river_migration already exists"). Each
/// migration is a transaction, so a failed one left nothing: the loser
/// tries again, and finds applied what the winner applied. A failure with
/// another cause is reported after the last try, some 600 ms later.
async fn migrate_sqlite(pool: &SqlitePool) -> Result<(), DurableError> {
    const TRIES: u32 = 5;
    let migrator = riverqueue::migrate::SqliteMigrator::new(pool.clone());
    let mut wait = Duration::from_millis(20);
    for _ in 1..TRIES {
        if migrator.migrate_up().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
    migrator
        .migrate_up()
        .await
        .map(drop)
        .map_err(DurableError::migrate)
}

async fn open_sqlite(url: &str) -> Result<SqlitePool, DurableError> {
    // WAL lets processes share the file (readers never wait for the
    // writer); NORMAL syncs at checkpoints, so a committed call survives a
    // process crash, and only an OS crash can lose the last commits.
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    Ok(SqlitePoolOptions::new()
        .max_connections(8)
        // A connection is a handle in this process, not a socket a server
        // can close: checking it before each use (a round trip to its
        // thread) finds nothing its next statement would not.
        .test_before_acquire(false)
        .connect_with(options)
        .await?)
}

#[cfg(feature = "postgres")]
async fn open_postgres(url: &str) -> Result<Database, DurableError> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
        .connect(url)
        .await?;
    Ok(Database::Postgres(pool))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(url: &str) -> Result<Database, DurableError> {
    Err(DurableError::config(format!(
        "{:?} is a PostgreSQL URL, and atode was built without its `postgres` feature: \
         add `features = [\"postgres\"]` to the `atode` dependency",
        redact(url)
    )))
}

/// The URL without its password, for an error message.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Instant, millis_left, redact};

    #[test]
    fn the_time_left_is_a_bound_both_engines_take() {
        let now = Instant::now();
        // 0 would turn PostgreSQL's bounds off, not make them immediate.
        assert_eq!(millis_left(now), 1);
        assert_eq!(millis_left(now - std::time::Duration::from_secs(1)), 1);
        assert_eq!(
            millis_left(crate::time::after_tokio(now, std::time::Duration::MAX)),
            i32::MAX as u128
        );
        let left = millis_left(now + std::time::Duration::from_secs(5));
        assert!((4_000..=5_000).contains(&left), "{left}");
    }

    #[test]
    fn a_password_is_not_shown() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/app"),
            "postgres://app:***@db:5432/app"
        );
        assert_eq!(redact("postgres://app@db/app"), "postgres://app@db/app");
        assert_eq!(redact("sqlite://tasks.db"), "sqlite://tasks.db");
    }
}
