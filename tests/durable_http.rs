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
