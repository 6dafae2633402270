//! "A 200 means committed": a real server on loopback, with a durable
//! queue on SQLite and on PostgreSQL (when `ATODE_TEST_POSTGRES_URL` names
//! one). The queue's workers are off, so what a response promised is read
//! back from the queue exactly as the response left it.

mod common;
#[macro_use]
mod durable_support;

use atode::durable::{TaskId, TaskQueue, TaskState, task};
use atode::{App, BackgroundTasks, Json, State, StatusCode, post, routes};
use common::{Http1, TestServer, request};
use durable_support::TestDb;
use serde::Serialize;

#[task]
async fn notify(email: String) {
    let _ = email;
}

#[derive(Serialize)]
struct Queued {
    task_id: TaskId,
}

/// Holds the request's in-process tasks until the test opens it: a call
/// written after the response, by those tasks, could not be there yet.
#[derive(Clone)]
struct Gate(std::sync::Arc<tokio::sync::Semaphore>);

async fn wait_at(gate: Gate) {
    let _ = gate.0.acquire().await;
}

#[post("/notify/<email>")]
async fn queue_one(email: String, tasks: BackgroundTasks, gate: State<Gate>) -> Json<Queued> {
    tasks.add_task(wait_at, (gate.0.clone(),));
    let task_id = tasks.add_task(notify, (email,));
    Json(Queued { task_id })
}

#[post("/fails/<email>")]
async fn queue_then_fail(
    email: String,
    tasks: BackgroundTasks,
) -> Result<&'static str, StatusCode> {
    tasks.add_task(notify, (email,));
    Err(StatusCode::CONFLICT)
}

#[post("/panics/<email>")]
async fn queue_then_panic(email: String, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(notify, (email,));
    panic!("the handler failed after queuing");
}

#[post("/both/<email>")]
async fn queue_both_kinds(email: String, tasks: BackgroundTasks) -> Json<Queued> {
    tasks.add_task(|| {}, ());
    let task_id = tasks.add_task(notify, (email.clone(),));
    tasks.add_task(notify, (format!("{email} again"),));
    Json(Queued { task_id })
}

async fn server(db: &TestDb) -> (TestServer, TaskQueue, atode::TaskMonitor, Gate) {
    let queue = db
        .durable()
        .task(notify)
        .without_workers()
        .connect()
        .await
        .expect("open the queue");
    let gate = Gate(std::sync::Arc::new(tokio::sync::Semaphore::new(0)));
    let app = App::new()
        .durable(queue.clone())
        .state(gate.clone())
        .routes(routes![
            queue_one,
            queue_then_fail,
            queue_then_panic,
            queue_both_kinds
        ]);
    let monitor = app.task_monitor();
    (TestServer::start(app).await, queue, monitor, gate)
}

/// Rows in River's job table: every call written, whatever its state.
async fn calls_written(queue: &TaskQueue) -> i64 {
    let sql = "SELECT count(*) FROM river_job";
    match queue.sqlite_pool() {
        Some(pool) => {
            atode::durable::sqlx::query_scalar(sql)
                .fetch_one(pool)
                .await
        }
        None => {
            atode::durable::sqlx::query_scalar(sql)
                .fetch_one(queue.postgres_pool().expect("a PostgreSQL queue"))
                .await
        }
    }
    .expect("count the calls")
}

on_every_backend!(
    the_call_is_in_the_queue_when_the_200_arrives,
    a_handler_that_fails_or_panics_writes_nothing,
    a_write_that_fails_answers_503_and_keeps_nothing,
    a_write_waiting_on_a_lock_answers_503_at_its_bound_and_commits_nothing,
    two_servers_of_one_app_share_its_workers_until_the_last_stops,
    opening_an_existing_queue_logs_nothing_about_its_schema,
    requests_that_arrive_during_a_commit_share_the_next_one,
    a_refused_call_in_a_shared_commit_fails_only_its_request,
    a_call_committed_while_the_workers_idle_starts_before_any_poll,
    a_call_committed_by_a_process_without_workers_wakes_another_before_any_poll,
    a_task_left_off_the_queues_builder_runs,
    calls_of_a_task_the_program_lacks_are_counted,
);

async fn the_call_is_in_the_queue_when_the_200_arrives(db: TestDb) {
    let (server, queue, _, gate) = server(&db).await;
    let mut client = Http1::connect(server.addr).await;
    let (status, _, body) = client.fetch(request("POST", "/notify/a@example.com")).await;
    assert_eq!(status, 200, "{body}");
    let id: TaskId = serde_json::from_str::<serde_json::Value>(&body).unwrap()["task_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Read right after the response, with no wait: it was written before.
    let written = queue
        .status(id)
        .await
        .unwrap()
        .expect("the call is in the queue");
    assert_eq!((written.state, written.attempt), (TaskState::Queued, 0));
    assert_eq!(written.task, "notify");
    assert_eq!(queue.stats().enqueued, 1);
    gate.0.add_permits(1);
}

async fn a_handler_that_fails_or_panics_writes_nothing(db: TestDb) {
    let (server, queue, monitor, _) = server(&db).await;
    let mut client = Http1::connect(server.addr).await;
    let (status, _, _) = client.fetch(request("POST", "/fails/a@example.com")).await;
    assert_eq!(status, 409);
    let (status, _, _) = Http1::connect(server.addr)
        .await
        .fetch(request("POST", "/panics/a@example.com"))
        .await;
    assert_eq!(status, 500);
    assert_eq!(calls_written(&queue).await, 0);
    assert_eq!(queue.stats().enqueued, 0);
    // The two calls are counted as discarded, as in-process tasks are,
    // before the response is sent.
    assert_eq!(monitor.stats().discarded, 2);
}

async fn a_write_that_fails_answers_503_and_keeps_nothing(db: TestDb) {
    let (server, queue, monitor, _) = server(&db).await;
    // The database refuses the request's second call: the first, written
    // in the same transaction, must go with it.
    match queue.sqlite_pool() {
        Some(pool) => drop(
            atode::durable::sqlx::query(
                "CREATE TRIGGER refuse_again BEFORE INSERT ON river_job \
                 WHEN json(NEW.args) LIKE '%again%' BEGIN SELECT RAISE(ABORT, 'refused'); END",
            )
            .execute(pool)
            .await
            .unwrap(),
        ),
        None => {
            let pool = queue.postgres_pool().unwrap();
            for statement in [
                "CREATE FUNCTION refuse_again() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN IF NEW.args::text LIKE '%again%' THEN RAISE EXCEPTION 'refused'; END IF; \
                 RETURN NEW; END $$",
                "CREATE TRIGGER refuse_again BEFORE INSERT ON river_job \
                 FOR EACH ROW EXECUTE FUNCTION refuse_again()",
            ] {
                atode::durable::sqlx::query(statement)
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
    }

    let (status, headers, body) = Http1::connect(server.addr)
        .await
        .fetch(request("POST", "/both/a@example.com"))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(headers[http::header::RETRY_AFTER], "1");
    assert_eq!(
        body,
        r#"{"detail":"The background work could not be queued; retry shortly"}"#
    );
    assert_eq!(
        calls_written(&queue).await,
        0,
        "the write was not rolled back"
    );
    let stats = monitor.stats();
    assert_eq!(stats.durable.enqueue_failed, 1);
    // The request's in-process task is dropped with it: a 503 promises nothing.
    assert_eq!((stats.scheduled, stats.discarded), (0, 1));
}

// ---------------------------------------------------------------- the bound on the write

use std::time::{Duration, Instant};

use atode::durable::Durable;
use durable_support::{Backend, Proxy, host_port, through, until};

/// How long a request may wait for its calls to be written, in these tests.
const BOUND: Duration = Duration::from_secs(1);

/// How much later than the bound its `503` may come on a loaded machine:
/// less than the 10 s SQLite waits for a lock on its own, which a write
/// with no bound of its own would wait out.
const MARGIN: Duration = Duration::from_secs(5);

const NOT_QUEUED: &str = r#"{"detail":"The background work could not be queued; retry shortly"}"#;

#[post("/bounded/<email>")]
async fn queue_bounded(email: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(notify, (email,));
    Json(Queued { task_id })
}

/// A server whose queue, at `url`, bounds each write by [`BOUND`], under a
/// cap of one request with pending work: a request whose place under the
/// cap was not given back gets the next one refused.
async fn bounded_server(url: &str) -> (TestServer, TaskQueue, atode::TaskMonitor) {
    let queue = Durable::url(url)
        .task(notify)
        .without_workers()
        .write_timeout(BOUND)
        .connect()
        .await
        .expect("open the queue");
    let app = App::new()
        .durable(queue.clone())
        .max_pending_tasks(1)
        .routes(routes![queue_bounded]);
    let monitor = app.task_monitor();
    (TestServer::start(app).await, queue, monitor)
}

/// `POST /bounded/<email>` on a new connection: its answer, and how long
/// it took. Fails the test if the answer does not come within the bound
/// and the margin.
async fn post_bounded(
    server: &TestServer,
    email: &str,
) -> (StatusCode, http::HeaderMap, String, Duration) {
    let started = Instant::now();
    let fetch = async {
        Http1::connect(server.addr)
            .await
            .fetch(request("POST", &format!("/bounded/{email}")))
            .await
    };
    let (status, headers, body) = tokio::time::timeout(BOUND + MARGIN, fetch)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no answer {:?} after the request, past its write bound of {BOUND:?}",
                BOUND + MARGIN
            )
        });
    (status, headers, body, started.elapsed())
}

/// The `503` + `Retry-After` of a write the bound ended, and not sooner.
fn assert_refused_at_the_bound(
    (status, headers, body, took): (StatusCode, http::HeaderMap, String, Duration),
    detail: &str,
) {
    assert_eq!(status, 503, "{body}");
    assert_eq!(headers[http::header::RETRY_AFTER], "1");
    assert_eq!(body, detail);
    assert!(
        took >= BOUND.mul_f64(0.9),
        "answered after {took:?}: something other than the bound of {BOUND:?} ended the write"
    );
}

/// A second connection that holds what the request's write needs: SQLite's
/// write lock (`BEGIN IMMEDIATE`), or River's job table on PostgreSQL.
enum LockHolder {
    Sqlite(atode::durable::sqlx::SqliteConnection),
    Postgres(atode::durable::sqlx::PgConnection),
}

impl LockHolder {
    async fn take(url: &str) -> LockHolder {
        use atode::durable::sqlx::{Connection, raw_sql};
        if url.starts_with("sqlite:") {
            let mut connection = atode::durable::sqlx::SqliteConnection::connect(url)
                .await
                .expect("a second connection");
            raw_sql("BEGIN IMMEDIATE")
                .execute(&mut connection)
                .await
                .expect("take the write lock");
            LockHolder::Sqlite(connection)
        } else {
            let mut connection = atode::durable::sqlx::PgConnection::connect(url)
                .await
                .expect("a second connection");
            raw_sql("BEGIN; LOCK TABLE river_job IN ACCESS EXCLUSIVE MODE")
                .execute(&mut connection)
                .await
                .expect("lock river_job");
            LockHolder::Postgres(connection)
        }
    }

    async fn release(self) {
        use atode::durable::sqlx::raw_sql;
        let released = match self {
            LockHolder::Sqlite(mut connection) => {
                raw_sql("ROLLBACK").execute(&mut connection).await.map(drop)
            }
            LockHolder::Postgres(mut connection) => {
                raw_sql("ROLLBACK").execute(&mut connection).await.map(drop)
            }
        };
        released.expect("release the lock");
    }
}

/// Sessions of the queue's PostgreSQL database in `state` (`idle in
/// transaction`), or waiting on a lock (`state` = `None`).
async fn postgres_sessions(queue: &TaskQueue, state: Option<&str>) -> i64 {
    let pool = queue.postgres_pool().expect("a PostgreSQL queue");
    let sql = match state {
        Some(_) => {
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND state = $1"
        }
        None => {
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND $1::text IS NULL"
        }
    };
    atode::durable::sqlx::query_scalar(sql)
        .bind(state)
        .fetch_one(pool)
        .await
        .expect("read pg_stat_activity")
}

async fn a_write_waiting_on_a_lock_answers_503_at_its_bound_and_commits_nothing(db: TestDb) {
    let (server, queue, monitor) = bounded_server(&db.url).await;
    let holder = LockHolder::take(&db.url).await;

    let answer = post_bounded(&server, "held@example.com").await;
    assert_refused_at_the_bound(answer, NOT_QUEUED);
    if queue.postgres_pool().is_some() {
        // The lock is still held: the server itself aborted the statement
        // waiting on it, rather than leave it queued behind the lock.
        until(
            "the server to abort the insert waiting on the lock",
            || async { (postgres_sessions(&queue, None).await == 0).then_some(()) },
        )
        .await;
    }

    holder.release().await;
    // The first request gave its place under the cap of one back: the next
    // is admitted, and written.
    let (status, _, body, _) = post_bounded(&server, "after@example.com").await;
    assert_eq!(status, 200, "{body}");
    // Only the second request's call was committed.
    assert_eq!(calls_written(&queue).await, 1);
    let stats = monitor.stats();
    assert_eq!(stats.refused, 0);
    assert_eq!(stats.durable.enqueue_failed, 1);
}

/// PostgreSQL, over a connection that goes silent once the request's
/// insert reached the server (on a new connection, its statement is
/// prepared apart, before anything that commits is sent): the client's
/// bound answers `503`, not queued, its connection is closed rather than
/// handed back to the pool, no session is left idle in a transaction,
/// and nothing is committed, though the network is still silent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn a_postgres_write_whose_connection_goes_silent_answers_503_and_commits_nothing() {
    let test = "a_postgres_write_whose_connection_goes_silent";
    let db = TestDb::new(Backend::Postgres, test).await;
    let proxy = Proxy::start(host_port(&db.url)).await;
    let (server, _, monitor) = bounded_server(&through(&db.url, proxy.addr)).await;
    let direct = db.queue().await;

    proxy.stall_when_sent("INSERT INTO");
    let answer = post_bounded(&server, "silent@example.com").await;
    assert!(proxy.stalled(), "the insert never reached the proxy");
    assert_refused_at_the_bound(answer, NOT_QUEUED);
    until(
        "the server to end the session idle in its transaction",
        || async {
            (postgres_sessions(&direct, Some("idle in transaction")).await == 0).then_some(())
        },
    )
    .await;
    assert_eq!(calls_written(&direct).await, 0);

    proxy.restore();
    let (status, _, body, _) = post_bounded(&server, "after@example.com").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        calls_written(&direct).await,
        1,
        "the first call was committed"
    );
    let stats = monitor.stats();
    assert_eq!(stats.refused, 0);
    assert_eq!(stats.durable.enqueue_failed, 1);
}

/// PostgreSQL, over a connection that goes silent once the statement that
/// commits was sent (a batch of plain calls is one statement, run outside
/// a transaction block, that commits as it ends; so the stall waits for
/// the call itself, its arguments in the statement's parameters): the
/// server commits, and its answer never comes. The client cannot know the
/// outcome; it gets `503` at the bound, saying the work may not have been
/// queued, and the call is in the queue all the same. What
/// `Durable::write_timeout` documents: at least once, never "not written"
/// when it may have been.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn a_postgres_commit_left_unanswered_answers_503_and_may_have_committed() {
    let test = "a_postgres_commit_left_unanswered";
    let db = TestDb::new(Backend::Postgres, test).await;
    let proxy = Proxy::start(host_port(&db.url)).await;
    let (server, _, monitor) = bounded_server(&through(&db.url, proxy.addr)).await;
    let direct = db.queue().await;

    proxy.stall_when_sent("unanswered@example.com");
    let answer = post_bounded(&server, "unanswered@example.com").await;
    assert!(proxy.stalled(), "the call never reached the proxy");
    assert_refused_at_the_bound(
        answer,
        r#"{"detail":"The background work may not have been queued; retry shortly"}"#,
    );
    until("the committed call to be read", || async {
        (calls_written(&direct).await == 1).then_some(())
    })
    .await;

    proxy.restore();
    let (status, _, body, _) = post_bounded(&server, "after@example.com").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(calls_written(&direct).await, 2);
    let stats = monitor.stats();
    assert_eq!(stats.refused, 0);
    assert_eq!(stats.durable.enqueue_failed, 1);
}

#[post("/work/<email>")]
async fn queue_work(email: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(notify, (email,));
    Json(Queued { task_id })
}

/// Queues one call through `addr`, and returns its id.
async fn queue_through(addr: std::net::SocketAddr, email: &str) -> TaskId {
    let (status, _, body) = Http1::connect(addr)
        .await
        .fetch(request("POST", &format!("/work/{email}")))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["task_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The queue's workers serve the app, not one server of it: the first of
/// two servers to stop leaves them working for the other.
async fn two_servers_of_one_app_share_its_workers_until_the_last_stops(db: TestDb) {
    let queue = db
        .durable()
        .task(notify)
        .connect()
        .await
        .expect("open the queue");
    let app = App::new()
        .durable(queue.clone())
        .routes(routes![queue_work]);
    let mut first = TestServer::start(app.clone()).await;
    let second = TestServer::start(app).await;
    let before = queue_through(first.addr, "a@example.com").await;
    durable_support::until_state(&queue, before, TaskState::Completed).await;

    first.begin_shutdown();
    common::within("the first server's shutdown", &mut first.handle)
        .await
        .expect("server task")
        .expect("serve");
    let after = queue_through(second.addr, "b@example.com").await;
    durable_support::until_state(&queue, after, TaskState::Completed).await;
}

/// What a subscriber on this thread was given, as text.
#[derive(Clone, Default)]
struct Logged(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logged {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A queue opened again (every start of a program after its first) says
/// nothing about the schema it already has: PostgreSQL's "relation
/// already exists, skipping" notices were logged at INFO on every start.
async fn opening_an_existing_queue_logs_nothing_about_its_schema(db: TestDb) {
    db.queue().await;
    let logged = Logged::default();
    let writer = logged.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // The test's runtime runs on this thread, so its tasks log here too.
    let _default = tracing::subscriber::set_default(subscriber);
    db.queue().await;
    let logged = String::from_utf8_lossy(&logged.0.lock().unwrap()).into_owned();
    assert!(!logged.contains("already exists"), "{logged}");
}

// ---------------------------------------------------------------- group commit

/// Requests sent while the first one's commit is held.
const GATHERED: usize = 12;

/// A server whose queue writes with a bound long enough to hold a commit
/// while the others gather.
async fn group_server(db: &TestDb) -> (TestServer, TaskQueue, atode::TaskMonitor) {
    let queue = db
        .durable()
        .task(notify)
        .without_workers()
        .write_timeout(Duration::from_secs(60))
        .connect()
        .await
        .expect("open the queue");
    let app = App::new()
        .durable(queue.clone())
        .routes(routes![queue_work]);
    let monitor = app.task_monitor();
    (TestServer::start(app).await, queue, monitor)
}

/// `POST /work/<email>` on a connection of its own; once the answer is
/// read, whether its call is visible to another connection of the queue.
async fn post_then_look(
    addr: std::net::SocketAddr,
    queue: TaskQueue,
    email: String,
) -> (StatusCode, String, Option<TaskState>) {
    let (status, _, body) = Http1::connect(addr)
        .await
        .fetch(request("POST", &format!("/work/{email}")))
        .await;
    let visible = match serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|answer| answer["task_id"].as_str()?.parse::<TaskId>().ok())
    {
        Some(id) => queue
            .status(id)
            .await
            .expect("read the call")
            .map(|s| s.state),
        None => None,
    };
    (status, body, visible)
}

/// Holds the first request's commit in its write (a second connection
/// holds the lock the write needs), then sends the other requests, and
/// waits until all of them wait for the next commit: none is written
/// beside the held one. Returns the requests, answered once the holder
/// lets go.
async fn gather(
    db: &TestDb,
    server: &TestServer,
    queue: &TaskQueue,
    emails: Vec<String>,
) -> Vec<tokio::task::JoinHandle<(StatusCode, String, Option<TaskState>)>> {
    let holder = LockHolder::take(&db.url).await;
    let send = |email: String| tokio::spawn(post_then_look(server.addr, queue.clone(), email));
    let mut emails = emails.into_iter();
    let mut requests = vec![send(emails.next().expect("a first request"))];
    until("the first request's commit to start", || async {
        (queue.writes_committing() == 1).then_some(())
    })
    .await;
    requests.extend(emails.map(send));
    until("the other requests to reach the group", || async {
        (queue.writes_committing() + queue.writes_waiting() == requests.len()).then_some(())
    })
    .await;
    assert_eq!(
        queue.writes_committing(),
        1,
        "requests were written beside the held one"
    );
    holder.release().await;
    requests
}

/// While one commit is in flight (held by a second connection that holds
/// the lock its write needs), the calls of every request that arrives go
/// out together in the next transaction; each 200 comes only once its
/// call is visible to another connection.
async fn requests_that_arrive_during_a_commit_share_the_next_one(db: TestDb) {
    let (server, queue, monitor) = group_server(&db).await;
    let emails = (0..GATHERED).map(|i| format!("{i}@example.com")).collect();
    let requests = gather(&db, &server, &queue, emails).await;
    for request in requests {
        let (status, body, visible) = request.await.expect("the request's task");
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            visible,
            Some(TaskState::Queued),
            "a 200 came before its call was committed: {body}"
        );
    }
    let stats = monitor.stats().durable;
    assert_eq!(stats.enqueued, GATHERED as u64);
    assert_eq!(
        stats.commits,
        2,
        "the commit held, then one for the {} requests that gathered",
        GATHERED - 1
    );
    if let Some(pool) = queue.postgres_pool() {
        // PostgreSQL's own record: the id of the transaction that wrote
        // each row.
        let transactions: i64 =
            atode::durable::sqlx::query_scalar("SELECT count(DISTINCT xmin::text) FROM river_job")
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(transactions, 2);
    }
}

/// One request's call, refused by the database (a trigger), shares a
/// commit with others: that request gets 503 and nothing of its own is
/// written; its neighbours get 200 with their calls committed, as if each
/// had been written alone.
async fn a_refused_call_in_a_shared_commit_fails_only_its_request(db: TestDb) {
    let (server, queue, monitor) = group_server(&db).await;
    refuse_calls_mentioning(&queue, "refused").await;
    let mut emails: Vec<String> = (0..GATHERED).map(|i| format!("{i}@example.com")).collect();
    // Among the requests that gather, not the first, which is held.
    emails[GATHERED - 2] = "refused@example.com".into();
    let requests = gather(&db, &server, &queue, emails.clone()).await;
    for (request, email) in requests.into_iter().zip(&emails) {
        let (status, body, visible) = request.await.expect("the request's task");
        if email.starts_with("refused") {
            assert_eq!(status, 503, "{body}");
            assert_eq!(body, NOT_QUEUED);
        } else {
            assert_eq!(status, 200, "{email}: {body}");
            assert_eq!(visible, Some(TaskState::Queued), "{email}: {body}");
        }
    }
    assert_eq!(calls_written(&queue).await, GATHERED as i64 - 1);
    let stats = monitor.stats().durable;
    assert_eq!(
        (stats.enqueued, stats.enqueue_failed),
        (GATHERED as u64 - 1, 1)
    );
}

/// Makes the database refuse every call whose arguments contain `word`.
async fn refuse_calls_mentioning(queue: &TaskQueue, word: &str) {
    match queue.sqlite_pool() {
        Some(pool) => drop(
            atode::durable::sqlx::query(atode::durable::sqlx::AssertSqlSafe(format!(
                "CREATE TRIGGER refuse_{word} BEFORE INSERT ON river_job \
                 WHEN json(NEW.args) LIKE '%{word}%' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )))
            .execute(pool)
            .await
            .unwrap(),
        ),
        None => {
            let pool = queue.postgres_pool().unwrap();
            for statement in [
                format!(
                    "CREATE FUNCTION refuse_{word}() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN IF NEW.args::text LIKE '%{word}%' THEN RAISE EXCEPTION 'refused'; \
                     END IF; RETURN NEW; END $$"
                ),
                format!(
                    "CREATE TRIGGER refuse_{word} BEFORE INSERT ON river_job \
                     FOR EACH ROW EXECUTE FUNCTION refuse_{word}()"
                ),
            ] {
                atode::durable::sqlx::query(atode::durable::sqlx::AssertSqlSafe(statement))
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
    }
}

// ---------------------------------------------------------------- pickup

/// The tags of the calls of `signal_start` that started, in this process.
static STARTED: std::sync::LazyLock<tokio::sync::broadcast::Sender<String>> =
    std::sync::LazyLock::new(|| tokio::sync::broadcast::channel(64).0);

#[task]
async fn signal_start(tag: String) {
    let _ = STARTED.send(tag);
}

#[post("/signal/<tag>")]
async fn queue_signal(tag: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(signal_start, (tag,));
    Json(Queued { task_id })
}

/// How often the workers of the pickup test poll: longer than any
/// start the test accepts, so only a wake-up can start the call.
const SLOW_POLL: Duration = Duration::from_secs(10);

/// Waits until `started` tells of `tag`.
async fn started(started: &mut tokio::sync::broadcast::Receiver<String>, tag: &str) {
    loop {
        match started.recv().await {
            Ok(seen) if seen == tag => return,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(error) => panic!("{error}"),
        }
    }
}

/// A call this process commits wakes its idle workers: it starts long
/// before the next poll could have fired.
async fn a_call_committed_while_the_workers_idle_starts_before_any_poll(db: TestDb) {
    let queue = Durable::url(&db.url)
        .task(signal_start)
        .poll_interval(SLOW_POLL)
        .connect()
        .await
        .expect("open the queue");
    let app = App::new()
        .durable(queue.clone())
        .routes(routes![queue_signal]);
    let server = TestServer::start(app).await;
    let backend = if queue.sqlite_pool().is_some() {
        "sqlite"
    } else {
        "postgres"
    };
    let mut starts = STARTED.subscribe();
    let post = |tag: String| async move {
        let (status, _, body) = Http1::connect(server.addr)
            .await
            .fetch(request("POST", &format!("/signal/{tag}")))
            .await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["task_id"]
            .as_str()
            .unwrap()
            .parse::<TaskId>()
            .unwrap()
    };
    // The workers' first fetch, when they start, may take the first call;
    // once it has completed they are idle, and nothing but a wake-up or
    // the poll makes them fetch again.
    let first = post(format!("{backend}-first")).await;
    durable_support::until_state(&queue, first, TaskState::Completed).await;

    let second = format!("{backend}-second");
    post(second.clone()).await;
    tokio::time::timeout(SLOW_POLL / 2, started(&mut starts, &second))
        .await
        .unwrap_or_else(|_| {
            panic!("the call waited for the poll ({SLOW_POLL:?}): nothing woke the workers")
        });
}

/// A call committed by a process that runs no workers (a web process)
/// wakes another process's idle workers through River's insert
/// notification, sent in the commit: it starts long before the next poll
/// could have fired. The two processes are two queues of this one, each
/// with its own notifications.
async fn a_call_committed_by_a_process_without_workers_wakes_another_before_any_poll(db: TestDb) {
    let worker = Durable::url(&db.url)
        .task(signal_start)
        .poll_interval(SLOW_POLL)
        .connect()
        .await
        .expect("open the workers' queue");
    let _workers = TestServer::start(App::new().durable(worker.clone())).await;
    let web = Durable::url(&db.url)
        .task(signal_start)
        .without_workers()
        .connect()
        .await
        .expect("open the web process's queue");
    let server = TestServer::start(
        App::new()
            .durable(web.clone())
            .routes(routes![queue_signal]),
    )
    .await;
    let backend = if web.sqlite_pool().is_some() {
        "sqlite"
    } else {
        "postgres"
    };
    let mut starts = STARTED.subscribe();
    // The workers' first fetch may take a call; once this one has
    // completed they are idle.
    let warm = worker
        .add_task(signal_start, (format!("{backend}-warm"),))
        .await
        .expect("queue a call");
    durable_support::until_state(&worker, warm, TaskState::Completed).await;

    // The web process's first call: its notification goes in the commit.
    let tag = format!("{backend}-from-web");
    let (status, _, body) = Http1::connect(server.addr)
        .await
        .fetch(request("POST", &format!("/signal/{tag}")))
        .await;
    assert_eq!(status, 200, "{body}");
    tokio::time::timeout(SLOW_POLL / 2, started(&mut starts, &tag))
        .await
        .unwrap_or_else(|_| {
            panic!("the call waited for the poll ({SLOW_POLL:?}): no notification woke the workers")
        });
}

// ---------------------------------------------------------------- registration

use std::future::IntoFuture;

/// `#[task]` registers itself: a queue opened without `.task(notify)`
/// runs `notify`'s calls. (Forgetting it left calls `queued` for ever.)
async fn a_task_left_off_the_queues_builder_runs(db: TestDb) {
    let queue = db.durable().connect().await.expect("open the queue");
    let server = TestServer::start(
        App::new()
            .durable(queue.clone())
            .routes(routes![queue_work]),
    )
    .await;
    let id = queue_through(server.addr, "a@example.com").await;
    durable_support::until_state(&queue, id, TaskState::Completed).await;
}

/// A call of a task this program does not have (renamed since it was
/// queued, or missing from the worker's build) is counted in the stats
/// when the workers start, rather than left `queued` in silence.
async fn calls_of_a_task_the_program_lacks_are_counted(db: TestDb) {
    let writer = db.queue().await;
    for key in ["a", "b"] {
        writer
            .add_task(durable_support::done, (key.to_owned(),))
            .await
            .expect("queue a call");
    }
    // As if `done` had been renamed after its calls were stored.
    const RENAME: &str = "UPDATE river_job SET kind = 'retired_digest' WHERE kind = 'done'";
    let renamed = match writer.sqlite_pool() {
        Some(pool) => atode::durable::sqlx::query(RENAME)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()),
        None => {
            let pool = writer.postgres_pool().expect("a PostgreSQL queue");
            atode::durable::sqlx::query(RENAME)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        }
    };
    assert_eq!(renamed.expect("rename the calls' task"), 2);

    let queue = db.durable().connect().await.expect("open the queue");
    let app = App::new()
        .durable(queue.clone())
        .routes(routes![queue_work]);
    let monitor = app.task_monitor();
    let _server = TestServer::start(app).await;
    // The warning itself, from a worker of another program:
    // `tests/examples.rs`, `a_worker_without_the_task_says_so`.
    until("the calls of the unknown task to be counted", || async {
        (monitor.stats().durable.unknown == 2).then_some(())
    })
    .await;
}

/// A handler that reads the queue.
#[atode::get("/tasks/<id>")]
async fn read_status(id: TaskId, queue: TaskQueue) -> StatusCode {
    match queue.status(id).await {
        Ok(Some(_)) => StatusCode::OK,
        _ => StatusCode::NOT_FOUND,
    }
}

/// An app whose handler takes `TaskQueue` and that was given no queue does
/// not serve: it was a `500` on the first such request.
#[tokio::test]
async fn a_route_that_takes_the_queue_does_not_serve_without_one() {
    let app = App::new().routes(routes![read_status]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let error = common::within("serve to refuse", atode::serve(listener, app).into_future())
        .await
        .expect_err("an app without its queue must not serve");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let message = error.to_string();
    assert!(
        message.contains(
            "`read_status` (/tasks/<id>) takes `TaskQueue`, but the app has no durable queue"
        ),
        "{message}"
    );
    assert!(message.contains(".durable(queue)"), "{message}");
}

/// An app in a program with durable tasks, whose routes queue background
/// tasks, and with no queue: the server says so as it starts (a route that
/// queues a durable call would answer `500`). It still serves, since its
/// routes may queue in-process tasks only.
#[tokio::test]
async fn an_app_with_durable_tasks_and_no_queue_is_warned_of_at_start() {
    let logged = Logged::default();
    let log = logged.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || log.clone())
        .with_ansi(false)
        .finish();
    // A current-thread test: the server's task logs on this thread.
    let _default = tracing::subscriber::set_default(subscriber);
    let server = TestServer::start(App::new().routes(routes![queue_work])).await;
    // The server has started once it answers.
    let (status, _, _) = Http1::connect(server.addr)
        .await
        .fetch(request("GET", "/missing"))
        .await;
    assert_eq!(status, 404);
    let logged = String::from_utf8_lossy(&logged.0.lock().unwrap()).into_owned();
    assert!(logged.contains("WARN"), "{logged}");
    assert!(
        logged.contains("the program has durable tasks (") && logged.contains("notify"),
        "{logged}"
    );
    assert!(logged.contains("(`queue_work`)"), "{logged}");
    assert!(logged.contains("the app has no durable queue"), "{logged}");

    // Given a queue, nothing to say.
    let quiet = Logged::default();
    let log = quiet.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || log.clone())
        .finish();
    let _quiet = tracing::subscriber::set_default(subscriber);
    let db = TestDb::new(durable_support::Backend::Sqlite, "warned_of_at_start").await;
    let queue = db
        .durable()
        .without_workers()
        .connect()
        .await
        .expect("open the queue");
    let server = TestServer::start(App::new().durable(queue).routes(routes![queue_work])).await;
    let (status, _, _) = Http1::connect(server.addr)
        .await
        .fetch(request("GET", "/missing"))
        .await;
    assert_eq!(status, 404);
    let quiet = String::from_utf8_lossy(&quiet.0.lock().unwrap()).into_owned();
    assert!(!quiet.contains("no durable queue"), "{quiet}");
}
