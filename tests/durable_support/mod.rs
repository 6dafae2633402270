//! What the durable suite shares: a throwaway database per test on each
//! backend, the fixture tasks, and the fixture process (this test binary
//! run again as a worker or a server, so a test can SIGKILL it).

#![allow(dead_code)] // each suite uses its own part of this module

/// Runs each scenario (an `async fn(TestDb)` of the suite) as one test per
/// backend, in `mod sqlite` and `mod postgres`; the scenarios after
/// `postgres_only:` (a cut connection, say, which a SQLite file has not)
/// only in `mod postgres`. A PostgreSQL test built without
/// `ATODE_TEST_POSTGRES_URL` is ignored, with the reason (`build.rs`), so
/// the summary counts it as not run.
#[allow(unused_macros)] // `tests/examples.rs` uses the rest of this module
macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)? $(; postgres_only: $($postgres_only:ident),* $(,)?)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let backend = super::durable_support::Backend::Sqlite;
                    let db = super::durable_support::TestDb::new(backend, stringify!($scenario)).await;
                    super::$scenario(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(atode_postgres), ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it")]
                async fn $scenario() {
                    let backend = super::durable_support::Backend::Postgres;
                    let db = super::durable_support::TestDb::new(backend, stringify!($scenario)).await;
                    super::$scenario(db).await;
                }
            )*
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(atode_postgres), ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it")]
                async fn $postgres_only() {
                    let backend = super::durable_support::Backend::Postgres;
                    let db = super::durable_support::TestDb::new(backend, stringify!($postgres_only)).await;
                    super::$postgres_only(db).await;
                }
            )*)?
        }
    };
}

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use atode::durable::{Durable, TaskId, TaskQueue, TaskState, TaskStatus, current, task};
use atode::{App, BackgroundTasks, Json, post, routes};

/// The longest any wait of the suite may take before the test fails as
/// hung. Recovering a killed worker's call waits for the dead leader's
/// lease (its elect interval + 10 s) and for `RESCUE_AFTER`.
pub const GUARD: Duration = Duration::from_secs(90);

/// How long a call may sit `running` with its worker gone.
pub const RESCUE_AFTER: Duration = Duration::from_secs(2);

/// A rescue time no test waits for (`FIXTURE_RESCUE_AFTER_MS`): a killed
/// worker's call that runs again within `GUARD` was released because its
/// worker lease expired, not by River's rescuer.
pub const LONG_RESCUE_MS: &str = "600000";

/// A worker lease short enough for a test not to wait
/// (`FIXTURE_LEASE_MS`); without it the fixture keeps atode's default.
pub const SHORT_LEASE_MS: &str = "1000";

/// How often an idle worker looks for calls.
pub const POLL: Duration = Duration::from_millis(50);

/// The wait before a failed call's second attempt, doubled for each later one.
pub const BACKOFF: Duration = Duration::from_millis(200);

/// The variable naming a PostgreSQL server for the suite; unset when the
/// suite is built, its PostgreSQL tests are ignored (`build.rs`).
pub const POSTGRES_VAR: &str = "ATODE_TEST_POSTGRES_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database of the test's own, and a scratch directory for its effects.
pub struct TestDb {
    pub url: String,
    pub dir: PathBuf,
    postgres: Option<(String, String)>,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    /// A fresh database on `backend`. A PostgreSQL test run without a
    /// server (`--include-ignored`, or a binary built with the variable
    /// and run without it) fails, saying so: it never passes untested.
    pub async fn new(backend: Backend, test: &str) -> TestDb {
        let unique = format!(
            "{test}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(format!("atode-durable-{unique}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}", dir.join("queue.sqlite3").display()),
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let Ok(admin) = std::env::var(POSTGRES_VAR) else {
                    panic!(
                        "{test} runs on PostgreSQL: set {POSTGRES_VAR} (e.g. \
                         postgres://postgres@127.0.0.1:5432/test) when building and running it"
                    );
                };
                let name = format!("atode_{unique}").to_lowercase();
                let mut connection = connect_postgres(&admin).await;
                atode::durable::sqlx::query(atode::durable::sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE \"{name}\""
                )))
                .execute(&mut connection)
                .await
                .expect("create the test's database");
                let url = with_database(&admin, &name);
                TestDb {
                    url,
                    dir,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    /// The queue as the test process opens it: no workers of its own
    /// unless `tasks` registers some.
    pub fn durable(&self) -> Durable {
        fixture_tasks(Durable::url(&self.url))
            .rescue_after(RESCUE_AFTER)
            .retry_backoff(BACKOFF, BACKOFF * 16)
            .poll_interval(POLL)
    }

    /// Opens the queue for reading and writing only.
    pub async fn queue(&self) -> TaskQueue {
        self.durable()
            .without_workers()
            .connect()
            .await
            .expect("open the test's queue")
    }

    /// The effects the fixture tasks recorded, in order.
    pub fn effects(&self) -> Vec<Effect> {
        read_effects(&self.dir)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = self.postgres.take() {
            // Dropped on a thread of its own: `drop` cannot await, and the
            // test's runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let mut connection = connect_postgres(&admin).await;
                    let _ = atode::durable::sqlx::query(atode::durable::sqlx::AssertSqlSafe(
                        format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    ))
                    .execute(&mut connection)
                    .await;
                });
            })
            .join();
        }
    }
}

async fn connect_postgres(url: &str) -> atode::durable::sqlx::PgConnection {
    use atode::durable::sqlx::Connection;
    atode::durable::sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|error| panic!("connect to {POSTGRES_VAR}: {error}"))
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |at| at + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

// ---------------------------------------------------------------- effects

/// One line a fixture task appended to `effects.log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    pub what: String,
    pub key: String,
    pub id: String,
    pub attempt: u32,
    pub pid: u32,
    /// When it was recorded, in milliseconds since the Unix epoch.
    pub at_ms: u64,
}

fn read_effects(dir: &Path) -> Vec<Effect> {
    let text = std::fs::read_to_string(dir.join("effects.log")).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            Some(Effect {
                what: fields.next()?.to_owned(),
                key: fields.next()?.to_owned(),
                id: fields.next()?.to_owned(),
                attempt: fields.next()?.parse().ok()?,
                pid: fields.next()?.parse().ok()?,
                at_ms: fields.next()?.parse().ok()?,
            })
        })
        .collect()
}

/// Appends one line: a single `write` on an `O_APPEND` file, so lines from
/// many processes never interleave.
fn record(what: &str, key: &str) {
    let dir = std::env::var("FIXTURE_DIR").expect("FIXTURE_DIR");
    let call = current().expect("a fixture task runs as a durable call");
    let line = format!(
        "{what} {key} {} {} {} {}\n",
        call.id,
        call.attempt,
        std::process::id(),
        now_ms()
    );
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(Path::new(&dir).join("effects.log"))
        .expect("open effects.log");
    file.write_all(line.as_bytes()).expect("append effect");
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

fn recorded(what: &str, key: &str) -> bool {
    let dir = std::env::var("FIXTURE_DIR").expect("FIXTURE_DIR");
    read_effects(Path::new(&dir))
        .iter()
        .any(|effect| effect.what == what && effect.key == key)
}

/// Waits, without end, for the test to create `dir/name`.
async fn released(name: &str) {
    let dir = std::env::var("FIXTURE_DIR").expect("FIXTURE_DIR");
    let path = Path::new(&dir).join(name);
    while !path.exists() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------- tasks

/// Completes at once.
#[task]
pub async fn done(key: String) {
    record("done", &key);
}

/// Its first attempt never ends (the test kills its process); a later
/// attempt completes.
#[task]
pub async fn hang_first(key: String) {
    record("start", &key);
    if current().map(|call| call.attempt) == Some(1) {
        std::future::pending::<()>().await;
    }
    record("done", &key);
}

/// Charges once: the effect is keyed by `key`, so an attempt after a crash
/// that came between the effect and the acknowledgement does not repeat it.
#[task]
pub fn charge_then_hang(key: String) {
    if !recorded("charge", &key) {
        record("charge", &key);
    }
    if current().map(|call| call.attempt) == Some(1) {
        // Killed here: after the effect, before River records the outcome.
        loop {
            std::thread::park();
        }
    }
    record("done", &key);
}

#[task(max_attempts = 3)]
pub async fn always_fails(key: String) -> Result<(), String> {
    record("attempt", &key);
    Err(format!("{key} failed on purpose"))
}

#[task(max_attempts = 3)]
pub async fn panics(key: String) {
    record("attempt", &key);
    panic!("{key} panicked on purpose");
}

/// Takes its whole process down, every attempt.
#[task(max_attempts = 2)]
pub fn aborts(key: String) {
    record("attempt", &key);
    std::process::abort();
}

/// Attempt 1 waits for the test's `release` file; attempt 2 fails.
#[task(max_attempts = 2)]
pub async fn stalls_then_fails(key: String) -> Result<(), String> {
    record("attempt", &key);
    if current().map(|call| call.attempt) == Some(1) {
        released("release").await;
        record("late", &key);
        return Ok(());
    }
    Err("the second attempt fails".to_owned())
}

/// Charges an order at most once an hour, whatever asks for it.
#[task(unique_for = "1h")]
pub async fn charge_once(order: String) {
    record("charge", &order);
}

/// Runs until the test creates the `release` file.
#[task]
pub async fn waits_for_release(key: String) {
    record("start", &key);
    released("release").await;
    record("done", &key);
}

/// Blocks its thread until the test creates `dir/name`, an hour at most:
/// a regular `fn` no stop can interrupt.
fn block_until_released(name: &str) {
    let dir = std::env::var("FIXTURE_DIR").expect("FIXTURE_DIR");
    let path = Path::new(&dir).join(name);
    let started = std::time::Instant::now();
    while !path.exists() && started.elapsed() < Duration::from_secs(3600) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A regular `fn` stuck (for an hour) until the test creates `release`.
#[task]
pub fn blocks_until_release(key: String) {
    record("start", &key);
    block_until_released("release");
    record("done", &key);
}

/// How many attempts of `overlaps` run at once in this process.
static OVERLAPS_RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A regular `fn` that outlives its one-second timeout until the test
/// creates `release`; records `overlap` if another attempt of it runs in
/// this process at the same time.
#[task(timeout = "1s", max_attempts = 5)]
pub fn overlaps(key: String) {
    let running = OVERLAPS_RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    record("enter", &key);
    if running > 1 {
        record("overlap", &key);
    }
    block_until_released("release");
    record("leave", &key);
    OVERLAPS_RUNNING.fetch_sub(1, Ordering::SeqCst);
}

pub fn fixture_tasks(durable: Durable) -> Durable {
    durable
        .task(done)
        .task(waits_for_release)
        .task(charge_once)
        .task(hang_first)
        .task(charge_then_hang)
        .task(always_fails)
        .task(panics)
        .task(aborts)
        .task(stalls_then_fails)
        .task(blocks_until_release)
        .task(overlaps)
}

#[derive(serde::Serialize)]
struct Queued {
    task_id: TaskId,
}

#[post("/done/<key>")]
async fn enqueue_done(key: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(done, (key,));
    Json(Queued { task_id })
}

// ---------------------------------------------------------------- the fixture process

/// What a fixture process does: work the queue, or also serve HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Worker,
    Server,
}

/// The fixture process's body: run from the ignored test `fixture_process`
/// when the suite starts this binary again with `FIXTURE_ROLE` set.
pub fn fixture_main() {
    let Ok(role) = std::env::var("FIXTURE_ROLE") else {
        return;
    };
    tracing_subscriber::fmt()
        .with_env_filter("atode=info,riverqueue=info")
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let url = std::env::var("ATODE_DATABASE_URL").expect("ATODE_DATABASE_URL");
        let concurrency: usize = std::env::var("FIXTURE_CONCURRENCY")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(4);
        let backoff = std::env::var("FIXTURE_BACKOFF_MS")
            .ok()
            .and_then(|value| value.parse().ok())
            .map_or(BACKOFF, Duration::from_millis);
        let millis = |var: &str| {
            std::env::var(var)
                .ok()
                .map(|value| Duration::from_millis(value.parse().expect("milliseconds")))
        };
        let mut durable = fixture_tasks(Durable::url(url)).queue("default", concurrency);
        // `FIXTURE_DEFAULTS`: atode's settings as an app gets them.
        if std::env::var("FIXTURE_DEFAULTS").is_err() {
            durable = durable
                .rescue_after(millis("FIXTURE_RESCUE_AFTER_MS").unwrap_or(RESCUE_AFTER))
                .retry_backoff(backoff, backoff * 16)
                .poll_interval(POLL);
        }
        if concurrency == 0 {
            durable = durable.without_workers();
        }
        if let Some(lease) = millis("FIXTURE_LEASE_MS") {
            durable = durable.worker_lease(lease);
        }
        if std::env::var("FIXTURE_PERIODIC").is_ok() {
            durable = durable.periodic(done, "@every 1s", ("tick".to_owned(),));
        }
        let queue = durable.connect().await.expect("open the queue");
        match role.as_str() {
            "worker" => {
                println!("worker ready {}", std::process::id());
                queue.run_worker().await.expect("worker");
            }
            "server" => {
                let app = App::new().durable(queue).routes(routes![enqueue_done]);
                atode::run(app).await.expect("server");
            }
            other => panic!("unknown FIXTURE_ROLE {other:?}"),
        }
    });
    if std::env::var("FIXTURE_DROP_RUNTIME").is_ok() {
        // What `#[tokio::main]` does when `main` returns: dropping the
        // runtime waits for every thread of its blocking pool.
        drop(runtime);
    }
    std::process::exit(0);
}

/// A fixture process; killed if the test ends first.
pub struct Fixture {
    child: Option<Child>,
    stderr: Option<JoinHandle<String>>,
    pub pid: u32,
    pub addr: Option<SocketAddr>,
}

impl Fixture {
    pub async fn start(db: &TestDb, role: Role, concurrency: usize) -> Fixture {
        Self::start_with(db, role, concurrency, &[]).await
    }

    /// Starts a fixture with extra environment variables
    /// (`FIXTURE_BACKOFF_MS`). A concurrency of 0 runs no workers.
    pub async fn start_with(
        db: &TestDb,
        role: Role,
        concurrency: usize,
        env: &[(&str, &str)],
    ) -> Fixture {
        let mut child = Command::new(std::env::current_exe().expect("current exe"))
            .args([
                "--exact",
                "fixture_process",
                "--ignored",
                "--nocapture",
                "--quiet",
            ])
            .env(
                "FIXTURE_ROLE",
                match role {
                    Role::Worker => "worker",
                    Role::Server => "server",
                },
            )
            .env("FIXTURE_DIR", &db.dir)
            .env("FIXTURE_CONCURRENCY", concurrency.to_string())
            .env("ATODE_DATABASE_URL", &db.url)
            .env("ATODE_ADDR", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the fixture process");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = crate::common::example::read_to_end(child.stderr.take().expect("stderr"));
        let pid = child.id();
        let mut fixture = Fixture {
            child: Some(child),
            stderr: Some(stderr),
            pid,
            addr: None,
        };
        let line = tokio::time::timeout(
            GUARD,
            tokio::task::spawn_blocking(move || {
                let mut reader = BufReader::new(stdout);
                let mut line = String::new();
                // The test harness may print before the fixture does.
                loop {
                    line.clear();
                    if reader.read_line(&mut line).ok()? == 0 {
                        return None;
                    }
                    if line.starts_with("worker ready") || line.starts_with("atode listening") {
                        // Keep draining stdout so the child never blocks on it.
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut reader, &mut std::io::sink());
                        });
                        return Some(line);
                    }
                }
            }),
        )
        .await
        .expect("the fixture process to start")
        .expect("reader thread");
        let Some(line) = line else {
            let stderr = fixture.kill_and_logs();
            panic!("the fixture process exited before it was ready: {stderr}");
        };
        if let Some(addr) = line.trim().strip_prefix("atode listening on http://") {
            fixture.addr = Some(addr.parse().expect("a socket address"));
        }
        fixture
    }

    /// SIGKILL: no shutdown, no release of its calls.
    pub fn kill(&mut self) -> String {
        self.kill_and_logs()
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {}", self.pid);
    }

    /// SIGTERM, and waits for a graceful exit; returns its logs.
    pub async fn terminate(mut self) -> String {
        self.signal("TERM");
        let mut child = self.child.take().expect("child");
        let waited = tokio::time::timeout(GUARD, tokio::task::spawn_blocking(move || child.wait()))
            .await
            .expect("the fixture to exit after SIGTERM")
            .expect("waiter")
            .expect("wait");
        let logs = self.logs();
        assert!(waited.success(), "fixture exited with {waited}: {logs}");
        logs
    }

    /// SIGTERM, and waits for the process to exit, at most `bound` (then
    /// it is killed and the test fails); returns how long it took after
    /// the signal, and its logs.
    pub async fn terminate_within(mut self, bound: Duration) -> (Duration, String) {
        let mut child = self.child.take().expect("child");
        let signalled = std::time::Instant::now();
        self.signal("TERM");
        let mut waiter = tokio::task::spawn_blocking(move || child.wait());
        let waited = match tokio::time::timeout(bound, &mut waiter).await {
            Ok(waited) => waited.expect("waiter").expect("wait"),
            Err(_) => {
                self.signal("KILL");
                let _ = waiter.await;
                let logs = self.logs();
                panic!("the fixture did not exit within {bound:?} of SIGTERM: {logs}");
            }
        };
        let took = signalled.elapsed();
        let logs = self.logs();
        assert!(waited.success(), "fixture exited with {waited}: {logs}");
        (took, logs)
    }

    /// Waits for the process to end by itself (a task aborted it).
    pub async fn wait_exit(&mut self) -> String {
        let mut child = self.child.take().expect("child");
        tokio::time::timeout(GUARD, tokio::task::spawn_blocking(move || child.wait()))
            .await
            .expect("the fixture to exit")
            .expect("waiter")
            .expect("wait");
        self.logs()
    }

    fn kill_and_logs(&mut self) -> String {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.logs()
    }

    fn logs(&mut self) -> String {
        self.stderr
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---------------------------------------------------------------- waiting

/// Polls `check` until it returns `Some`, failing the test after `GUARD`.
/// The event is in another process (a row, a line in a file): reading it
/// is the only way to wait on it.
pub async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + GUARD;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {GUARD:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until call `id` is in `state`, and returns its status.
pub async fn until_state(queue: &TaskQueue, id: TaskId, state: TaskState) -> TaskStatus {
    until(&format!("call {id} to be {state:?}"), || async move {
        let status = queue.status(id).await.expect("read status")?;
        (status.state == state).then_some(status)
    })
    .await
}

/// Waits until `effects.log` holds a line `what key`.
pub async fn until_effect(db: &TestDb, what: &str, key: &str) -> Effect {
    until(&format!("effect `{what} {key}`"), || async move {
        db.effects()
            .into_iter()
            .find(|effect| effect.what == what && effect.key == key)
    })
    .await
}

/// How many worker processes hold a lease on the queue (expired or not:
/// a sweep deletes an expired one as it releases its calls).
pub async fn leases(queue: &TaskQueue) -> i64 {
    use atode::durable::sqlx;
    const COUNT: &str = "SELECT count(*) FROM atode_worker";
    match queue.sqlite_pool() {
        Some(pool) => sqlx::query_scalar(COUNT).fetch_one(pool).await,
        None => {
            let pool = queue.postgres_pool().expect("a SQLite or PostgreSQL queue");
            sqlx::query_scalar(COUNT).fetch_one(pool).await
        }
    }
    .expect("count the worker leases")
}

/// How many times River gave calls of `task` back without using up an
/// attempt (its `snoozes` metadata, summed over the task's calls).
pub async fn snoozes(queue: &TaskQueue, task: &str) -> i64 {
    use atode::durable::sqlx;
    if let Some(pool) = queue.sqlite_pool() {
        sqlx::query_scalar(
            "SELECT COALESCE(SUM(json_extract(metadata, '$.snoozes')), 0) FROM river_job WHERE kind = $1",
        )
        .bind(task)
        .fetch_one(pool)
        .await
        .expect("read snoozes")
    } else {
        let pool = queue.postgres_pool().expect("a SQLite or PostgreSQL queue");
        sqlx::query_scalar(
            "SELECT COALESCE(SUM((metadata->>'snoozes')::bigint), 0)::bigint FROM river_job WHERE kind = $1",
        )
        .bind(task)
        .fetch_one(pool)
        .await
        .expect("read snoozes")
    }
}

// ---------------------------------------------------------------- a cuttable connection

// The proxy lives in `tests/common/` so that other suites (the broadcast
// channel's) cut their connections the same way.
#[allow(unused_imports)] // the suites that cut no connection
pub use crate::common::proxy::{Proxy, host_port, through};
