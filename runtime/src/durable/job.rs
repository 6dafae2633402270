//! A durable task's call on its way to the queue: what `add_task` queues
//! for a `#[task]`, and the row River stores for it.

use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use riverqueue::jiff::Timestamp;
use riverqueue::{InsertBatch, InsertOpts, JobArgs, UniqueOpts};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::DurableError;
use super::id::TaskId;
use super::schedule::DurableCall;
use super::task::Task;
use crate::background::IntoTask;
use crate::background::task::{Work, WorkKind};

/// The arguments River stores for one call: the function's arguments, and
/// where the call was queued from. One River job kind per task, named
/// after it. The call's atode id is not here but the row's first tag,
/// out of River's GIN index on `args` (`id_index.rs` says why).
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) struct Envelope<T: Task> {
    /// The id, where calls written before it moved to the tags kept it;
    /// never written now.
    #[serde(default, rename = "task_id", skip_serializing)]
    pub(crate) legacy_id: Option<TaskId>,
    pub(crate) args: T::Args,
    /// The W3C `traceparent` of the span that queued the call, which its
    /// attempts join (`atode::otel`). Absent when nothing recorded spans,
    /// and ignored by a program built without the feature.
    #[cfg(feature = "otel")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) traceparent: Option<String>,
    /// The route whose request queued the call, for the dashboard's page
    /// of the call (`atode::dashboard`); absent for a call queued outside
    /// a request.
    #[cfg(feature = "dashboard")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) route: Option<std::borrow::Cow<'static, str>>,
    #[serde(skip)]
    task: PhantomData<T>,
}

impl<T: Task> Envelope<T> {
    pub(crate) fn new(args: T::Args) -> Self {
        Envelope {
            legacy_id: None,
            args,
            #[cfg(feature = "otel")]
            traceparent: None,
            #[cfg(feature = "dashboard")]
            route: None,
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
    /// Where it was queued from.
    queued_by: QueuedBy,
}

/// Where a call was queued from, as its envelope keeps it: each part with
/// the feature that reads it.
#[derive(Default)]
struct QueuedBy {
    /// The `traceparent` of the span it was queued in.
    #[cfg(feature = "otel")]
    traceparent: Option<String>,
    /// The route whose request queued it.
    #[cfg(feature = "dashboard")]
    route: Option<&'static str>,
}

impl QueuedBy {
    // Which fields the update fills depends on the features built.
    #[allow(clippy::needless_update)]
    fn here() -> Self {
        QueuedBy {
            #[cfg(feature = "otel")]
            traceparent: crate::otel::traceparent(&tracing::Span::current()),
            ..QueuedBy::default()
        }
    }

    fn mark<T: Task>(self, envelope: &mut Envelope<T>) {
        #[cfg(feature = "otel")]
        {
            envelope.traceparent = self.traceparent;
        }
        #[cfg(feature = "dashboard")]
        {
            envelope.route = self.route.map(std::borrow::Cow::Borrowed);
        }
        let _ = envelope;
    }
}

impl PendingJob {
    /// A call of `T` with `args`, and the id it is known by from now on.
    pub(crate) fn new<T: Task>(_task: T, args: T::Args, at: Option<SystemTime>) -> (Self, TaskId) {
        let id = TaskId::random();
        let job = PendingJob {
            id,
            call: Box::new(Call::<T>(args)),
            at,
            queued_by: QueuedBy::here(),
        };
        (job, id)
    }

    /// The call with its arguments encoded as River stores them, once: a
    /// group commit whose batch fails writes it again, alone.
    pub(crate) fn encode(self) -> Result<EncodedJob, DurableError> {
        let opts = self
            .at
            .and_then(|at| Timestamp::try_from(at).ok())
            .map(|at| InsertOpts::default().with_scheduled_at(at));
        self.call.encode(self.id, opts, self.queued_by)
    }

    /// Records that a request of `route` queued the call.
    #[cfg(feature = "dashboard")]
    pub(crate) fn queued_by_route(&mut self, route: &'static str) {
        self.queued_by.route = Some(route);
    }

    /// The call as in-process work: for a list that belongs to no app
    /// (`BackgroundTasks::new()` in a unit test), whose `run` calls the
    /// function here and now.
    pub(crate) fn into_work(self) -> Work {
        self.call.into_work()
    }
}

trait ErasedCall: Send {
    fn encode(
        self: Box<Self>,
        id: TaskId,
        opts: Option<InsertOpts>,
        queued_by: QueuedBy,
    ) -> Result<EncodedJob, DurableError>;
    fn into_work(self: Box<Self>) -> Work;
}

struct Call<T: Task>(T::Args);

impl<T: Task> ErasedCall for Call<T> {
    fn encode(
        self: Box<Self>,
        id: TaskId,
        opts: Option<InsertOpts>,
        queued_by: QueuedBy,
    ) -> Result<EncodedJob, DurableError> {
        let mut envelope = Envelope::<T>::new(self.0);
        queued_by.mark(&mut envelope);
        let args = riverqueue::encoding::encode_args(&envelope).map_err(|error| {
            DurableError::unexpected(format!(
                "the arguments of a call of `{}` could not be encoded: {error}",
                T::NAME
            ))
        })?;
        let options = T::options();
        Ok(EncodedJob {
            id,
            kind: T::NAME,
            queue: options.queue_name(),
            max_attempts: options.attempts(),
            priority: options.priority_level(),
            plain: opts.is_none() && options.unique_window().is_none(),
            args,
            opts,
            push: push_encoded::<T>,
        })
    }

    fn into_work(self: Box<Self>) -> Work {
        T::run(self.0)
    }
}

/// A call ready for River's insert: its arguments already encoded, so it
/// can be pushed to a batch more than once. Named by the sealed
/// `QueueTransaction`'s methods only.
#[doc(hidden)]
pub struct EncodedJob {
    pub(crate) id: TaskId,
    /// River's job kind: the task's name.
    pub(crate) kind: &'static str,
    /// The queue its workers take it from.
    pub(crate) queue: &'static str,
    pub(crate) max_attempts: u16,
    pub(crate) priority: u8,
    /// Available at once and not unique: a row with River's defaults but
    /// for these fields, which one statement can write for many calls
    /// (`bulk_insert.rs`).
    pub(crate) plain: bool,
    pub(crate) args: Box<RawValue>,
    opts: Option<InsertOpts>,
    push: fn(&mut InsertBatch, Box<RawValue>, InsertOpts),
}

impl EncodedJob {
    /// Whether it is available at once: a call scheduled for later (the
    /// only one with options of its own) wakes no worker.
    pub(crate) fn wakes(&self) -> bool {
        self.opts.is_none()
    }

    /// Adds the call to an insertion batch, its id as its tag.
    pub(crate) fn push_to(&self, batch: &mut InsertBatch) {
        let opts = self.opts.clone().unwrap_or_default();
        (self.push)(batch, self.args.clone(), tagged(opts, self.id));
    }
}

/// `opts` with the call's id as the row's only tag, where atode finds it.
/// Layered over the task's own options, as River layers a call's.
pub(crate) fn tagged(opts: InsertOpts, id: TaskId) -> InsertOpts {
    opts.with_tags([id.to_string()])
}

fn push_encoded<T: Task>(batch: &mut InsertBatch, args: Box<RawValue>, opts: InsertOpts) {
    let encoded = Encoded::<T> {
        args,
        task: PhantomData,
    };
    batch.push_with(encoded, opts);
}

/// An [`Envelope`] already encoded: River writes its bytes as they are,
/// under the task's kind and options.
#[derive(Serialize, Deserialize)]
#[serde(transparent, bound = "")]
struct Encoded<T: Task> {
    args: Box<RawValue>,
    #[serde(skip)]
    task: PhantomData<T>,
}

impl<T: Task> JobArgs for Encoded<T> {
    const KIND: &'static str = T::NAME;

    fn default_insert_opts() -> InsertOpts {
        Envelope::<T>::default_insert_opts()
    }

    fn unique_fields() -> &'static [&'static [&'static str]] {
        Envelope::<T>::unique_fields()
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
