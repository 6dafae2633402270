//! Where atode finds a call by its id: the first of its row's tags, and an
//! index of atode's on it.
//!
//! The id is a tag, not a field of the arguments, because River indexes
//! `args` (and `metadata`) with GIN indexes, which would hold each call's
//! id, unique to it, as a key of its own in every version of its row: one
//! when it is written, one when a worker takes it, one when it ends. That
//! cost the database about a sixth of its work per call when calls are
//! worked (`bench/README.md`, "Durable tasks"). River indexes no tags.
//!
//! Calls written before the id moved keep it as the `task_id` of their
//! arguments. The first process to open such a database moves each one's
//! id to its tags and drops the index atode had on the arguments
//! ([`move_legacy_ids`]); a worker still reads the old place
//! ([`id::of_row`](super::id::of_row)), for a call an older process writes
//! meanwhile.

use riverqueue::sqlx;

use super::database::{Database, with_pool};
use super::error::DurableError;
use super::id::TaskId;

/// atode's index on the id, on each engine: the first tag is `tags[1]` in
/// PostgreSQL's array, `$[0]` in SQLite's JSON array.
const INDEX_SQLITE: &str = "CREATE INDEX IF NOT EXISTS atode_river_job_id \
     ON river_job ((tags ->> '$[0]'))";
#[cfg(feature = "postgres")]
const INDEX_POSTGRES: &str = "CREATE INDEX IF NOT EXISTS atode_river_job_id \
     ON river_job ((tags[1]))";

/// The index atode had on the id in the arguments. Its presence marks a
/// database whose calls may still keep their id there.
const LEGACY_INDEX: &str = "atode_river_job_task_id";

/// The statements that make the index; run with atode's other tables.
pub(crate) fn create_index(database: &Database) -> &'static str {
    match database {
        Database::Sqlite(_) => INDEX_SQLITE,
        #[cfg(feature = "postgres")]
        Database::Postgres(_) => INDEX_POSTGRES,
    }
}

/// The look-up of [`job_id`] on each engine: the first half is the query
/// the index serves.
const FIND_SQLITE: &str = "SELECT id FROM river_job WHERE tags ->> '$[0]' = $1 \
     UNION ALL SELECT job_id FROM atode_task WHERE id = $1 LIMIT 1";
#[cfg(feature = "postgres")]
const FIND_POSTGRES: &str = "SELECT id FROM river_job WHERE tags[1] = $1 \
     UNION ALL SELECT job_id FROM atode_task WHERE id = $1 LIMIT 1";

/// River's job id for the call `id`: its own row (through the index), or
/// the row it was a duplicate of (atode's table).
pub(crate) async fn job_id(database: &Database, id: TaskId) -> Result<Option<i64>, DurableError> {
    let find = match database {
        Database::Sqlite(_) => FIND_SQLITE,
        #[cfg(feature = "postgres")]
        Database::Postgres(_) => FIND_POSTGRES,
    };
    let id = id.to_string();
    Ok(with_pool!(database, pool => {
        sqlx::query_scalar(find).bind(id).fetch_optional(pool).await?
    }))
}

/// Moves the ids that calls written by an earlier atode keep in their
/// arguments to their tags, then drops the index on the old place; once,
/// in the database that still has that index. Only rows shaped as atode
/// wrote them (`task_id` and `args`, no tags) are touched. The rows and
/// the index go in one transaction: a process that dies midway leaves
/// both as they were, and the next one does it.
pub(crate) async fn move_legacy_ids(database: &Database) -> Result<(), DurableError> {
    /// Whether the index named `$1` exists, as a count.
    const LEGACY_SQLITE: &str =
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = $1";
    #[cfg(feature = "postgres")]
    const LEGACY_POSTGRES: &str = "SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)";
    const MOVE_SQLITE: &str = "UPDATE river_job \
         SET tags = jsonb_array(args ->> '$.task_id'), \
         args = jsonb_remove(args, '$.task_id') \
         WHERE args ->> '$.task_id' IS NOT NULL \
         AND json_type(args, '$.args') IS NOT NULL \
         AND json_array_length(tags) = 0";
    #[cfg(feature = "postgres")]
    const MOVE_POSTGRES: &str = "UPDATE river_job \
         SET tags = ARRAY[args ->> 'task_id'], args = args - 'task_id' \
         WHERE args ? 'task_id' AND args ? 'args' AND tags = '{}'";

    /// In the transaction `$begin` opens: the check, then the rows and
    /// the index together.
    macro_rules! move_in {
        ($begin:expr, $legacy:expr, $move:expr) => {{
            let mut transaction = $begin.await?;
            let legacy: i64 = sqlx::query_scalar($legacy)
                .bind(LEGACY_INDEX)
                .fetch_one(&mut *transaction)
                .await?;
            if legacy > 0 {
                let moved = sqlx::query($move)
                    .execute(&mut *transaction)
                    .await?
                    .rows_affected();
                sqlx::query("DROP INDEX atode_river_job_task_id")
                    .execute(&mut *transaction)
                    .await?;
                transaction.commit().await?;
                log_moved(moved);
            }
        }};
    }

    match database {
        // Holding the write lock from the start, as `create_if_missing`
        // does, so processes opening the file at once take turns.
        Database::Sqlite(pool) => move_in!(
            pool.begin_with("BEGIN IMMEDIATE"),
            LEGACY_SQLITE,
            MOVE_SQLITE
        ),
        // Run under the migration lock (`Database::migrate`).
        #[cfg(feature = "postgres")]
        Database::Postgres(pool) => move_in!(pool.begin(), LEGACY_POSTGRES, MOVE_POSTGRES),
    }
    Ok(())
}

fn log_moved(moved: u64) {
    tracing::info!(
        target: "atode::durable",
        moved,
        "moved the ids of calls written by an earlier atode from their arguments to their tags, and dropped the index on the old place"
    );
}

#[cfg(test)]
mod tests {
    use riverqueue::sqlx::{self, AssertSqlSafe, Row};

    use super::FIND_SQLITE;

    /// The look-up by id reads atode's index, not River's whole table, so
    /// what `status(id)` costs does not grow with the queue.
    #[tokio::test]
    async fn a_call_is_found_through_the_index() {
        let (_database, pool) = crate::durable::release::tests::database("id-index").await;
        let plan: Vec<String> =
            sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {FIND_SQLITE}")))
                .bind("0190ab00-0000-7000-8000-000000000000")
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|row| row.get::<String, _>("detail"))
                .collect();
        assert!(
            plan.iter()
                .any(|step| step.starts_with("SEARCH river_job USING")
                    && step.contains("INDEX atode_river_job_id")),
            "{plan:?}"
        );
    }
}
