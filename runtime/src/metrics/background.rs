//! In-process background tasks: outcomes, pickup and run times per task,
//! and the runner's counts read at each scrape.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::{ByKey, TASK_BUCKETS};
use crate::background::Outcome;
use crate::background::TaskStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct TaskLabels {
    pub(super) task: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct OutcomeLabels {
    pub(super) task: &'static str,
    pub(super) outcome: &'static str,
}

/// A task's outcome, with the handler whose request queued it.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndedLabels {
    task: &'static str,
    handler: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LostLabels {
    reason: &'static str,
}

/// A task's series (queued by one handler's requests), looked up once.
struct TaskSeries {
    #[cfg(feature = "dashboard")]
    task: &'static str,
    #[cfg(feature = "dashboard")]
    handler: &'static str,
    pickup: Histogram,
    run: Histogram,
    /// By `OUTCOMES`' order.
    ended: [Counter; 4],
}

const OUTCOMES: [&str; 4] = ["completed", "failed", "panicked", "timed_out"];

pub(super) type Times = Family<TaskLabels, Histogram, fn() -> Histogram>;

pub(super) fn task_times() -> Times {
    Family::new_with_constructor(|| Histogram::new(TASK_BUCKETS))
}

pub(crate) struct BackgroundMetrics {
    ended: Family<EndedLabels, Counter>,
    pickup: Times,
    run: Times,
    /// Each task's series, by the addresses of its name and its
    /// handler's.
    tasks: ByKey<(usize, usize), TaskSeries>,
    /// The last minutes' ends, for the dashboard's rates.
    #[cfg(feature = "dashboard")]
    recent: super::recent::Recent,
    // Read from the runner's counts at each scrape (`observe_runner`):
    // they are counted there already, with or without metrics.
    pending: Gauge,
    lost: Family<LostLabels, Counter>,
    refused: Counter,
}

impl BackgroundMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let metrics = BackgroundMetrics {
            ended: Family::default(),
            pickup: task_times(),
            run: task_times(),
            tasks: ByKey::default(),
            #[cfg(feature = "dashboard")]
            recent: super::recent::Recent::new(),
            pending: Gauge::default(),
            lost: Family::default(),
            refused: Counter::default(),
        };
        registry.register(
            "atode_background_tasks",
            "In-process background tasks that ended, by task and outcome",
            metrics.ended.clone(),
        );
        registry.register_with_unit(
            "atode_background_task_pickup",
            "From a response handing its tasks over to each task starting",
            Unit::Seconds,
            metrics.pickup.clone(),
        );
        registry.register_with_unit(
            "atode_background_task_run",
            "How long each in-process background task ran",
            Unit::Seconds,
            metrics.run.clone(),
        );
        registry.register(
            "atode_background_tasks_pending",
            "In-process background tasks handed over and not finished",
            metrics.pending.clone(),
        );
        registry.register(
            "atode_background_tasks_lost",
            "In-process background tasks that never ran, by reason",
            metrics.lost.clone(),
        );
        registry.register(
            "atode_background_refused_requests",
            "Requests refused with 503 at the cap on pending background work",
            metrics.refused.clone(),
        );
        metrics
    }

    /// One task, `task`, queued by a request of `handler`, waited `pickup`
    /// for its turn, ran for `run`, and ended with `outcome`.
    pub(crate) fn ended(
        &self,
        task: &'static str,
        handler: &'static str,
        outcome: Outcome,
        pickup: Duration,
        run: Duration,
    ) {
        let make = || TaskSeries {
            #[cfg(feature = "dashboard")]
            task,
            #[cfg(feature = "dashboard")]
            handler,
            pickup: self.pickup.get_or_create_owned(&TaskLabels { task }),
            run: self.run.get_or_create_owned(&TaskLabels { task }),
            ended: OUTCOMES.map(|outcome| {
                let labels = EndedLabels {
                    task,
                    handler,
                    outcome,
                };
                self.ended.get_or_create_owned(&labels)
            }),
        };
        let index = match outcome {
            Outcome::Completed => 0,
            Outcome::Failed => 1,
            Outcome::Panicked => 2,
            Outcome::TimedOut => 3,
        };
        #[cfg(feature = "dashboard")]
        self.recent.count(index != 0);
        let key = (task.as_ptr() as usize, handler.as_ptr() as usize);
        self.tasks.with(key, make, |series| {
            series.pickup.observe(pickup.as_secs_f64());
            series.run.observe(run.as_secs_f64());
            series.ended[index].inc();
        });
    }

    /// Each task's count of ended runs, by outcome (`OUTCOMES`' order:
    /// completed, failed, panicked, timed out), sorted by task.
    #[cfg(feature = "dashboard")]
    pub(crate) fn per_task(&self) -> Vec<(&'static str, [u64; 4])> {
        self.summed(|series| series.task)
    }

    /// The tasks completed and failed (an `Err`, a panic, a timeout) in
    /// the last `minutes` minutes, this one included.
    #[cfg(feature = "dashboard")]
    pub(crate) fn recent(&self, minutes: u64) -> (u64, u64) {
        self.recent.over(minutes)
    }

    /// The same counts by the handler whose requests queued the tasks,
    /// sorted by handler.
    #[cfg(feature = "dashboard")]
    pub(crate) fn per_handler(&self) -> Vec<(&'static str, [u64; 4])> {
        self.summed(|series| series.handler)
    }

    /// The series' counts summed by `key`.
    #[cfg(feature = "dashboard")]
    fn summed(&self, key: impl Fn(&TaskSeries) -> &'static str) -> Vec<(&'static str, [u64; 4])> {
        let mut sums: std::collections::BTreeMap<&'static str, [u64; 4]> = Default::default();
        self.tasks.for_each(|series| {
            let sum = sums.entry(key(series)).or_default();
            for (total, counter) in sum.iter_mut().zip(&series.ended) {
                *total += counter.get();
            }
        });
        sums.into_iter().collect()
    }

    /// Brings the counts kept by the runner up to date, before a scrape.
    pub(crate) fn observe_runner(&self, stats: &TaskStats) {
        self.pending
            .set(i64::try_from(stats.pending).unwrap_or(i64::MAX));
        for (reason, count) in [
            ("discarded", stats.discarded),
            ("abandoned", stats.abandoned),
        ] {
            raise(&self.lost.get_or_create(&LostLabels { reason }), count);
        }
        raise(&self.refused, stats.refused);
    }
}

/// Raises `counter` to `total`, a count kept elsewhere that only grows
/// (two scrapes at once raise it once).
pub(super) fn raise(counter: &Counter, total: u64) {
    counter
        .inner()
        .fetch_max(total, std::sync::atomic::Ordering::Relaxed);
}
