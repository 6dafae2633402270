//! What a test's queue writes that River has no call for: moving the
//! waiting calls' times (the test's clock), and recording a failed or
//! snoozed attempt as River's executor would. The statements differ
//! between SQLite and PostgreSQL only in their dates and JSON, written as
//! `release.rs` writes River's rows.

use std::time::Duration;

use riverqueue::sqlx;

use super::super::database::Database;
use super::super::error::DurableError;
#[cfg(feature = "postgres")]
use super::super::lease::postgres_now_ms;
use super::super::lease::sqlite_now_ms;

/// A call's states that wait for a time: what [`shift_waiting`] moves.
const WAITING: &str = "state IN ('available', 'pending', 'retryable', 'scheduled')";

/// How an attempt that did not complete is recorded.
#[derive(Debug)]
pub(super) enum Outcome {
    /// Failed: its error (River's `AttemptError`, as JSON) appended, and
    /// the call `state`, due again after `retry_after` unless final.
    Failed {
        error: String,
        state: &'static str,
        retry_after: Option<Duration>,
    },
    /// Given back without using up the attempt, due again after `after`.
    Snoozed {
        state: &'static str,
        after: Duration,
    },
}

/// Moves every waiting call's time `by` earlier: to the queue, `by` has
/// passed. Returns how many calls it moved.
pub(super) async fn shift_waiting(database: &Database, by: Duration) -> Result<u64, DurableError> {
    let by = crate::time::bounded(by);
    let shifted = match database {
        Database::Sqlite(pool) => {
            let statement = format!(
                "UPDATE river_job SET scheduled_at = \
                 strftime('%Y-%m-%d %H:%M:%f', scheduled_at, $1) WHERE {WAITING}"
            );
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .bind(sqlite_seconds(-by.as_secs_f64()))
                .execute(pool)
                .await?
                .rows_affected()
        }
        #[cfg(feature = "postgres")]
        Database::Postgres(pool) => {
            let statement = format!(
                "UPDATE river_job SET scheduled_at = \
                 scheduled_at - make_interval(secs => $1::float8) WHERE {WAITING}"
            );
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .bind(by.as_secs_f64())
                .execute(pool)
                .await?
                .rows_affected()
        }
    };
    Ok(shifted)
}

/// Records `outcome` for the call `job_id`, if it is still `running` its
/// attempt `attempt`. Returns whether it was.
pub(super) async fn record(
    database: &Database,
    job_id: i64,
    attempt: i32,
    outcome: &Outcome,
) -> Result<bool, DurableError> {
    // River's executor's update for each, guarded by the attempt.
    const SQLITE_FAILED: &str = "UPDATE river_job SET \
         errors = CASE WHEN typeof(errors) = 'text' AND NOT json_valid(errors) \
             THEN jsonb_array(errors, jsonb($2)) \
             ELSE jsonb_insert(coalesce(errors, jsonb('[]')), '$[#]', jsonb($2)) END, \
         state = $3, \
         scheduled_at = CASE WHEN $4 IS NULL THEN scheduled_at \
             ELSE strftime('%Y-%m-%d %H:%M:%f', 'now', $4) END, \
         finalized_at = CASE WHEN $3 IN ('cancelled', 'discarded') \
             THEN strftime('%Y-%m-%d %H:%M:%f', 'now') END \
         WHERE id = $1 AND state = 'running' AND attempt = $5";
    const SQLITE_SNOOZED: &str = "UPDATE river_job SET state = $2, attempt = attempt - 1, \
         scheduled_at = strftime('%Y-%m-%d %H:%M:%f', 'now', $3) \
         WHERE id = $1 AND state = 'running' AND attempt = $4";
    #[cfg(feature = "postgres")]
    const POSTGRES_FAILED: &str = "UPDATE river_job SET \
         errors = array_append(coalesce(errors, '{}'), $2::jsonb), \
         state = $3::river_job_state, \
         scheduled_at = CASE WHEN $4::float8 IS NULL THEN scheduled_at \
             ELSE now() + make_interval(secs => $4::float8) END, \
         finalized_at = CASE WHEN $3::text IN ('cancelled', 'discarded') THEN now() END \
         WHERE id = $1 AND state = 'running' AND attempt = $5";
    #[cfg(feature = "postgres")]
    const POSTGRES_SNOOZED: &str = "UPDATE river_job SET state = $2::river_job_state, \
         attempt = attempt - 1, scheduled_at = now() + make_interval(secs => $3::float8) \
         WHERE id = $1 AND state = 'running' AND attempt = $4";
    let seconds = |after: Duration| crate::time::bounded(after).as_secs_f64();
    let updated = match (database, outcome) {
        (
            Database::Sqlite(pool),
            Outcome::Failed {
                error,
                state,
                retry_after,
            },
        ) => sqlx::query(SQLITE_FAILED)
            .bind(job_id)
            .bind(error)
            .bind(*state)
            .bind(retry_after.map(|after| sqlite_seconds(seconds(after))))
            .bind(attempt)
            .execute(pool)
            .await?
            .rows_affected(),
        (Database::Sqlite(pool), Outcome::Snoozed { state, after }) => sqlx::query(SQLITE_SNOOZED)
            .bind(job_id)
            .bind(*state)
            .bind(sqlite_seconds(seconds(*after)))
            .bind(attempt)
            .execute(pool)
            .await?
            .rows_affected(),
        #[cfg(feature = "postgres")]
        (
            Database::Postgres(pool),
            Outcome::Failed {
                error,
                state,
                retry_after,
            },
        ) => sqlx::query(POSTGRES_FAILED)
            .bind(job_id)
            .bind(error)
            .bind(*state)
            .bind(retry_after.map(seconds))
            .bind(i16::try_from(attempt).unwrap_or(i16::MAX))
            .execute(pool)
            .await?
            .rows_affected(),
        #[cfg(feature = "postgres")]
        (Database::Postgres(pool), Outcome::Snoozed { state, after }) => {
            sqlx::query(POSTGRES_SNOOZED)
                .bind(job_id)
                .bind(*state)
                .bind(seconds(*after))
                .bind(i16::try_from(attempt).unwrap_or(i16::MAX))
                .execute(pool)
                .await?
                .rows_affected()
        }
    };
    Ok(updated == 1)
}

/// The worker processes, other than River's client `me`, whose lease has
/// not expired: processes that may be running this queue's calls.
pub(super) async fn live_workers(
    database: &Database,
    me: &str,
) -> Result<Vec<String>, DurableError> {
    const SQLITE: &str = concat!(
        "SELECT id FROM atode_worker WHERE expires_at >= ",
        sqlite_now_ms!(),
        " AND id <> $1 ORDER BY id"
    );
    #[cfg(feature = "postgres")]
    const POSTGRES: &str = concat!(
        "SELECT id FROM atode_worker WHERE expires_at >= ",
        postgres_now_ms!(),
        " AND id <> $1 ORDER BY id"
    );
    Ok(match database {
        Database::Sqlite(pool) => sqlx::query_scalar(SQLITE).bind(me).fetch_all(pool).await?,
        #[cfg(feature = "postgres")]
        Database::Postgres(pool) => {
            sqlx::query_scalar(POSTGRES)
                .bind(me)
                .fetch_all(pool)
                .await?
        }
    })
}

/// SQLite's date modifier for `seconds`: `+1.500 seconds`, `-60.000 seconds`.
fn sqlite_seconds(seconds: f64) -> String {
    format!("{seconds:+.3} seconds")
}
