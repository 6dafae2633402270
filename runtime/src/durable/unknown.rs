//! Calls waiting for a task this process does not have: said loudly.
//!
//! Workers take only calls of the tasks they know (`fetch_only_known_kinds`),
//! so that processes built with different tasks can share a queue. The cost
//! is that a call no process can run (its task was renamed, or the worker
//! was built from a program without it) would wait in silence. A worker
//! therefore looks for such calls in the queues it works, when it starts and
//! every [`CHECK_EVERY`] after, logs a warning for each task it finds, and
//! keeps the count in [`DurableStats::unknown`](super::DurableStats::unknown).

use std::sync::Arc;
use std::time::Duration;

use riverqueue::sqlx;

use super::counters::DurableCounters;
use super::database::{Database, with_pool};
use super::error::DurableError;

/// How often a worker process looks for calls it cannot run.
pub(crate) const CHECK_EVERY: Duration = Duration::from_secs(30);

/// Calls waiting in one queue for one task this process does not have.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unknown {
    pub(crate) task: String,
    pub(crate) queue: String,
    pub(crate) calls: u64,
}

/// What a worker process knows: the queues it works and the tasks it has.
pub(crate) struct Known {
    pub(crate) queues: Vec<String>,
    pub(crate) tasks: Vec<&'static str>,
}

impl Known {
    /// Of the waiting calls counted by task and queue, those in this
    /// process's queues whose task it does not have.
    fn unknown(&self, waiting: Vec<(String, String, i64)>) -> Vec<Unknown> {
        waiting
            .into_iter()
            .filter(|(task, queue, _)| {
                self.queues.contains(queue) && !self.tasks.contains(&task.as_str())
            })
            .map(|(task, queue, calls)| Unknown {
                task,
                queue,
                calls: calls.max(0) as u64,
            })
            .collect()
    }
}

/// The calls ready to run, counted by task and queue. A scan of the ready
/// calls (River's index on state and queue serves it), every
/// [`CHECK_EVERY`]: a backlog of 100,000 calls is read twice a minute.
async fn waiting(database: &Database) -> Result<Vec<(String, String, i64)>, DurableError> {
    const WAITING: &str = "SELECT kind, queue, COUNT(*) FROM river_job \
         WHERE state = 'available' GROUP BY kind, queue";
    Ok(with_pool!(database, pool => {
        sqlx::query_as(WAITING).fetch_all(pool).await?
    }))
}

/// Looks once: logs each task whose calls wait here with no task to run
/// them, and records how many calls that is.
pub(crate) async fn check(database: &Database, known: &Known, counters: &DurableCounters) {
    let unknown = match waiting(database).await {
        Ok(waiting) => known.unknown(waiting),
        Err(error) => {
            tracing::debug!(target: "atode::durable", %error, "could not look for calls of unknown tasks; trying again later");
            return;
        }
    };
    counters.set_unknown(unknown.iter().map(|unknown| unknown.calls).sum());
    for Unknown { task, queue, calls } in unknown {
        tracing::warn!(
            target: "atode::durable",
            task,
            queue,
            calls,
            "{calls} call(s) of the task `{task}` wait in the queue `{queue}`, and this program has no task of that name, so its workers cannot run them: declare `#[task] fn {task}(..)` in the program that works this queue (a renamed task keeps its stored name with `#[task(name = \"{task}\")]`)"
        );
    }
}

/// [`check`] now and every [`CHECK_EVERY`], while the workers run.
pub(crate) async fn keep_checking(
    database: Database,
    known: Known,
    counters: Arc<DurableCounters>,
) {
    let mut every = tokio::time::interval(CHECK_EVERY);
    loop {
        every.tick().await;
        check(&database, &known, &counters).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(task: &str, queue: &str, calls: i64) -> (String, String, i64) {
        (task.to_owned(), queue.to_owned(), calls)
    }

    #[test]
    fn only_calls_of_unknown_tasks_in_worked_queues_are_reported() {
        let known = Known {
            queues: vec!["default".to_owned(), "mail".to_owned()],
            tasks: vec!["send_welcome"],
        };
        let waiting = vec![
            row("send_welcome", "default", 7),
            row("send_welcom", "default", 2),
            row("resize_image", "images", 40),
            row("old_digest", "mail", 1),
        ];
        assert_eq!(
            known.unknown(waiting),
            [
                Unknown {
                    task: "send_welcom".to_owned(),
                    queue: "default".to_owned(),
                    calls: 2
                },
                Unknown {
                    task: "old_digest".to_owned(),
                    queue: "mail".to_owned(),
                    calls: 1
                },
            ]
        );
    }
}
