//! The overview: the app's in-process counts (from its metrics and its
//! task runner) and the durable queue's (from the database).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::durable::{DurableError, TaskQueue};
use crate::shared::AppShared;

/// The window throughput and failures are counted over.
pub(super) const RECENT: Duration = Duration::from_secs(5 * 60);

/// Every count the overview shows; the events carry it whole.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct Overview {
    pub(super) in_process: InProcess,
    pub(super) durable: Option<DurableCounts>,
}

#[derive(Debug, Serialize, PartialEq)]
pub(super) struct InProcess {
    /// Handed over and not finished: waiting or running.
    pub(super) pending: u64,
    pub(super) completed: u64,
    pub(super) failed: u64,
    pub(super) panicked: u64,
    pub(super) timed_out: u64,
    /// Never ran: their handler failed, or their request was refused.
    pub(super) discarded: u64,
    /// Left unrun at a shutdown deadline.
    pub(super) abandoned: u64,
    /// Requests refused with `503` at the cap on pending work.
    pub(super) refused: u64,
    /// The window of the next four.
    pub(super) recent_minutes: u64,
    pub(super) completed_recently: u64,
    /// Failed, panicked or timed out in the window.
    pub(super) failed_recently: u64,
    /// Completed tasks per minute over the window.
    pub(super) throughput_per_minute: f64,
    /// Failed over ended in the window.
    pub(super) failure_rate: f64,
    pub(super) tasks: Vec<TaskCounts>,
    /// The same counts by the handler whose requests queued the tasks:
    /// a route's tasks, by its function's name.
    pub(super) handlers: Vec<HandlerCounts>,
    pub(super) routes: Vec<RouteCounts>,
}

#[derive(Debug, Serialize, PartialEq)]
pub(super) struct TaskCounts {
    pub(super) task: &'static str,
    pub(super) completed: u64,
    pub(super) failed: u64,
    pub(super) panicked: u64,
    pub(super) timed_out: u64,
}

#[derive(Debug, Serialize, PartialEq)]
pub(super) struct HandlerCounts {
    pub(super) handler: &'static str,
    pub(super) completed: u64,
    pub(super) failed: u64,
    pub(super) panicked: u64,
    pub(super) timed_out: u64,
}

#[derive(Debug, Serialize, PartialEq)]
pub(super) struct RouteCounts {
    /// The route's path as declared; empty for requests no route answered.
    pub(super) route: &'static str,
    pub(super) requests: u64,
    /// Of them, answered with a `5xx`.
    pub(super) errors: u64,
}

#[derive(Debug, Serialize, PartialEq)]
pub(super) struct DurableCounts {
    /// Calls in the database by state, whoever queued them.
    pub(super) states: BTreeMap<&'static str, i64>,
    /// The same, by queue.
    pub(super) queues: BTreeMap<String, BTreeMap<&'static str, i64>>,
    /// The window of `completed_recently` and `discarded_recently`.
    pub(super) recent_minutes: u64,
    pub(super) completed_recently: i64,
    pub(super) discarded_recently: i64,
    /// Completed calls per minute over the window.
    pub(super) throughput_per_minute: f64,
    /// Discarded over finished (completed or discarded) in the window.
    pub(super) failure_rate: f64,
}

/// The states as the overview lists them, in a call's order of life.
pub(super) const STATES: [&str; 7] = [
    "queued",
    "scheduled",
    "running",
    "retrying",
    "completed",
    "discarded",
    "cancelled",
];

/// The app's counts now.
pub(super) async fn read(app: &AppShared) -> Result<Overview, DurableError> {
    let stats = app.runner.stats();
    let minutes = RECENT.as_secs() / 60;
    let (completed_recently, failed_recently) = app
        .metrics
        .as_ref()
        .map_or((0, 0), |metrics| metrics.background.recent(minutes));
    let (tasks, handlers, routes) = match &app.metrics {
        Some(metrics) => (
            metrics.background.per_task(),
            metrics.background.per_handler(),
            metrics.requests.per_route(),
        ),
        None => Default::default(),
    };
    let in_process = InProcess {
        pending: stats.pending,
        completed: stats.completed,
        failed: stats.failed,
        panicked: stats.panicked,
        timed_out: stats.timed_out,
        discarded: stats.discarded,
        abandoned: stats.abandoned,
        refused: stats.refused,
        recent_minutes: minutes,
        completed_recently,
        failed_recently,
        throughput_per_minute: completed_recently as f64 / minutes as f64,
        failure_rate: rate(failed_recently, completed_recently + failed_recently),
        tasks: tasks
            .into_iter()
            .map(
                |(task, [completed, failed, panicked, timed_out])| TaskCounts {
                    task,
                    completed,
                    failed,
                    panicked,
                    timed_out,
                },
            )
            .collect(),
        handlers: handlers
            .into_iter()
            .map(
                |(handler, [completed, failed, panicked, timed_out])| HandlerCounts {
                    handler,
                    completed,
                    failed,
                    panicked,
                    timed_out,
                },
            )
            .collect(),
        routes: routes
            .into_iter()
            .map(|(route, requests, errors)| RouteCounts {
                route,
                requests,
                errors,
            })
            .collect(),
    };
    let durable = match app.runner.durable_queue() {
        Some(queue) => Some(durable(&queue).await?),
        None => None,
    };
    Ok(Overview {
        in_process,
        durable,
    })
}

async fn durable(queue: &TaskQueue) -> Result<DurableCounts, DurableError> {
    let since = riverqueue::jiff::Timestamp::now()
        .checked_sub(RECENT)
        .unwrap_or(riverqueue::jiff::Timestamp::UNIX_EPOCH);
    let counts = queue.call_counts(since).await?;
    let mut states: BTreeMap<&'static str, i64> = STATES.iter().map(|state| (*state, 0)).collect();
    let mut queues = BTreeMap::new();
    for (queue, by_state) in counts.by_queue {
        let entry: &mut BTreeMap<&'static str, i64> = queues.entry(queue).or_default();
        for (state, calls) in by_state {
            *entry.entry(state).or_default() += calls;
            *states.entry(state).or_default() += calls;
        }
    }
    let recent = |state: &str| counts.finished_recently.get(state).copied().unwrap_or(0);
    let (completed, discarded) = (recent("completed"), recent("discarded"));
    let minutes = RECENT.as_secs() / 60;
    Ok(DurableCounts {
        states,
        queues,
        recent_minutes: minutes,
        completed_recently: completed,
        discarded_recently: discarded,
        throughput_per_minute: completed as f64 / minutes as f64,
        failure_rate: rate(
            discarded.max(0) as u64,
            (completed + discarded).max(0) as u64,
        ),
    })
}

/// `failed` over `ended`, 0 when nothing ended.
fn rate(failed: u64, ended: u64) -> f64 {
    if ended == 0 {
        0.0
    } else {
        failed as f64 / ended as f64
    }
}
