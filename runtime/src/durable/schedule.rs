//! Calls that run later: `task.after(delay)`, `task.at(time)`, and
//! periodic calls on a cron schedule.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use riverqueue::{CronSchedule, InsertOpts, IntervalSchedule, PeriodicJob, PeriodicJobOpts};

use super::id::TaskId;
use super::job::{Envelope, PendingJob, tagged, unique_by_args};
use super::task::Task;

/// A task whose call waits until a given time before any worker may run
/// it: made with [`Later::after`] or [`Later::at`], queued like the task
/// itself.
///
/// ```
/// use std::time::Duration;
/// use atode::durable::{task, Later};
///
/// #[task]
/// async fn remind(user: u64) {
///     let _ = user;
/// }
///
/// let tasks = atode::BackgroundTasks::new();
/// let id = tasks.add_task(remind.after(Duration::from_secs(24 * 3600)), (7,));
/// assert_eq!(id.to_string().len(), 36);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Scheduled<T> {
    task: T,
    at: SystemTime,
}

/// `after` and `at` for every [`Task`].
pub trait Later: Task {
    /// The call runs no sooner than `delay` after it is queued.
    fn after(self, delay: Duration) -> Scheduled<Self> {
        Scheduled {
            task: self,
            at: crate::time::after_system(SystemTime::now(), delay),
        }
    }

    /// The call runs no sooner than `at`.
    fn at(self, at: SystemTime) -> Scheduled<Self> {
        Scheduled { task: self, at }
    }
}

impl<T: Task> Later for T {}

/// A call a [`TaskQueue`](crate::durable::TaskQueue) can write: a task, now
/// or [`Scheduled`].
pub trait DurableCall<Args>: Send + 'static {
    #[doc(hidden)]
    fn into_pending(self, args: Args) -> (PendingJob, TaskId);
}

impl<T: Task> DurableCall<T::Args> for T {
    fn into_pending(self, args: T::Args) -> (PendingJob, TaskId) {
        PendingJob::new(self, args, None)
    }
}

impl<T: Task> DurableCall<T::Args> for Scheduled<T> {
    fn into_pending(self, args: T::Args) -> (PendingJob, TaskId) {
        PendingJob::new(self.task, args, Some(self.at))
    }
}

/// A task called on a schedule, by whichever process leads the queue: one
/// call per occurrence across every process sharing the queue.
#[derive(Clone)]
pub(crate) struct Periodic {
    pub(crate) name: &'static str,
    pub(crate) schedule: String,
    pub(crate) build: Arc<dyn Fn() -> Result<PeriodicJob, String> + Send + Sync>,
}

impl std::fmt::Debug for Periodic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Periodic")
            .field("task", &self.name)
            .field("schedule", &self.schedule)
            .finish()
    }
}

impl Periodic {
    pub(crate) fn new<T>(schedule: &str, args: T::Args) -> Self
    where
        T: Task,
        T::Args: Clone,
    {
        let expression = schedule.trim().to_owned();
        let id = format!("{}@{}", T::NAME, expression);
        let build = {
            let expression = expression.clone();
            move || -> Result<PeriodicJob, String> {
                let args = args.clone();
                // The occurrence's window: one call per window, whichever
                // process leads, even across a change of leader.
                let make = move |period: Duration| {
                    move || {
                        let opts = InsertOpts::default().with_unique(unique_by_args(period));
                        Some((
                            Envelope::<T>::new(args.clone()),
                            tagged(opts, TaskId::random()),
                        ))
                    }
                };
                let opts = PeriodicJobOpts::new().with_id(id.clone());
                Ok(match every(&expression)? {
                    Some(interval) => PeriodicJob::conditional_with_options(
                        IntervalSchedule::new(interval).map_err(|error| error.to_string())?,
                        make(interval),
                        opts,
                    ),
                    None => PeriodicJob::conditional_with_options(
                        CronSchedule::parse(&expression).map_err(|error| error.to_string())?,
                        make(Duration::from_secs(60)),
                        opts,
                    ),
                })
            }
        };
        Periodic {
            name: T::NAME,
            schedule: expression,
            build: Arc::new(build),
        }
    }
}

/// The interval of an `@every 90s` schedule; `None` for a cron expression.
fn every(expression: &str) -> Result<Option<Duration>, String> {
    let Some(interval) = expression.strip_prefix("@every") else {
        return Ok(None);
    };
    let interval = interval.trim();
    let split = interval
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(interval.len());
    let (number, unit) = interval.split_at(split);
    let number: u64 = number.parse().map_err(|_| {
        format!("`@every` takes a number and a unit (`@every 90s`), not {interval:?}")
    })?;
    let duration = match unit {
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number * 60),
        "h" => Duration::from_secs(number * 3600),
        _ => {
            return Err(format!(
                "`@every` takes the units ms, s, m or h, not {unit:?}"
            ));
        }
    };
    if duration.is_zero() {
        return Err("`@every` needs an interval above zero".to_owned());
    }
    Ok(Some(duration))
}

#[cfg(test)]
mod tests {
    use super::every;
    use std::time::Duration;

    #[test]
    fn every_reads_its_interval() {
        assert_eq!(every("@every 90s"), Ok(Some(Duration::from_secs(90))));
        assert_eq!(every("@every 250ms"), Ok(Some(Duration::from_millis(250))));
        assert_eq!(every("*/5 * * * *"), Ok(None));
        assert!(every("@every 0s").is_err());
        assert!(every("@every soon").is_err());
        assert!(every("@every 5d").is_err());
    }
}
