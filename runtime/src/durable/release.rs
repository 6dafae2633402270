//! The sweep of the worker leases: the calls of a process whose lease
//! expired (killed, frozen, or cut off from the database) released at
//! once, as River's rescuer would release them after `rescue_after`: the
//! attempt counts, its error is recorded, and a call out of attempts is
//! discarded. The release moves the call out of `running`, which is what
//! makes River refuse the killed attempt's completion should its process
//! resume (River completes only a call that is `running`).
//!
//! Sweepers cannot release a call twice: the dead lease's row is deleted
//! in the transaction that releases its calls, and each release checks
//! that the call's current attempt (the last of `attempted_by`, and its
//! number) is still the dead process's.

use std::time::Duration;

use riverqueue::jiff::Timestamp;
use riverqueue::sqlx;

use super::database::Database;
use super::error::DurableError;
#[cfg(feature = "postgres")]
use super::lease::postgres_now_ms;
use super::lease::sqlite_now_ms;
use super::worker::Backoff;

/// River's scheduler interval (its default; atode keeps it). As River does
/// for a snooze, a call released for at most this long is made `available`
/// with a later time, which its workers honour on their own; a longer wait
/// is `retryable`, left to the leader's scheduler.
pub(super) const SCHEDULER_INTERVAL: Duration = Duration::from_secs(5);

/// The most expired leases one sweep releases; the rest wait for the next.
const SWEEP_BATCH: i64 = 16;

/// Recorded as the released attempt's error; the dead process's id follows.
const RELEASED: &str =
    "its worker process stopped renewing its lease (killed, frozen or cut off from the database)";

/// A JSON column of River's on SQLite, or `NULL` where it is text that is
/// not JSON (as River reads it, so that one bad row cannot stop a sweep).
macro_rules! sqlite_json {
    ($column:literal) => {
        concat!(
            "(CASE WHEN typeof(",
            $column,
            ") = 'text' AND NOT json_valid(",
            $column,
            ") THEN NULL ELSE ",
            $column,
            " END)"
        )
    };
}

/// Releases the calls of the leases past their expiry, but `me`'s (its
/// process renewed it just before): those calls wait `backoff` as after a
/// failure, and a release that takes longer than `bound` (its sweeper
/// frozen midway) is rolled back by PostgreSQL. Returns how many. When
/// none expired, this is one read of `atode_worker`'s expiry index.
pub(super) async fn sweep(
    database: &Database,
    me: &str,
    backoff: Option<Backoff>,
    bound: Duration,
) -> Result<usize, DurableError> {
    const SQLITE: &str = concat!(
        "SELECT id FROM atode_worker WHERE expires_at < ",
        sqlite_now_ms!(),
        " AND id <> $1 ORDER BY expires_at LIMIT $2"
    );
    #[cfg(feature = "postgres")]
    const POSTGRES: &str = concat!(
        "SELECT id FROM atode_worker WHERE expires_at < ",
        postgres_now_ms!(),
        " AND id <> $1 ORDER BY expires_at LIMIT $2"
    );
    let expired: Vec<String> = match database {
        Database::Sqlite(pool) => {
            sqlx::query_scalar(SQLITE)
                .bind(me)
                .bind(SWEEP_BATCH)
                .fetch_all(pool)
                .await?
        }
        #[cfg(feature = "postgres")]
        Database::Postgres(pool) => {
            sqlx::query_scalar(POSTGRES)
                .bind(me)
                .bind(SWEEP_BATCH)
                .fetch_all(pool)
                .await?
        }
    };
    release(database, expired, backoff, bound).await
}

/// Releases the calls of the processes whose leases were found `expired`
/// (each released once: a lease renewed since, or swept by another
/// process meanwhile, is left alone).
pub(super) async fn release(
    database: &Database,
    expired: Vec<String>,
    backoff: Option<Backoff>,
    bound: Duration,
) -> Result<usize, DurableError> {
    #[cfg(not(feature = "postgres"))]
    let _ = bound;
    let mut released = 0;
    for dead in expired {
        let calls = match database {
            Database::Sqlite(pool) => release_sqlite(pool, &dead, backoff).await?,
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => release_postgres(pool, &dead, backoff, bound).await?,
        };
        if calls > 0 {
            tracing::info!(
                target: "atode::durable",
                worker = %dead,
                calls,
                "released {calls} call(s) of a worker process whose lease expired"
            );
        }
        released += calls;
    }
    Ok(released)
}

/// In one write transaction: deletes the expired lease of `dead` (none
/// if it was renewed, or another sweep took it), then releases the
/// calls whose current attempt is `dead`'s.
async fn release_sqlite(
    pool: &sqlx::SqlitePool,
    dead: &str,
    backoff: Option<Backoff>,
) -> Result<usize, DurableError> {
    const CLAIM: &str = concat!(
        "DELETE FROM atode_worker WHERE id = $1 AND expires_at < ",
        sqlite_now_ms!()
    );
    const RUNNING: &str = concat!(
        "SELECT id, attempt, max_attempts, coalesce(json_array_length(",
        sqlite_json!("errors"),
        "), 0), ",
        sqlite_json!("metadata"),
        " ->> 'cancel_attempted_at' FROM river_job WHERE state = 'running' AND ",
        sqlite_json!("attempted_by"),
        " ->> '$[#-1]' = $1"
    );
    // River's rescuer's update, guarded by the attempt as selected.
    const RELEASE: &str = concat!(
        "UPDATE river_job SET errors = CASE WHEN typeof(errors) = 'text' AND NOT json_valid(errors) \
             THEN jsonb_array(errors, jsonb($2)) \
             ELSE jsonb_insert(coalesce(errors, jsonb('[]')), '$[#]', jsonb($2)) END, \
         metadata = CASE WHEN typeof(metadata) = 'text' AND NOT json_valid(metadata) THEN metadata \
             ELSE jsonb_set(metadata, '$.\"river:rescue_count\"', coalesce(\
                 CASE json_type(metadata, '$.\"river:rescue_count\"') WHEN 'integer' \
                 THEN json_extract(metadata, '$.\"river:rescue_count\"') END, 0) + 1) END, \
         state = $3, \
         scheduled_at = CASE WHEN $4 IS NULL THEN scheduled_at \
             ELSE strftime('%Y-%m-%d %H:%M:%f', 'now', $4) END, \
         finalized_at = CASE WHEN $3 IN ('cancelled', 'discarded') \
             THEN strftime('%Y-%m-%d %H:%M:%f', 'now') END \
         WHERE id = $1 AND state = 'running' AND attempt = $5 AND ",
        sqlite_json!("attempted_by"),
        " ->> '$[#-1]' = $6"
    );
    let mut transaction = riverqueue::database::begin_sqlite_write(pool).await?;
    let claimed = sqlx::query(CLAIM)
        .bind(dead)
        .execute(&mut *transaction)
        .await?;
    if claimed.rows_affected() == 0 {
        return Ok(0);
    }
    let running: Vec<AbandonedRow> = sqlx::query_as(RUNNING)
        .bind(dead)
        .fetch_all(&mut *transaction)
        .await?;
    let mut released = 0;
    for call in running.into_iter().map(Abandoned::from) {
        let (state, error, retry) = release_of(&call, dead, backoff)?;
        // SQLite's date modifier: `+1.500 seconds`.
        let retry = retry.map(|after| format!("+{:.3} seconds", after.as_secs_f64()));
        let updated = sqlx::query(RELEASE)
            .bind(call.id)
            .bind(error)
            .bind(state)
            .bind(retry)
            .bind(call.attempt)
            .bind(dead)
            .execute(&mut *transaction)
            .await?;
        released += updated.rows_affected() as usize;
    }
    transaction.commit().await?;
    Ok(released)
}

/// [`release_sqlite`] on PostgreSQL, the transaction bounded by `bound`
/// (a sweeper frozen midway does not hold the dead process's calls longer).
#[cfg(feature = "postgres")]
async fn release_postgres(
    pool: &sqlx::PgPool,
    dead: &str,
    backoff: Option<Backoff>,
    bound: Duration,
) -> Result<usize, DurableError> {
    const CLAIM: &str = concat!(
        "DELETE FROM atode_worker WHERE id = $1 AND expires_at < ",
        postgres_now_ms!()
    );
    const RUNNING: &str = "SELECT id, attempt::bigint, max_attempts::bigint, \
         coalesce(array_length(errors, 1), 0)::bigint, metadata ->> 'cancel_attempted_at' \
         FROM river_job WHERE state = 'running' \
         AND attempted_by[array_length(attempted_by, 1)] = $1";
    // River's rescuer's update, guarded by the attempt as selected.
    const RELEASE: &str = "UPDATE river_job SET \
         errors = array_append(coalesce(errors, '{}'), $2::jsonb), \
         metadata = metadata || jsonb_build_object('river:rescue_count', coalesce(\
             CASE WHEN jsonb_typeof(metadata -> 'river:rescue_count') = 'number' \
             THEN (metadata ->> 'river:rescue_count')::int END, 0) + 1), \
         state = $3::river_job_state, \
         scheduled_at = CASE WHEN $4::float8 IS NULL THEN scheduled_at \
             ELSE now() + make_interval(secs => $4::float8) END, \
         finalized_at = CASE WHEN $3::text IN ('cancelled', 'discarded') THEN now() END \
         WHERE id = $1 AND state = 'running' AND attempt = $5 \
         AND attempted_by[array_length(attempted_by, 1)] = $6";
    let mut transaction = pool.begin().await?;
    let bound = super::database::bound_millis(bound);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET LOCAL statement_timeout = {bound}; SET LOCAL lock_timeout = {bound}; \
         SET LOCAL idle_in_transaction_session_timeout = {bound}"
    )))
    .execute(&mut *transaction)
    .await?;
    let claimed = sqlx::query(CLAIM)
        .bind(dead)
        .execute(&mut *transaction)
        .await?;
    if claimed.rows_affected() == 0 {
        return Ok(0);
    }
    let running: Vec<AbandonedRow> = sqlx::query_as(RUNNING)
        .bind(dead)
        .fetch_all(&mut *transaction)
        .await?;
    let mut released = 0;
    for call in running.into_iter().map(Abandoned::from) {
        let (state, error, retry) = release_of(&call, dead, backoff)?;
        let updated = sqlx::query(RELEASE)
            .bind(call.id)
            .bind(error)
            .bind(state)
            .bind(retry.map(|after| after.as_secs_f64()))
            .bind(i16::try_from(call.attempt).unwrap_or(i16::MAX))
            .bind(dead)
            .execute(&mut *transaction)
            .await?;
        released += updated.rows_affected() as usize;
    }
    transaction.commit().await?;
    Ok(released)
}

/// The state a call of `dead` is released to, the error recorded for
/// its attempt (as JSON), and the wait before its next attempt.
fn release_of(
    call: &Abandoned,
    dead: &str,
    backoff: Option<Backoff>,
) -> Result<(&'static str, String, Option<Duration>), DurableError> {
    let release = decide(call, backoff, rand::random());
    let error = riverqueue::AttemptError::new(
        Timestamp::now(),
        i32::try_from(call.attempt).unwrap_or(i32::MAX),
        format!("{RELEASED}: {dead}"),
    );
    let error = serde_json::to_string(&error)
        .map_err(|error| DurableError::unexpected(format!("an attempt's error: {error}")))?;
    Ok((release.state(), error, release.retry_after()))
}

/// A call running when its process's lease expired, as the sweep reads it.
#[derive(Debug)]
struct Abandoned {
    id: i64,
    attempt: i64,
    max_attempts: i64,
    /// How many attempts failed before this one.
    errors: i64,
    cancel_attempted_at: Option<String>,
}

/// A row of the sweep's `RUNNING` query, on either engine.
type AbandonedRow = (i64, i64, i64, i64, Option<String>);

impl From<AbandonedRow> for Abandoned {
    fn from((id, attempt, max_attempts, errors, cancel_attempted_at): AbandonedRow) -> Self {
        Abandoned {
            id,
            attempt,
            max_attempts,
            errors,
            cancel_attempted_at,
        }
    }
}

/// What a released call becomes: River's rescuer's decision.
#[derive(Debug, PartialEq)]
enum Release {
    /// Its cancellation was asked for while it ran.
    Cancelled,
    /// The killed attempt was its last.
    Discarded,
    /// Runs again after this wait.
    Retry(Duration),
}

impl Release {
    fn state(&self) -> &'static str {
        match self {
            Release::Cancelled => "cancelled",
            Release::Discarded => "discarded",
            Release::Retry(after) if *after <= SCHEDULER_INTERVAL => "available",
            Release::Retry(_) => "retryable",
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Release::Retry(after) => Some(*after),
            Release::Cancelled | Release::Discarded => None,
        }
    }
}

/// River's rescuer's choice for a call whose attempt was killed: the
/// attempt counts as a failed one, so the call waits as after a failure
/// (the task's backoff, or River's `(failures + 1)⁴` seconds, `jitter`
/// spreading it by ±10%), and is discarded once out of attempts. Unlike
/// the rescuer, a kind this process does not know is released all the
/// same, for a process that knows it.
fn decide(call: &Abandoned, backoff: Option<Backoff>, jitter: u32) -> Release {
    if call
        .cancel_attempted_at
        .as_deref()
        .is_some_and(cancel_was_asked)
    {
        return Release::Cancelled;
    }
    if call.attempt >= call.max_attempts.max(0) {
        return Release::Discarded;
    }
    let after = match backoff {
        Some(backoff) => backoff.after(i32::try_from(call.attempt).unwrap_or(i32::MAX)),
        None => {
            let failures = u32::try_from(call.errors.saturating_add(1)).unwrap_or(u32::MAX);
            let base = Duration::from_secs(u64::from(failures.min(10_000)).pow(4));
            base.mul_f64(0.9 + f64::from(jitter) / f64::from(u32::MAX) * 0.2)
        }
    };
    Release::Retry(crate::time::bounded(after))
}

/// River cancels a rescued call whose `cancel_attempted_at` is a time
/// other than Go's zero time (0001-01-01, as Unix seconds).
pub(super) fn cancel_was_asked(at: &str) -> bool {
    const GO_ZERO_TIME: i64 = -62_135_596_800;
    at.parse::<Timestamp>()
        .is_ok_and(|at| at.as_second() != GO_ZERO_TIME)
}

#[cfg(test)]
pub(super) mod tests {
    use riverqueue::{Client, JobRow, JobState};

    use super::super::lease::WorkerLease;
    use super::*;

    fn abandoned(attempt: i64, max_attempts: i64, errors: i64) -> Abandoned {
        Abandoned {
            id: 1,
            attempt,
            max_attempts,
            errors,
            cancel_attempted_at: None,
        }
    }

    #[test]
    fn a_killed_attempt_waits_as_a_failed_one_would() {
        let backoff = Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(3),
        };
        assert_eq!(
            decide(&abandoned(1, 3, 0), Some(backoff), 0),
            Release::Retry(Duration::from_millis(200))
        );
        assert_eq!(
            decide(&abandoned(2, 3, 1), Some(backoff), 0),
            Release::Retry(Duration::from_millis(400))
        );
        // River's own wait: (failures + 1)⁴ seconds, ±10%.
        let wait = |errors, jitter| match decide(&abandoned(1, 25, errors), None, jitter) {
            Release::Retry(after) => after,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(0, 0), Duration::from_millis(900));
        assert_eq!(wait(0, u32::MAX), Duration::from_millis(1100));
        assert_eq!(wait(1, u32::MAX / 2).as_secs(), 16);
    }

    #[test]
    fn a_short_wait_is_available_at_once_and_a_long_one_is_left_to_the_scheduler() {
        assert_eq!(Release::Retry(Duration::from_secs(1)).state(), "available");
        assert_eq!(Release::Retry(SCHEDULER_INTERVAL).state(), "available");
        assert_eq!(Release::Retry(Duration::from_secs(16)).state(), "retryable");
        assert_eq!(Release::Discarded.retry_after(), None);
    }

    #[test]
    fn a_call_out_of_attempts_is_discarded_and_a_cancelled_one_cancelled() {
        assert_eq!(decide(&abandoned(3, 3, 2), None, 0), Release::Discarded);
        let mut cancelled = abandoned(1, 3, 0);
        cancelled.cancel_attempted_at = Some("2026-01-02T03:04:05Z".to_owned());
        assert_eq!(decide(&cancelled, None, 0), Release::Cancelled);
        // Go's zero time, or no time at all, is not a cancellation.
        cancelled.cancel_attempted_at = Some("0001-01-01T00:00:00Z".to_owned());
        assert_eq!(
            decide(&cancelled, None, 0),
            Release::Retry(Duration::from_millis(900))
        );
        cancelled.cancel_attempted_at = Some("soon".to_owned());
        assert!(matches!(decide(&cancelled, None, 0), Release::Retry(_)));
    }

    pub(in crate::durable) async fn database(name: &str) -> (Database, sqlx::SqlitePool) {
        let dir = std::env::temp_dir().join(format!("atode-lease-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("tasks.sqlite3").display());
        let database = Database::open(&url).await.unwrap();
        let pool = match &database {
            Database::Sqlite(pool) => pool.clone(),
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => unreachable!("a SQLite URL"),
        };
        (database, pool)
    }

    /// A call in its attempt `attempt`, claimed last by `attempted_by`'s
    /// last client.
    pub(in crate::durable) async fn running(
        pool: &sqlx::SqlitePool,
        attempt: i64,
        max_attempts: i64,
        attempted_by: &[&str],
    ) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO river_job (kind, state, attempt, max_attempts, attempted_at, attempted_by) \
             VALUES ('count', 'running', $1, $2, strftime('%Y-%m-%d %H:%M:%f', 'now'), jsonb($3)) \
             RETURNING id",
        )
        .bind(attempt)
        .bind(max_attempts)
        .bind(serde_json::to_string(attempted_by).unwrap())
        .fetch_one(pool)
        .await
        .unwrap()
    }

    pub(in crate::durable) async fn expire(pool: &sqlx::SqlitePool, id: &str) {
        sqlx::query("UPDATE atode_worker SET expires_at = 0 WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
    }

    /// The row as River reads it: what the release wrote must decode.
    async fn row(pool: &sqlx::SqlitePool, id: i64) -> JobRow {
        let client = Client::builder(pool.clone()).build().unwrap();
        client.jobs().get(id).await.unwrap()
    }

    #[tokio::test]
    async fn an_expired_leases_running_calls_are_released_and_no_one_elses() {
        let (database, pool) = database("release").await;
        let length = Duration::from_secs(60);
        let _live = WorkerLease::take(database.clone(), "live", length, None)
            .await
            .unwrap();
        let _dead = WorkerLease::take(database.clone(), "dead", length, None)
            .await
            .unwrap();
        let sweep = || sweep(&database, "live", None, length);
        let mine = running(&pool, 1, 25, &["dead"]).await;
        let last = running(&pool, 3, 3, &["a", "b", "dead"]).await;
        let rerun = running(&pool, 2, 25, &["dead", "live"]).await;
        let lives = running(&pool, 1, 25, &["live"]).await;

        // Nothing expired: nothing moves.
        assert_eq!(sweep().await.unwrap(), 0);
        expire(&pool, "dead").await;
        let before = Timestamp::now();
        assert_eq!(sweep().await.unwrap(), 2);

        let released = row(&pool, mine).await;
        assert_eq!((released.state, released.attempt), (JobState::Available, 1));
        let error = released.errors.last().unwrap();
        assert_eq!(error.attempt, 1);
        assert!(
            error.error.contains("stopped renewing its lease"),
            "{error:?}"
        );
        assert!(error.error.ends_with(": dead"), "{error:?}");
        assert_eq!(
            released.metadata.get::<i64>("river:rescue_count").unwrap(),
            Some(1)
        );
        // River's wait after a first failure: a second, ±10%.
        let wait = released.scheduled_at.duration_since(before);
        assert!(
            (0.85..1.2).contains(&wait.as_secs_f64()),
            "scheduled {wait:?} after the sweep"
        );
        assert_eq!(released.finalized_at, None);

        let discarded = row(&pool, last).await;
        assert_eq!(
            (discarded.state, discarded.attempt),
            (JobState::Discarded, 3)
        );
        assert!(discarded.finalized_at.is_some());

        // Attempts that are not the dead process's run on.
        for id in [rerun, lives] {
            assert_eq!(row(&pool, id).await.state, JobState::Running);
        }
        // The lease went with its calls: a second sweep finds nothing.
        assert_eq!(sweep().await.unwrap(), 0);
    }
}
