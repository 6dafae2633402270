//! `Durable` (the settings) and `TaskQueue` (the open queue): where durable
//! tasks' calls are written, and the workers that run them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use riverqueue::{Client, MaintenanceConfig, QueueConfig, RunHandle, Workers};

use super::checkpoint::Checkpoints;
use super::counters::{DurableCounters, DurableStats};
use super::database::{Database, QueueTransaction, with_pool};
use super::error::DurableError;
use super::group_commit::Group;
use super::id::TaskId;
use super::lock;
use super::notices::Notices;
#[cfg(feature = "postgres")]
use super::pending_list::PendingLists;
use super::registry::TaskRegistration;
use super::schedule::{DurableCall, Periodic};
use super::status::TaskStatus;
use super::task::{DEFAULT_QUEUE, Task};
use super::threads::{AttemptThreads, Places};
use super::unknown::Known;
use super::worker::{Backoff, WorkerSetup};

/// The variable that names the queue's database, read by [`Durable::from_env`].
pub const DATABASE_URL_VAR: &str = "ATODE_DATABASE_URL";

/// The variable [`Durable::from_env`] reads the rescue time from, in seconds.
pub const RESCUE_AFTER_VAR: &str = "ATODE_RESCUE_AFTER";

/// How many calls of one queue a process runs at once, unless
/// [`Durable::queue`] says otherwise. An `async` task's call waiting on
/// I/O costs a few hundred bytes; a regular `fn`'s runs on a thread of the
/// queue's own, started when needed and ended after 10 s idle. With the
/// fetch cooldown, it bounds what a queue can work: about 7,000 trivial
/// calls/s on PostgreSQL and 5,000 on SQLite on a 2-core machine
/// (`bench/durable.sh`; 10 held it to about 430/s).
pub const DEFAULT_CONCURRENCY: usize = 100;

/// How long a call may stay `running` with no worker finishing it before
/// River's rescuer has another worker take it: the backstop behind the
/// worker lease ([`DEFAULT_WORKER_LEASE`](crate::durable::DEFAULT_WORKER_LEASE)).
pub const DEFAULT_RESCUE_AFTER: Duration = Duration::from_secs(5 * 60);

/// How long one attempt may run, unless the task sets its own `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The shortest wait between two fetches of a queue. A busy queue fetches
/// when a call ends or new calls are committed, once this has passed: it
/// bounds how soon a call starts (a wake-up waits out the rest of it) and
/// how often a busy queue queries the database (at most 500 times a
/// second per queue at 2 ms). An idle queue does not fetch at all but on
/// a wake-up or the poll. Measured with `bench/durable.sh` (2 cores):
/// 10 ms gave a p50 of 7 ms from enqueue to start and 3,400 calls/s;
/// 5 ms, 0.7–0.9 ms and 3,700–5,200/s; 2 ms, 0.7–1.0 ms and
/// 4,800–7,300/s.
pub const DEFAULT_FETCH_COOLDOWN: Duration = Duration::from_millis(2);

/// How often an idle worker looks for calls it was not told of, unless
/// [`Durable::poll_interval`] says otherwise. Only a fallback: this
/// process's workers are woken when it commits calls, and other processes'
/// by River's insert notifications (`LISTEN`/`NOTIFY` on PostgreSQL, its
/// notification table, read every 100 ms, on SQLite). Each poll is a
/// query per queue: at 2 s, with the worker lease's one statement every
/// 2.5 s, an idle worker queries PostgreSQL less often than River's
/// client does with its own defaults.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// How long a request may wait for its durable calls to be committed,
/// unless [`Durable::write_timeout`] says otherwise.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The durable queue's settings: its database, the tasks this process
/// knows, and how its workers run them. [`connect`](Durable::connect) opens
/// it as a [`TaskQueue`].
///
/// ```no_run
/// use atode::durable::{task, Durable};
///
/// #[task]
/// fn write_notification(email: String, message: String) -> std::io::Result<()> {
///     use std::io::Write;
///     let mut log = std::fs::OpenOptions::new().create(true).append(true).open("log.txt")?;
///     writeln!(log, "notification for {email}: {message}")
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), atode::durable::DurableError> {
/// // `$ATODE_DATABASE_URL`, or a SQLite file in the working directory.
/// // Every `#[task]` in the program (`write_notification` here) is
/// // registered with the queue: none is named on the builder.
/// let queue = Durable::from_env("tasks.sqlite3").connect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Durable {
    url: String,
    /// Tasks named on the builder, besides those `#[task]` registers.
    tasks: Vec<TaskRegistration>,
    queues: BTreeMap<String, usize>,
    rescue_after: Duration,
    worker_lease: Duration,
    timeout: Duration,
    poll_interval: Option<Duration>,
    write_timeout: Duration,
    backoff: Option<Backoff>,
    workers: bool,
    periodic: Vec<Periodic>,
    /// Arguments a dashboard hides (`redact.rs`).
    pub(super) redactions: super::redact::Redactions,
    /// A setting from the environment that could not be read: `connect`
    /// reports it rather than run with something the user did not ask for.
    invalid: Option<String>,
}

impl Durable {
    /// A queue in the database at `url`: `sqlite://path/to/file` (created
    /// if missing) or, with the `postgres` feature, `postgres://...`.
    pub fn url(url: impl Into<String>) -> Self {
        Durable {
            url: url.into(),
            tasks: Vec::new(),
            queues: BTreeMap::new(),
            rescue_after: DEFAULT_RESCUE_AFTER,
            worker_lease: super::lease::DEFAULT_WORKER_LEASE,
            timeout: DEFAULT_TIMEOUT,
            poll_interval: None,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            backoff: None,
            workers: true,
            periodic: Vec::new(),
            redactions: Default::default(),
            invalid: None,
        }
    }

    /// A queue in the SQLite file at `path`, created if missing (with its
    /// directory's other files beside it: SQLite's `-wal` and `-shm`),
    /// whatever `$ATODE_DATABASE_URL` says: for a tool or a test that
    /// must not touch the app's database.
    ///
    /// ```standalone_crate
    /// // A crate of its own: a queue knows every `#[task]` of its program.
    /// use atode::durable::{task, Durable, TaskState};
    ///
    /// #[task]
    /// fn greet(name: String) {
    ///     println!("hello, {name}");
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join(format!("atode-doc-sqlite-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let queue = Durable::sqlite(dir.join("tasks.sqlite3"))
    ///     .task(greet)
    ///     .without_workers() // written now, worked by another process
    ///     .connect()
    ///     .await?;
    /// let id = queue.add_task(greet, ("ada".to_owned(),)).await?;
    /// let status = queue.status(id).await?.expect("the call was written");
    /// assert_eq!(status.state, TaskState::Queued);
    /// assert!(dir.join("tasks.sqlite3").exists());
    /// # drop(queue);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Self {
        Self::url(format!("sqlite://{}", path.as_ref().display()))
    }

    /// The queue `$ATODE_DATABASE_URL` names, or the SQLite file
    /// `default_sqlite_path` when it is unset: one binary that runs on a
    /// laptop with a file and in production on PostgreSQL.
    ///
    /// `$ATODE_RESCUE_AFTER` (seconds), when set, overrides
    /// [`rescue_after`](Durable::rescue_after).
    /// A value that is not a positive number of seconds is reported by
    /// [`connect`](Durable::connect), naming the variable.
    pub fn from_env(default_sqlite_path: impl AsRef<std::path::Path>) -> Self {
        let mut durable = match std::env::var(DATABASE_URL_VAR) {
            Ok(url) if !url.is_empty() => Self::url(url),
            _ => Self::sqlite(default_sqlite_path),
        };
        match crate::time::seconds_from_env(RESCUE_AFTER_VAR) {
            Ok(None) => durable,
            Ok(Some(after)) if !after.is_zero() => durable.rescue_after(after),
            Ok(Some(_)) => {
                durable.invalid = Some(format!("{RESCUE_AFTER_VAR} must be more than 0 seconds"));
                durable
            }
            Err(error) => {
                durable.invalid = Some(error.to_string());
                durable
            }
        }
    }

    /// Registers a task, so this process's workers can run its calls.
    ///
    /// Not needed for a `#[task]` of this program: [`connect`](Self::connect)
    /// registers every one the linker gathered, each once. Naming one here
    /// too is harmless; it is for a platform where that gathering does not
    /// run (WebAssembly without a start function).
    pub fn task<T: Task>(mut self, _task: T) -> Self {
        self.tasks.push(TaskRegistration::of::<T>());
        self
    }

    /// Works the queue `name` with up to `concurrency` calls at once in this
    /// process. A registered task's queue is worked with
    /// [`DEFAULT_CONCURRENCY`] unless set here.
    pub fn queue(mut self, name: impl Into<String>, concurrency: usize) -> Self {
        self.queues.insert(name.into(), concurrency.max(1));
        self
    }

    /// How long a call may stay running with no worker to finish it before
    /// River's rescuer runs it again: the backstop for a call whose worker
    /// held no lease (a killed worker's calls are released once its
    /// [`worker_lease`](Durable::worker_lease) expires). Not shorter than
    /// the attempt timeout, which it lowers if needed.
    pub fn rescue_after(mut self, after: Duration) -> Self {
        // Bounded, so that River's dates (now minus this) cannot overflow.
        let after = crate::time::bounded(after);
        self.rescue_after = after;
        self.timeout = self.timeout.min(after);
        self
    }

    /// How long this process's lease as a worker lasts unless renewed
    /// (it is, five times per lease, while its workers run). Once it has
    /// lapsed (the process was killed, or frozen or cut off from the
    /// database for that long) another worker process releases the calls
    /// it was running, at once rather than after
    /// [`rescue_after`](Durable::rescue_after). Default 10 s
    /// ([`DEFAULT_WORKER_LEASE`](crate::durable::DEFAULT_WORKER_LEASE)).
    /// Shorter, a database that is slow to answer for that long has a live
    /// process's calls run a second time.
    pub fn worker_lease(mut self, lease: Duration) -> Self {
        self.worker_lease = crate::time::bounded(lease);
        self
    }

    /// How long one attempt may run, for tasks without a `timeout` of
    /// their own. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        let timeout = crate::time::bounded(timeout);
        self.timeout = timeout;
        self.rescue_after = self.rescue_after.max(timeout);
        self
    }

    /// The wait before a failed call's next attempt: `base`, doubled after
    /// each failure, up to `max`. Without it, River's own policy: about
    /// `attempt⁴` seconds. Either way the next attempt's time is stored
    /// with the call.
    pub fn retry_backoff(mut self, base: Duration, max: Duration) -> Self {
        let (base, max) = (crate::time::bounded(base), crate::time::bounded(max));
        self.backoff = Some(Backoff { base, max });
        self
    }

    /// How often an idle worker looks for calls it was not told of (see
    /// [`DEFAULT_POLL_INTERVAL`]). Default 2 s.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = Some(crate::time::bounded(interval));
        self
    }

    /// The longest a request waits for its durable calls to be written:
    /// taking a connection, `BEGIN`, the inserts and `COMMIT`, all within
    /// it. Default 5 s ([`DEFAULT_WRITE_TIMEOUT`]). Past it the request is
    /// answered `503` with `Retry-After`, like a write that failed, and its
    /// place under [`App::max_pending_tasks`](crate::App::max_pending_tasks)
    /// is given back. [`TaskQueue::add_task`] is bounded the same way (it
    /// returns an error); [`TaskQueue::add_task_in`] writes in the caller's
    /// transaction, which the caller bounds.
    ///
    /// What a write cut short leaves in the queue:
    ///
    /// - Cut before `COMMIT` was sent: nothing. Its connection is closed,
    ///   never handed back to the pool, and the database rolls the
    ///   transaction back. The database bounds the write too, so that it
    ///   does not hold locks past the bound: on PostgreSQL the transaction
    ///   runs with `statement_timeout`, `lock_timeout` and
    ///   `idle_in_transaction_session_timeout` set to the time left, so the
    ///   server aborts a statement that waits on a lock or hangs, and ends
    ///   a session whose client went silent; on SQLite, the wait for
    ///   another connection's write lock (the busy timeout) is the time
    ///   left, and fails at the bound.
    /// - A batch of plain calls (neither unique nor scheduled: most) is
    ///   sent with its commit. On SQLite it is one script, `COMMIT`
    ///   included: its bound ends with SQLite's answer (the lock not
    ///   taken: nothing), or with none 250 ms past it, which counts as cut
    ///   after `COMMIT` was sent. On PostgreSQL it is one statement that
    ///   commits as it ends, on a connection whose `statement_timeout` and
    ///   `lock_timeout` are this bound; cut before it was sent (taking the
    ///   connection, preparing the statement): nothing; after: as after
    ///   `COMMIT`.
    /// - Cut after `COMMIT` was sent, before its answer came: unknown. The
    ///   database may have committed the calls, which then run, although
    ///   the client got `503`; a client that retries queues them again. As
    ///   with any call (they run at least once), key the effect on its
    ///   arguments, or give the task `#[task(unique_for = "...")]`.
    ///
    /// The bound saturates (`Duration::MAX` is a hundred years); the bounds
    /// set in the database are at most 2³¹ − 1 ms (about 24 days), the
    /// largest both engines take. `Duration::ZERO` leaves no time: every
    /// write fails.
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// use atode::durable::{task, Durable};
    ///
    /// #[task]
    /// async fn welcome(email: String) {
    ///     let _ = email;
    /// }
    ///
    /// # #[tokio::main] async fn main() -> Result<(), atode::durable::DurableError> {
    /// // A request waits at most 2 s for its calls to be committed, then is
    /// // answered 503 + Retry-After.
    /// let queue = Durable::from_env("tasks.sqlite3")
    ///     .write_timeout(Duration::from_secs(2))
    ///     .connect()
    ///     .await?;
    /// # let _ = queue;
    /// # Ok(()) }
    /// ```
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = crate::time::bounded(timeout);
        self
    }

    /// Calls `task` with `args` on `schedule`: a five-field cron expression
    /// (`"*/5 * * * *"`, in the process's local time zone; `CRON_TZ=UTC`
    /// as a prefix for another) or `"@every 90s"` (units ms, s, m, h). One
    /// call per occurrence, across every process sharing the queue: only
    /// the queue's leader writes them, and a call is unique within its
    /// occurrence's window (a minute for cron), so a change of leader does
    /// not write one twice. Every process that may lead registers the same
    /// schedules. A bad schedule is reported by [`connect`](Durable::connect).
    ///
    /// Each occurrence's call gets an id of its own, known to the task
    /// through [`current`](crate::durable::current) (no handler returns it).
    pub fn periodic<T>(mut self, _task: T, schedule: &str, args: T::Args) -> Self
    where
        T: Task,
        T::Args: Clone,
    {
        self.periodic.push(Periodic::new::<T>(schedule, args));
        self
    }

    /// This process only writes calls; workers elsewhere run them.
    pub fn without_workers(mut self) -> Self {
        self.workers = false;
        self
    }

    /// Opens the database, brings its schema up to date (River's tables and
    /// atode's `atode_task`), and prepares the workers. They start with the
    /// server ([`App::durable`](crate::App::durable)) or
    /// [`TaskQueue::run_worker`].
    ///
    /// Every `#[task]` linked into the program is registered, with those
    /// named by [`task`](Self::task); two different tasks of one name are
    /// an error naming both. (Rust 2024 merges a crate's doctests into one
    /// program: a doctest that opens a queue beside others that declare
    /// tasks of the same name is marked `standalone_crate`.)
    pub async fn connect(self) -> Result<TaskQueue, DurableError> {
        if let Some(invalid) = self.invalid {
            return Err(DurableError::config(invalid));
        }
        let tasks = super::registry::tasks(&self.tasks).map_err(DurableError::config)?;
        let database = Database::open(&self.url).await?;
        let counters = Arc::new(DurableCounters::default());
        let mut workers = Workers::new();
        let mut queues = self.queues.clone();
        for task in &tasks {
            queues
                .entry(task.queue().to_owned())
                .or_insert(DEFAULT_CONCURRENCY);
        }
        // Each queue's places (its concurrency), which an attempt holds
        // until its work really ends, also a regular `fn` still running
        // after River stopped waiting for it; and the threads regular
        // `fn`s run on, as many as all the places.
        let places: BTreeMap<&str, Places> = queues
            .iter()
            .map(|(name, &concurrency)| (name.as_str(), Places::new(concurrency)))
            .collect();
        let threads = Arc::new(AttemptThreads::new(queues.values().sum()));
        let mut setups = BTreeMap::new();
        for task in &tasks {
            let setup = WorkerSetup {
                backoff: self.backoff,
                counters: Arc::clone(&counters),
                threads: Arc::clone(&threads),
                places: places[task.queue()].clone(),
                timeout: self.timeout,
            };
            task.register(&mut workers, setup.clone())?;
            setups.insert(task.name(), (*task, setup));
        }
        // With no task registered there is nothing to work: the process
        // only writes calls.
        let run_workers = self.workers && !tasks.is_empty();
        if !run_workers {
            queues.clear();
        } else if queues.is_empty() {
            queues.insert(DEFAULT_QUEUE.to_owned(), DEFAULT_CONCURRENCY);
        }
        let worked_queues: Vec<String> = queues.keys().cloned().collect();
        let maintenance = MaintenanceConfig::default()
            .with_rescue_after(self.rescue_after)
            .with_rescuer_interval(rescuer_interval(self.rescue_after));
        let interval = self.poll_interval.unwrap_or(DEFAULT_POLL_INTERVAL);
        let cooldown = interval.min(DEFAULT_FETCH_COOLDOWN);
        let mut builder = with_pool!(&database, pool => Client::builder(pool.clone()))
            // The client's cooldown is also how long River skips a queue's
            // insert notifications after one (its default, 100 ms, would
            // leave calls written by `add_task_in` to the poll that long).
            .fetch_cooldown(cooldown)
            .workers(workers)
            .maintenance(maintenance)
            .job_timeout(self.timeout)
            // Calls of a task this process does not know are left for a
            // process that does, rather than failed here.
            .fetch_only_known_kinds(true);
        for periodic in &self.periodic {
            let job = (periodic.build)().map_err(|error| {
                DurableError::config(format!(
                    "the schedule {:?} of the periodic task `{}`: {error}",
                    periodic.schedule, periodic.name
                ))
            })?;
            builder = builder.periodic_job(job);
        }
        for (name, concurrency) in queues {
            let config = QueueConfig::new(concurrency)
                .with_fetch_cooldown(cooldown)
                .with_fetch_poll_interval(interval);
            builder = builder.queue(name, config);
        }
        let client = builder.build()?;
        // Taken before the workers start: none of their calls runs unleased.
        let lease = if run_workers {
            let lease = super::lease::WorkerLease::take(
                database.clone(),
                client.id(),
                self.worker_lease,
                self.backoff,
            );
            Some(lease.await?)
        } else {
            None
        };
        Ok(TaskQueue {
            inner: Arc::new(Inner {
                client,
                writer: database.writer(self.write_timeout),
                database,
                counters,
                workers: run_workers,
                run: Mutex::new(WorkersRun::default()),
                threads,
                chores: Mutex::new(Vec::new()),
                worked_queues,
                lease,
                tasks: tasks.iter().map(TaskRegistration::name).collect(),
                setups,
                write_timeout: self.write_timeout,
                group: Group::default(),
                notices: Arc::default(),
                checkpoints: Arc::default(),
                #[cfg(feature = "postgres")]
                pending_lists: Arc::default(),
                redactions: self.redactions,
                #[cfg(feature = "dashboard")]
                listing_prepared: tokio::sync::OnceCell::new(),
            }),
        })
    }
}

/// The rescuer looks for abandoned calls often enough that one waits at
/// most about a quarter more than `rescue_after`.
fn rescuer_interval(rescue_after: Duration) -> Duration {
    (rescue_after / 4).clamp(Duration::from_millis(250), Duration::from_secs(30))
}

/// The open durable queue: a handle to write calls, read their state, and
/// run the workers. Cheap to clone. Hand it to the app with
/// [`App::durable`](crate::App::durable), and take it as a handler
/// parameter to read a call's state or to write a call in a transaction
/// of the handler's own.
#[derive(Clone)]
pub struct TaskQueue {
    inner: Arc<Inner>,
}

/// The workers' run, while any server (or `run_worker`) uses them.
#[derive(Default)]
struct WorkersRun {
    handle: Option<RunHandle>,
    /// How many started them and have not stopped them yet.
    users: usize,
}

struct Inner {
    client: Client,
    database: Database,
    /// Where the group commit writes ([`Database::writer`]).
    writer: Database,
    counters: Arc<DurableCounters>,
    workers: bool,
    run: Mutex<WorkersRun>,
    /// The threads regular `fn` attempts run on.
    threads: Arc<AttemptThreads>,
    /// What runs beside the workers: deleting atode's ids of calls River
    /// has cleaned up, and looking for calls of unknown tasks.
    chores: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The queues this process works.
    worked_queues: Vec<String>,
    /// This process's lease as a worker, when it runs workers.
    lease: Option<super::lease::WorkerLease>,
    tasks: Vec<&'static str>,
    /// Each registered task and what its worker was given, by name: for a
    /// test that runs calls by hand (`testing/`).
    setups: BTreeMap<&'static str, (TaskRegistration, WorkerSetup)>,
    /// The bound on each write in a transaction of atode's own.
    write_timeout: Duration,
    /// The requests' calls waiting for the next group commit.
    group: Group,
    /// When each queue last told other processes of new calls.
    notices: Arc<Notices>,
    /// SQLite's checkpoints, which the group commit leaves to others.
    checkpoints: Arc<Checkpoints>,
    /// PostgreSQL's GIN pending lists, which the group commit leaves to
    /// others.
    #[cfg(feature = "postgres")]
    pending_lists: Arc<PendingLists>,
    /// Arguments a dashboard hides.
    #[cfg_attr(not(feature = "dashboard"), allow(dead_code))]
    redactions: super::redact::Redactions,
    /// Set once the indexes a dashboard lists calls with are made (`calls.rs`).
    #[cfg(feature = "dashboard")]
    listing_prepared: tokio::sync::OnceCell<()>,
}

impl TaskQueue {
    /// Writes a call of `task` now, in a transaction of its own, and
    /// returns its id: for work queued outside a request (a script, a
    /// start-up job). In a handler, queue it on `BackgroundTasks` instead,
    /// so it is written only if the handler succeeds. Bounded by
    /// [`Durable::write_timeout`].
    pub async fn add_task<C, Args>(&self, task: C, args: Args) -> Result<TaskId, DurableError>
    where
        C: DurableCall<Args>,
    {
        let (job, id) = task.into_pending(args);
        self.write(vec![job]).await?;
        Ok(id)
    }

    /// Writes a call of `task` in the caller's transaction: it becomes
    /// visible to workers when the transaction commits, and a rollback
    /// leaves no call. The transaction is a `sqlx` transaction on this
    /// queue's database (`atode::durable::sqlx`); begin it with
    /// [`TaskQueue::begin_sqlite`] or [`TaskQueue::begin_postgres`].
    pub async fn add_task_in<X, C, Args>(
        &self,
        transaction: &mut X,
        task: C,
        args: Args,
    ) -> Result<TaskId, DurableError>
    where
        X: QueueTransaction,
        C: DurableCall<Args>,
    {
        let (job, id) = task.into_pending(args);
        self.write_in(transaction, &[&job.encode()?]).await?;
        self.inner.counters.enqueued(1);
        Ok(id)
    }

    /// A call's state, or `None` for an id this queue never wrote (or
    /// whose record was cleaned up: completed calls are kept 24 hours,
    /// discarded ones 7 days).
    pub async fn status(&self, id: TaskId) -> Result<Option<TaskStatus>, DurableError> {
        let Some(job_id) = self.inner.database.job_id(id).await? else {
            return Ok(None);
        };
        let row = super::error::found(self.inner.client.jobs().get(job_id).await)?;
        Ok(row.map(|row| TaskStatus::from_row(id, &row)))
    }

    /// This process's counts of durable calls written and attempts run.
    pub fn stats(&self) -> DurableStats {
        self.inner.counters.stats()
    }

    /// How many requests' calls wait for the next commit (group commit: they
    /// gather while one is in flight), not counting those in it. A gauge
    /// for metrics; 0 on an idle server.
    pub fn writes_waiting(&self) -> usize {
        self.inner.group.waiting()
    }

    /// How many requests' calls the commit in flight writes (0 or 1 on a
    /// lightly loaded server; more when requests gathered for it).
    pub fn writes_committing(&self) -> usize {
        self.inner.group.in_flight()
    }

    pub(crate) fn count_enqueue_failure(&self) {
        self.inner.counters.enqueue_failed();
    }

    /// The names of the tasks this process registered.
    pub fn tasks(&self) -> &[&'static str] {
        &self.inner.tasks
    }

    /// The SQLite pool, when the queue is on SQLite: for the app's own
    /// tables, in the same file.
    pub fn sqlite_pool(&self) -> Option<&riverqueue::sqlx::SqlitePool> {
        match &self.inner.database {
            Database::Sqlite(pool) => Some(pool),
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, when the queue is on PostgreSQL.
    #[cfg(feature = "postgres")]
    pub fn postgres_pool(&self) -> Option<&riverqueue::sqlx::PgPool> {
        match &self.inner.database {
            Database::Postgres(pool) => Some(pool),
            Database::Sqlite(_) => None,
        }
    }

    /// Begins a write transaction on the SQLite queue (`BEGIN IMMEDIATE`,
    /// so it cannot fail later with a busy snapshot).
    pub async fn begin_sqlite(
        &self,
    ) -> Result<riverqueue::sqlx::Transaction<'static, riverqueue::sqlx::Sqlite>, DurableError>
    {
        match &self.inner.database {
            Database::Sqlite(pool) => Ok(riverqueue::database::begin_sqlite_write(pool).await?),
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => Err(DurableError::config(
                "begin_sqlite: this queue is on PostgreSQL; use begin_postgres".to_owned(),
            )),
        }
    }

    /// Begins a transaction on the PostgreSQL queue.
    #[cfg(feature = "postgres")]
    pub async fn begin_postgres(
        &self,
    ) -> Result<riverqueue::sqlx::Transaction<'static, riverqueue::sqlx::Postgres>, DurableError>
    {
        match &self.inner.database {
            Database::Postgres(pool) => Ok(riverqueue::database::begin_postgres(pool).await?),
            Database::Sqlite(_) => Err(DurableError::config(
                "begin_postgres: this queue is on SQLite; use begin_sqlite".to_owned(),
            )),
        }
    }

    /// Runs this process as a worker only, until Ctrl-C or SIGTERM: then
    /// it stops taking calls, lets running ones finish within
    /// `$ATODE_SHUTDOWN_DEADLINE` (if set), and releases the rest for
    /// another worker. The same binary serves HTTP in other processes.
    pub async fn run_worker(self) -> std::io::Result<()> {
        // Read before the workers start: a bad value stops the process now,
        // not when the signal comes and the stop would be skipped.
        let deadline = crate::serve::shutdown_deadline_from_env()?;
        self.start_workers()?;
        tracing::info!(
            target: "atode::durable",
            tasks = ?self.inner.tasks,
            "worker running; Ctrl-C or SIGTERM stops it"
        );
        // A second signal cancels what still runs at once, as the deadline
        // would (and releases the calls for another worker).
        let signals = crate::serve::Signals::listen();
        signals.nth(1).await;
        self.stop_unless(deadline, signals.nth(2)).await;
        Ok(())
    }

    /// Starts this process's workers, once; a queue made
    /// [`without_workers`](Durable::without_workers) starts none.
    ///
    /// Each server (and each `run_worker`) that starts them is counted, and
    /// [`stop`](Self::stop) stops them only for the last: two servers of one
    /// app share the queue's workers, and the first to stop leaves them to
    /// the other.
    pub(crate) fn start_workers(&self) -> Result<(), DurableError> {
        if !self.inner.workers {
            return Ok(());
        }
        let mut run = lock(&self.inner.run);
        if run.handle.is_none() {
            run.handle = Some(self.inner.client.start()?);
            let database = self.inner.database.clone();
            let known = Known {
                queues: self.inner.worked_queues.clone(),
                tasks: self.inner.tasks.clone(),
            };
            let counters = Arc::clone(&self.inner.counters);
            *lock(&self.inner.chores) = vec![
                tokio::spawn(forget_cleaned_calls(database.clone())),
                tokio::spawn(super::unknown::keep_checking(database, known, counters)),
            ];
            if let Some(lease) = &self.inner.lease {
                lease.keep();
            }
        }
        run.users += 1;
        Ok(())
    }

    /// Stops the workers: no new call is taken; running ones finish, until
    /// `deadline`, when they are cancelled and their calls released for
    /// another worker without using up an attempt. A regular `fn` cannot
    /// be stopped: its call is released all the same, and the function runs
    /// on, on a thread of the queue's own that does not hold the process
    /// (it ends when `main` returns).
    pub(crate) async fn stop(&self, deadline: Option<Duration>) {
        self.stop_unless(deadline, std::future::pending()).await;
    }

    /// [`stop`](Self::stop), cancelling what still runs as soon as
    /// `abandon` completes too.
    pub(crate) async fn stop_unless(
        &self,
        deadline: Option<Duration>,
        abandon: impl Future<Output = ()>,
    ) {
        let run = {
            let mut run = lock(&self.inner.run);
            run.users = run.users.saturating_sub(1);
            if run.users > 0 {
                // Another server still works the queue.
                return;
            }
            run.handle.take()
        };
        for chore in lock(&self.inner.chores).drain(..) {
            chore.abort();
        }
        let Some(mut run) = run else {
            return;
        };
        let stopper = run.stopper();
        stopper.stop();
        let deadline_passed = async {
            match deadline {
                Some(deadline) => tokio::time::sleep(deadline).await,
                None => std::future::pending().await,
            }
        };
        let gave_up = tokio::select! {
            stopped = run.wait() => Err(stopped),
            () = deadline_passed => Ok(format!("shutdown deadline of {:?} passed", deadline.unwrap_or_default())),
            () = abandon => Ok("told to abandon the shutdown".to_owned()),
        };
        let stopped = match gave_up {
            Err(stopped) => stopped,
            Ok(why) => {
                tracing::warn!(
                    target: "atode::durable",
                    "{why}; cancelling running durable tasks and releasing them"
                );
                stopper.stop_and_cancel();
                run.wait().await
            }
        };
        if let Err(error) = stopped {
            tracing::error!(target: "atode::durable", %error, "durable workers stopped with an error");
        }
        if let Some(lease) = &self.inner.lease {
            lease.end().await;
        }
        let running = self.inner.threads.running();
        if running > 0 {
            tracing::warn!(
                target: "atode::durable",
                running,
                "{running} regular `fn` attempt(s) the queue stopped waiting for (timed out, or past the deadline) still run on their threads; their calls are back in the queue, and the threads end with the process"
            );
        }
    }

    /// The bound on each write in a transaction of atode's own.
    pub(super) fn write_timeout(&self) -> Duration {
        self.inner.write_timeout
    }

    pub(super) fn group(&self) -> &Group {
        &self.inner.group
    }

    pub(super) fn database(&self) -> &Database {
        &self.inner.database
    }

    pub(super) fn writer(&self) -> &Database {
        &self.inner.writer
    }

    pub(super) fn client(&self) -> &Client {
        &self.inner.client
    }

    #[cfg(feature = "dashboard")]
    pub(crate) fn redactions(&self) -> &super::redact::Redactions {
        &self.inner.redactions
    }

    #[cfg(feature = "dashboard")]
    pub(super) fn listing_prepared(&self) -> &tokio::sync::OnceCell<()> {
        &self.inner.listing_prepared
    }

    pub(super) fn notices(&self) -> &Arc<Notices> {
        &self.inner.notices
    }

    pub(super) fn checkpoints(&self) -> &Arc<Checkpoints> {
        &self.inner.checkpoints
    }

    #[cfg(feature = "postgres")]
    pub(super) fn pending_lists(&self) -> &Arc<PendingLists> {
        &self.inner.pending_lists
    }

    pub(super) fn counters(&self) -> &DurableCounters {
        &self.inner.counters
    }

    /// The task named `name`, and its worker's setup, if this process
    /// registered it.
    pub(super) fn setup_of(&self, name: &str) -> Option<&(TaskRegistration, WorkerSetup)> {
        self.inner.setups.get(name)
    }

    /// Whether this process's workers are running this queue's calls.
    pub(super) fn workers_running(&self) -> bool {
        lock(&self.inner.run).handle.is_some()
    }
}

/// How often a worker process deletes the ids of calls River cleaned up.
const FORGET_EVERY: Duration = Duration::from_secs(10 * 60);

async fn forget_cleaned_calls(database: Database) {
    let mut every =
        tokio::time::interval_at(tokio::time::Instant::now() + FORGET_EVERY, FORGET_EVERY);
    loop {
        every.tick().await;
        match database.forget_cleaned().await {
            Ok(0) => {}
            Ok(forgotten) => {
                tracing::debug!(target: "atode::durable", forgotten, "forgot the ids of cleaned-up calls")
            }
            Err(error) => {
                tracing::warn!(target: "atode::durable", %error, "could not forget the ids of cleaned-up calls; trying again later")
            }
        }
    }
}

impl std::fmt::Debug for TaskQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskQueue")
            .field("database", &self.inner.database)
            .field("tasks", &self.inner.tasks)
            .field("workers", &self.inner.workers)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::background::task::Work;
    use crate::durable::TaskState;

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    /// What `#[task] async fn count(step: usize)` expands to.
    #[derive(Clone, Copy)]
    struct Count;

    impl Task for Count {
        const NAME: &'static str = "count";
        type Args = (usize,);

        fn run((step,): (usize,)) -> Work {
            Work::future(async move {
                CALLS.fetch_add(step, Ordering::SeqCst);
            })
        }
    }

    fn database_file(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("atode-queue-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("tasks.sqlite3")
    }

    async fn final_status(queue: &TaskQueue, id: TaskId) -> TaskStatus {
        // Polls the queue's own record: the worker may be in any process.
        let guard = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let status = queue
                .status(id)
                .await
                .unwrap()
                .expect("the call was written");
            if status.state.is_final() || tokio::time::Instant::now() > guard {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn a_call_written_directly_runs_once_on_this_processs_worker() {
        let queue = Durable::sqlite(database_file("direct"))
            .task(Count)
            .poll_interval(Duration::from_millis(50))
            .connect()
            .await
            .unwrap();
        let id = queue.add_task(Count, (7,)).await.unwrap();
        let written = queue.status(id).await.unwrap().unwrap();
        assert_eq!((written.state, written.attempt), (TaskState::Queued, 0));

        queue.start_workers().unwrap();
        let done = final_status(&queue, id).await;
        assert_eq!((done.state, done.attempt), (TaskState::Completed, 1));
        assert_eq!(done.task, "count");
        assert_eq!(CALLS.load(Ordering::SeqCst), 7);
        assert_eq!(queue.stats().enqueued, 1);
        assert_eq!(queue.stats().completed, 1);
        queue.stop(Some(Duration::from_secs(5))).await;
    }

    #[tokio::test]
    async fn a_duplicates_id_is_forgotten_once_river_cleaned_up_its_call() {
        let queue = Durable::sqlite(database_file("forget"))
            .task(Count)
            .connect()
            .await
            .unwrap();
        let kept = queue.add_task(Count, (1,)).await.unwrap();
        let cleaned = queue.add_task(Count, (2,)).await.unwrap();
        let database = &queue.inner.database;
        let (kept_job, cleaned_job) = (
            database.job_id(kept).await.unwrap().unwrap(),
            database.job_id(cleaned).await.unwrap().unwrap(),
        );
        // Two duplicates' ids, as `write_in` records them.
        let pool = queue.sqlite_pool().unwrap();
        let (duplicate_of_kept, duplicate_of_cleaned) = (TaskId::random(), TaskId::random());
        for (id, job) in [
            (duplicate_of_kept, kept_job),
            (duplicate_of_cleaned, cleaned_job),
        ] {
            sql(
                pool,
                "INSERT INTO atode_task (id, job_id) VALUES ($1, $2)",
                id.to_string(),
                job,
            )
            .await;
        }
        assert_eq!(
            database.job_id(duplicate_of_cleaned).await.unwrap(),
            Some(cleaned_job)
        );
        // What River's cleaner does to a call past its retention.
        sql(
            pool,
            "DELETE FROM river_job WHERE id = $2 AND $1 = $1",
            String::new(),
            cleaned_job,
        )
        .await;

        assert_eq!(database.forget_cleaned().await.unwrap(), 1);
        assert_eq!(database.job_id(duplicate_of_cleaned).await.unwrap(), None);
        assert_eq!(
            database.job_id(duplicate_of_kept).await.unwrap(),
            Some(kept_job)
        );
        assert_eq!(database.forget_cleaned().await.unwrap(), 0);
    }

    async fn sql(
        pool: &riverqueue::sqlx::SqlitePool,
        statement: &'static str,
        text: String,
        number: i64,
    ) {
        riverqueue::sqlx::query(statement)
            .bind(text)
            .bind(number)
            .execute(pool)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_unknown_id_has_no_status() {
        let queue = Durable::sqlite(database_file("unknown"))
            .connect()
            .await
            .unwrap();
        assert!(queue.status(TaskId::random()).await.unwrap().is_none());
    }
}
