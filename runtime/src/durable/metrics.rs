//! What the metrics (`crate::metrics`) need of a queue: where its workers
//! count their attempts, and how many calls wait or run.

use std::sync::Arc;

use riverqueue::sqlx;

use super::database::with_pool;
use super::error::DurableError;
use super::queue::TaskQueue;

/// The states of a call not yet finished, as River names them.
const UNFINISHED: [&str; 4] = ["available", "scheduled", "retryable", "running"];

/// The calls of one task in one queue and state.
#[derive(Debug)]
pub(crate) struct Depth {
    pub(crate) queue: String,
    pub(crate) task: String,
    pub(crate) state: &'static str,
    pub(crate) calls: i64,
}

impl TaskQueue {
    /// Has the queue's workers count their attempts in `metrics`, unless
    /// another app's metrics have them already.
    pub(crate) fn count_in(&self, metrics: &Arc<crate::metrics::DurableMetrics>) {
        // Already set: the queue serves another app too, which keeps them.
        let _ = self.counters().metrics.set(Arc::clone(metrics));
    }

    /// The calls not yet finished, counted by queue, task and state, whoever
    /// queued them. Finished calls are left out, so the count's cost grows
    /// with the backlog, not with the history River keeps.
    pub(crate) async fn depth(&self) -> Result<Vec<Depth>, DurableError> {
        // `CAST`: River's `state` is an enum on PostgreSQL, text on SQLite.
        const COUNT: &str = "SELECT queue, kind, CAST(state AS TEXT), count(*) FROM river_job \
             WHERE state IN ('available', 'scheduled', 'retryable', 'running') \
             GROUP BY queue, kind, state";
        let rows: Vec<(String, String, String, i64)> = with_pool!(self.database(), pool => {
            sqlx::query_as(COUNT).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(queue, task, state, calls)| {
                let state = UNFINISHED.into_iter().find(|known| *known == state)?;
                Some(Depth {
                    queue,
                    task,
                    state,
                    calls,
                })
            })
            .collect())
    }
}
