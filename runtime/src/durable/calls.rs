//! Reading the queue's calls for a dashboard: a page of them filtered by
//! the database, one call whole, and the counts by state and queue.

use std::collections::BTreeMap;

use riverqueue::jiff::Timestamp;
use riverqueue::sqlx::{self, AssertSqlSafe};
use riverqueue::{JobListParams, JobRow, SortDirection};

use super::database::{Database, with_pool};
use super::error::DurableError;
use super::id::TaskId;
use super::queue::TaskQueue;
use super::status::TaskState;

/// The indexes a page of calls is read with: newest first, by state, and
/// by task and state. Made when a dashboard first lists calls, not with
/// the schema: an app without one does not pay for them on each write.
const INDEXES: [(&str, &str); 2] = [
    ("atode_river_job_state_id", "(state, id)"),
    ("atode_river_job_kind_state_id", "(kind, state, id)"),
];

/// Which calls a page lists. Every filter is done by the database.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallFilter {
    /// Calls in any of these states; all when empty.
    pub(crate) states: Vec<TaskState>,
    pub(crate) queue: Option<String>,
    pub(crate) task: Option<String>,
    pub(crate) created_after: Option<Timestamp>,
    pub(crate) created_before: Option<Timestamp>,
    /// The cursor: calls older than (with a smaller id than) this one.
    pub(crate) before: Option<i64>,
    pub(crate) limit: u32,
}

/// A call as the queue holds it, River's row and its atode id.
#[derive(Debug)]
pub(crate) struct CallRow {
    pub(crate) id: Option<TaskId>,
    pub(crate) row: JobRow,
}

/// A page of calls, newest first, and the cursor of the next one.
#[derive(Debug)]
pub(crate) struct CallPage {
    pub(crate) calls: Vec<CallRow>,
    pub(crate) next: Option<i64>,
}

/// How many calls are in one queue and state, and how many finished in the
/// last minutes.
#[derive(Debug, Default)]
pub(crate) struct CallCounts {
    /// By queue, then by state (as `TaskStatus` reads it: `TaskState::as_str`).
    pub(crate) by_queue: BTreeMap<String, BTreeMap<&'static str, i64>>,
    /// Finished since the window's start, by River's state name.
    pub(crate) finished_recently: BTreeMap<String, i64>,
}

/// The rows of calls in `state`, as `TaskStatus` reads River's row: a
/// waiting call with attempts behind it is retrying, whatever River's
/// state (it makes a retry due soon `available` at once).
fn state_condition(state: TaskState) -> &'static str {
    match state {
        TaskState::Queued => "(state IN ('available', 'pending') AND attempt = 0)",
        TaskState::Scheduled => "(state = 'scheduled' AND attempt = 0)",
        TaskState::Running => "state = 'running'",
        TaskState::Retrying => {
            "(state = 'retryable' OR (state IN ('available', 'pending', 'scheduled') AND attempt > 0))"
        }
        TaskState::Completed => "state = 'completed'",
        TaskState::Discarded => "state = 'discarded'",
        TaskState::Cancelled => "state = 'cancelled'",
    }
}

/// The state a call in River's `state` reads, `retried` when it has
/// attempts behind it.
fn task_state(state: &str, retried: bool) -> Option<TaskState> {
    Some(match state {
        "available" | "pending" | "scheduled" | "retryable" if retried => TaskState::Retrying,
        "available" | "pending" => TaskState::Queued,
        "scheduled" => TaskState::Scheduled,
        "running" => TaskState::Running,
        "retryable" => TaskState::Retrying,
        "completed" => TaskState::Completed,
        "discarded" => TaskState::Discarded,
        "cancelled" => TaskState::Cancelled,
        _ => return None,
    })
}

/// A statement's text and its values, numbered `$1`, `$2`, ... in order.
#[derive(Default)]
struct Statement {
    sql: String,
    values: Vec<Value>,
}

enum Value {
    Text(String),
    Integer(i64),
}

impl Statement {
    /// The next value's placeholder.
    fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }
}

impl TaskQueue {
    /// Makes the indexes pages are read with, once per queue. One that
    /// cannot be made is logged: the pages are slower, not wrong.
    pub(crate) async fn prepare_listing(&self) {
        self.listing_prepared()
            .get_or_init(|| async {
                if let Err(error) = create_indexes(self.database()).await {
                    tracing::warn!(
                        target: "atode::dashboard",
                        %error,
                        "the indexes for listing calls could not be made; pages read slower"
                    );
                }
            })
            .await;
    }

    /// A page of the calls `filter` selects, newest first.
    pub(crate) async fn list_calls(&self, filter: &CallFilter) -> Result<CallPage, DurableError> {
        self.prepare_listing().await;
        let limit = filter.limit.clamp(1, 500);
        let statement = page_statement(self.database(), filter, limit);
        // The ids, from the indexes; then River reads the rows.
        let mut ids: Vec<i64> = with_pool!(self.database(), pool => {
            let mut query = sqlx::query_scalar(AssertSqlSafe(statement.sql));
            for value in statement.values {
                query = match value {
                    Value::Text(text) => query.bind(text),
                    Value::Integer(number) => query.bind(number),
                };
            }
            query.fetch_all(pool).await?
        });
        let more = ids.len() > limit as usize;
        ids.truncate(limit as usize);
        let next = if more { ids.last().copied() } else { None };
        if ids.is_empty() {
            return Ok(CallPage {
                calls: Vec::new(),
                next,
            });
        }
        let params = JobListParams::default()
            .ids(ids.iter().copied())
            .direction(SortDirection::Descending)
            .limit(limit);
        let rows = self.client().jobs().list(params).await?.jobs;
        Ok(CallPage {
            calls: rows.into_iter().map(CallRow::from).collect(),
            next,
        })
    }

    /// The call `id`, whole, if the queue holds it.
    pub(crate) async fn call_row(&self, id: TaskId) -> Result<Option<CallRow>, DurableError> {
        let Some(job_id) = self.database().job_id(id).await? else {
            return Ok(None);
        };
        let row = super::error::found(self.client().jobs().get(job_id).await)?;
        Ok(row.map(|row| CallRow { id: Some(id), row }))
    }

    /// The calls by queue and state, and those finished since `since`.
    pub(crate) async fn call_counts(&self, since: Timestamp) -> Result<CallCounts, DurableError> {
        // `CAST`: River's `state` is an enum on PostgreSQL, text on SQLite.
        const BY_QUEUE: &str = "SELECT queue, CAST(state AS TEXT), attempt > 0, count(*) \
             FROM river_job GROUP BY queue, state, attempt > 0";
        let by_queue: Vec<(String, String, bool, i64)> = with_pool!(self.database(), pool => {
            sqlx::query_as(BY_QUEUE).fetch_all(pool).await?
        });
        let (recent_sql, since) = match self.database() {
            Database::Sqlite(_) => (
                "SELECT CAST(state AS TEXT), count(*) FROM river_job \
                 WHERE finalized_at IS NOT NULL AND finalized_at >= $1 GROUP BY state",
                sqlite_time(since),
            ),
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => (
                "SELECT CAST(state AS TEXT), count(*) FROM river_job \
                 WHERE finalized_at IS NOT NULL AND finalized_at >= CAST($1 AS timestamptz) \
                 GROUP BY state",
                since.to_string(),
            ),
        };
        let recent: Vec<(String, i64)> = with_pool!(self.database(), pool => {
            sqlx::query_as(recent_sql).bind(since).fetch_all(pool).await?
        });
        let mut counts = CallCounts::default();
        for (queue, state, retried, calls) in by_queue {
            if let Some(state) = task_state(&state, retried) {
                *counts
                    .by_queue
                    .entry(queue)
                    .or_default()
                    .entry(state.as_str())
                    .or_default() += calls;
            }
        }
        counts.finished_recently = recent.into_iter().collect();
        Ok(counts)
    }
}

impl From<JobRow> for CallRow {
    fn from(row: JobRow) -> Self {
        let id = super::id::of_row(&row);
        CallRow { id, row }
    }
}

/// The statement selecting one page's ids (one more than `limit`, to know
/// whether another page follows).
fn page_statement(database: &Database, filter: &CallFilter, limit: u32) -> Statement {
    let mut statement = Statement::default();
    let mut conditions = Vec::new();
    if !filter.states.is_empty() {
        // The conditions above: never a client's text.
        let states: Vec<&str> = filter
            .states
            .iter()
            .map(|state| state_condition(*state))
            .collect();
        conditions.push(format!("({})", states.join(" OR ")));
    }
    if let Some(task) = &filter.task {
        let value = statement.bind(Value::Text(task.clone()));
        conditions.push(format!("kind = {value}"));
    }
    if let Some(queue) = &filter.queue {
        let value = statement.bind(Value::Text(queue.clone()));
        conditions.push(format!("queue = {value}"));
    }
    for (bound, operator) in [(filter.created_after, ">="), (filter.created_before, "<")] {
        let Some(time) = bound else { continue };
        let condition = match database {
            Database::Sqlite(_) => {
                let value = statement.bind(Value::Text(sqlite_time(time)));
                format!("created_at {operator} {value}")
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => {
                let value = statement.bind(Value::Text(time.to_string()));
                format!("created_at {operator} CAST({value} AS timestamptz)")
            }
        };
        conditions.push(condition);
    }
    if let Some(before) = filter.before {
        let value = statement.bind(Value::Integer(before));
        conditions.push(format!("id < {value}"));
    }
    let limit = statement.bind(Value::Integer(i64::from(limit) + 1));
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    statement.sql = format!("SELECT id FROM river_job{filter} ORDER BY id DESC LIMIT {limit}");
    statement
}

/// `time` as River writes its SQLite timestamps, which compare as text.
fn sqlite_time(time: Timestamp) -> String {
    time.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

async fn create_indexes(database: &Database) -> Result<(), DurableError> {
    match database {
        Database::Sqlite(pool) => {
            for (name, columns) in INDEXES {
                let create = format!("CREATE INDEX IF NOT EXISTS {name} ON river_job {columns}");
                sqlx::query(AssertSqlSafe(create)).execute(pool).await?;
            }
        }
        #[cfg(feature = "postgres")]
        Database::Postgres(pool) => {
            // Concurrently: the table stays writable while it is read for
            // the index. Not in a transaction, so the notice for an index
            // that exists is turned off on the connection, then back on.
            let mut connection = pool.acquire().await?;
            sqlx::query("SET client_min_messages = warning")
                .execute(&mut *connection)
                .await?;
            for (name, columns) in INDEXES {
                let create = format!(
                    "CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON river_job {columns}"
                );
                sqlx::query(AssertSqlSafe(create))
                    .execute(&mut *connection)
                    .await?;
            }
            sqlx::query("RESET client_min_messages")
                .execute(&mut *connection)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_page_is_filtered_and_ordered_by_the_database() {
        let pool =
            riverqueue::sqlx::SqlitePool::connect_lazy("sqlite::memory:").expect("a lazy pool");
        let filter = CallFilter {
            states: vec![TaskState::Queued, TaskState::Discarded],
            task: Some("send".into()),
            before: Some(90),
            ..CallFilter::default()
        };
        let statement = page_statement(&Database::Sqlite(pool), &filter, 50);
        assert_eq!(
            statement.sql,
            "SELECT id FROM river_job WHERE ((state IN ('available', 'pending') AND attempt = 0) \
             OR state = 'discarded') AND kind = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        );
        assert_eq!(statement.values.len(), 3);
    }

    #[test]
    fn a_waiting_call_with_attempts_behind_it_is_retrying_as_its_status_reads() {
        assert_eq!(task_state("available", true), Some(TaskState::Retrying));
        assert_eq!(task_state("available", false), Some(TaskState::Queued));
        assert_eq!(task_state("scheduled", true), Some(TaskState::Retrying));
        assert_eq!(task_state("running", true), Some(TaskState::Running));
        assert_eq!(task_state("lost", false), None);
    }
}
