//! Durable calls: this process's attempts (outcomes, pickup and run
//! times per task), the calls it wrote, and the queue's depth read from the
//! database at each scrape.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::background::{OutcomeLabels, TaskLabels, Times, raise, task_times};
use crate::durable::{DurableStats, TaskQueue};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DepthLabels {
    queue: String,
    task: String,
    state: &'static str,
}

pub(crate) struct DurableMetrics {
    attempts: Family<OutcomeLabels, Counter>,
    pickup: Times,
    run: Times,
    written: Counter,
    depth: Family<DepthLabels, Gauge>,
}

impl std::fmt::Debug for DurableMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DurableMetrics").finish_non_exhaustive()
    }
}

/// How one attempt ended, as the metrics name it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum AttemptOutcome {
    Completed,
    Failed,
    Panicked,
    Cancelled,
}

impl DurableMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let metrics = DurableMetrics {
            attempts: Family::default(),
            pickup: task_times(),
            run: task_times(),
            written: Counter::default(),
            depth: Family::default(),
        };
        registry.register(
            "atode_durable_attempts",
            "Attempts of durable calls this process's workers made, by task and outcome",
            metrics.attempts.clone(),
        );
        registry.register_with_unit(
            "atode_durable_task_pickup",
            "From a durable call's scheduled time to its attempt starting",
            Unit::Seconds,
            metrics.pickup.clone(),
        );
        registry.register_with_unit(
            "atode_durable_task_run",
            "How long each attempt of a durable call ran",
            Unit::Seconds,
            metrics.run.clone(),
        );
        registry.register(
            "atode_durable_calls_written",
            "Durable calls this process committed to the queue",
            metrics.written.clone(),
        );
        registry.register(
            "atode_durable_queue_depth",
            "Calls in the queue not yet finished, by queue, task and state, read at the scrape",
            metrics.depth.clone(),
        );
        metrics
    }

    /// One attempt of `task` started `pickup` after its call's scheduled
    /// time, ran for `run`, and ended with `outcome`.
    pub(crate) fn attempt(
        &self,
        task: &'static str,
        outcome: AttemptOutcome,
        pickup: Option<Duration>,
        run: Duration,
    ) {
        let labels = TaskLabels { task };
        if let Some(pickup) = pickup {
            self.pickup
                .get_or_create(&labels)
                .observe(pickup.as_secs_f64());
        }
        self.run.get_or_create(&labels).observe(run.as_secs_f64());
        let outcome = match outcome {
            AttemptOutcome::Completed => "completed",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::Panicked => "panicked",
            AttemptOutcome::Cancelled => "cancelled",
        };
        self.attempts
            .get_or_create(&OutcomeLabels { task, outcome })
            .inc();
    }

    /// Brings the process's counts and the queue's depth up to date,
    /// before a scrape. A database that does not answer leaves the depth
    /// as it was, logged.
    pub(crate) async fn observe_queue(&self, queue: &TaskQueue, stats: &DurableStats) {
        raise(&self.written, stats.enqueued);
        match queue.depth().await {
            Ok(rows) => {
                // Series of calls no longer waiting go, rather than stay at
                // their last count.
                self.depth.clear();
                for row in rows {
                    let labels = DepthLabels {
                        queue: row.queue,
                        task: row.task,
                        state: row.state,
                    };
                    self.depth.get_or_create(&labels).set(row.calls);
                }
            }
            Err(error) => tracing::warn!(
                target: "atode::metrics",
                %error,
                "the durable queue's depth could not be read; the last one is served"
            ),
        }
    }
}
