//! A durable task's call on its way to the queue: what `add_task` queues
//! for a `#[task]`, and the row River stores for it.

use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use riverqueue::jiff::Timestamp;
use riverqueue::{InsertBatch, InsertOpts, JobArgs, UniqueOpts};
use serde::{Deserialize, Serialize};

use super::id::TaskId;
use super::schedule::DurableCall;
use super::task::Task;
use crate::background::IntoTask;
use crate::background::task::{Work, WorkKind};

/// The arguments River stores for one call: the atode id, then the
/// function's arguments. One River job kind per task, named after it.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) struct Envelope<T: Task> {
    pub(crate) task_id: TaskId,
    pub(crate) args: T::Args,
    #[serde(skip)]
    task: PhantomData<T>,
}

impl<T: Task> Envelope<T> {
    pub(crate) fn new(task_id: TaskId, args: T::Args) -> Self {
        Envelope {
            task_id,
            args,
            task: PhantomData,
        }
    }
}

impl<T: Task> JobArgs for Envelope<T> {
    const KIND: &'static str = T::NAME;

    fn default_insert_opts() -> InsertOpts {
        let options = T::options();
        let mut opts = InsertOpts::default()
            .with_queue(options.queue_name())
            .with_max_attempts(i32::from(options.attempts()))
            .with_priority(i16::from(options.priority_level()));
        if let Some(window) = options.unique_window() {
            // The arguments, not the atode id, are the idempotency key.
            opts = opts.with_unique(unique_by_args(window));
        }
        opts
    }

    fn unique_fields() -> &'static [&'static [&'static str]] {
        &[&["args"]]
    }
}

/// At most one call of a task with the same arguments in each `window`:
/// for `#[task(unique_for)]`, and for a periodic task's occurrences.
pub(crate) fn unique_by_args(window: Duration) -> UniqueOpts {
    UniqueOpts::new().with_by_args(true).with_by_period(window)
}

/// One call of a durable task, queued on a request's list and not yet
/// written: written with the request's other calls before the response,
/// or, when added after it, by the batch that runs the request's tasks.
#[doc(hidden)]
pub struct PendingJob {
    pub(crate) id: TaskId,
    call: Box<dyn ErasedCall>,
    /// No worker takes the call before this time.
    at: Option<SystemTime>,
}

impl PendingJob {
    /// A call of `T` with `args`, and the id it is known by from now on.
    pub(crate) fn new<T: Task>(_task: T, args: T::Args, at: Option<SystemTime>) -> (Self, TaskId) {
        let id = TaskId::random();
        let job = PendingJob {
            id,
            call: Box::new(Call::<T>(args)),
            at,
        };
        (job, id)
    }

    /// Adds the call to an insertion batch.
    pub(crate) fn push_to(self, batch: &mut InsertBatch) {
        let opts = self
            .at
            .and_then(|at| Timestamp::try_from(at).ok())
            .map(|at| InsertOpts::default().with_scheduled_at(at));
        self.call.push_to(self.id, batch, opts);
    }

    /// The call as in-process work: for a list that belongs to no app
    /// (`BackgroundTasks::new()` in a unit test), whose `run` calls the
    /// function here and now.
    pub(crate) fn into_work(self) -> Work {
        self.call.into_work()
    }
}

trait ErasedCall: Send {
    fn push_to(self: Box<Self>, id: TaskId, batch: &mut InsertBatch, opts: Option<InsertOpts>);
    fn into_work(self: Box<Self>) -> Work;
}

struct Call<T: Task>(T::Args);

impl<T: Task> ErasedCall for Call<T> {
    fn push_to(self: Box<Self>, id: TaskId, batch: &mut InsertBatch, opts: Option<InsertOpts>) {
        let envelope = Envelope::<T>::new(id, self.0);
        match opts {
            Some(opts) => batch.push_with(envelope, opts),
            None => batch.push(envelope),
        };
    }

    fn into_work(self: Box<Self>) -> Work {
        T::run(self.0)
    }
}

/// Marks a task declared with `#[task]`: it is written to the app's
/// durable queue. Named only as [`IntoTask`]'s inferred `Kind`.
#[doc(hidden)]
#[derive(Debug)]
pub enum Durable {}

impl<C, Args> IntoTask<Args, Durable> for C
where
    C: DurableCall<Args>,
{
    type Handle = TaskId;

    fn into_queued(self, args: Args) -> (Work, TaskId) {
        let (job, id) = self.into_pending(args);
        (Work(WorkKind::Durable(job)), id)
    }
}
