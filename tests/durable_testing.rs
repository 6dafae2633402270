//! `TestClient::durable()` (`atode::testing::TestQueue`), on SQLite and on
//! PostgreSQL (when `ATODE_TEST_POSTGRES_URL` named a server when it was
//! built): a request's calls are listed with their task, arguments and
//! time and nothing runs them; `run_pending` runs the due ones in order
//! through the worker's code, surfaces failures, retries only once the
//! clock passes the backoff, and discards after `max_attempts`; a delayed
//! call waits for `advance`; it refuses to run beside workers, and stops
//! a task that requeues itself for ever. No worker runs and nothing
//! sleeps: each step is the test's own call.

mod common;
#[macro_use]
mod durable_support;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use atode::durable::{Later, TaskId, TaskQueue, TaskState, task};
use atode::testing::{RUN_PENDING_LIMIT, TestClient, TestQueue};
use atode::{App, BackgroundTasks, Json, post, routes};
use common::TestServer;
use durable_support::{TestDb, until};

on_every_backend!(
    a_requests_calls_are_listed_and_not_run,
    run_pending_runs_due_calls_in_order_and_their_effects_show,
    a_failure_is_surfaced_retried_after_its_backoff_and_discarded_at_max_attempts,
    a_panic_is_surfaced_as_the_calls_error,
    a_delayed_call_runs_once_advance_passes_its_time,
    it_refuses_to_run_beside_workers,
    run_pending_stops_a_task_that_requeues_itself_for_ever,
);

// ---------------------------------------------------------------- effects

/// What the tasks did, by the key their call carries (tests run at once).
static EFFECTS: LazyLock<Mutex<HashMap<String, Vec<String>>>> = LazyLock::new(Default::default);

/// The queue a task writes its follow-up calls to, by key.
static QUEUES: LazyLock<Mutex<HashMap<String, TaskQueue>>> = LazyLock::new(Default::default);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn effects(key: &str) -> Vec<String> {
    lock(&EFFECTS).get(key).cloned().unwrap_or_default()
}

// ---------------------------------------------------------------- tasks

/// Records `what` under `key`: a regular `fn`, run on the queue's threads.
#[task]
fn record(key: String, what: String) {
    lock(&EFFECTS).entry(key).or_default().push(what);
}

/// Records `first`, then queues a call of `record` with `then`.
#[task]
async fn record_then(key: String, first: String, then: String) -> Result<(), String> {
    lock(&EFFECTS).entry(key.clone()).or_default().push(first);
    let queue = lock(&QUEUES).get(&key).cloned().ok_or("no queue")?;
    queue
        .add_task(record, (key, then))
        .await
        .map(drop)
        .map_err(|error| error.to_string())
}

/// Fails every attempt, counting them.
#[task(max_attempts = 3)]
async fn refused(key: String) -> Result<(), String> {
    let mut effects = lock(&EFFECTS);
    let attempts = effects.entry(key.clone()).or_default();
    attempts.push("attempt".to_owned());
    Err(format!("{key} refused, attempt {}", attempts.len()))
}

#[task(max_attempts = 1)]
async fn explodes(key: String) {
    panic!("{key} exploded");
}

/// Queues a call of itself, due at once, each time it runs.
#[task]
async fn again(key: String) -> Result<(), String> {
    let queue = lock(&QUEUES).get(&key).cloned().ok_or("no queue")?;
    queue
        .add_task(again, (key,))
        .await
        .map(drop)
        .map_err(|error| error.to_string())
}

// ---------------------------------------------------------------- routes

#[derive(serde::Serialize)]
struct Queued {
    task_id: TaskId,
}

#[post("/record/<key>/<what>")]
async fn record_route(key: String, what: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(record, (key, what));
    Json(Queued { task_id })
}

#[post("/record-then/<key>/<first>/<then>")]
async fn record_then_route(
    key: String,
    first: String,
    then: String,
    tasks: BackgroundTasks,
) -> Json<Queued> {
    let task_id = tasks.add_task(record_then, (key, first, then));
    Json(Queued { task_id })
}

#[post("/remind/<key>")]
async fn remind_route(key: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(record.after(HOUR), (key, "reminded".to_owned()));
    Json(Queued { task_id })
}

#[post("/refused/<key>")]
async fn refused_route(key: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(refused, (key,));
    Json(Queued { task_id })
}

#[post("/explodes/<key>")]
async fn explodes_route(key: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(explodes, (key,));
    Json(Queued { task_id })
}

const HOUR: Duration = Duration::from_secs(3600);

/// The wait before a failed call's second attempt: long enough that real
/// time never makes a retry due during a test, only `advance` does.
const BACKOFF: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------- helpers

/// The test's key (its database's directory is its own), the queue
/// without workers, and a client of an app over it.
async fn client(db: &TestDb) -> (String, TaskQueue, TestClient) {
    let key = db
        .dir
        .file_name()
        .expect("the test's directory")
        .to_string_lossy()
        .into_owned();
    let queue = db
        .durable()
        .retry_backoff(BACKOFF, BACKOFF * 16)
        .without_workers()
        .connect()
        .await
        .expect("open the test's queue");
    lock(&QUEUES).insert(key.clone(), queue.clone());
    let app = App::new().durable(queue.clone()).routes(routes![
        record_route,
        record_then_route,
        remind_route,
        refused_route,
        explodes_route
    ]);
    (key, queue, TestClient::new(app))
}

/// `POST path`, answered 200 with the queued call's id.
async fn post_call(client: &TestClient, path: &str) -> TaskId {
    let response = client.post(path).await;
    assert_eq!(response.status(), 200, "{}", response.text());
    let body: serde_json::Value = response.json();
    body["task_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a task_id")
}

/// How far `at` is from `now + offset`, either way.
fn off_by(at: SystemTime, offset: Duration) -> Duration {
    let expected = SystemTime::now() + offset;
    match at.duration_since(expected) {
        Ok(later) => later,
        Err(earlier) => earlier.duration(),
    }
}

/// Runs `future` on a task of its own, and returns its panic's message.
async fn panic_of(future: impl Future<Output = ()> + Send + 'static) -> String {
    let error = tokio::spawn(future)
        .await
        .expect_err("it panics, saying why");
    let panic = error.into_panic();
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
        .unwrap_or_default()
}

// ---------------------------------------------------------------- tests

/// Two requests' calls, listed with their task, typed arguments, queue and
/// time, in the order they were written; nothing ran them.
async fn a_requests_calls_are_listed_and_not_run(db: TestDb) {
    let (key, _queue, client) = client(&db).await;
    let first = post_call(&client, &format!("/record/{key}/one")).await;
    let second = post_call(&client, &format!("/record/{key}/two")).await;

    let queued = client.durable().queued().await;
    let ids: Vec<TaskId> = queued.iter().map(|call| call.id).collect();
    assert_eq!(ids, [first, second]);
    for (call, what) in queued.iter().zip(["one", "two"]) {
        assert_eq!(call.task, "record");
        assert_eq!(call.args, serde_json::json!([key, what]));
        assert_eq!(
            call.args::<(String, String)>(),
            (key.clone(), what.to_owned())
        );
        assert_eq!(call.queue, "default");
        assert_eq!(call.state, TaskState::Queued);
        assert_eq!((call.attempt, call.max_attempts), (0, 25));
        assert!(call.last_error.is_none());
        assert!(off_by(call.scheduled_at, Duration::ZERO) < Duration::from_secs(30));
    }
    assert!(effects(&key).is_empty(), "no worker ran them");
    // Listing again lists the same: it ran nothing.
    assert_eq!(client.durable().queued().await.len(), 2);
}

/// Three calls run in the order they were written, each through the
/// task's function; a call a task queues as it runs is run too; each
/// ends `completed`, as `TaskQueue::status` reads it.
async fn run_pending_runs_due_calls_in_order_and_their_effects_show(db: TestDb) {
    let (key, queue, client) = client(&db).await;
    let mut ids = Vec::new();
    for what in ["a", "b", "c"] {
        ids.push(post_call(&client, &format!("/record/{key}/{what}")).await);
    }
    ids.push(post_call(&client, &format!("/record-then/{key}/d/e")).await);

    let tasks = client.durable();
    let ran = tasks.run_pending().await;
    let names: Vec<&str> = ran.iter().map(|ran| ran.call.task.as_str()).collect();
    assert_eq!(
        names,
        ["record", "record", "record", "record_then", "record"]
    );
    assert_eq!(
        ran.iter()
            .take(4)
            .map(|ran| ran.call.id)
            .collect::<Vec<_>>(),
        ids
    );
    assert_eq!(effects(&key), ["a", "b", "c", "d", "e"]);
    for ran in &ran {
        assert!(ran.is_ok(), "{:?}", ran.error);
        assert_eq!(ran.call.attempt, 1);
        assert_eq!(ran.status.state, TaskState::Completed);
        let status = queue.status(ran.call.id).await.unwrap().unwrap();
        assert_eq!((status.state, status.attempt), (TaskState::Completed, 1));
    }
    assert!(tasks.queued().await.is_empty());
    assert!(tasks.run_pending().await.is_empty());
    assert_eq!(effects(&key).len(), 5, "nothing ran twice");
}

/// A failing call's error is returned and stored; its retry is due only
/// once the clock has passed its backoff (60 s, then 120 s); after its
/// third attempt (`max_attempts = 3`) it is discarded.
async fn a_failure_is_surfaced_retried_after_its_backoff_and_discarded_at_max_attempts(db: TestDb) {
    let (key, queue, client) = client(&db).await;
    let id = post_call(&client, &format!("/refused/{key}")).await;
    let tasks = client.durable();

    let ran = tasks.run_pending().await;
    assert_eq!(ran.len(), 1);
    let expected = format!("{key} refused, attempt 1");
    assert_eq!(ran[0].error.as_deref(), Some(expected.as_str()));
    assert_eq!(ran[0].status.state, TaskState::Retrying);
    assert_eq!(ran[0].status.last_error.as_deref(), Some(expected.as_str()));
    let waiting = tasks.queued().await;
    assert_eq!(waiting.len(), 1);
    assert_eq!((waiting[0].id, waiting[0].attempt), (id, 1));
    assert_eq!(waiting[0].state, TaskState::Retrying);
    assert!(off_by(waiting[0].scheduled_at, BACKOFF) < Duration::from_secs(10));

    // Not due until the clock has passed the backoff.
    assert!(tasks.run_pending().await.is_empty());
    tasks.advance(BACKOFF - Duration::from_secs(10)).await;
    assert!(tasks.run_pending().await.is_empty());
    tasks.advance(Duration::from_secs(10)).await;
    let ran = tasks.run_pending().await;
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].call.attempt, 2);
    assert_eq!(ran[0].status.state, TaskState::Retrying);

    // The second wait is twice the first.
    tasks.advance(BACKOFF).await;
    assert!(tasks.run_pending().await.is_empty());
    tasks.advance(BACKOFF).await;
    let ran = tasks.run_pending().await;
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].call.attempt, 3);
    let expected = format!("{key} refused, attempt 3");
    assert_eq!(ran[0].error.as_deref(), Some(expected.as_str()));
    assert_eq!(ran[0].status.state, TaskState::Discarded);

    // Discarded: never due again, whatever the clock.
    tasks.advance(HOUR * 24).await;
    assert!(tasks.run_pending().await.is_empty());
    assert!(tasks.queued().await.is_empty());
    let status = queue.status(id).await.unwrap().unwrap();
    assert_eq!((status.state, status.attempt), (TaskState::Discarded, 3));
    assert_eq!(status.last_error.as_deref(), Some(expected.as_str()));
    assert!(status.finalized_at.is_some());
    assert_eq!(effects(&key).len(), 3);
}

/// A panicking task's attempt fails with the panic's message, and the run
/// goes on: the test is not torn down by it.
async fn a_panic_is_surfaced_as_the_calls_error(db: TestDb) {
    let (key, _queue, client) = client(&db).await;
    post_call(&client, &format!("/explodes/{key}")).await;
    post_call(&client, &format!("/record/{key}/after")).await;

    let ran = client.durable().run_pending().await;
    assert_eq!(ran.len(), 2);
    let expected = format!("panicked: {key} exploded");
    assert_eq!(ran[0].error.as_deref(), Some(expected.as_str()));
    assert_eq!(ran[0].status.state, TaskState::Discarded);
    assert!(ran[1].is_ok());
    assert_eq!(effects(&key), ["after"]);
}

/// A call queued for an hour later is listed `scheduled` an hour ahead,
/// and runs only once `advance` has moved the clock past it.
async fn a_delayed_call_runs_once_advance_passes_its_time(db: TestDb) {
    let (key, _queue, client) = client(&db).await;
    let id = post_call(&client, &format!("/remind/{key}")).await;
    let tasks = client.durable();

    let queued = tasks.queued().await;
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].id, queued[0].state), (id, TaskState::Scheduled));
    assert!(off_by(queued[0].scheduled_at, HOUR) < Duration::from_secs(30));

    assert!(tasks.run_pending().await.is_empty());
    tasks.advance(HOUR - Duration::from_secs(60)).await;
    assert!(tasks.run_pending().await.is_empty());
    assert!(effects(&key).is_empty());
    let queued = tasks.queued().await;
    assert!(off_by(queued[0].scheduled_at, Duration::from_secs(60)) < Duration::from_secs(30));

    tasks.advance(Duration::from_secs(60)).await;
    let ran = tasks.run_pending().await;
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].call.id, id);
    assert_eq!(ran[0].status.state, TaskState::Completed);
    assert_eq!(effects(&key), ["reminded"]);
}

/// Beside this queue's workers in this process, or another worker
/// process's live lease on the database, `run_next` panics, saying why,
/// and runs nothing.
async fn it_refuses_to_run_beside_workers(db: TestDb) {
    let (key, queue, client) = client(&db).await;
    post_call(&client, &format!("/record/{key}/x")).await;

    // Another process's workers: a queue opened with them takes its lease.
    let other = db.durable().connect().await.expect("open a worker queue");
    let tasks = client.durable();
    let message = panic_of(async move {
        tasks.run_pending().await;
    })
    .await;
    assert!(
        message.contains("worker processes hold live leases"),
        "{message}"
    );
    drop(other);

    // This queue's own workers, started by a server of it (as it starts
    // serving): the test waits for them to run the call before asking.
    let served = db.durable().connect().await.expect("open the served queue");
    let server = TestServer::start(App::new().durable(served.clone())).await;
    until("the served queue's workers to run the call", || async {
        (!effects(&key).is_empty()).then_some(())
    })
    .await;
    let tasks = TestQueue::new(served);
    let message = panic_of(async move {
        tasks.run_pending().await;
    })
    .await;
    assert!(
        message.contains("workers are running in this process"),
        "{message}"
    );
    drop(server);
    let _ = queue;
}

/// A task that queues a due call of itself each time: `run_pending` stops
/// after its limit and says so, rather than loop for ever.
async fn run_pending_stops_a_task_that_requeues_itself_for_ever(db: TestDb) {
    let (key, queue, client) = client(&db).await;
    queue.add_task(again, (key,)).await.expect("queue the call");
    let tasks = client.durable();
    let run = panic_of(async move {
        tasks.run_pending().await;
    });
    let message = tokio::time::timeout(durable_support::GUARD, run)
        .await
        .expect("run_pending gives up after its limit, not never");
    assert!(
        message.contains(&format!(
            "ran {RUN_PENDING_LIMIT} calls and calls are still due"
        )),
        "{message}"
    );
}
