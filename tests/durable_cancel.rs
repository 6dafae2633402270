//! `TaskQueue::cancel`, on SQLite and on PostgreSQL (when
//! `ATODE_TEST_POSTGRES_URL` named a server when it was built): a waiting
//! call never runs, a running `async fn` is stopped, a running regular `fn`
//! is marked and its result ignored, a finished call is refused, and a
//! second cancel answers as the first. The workers run in this process (an
//! app served on loopback starts them), so each task body tells the test
//! what it did over a channel: the tests wait on those events, and on the
//! call's row (in the database: reading it is the only way to wait on it).

mod common;
#[macro_use]
mod durable_support;

use std::collections::HashMap;
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::time::Duration;

use atode::App;
use atode::durable::{
    Cancellation, DEFAULT_TIMEOUT, Later, TaskId, TaskQueue, TaskState, TaskStatus, task,
};
use common::{TestServer, within};
use durable_support::{TestDb, charge_once, until, until_state};
use tokio::sync::mpsc;

on_every_backend!(
    a_scheduled_call_cancelled_never_runs,
    a_running_async_call_is_cancelled_and_its_future_dropped,
    a_running_blocking_call_is_marked_cancelled_and_its_result_ignored,
    cancelling_twice_answers_the_same,
    a_finished_call_cannot_be_cancelled,
    a_duplicates_id_cancels_the_call_it_duplicated,
    an_unknown_id_is_unknown,
);

// ---------------------------------------------------------------- probes

/// What a test's task bodies tell it, by the key their call carries.
struct Probe {
    events: mpsc::UnboundedSender<&'static str>,
    /// Opened by the test to let a blocking body return.
    release: Arc<(Mutex<bool>, Condvar)>,
}

static PROBES: LazyLock<Mutex<HashMap<String, Probe>>> = LazyLock::new(Default::default);

/// The events of the calls carrying `key`, and the gate their blocking
/// bodies wait at.
fn probe(key: &str) -> (mpsc::UnboundedReceiver<&'static str>, Gate) {
    let (events, received) = mpsc::unbounded_channel();
    let release = Arc::new((Mutex::new(false), Condvar::new()));
    let probe = Probe {
        events,
        release: Arc::clone(&release),
    };
    lock(&PROBES).insert(key.to_owned(), probe);
    (received, Gate(release))
}

fn tell(key: &str, what: &'static str) {
    if let Some(probe) = lock(&PROBES).get(key) {
        let _ = probe.events.send(what);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Lets the blocking bodies of one key return.
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *lock(&self.0.0) = true;
        self.0.1.notify_all();
    }
}

/// Waits for the next event, which must be `what`.
async fn expect(events: &mut mpsc::UnboundedReceiver<&'static str>, what: &str) {
    let got = within(&format!("the task body to tell `{what}`"), events.recv()).await;
    assert_eq!(got, Some(what), "the task body told something else");
}

/// Tells `dropped` when the attempt's future is dropped.
struct DropGuard(String);

impl Drop for DropGuard {
    fn drop(&mut self) {
        tell(&self.0, "dropped");
    }
}

// ---------------------------------------------------------------- tasks

/// Tells `ran`, and completes.
#[task]
async fn runs(key: String) {
    tell(&key, "ran");
}

/// Tells `started`, then waits for ever; tells `dropped` when dropped.
#[task]
async fn hangs(key: String) {
    let _guard = DropGuard(key.clone());
    tell(&key, "started");
    std::future::pending::<()>().await;
}

/// A regular `fn`: tells `started`, blocks until its gate opens, tells
/// `returning`, and completes.
#[task]
fn blocks(key: String) {
    tell(&key, "started");
    let gate = lock(&PROBES)
        .get(&key)
        .map(|probe| Arc::clone(&probe.release));
    if let Some(gate) = gate {
        let (open, opened) = &*gate;
        let mut open = lock(open);
        while !*open {
            open = opened
                .wait(open)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
    tell(&key, "returning");
}

/// Fails, and has no attempt left: discarded.
#[task(max_attempts = 1)]
async fn fails_once(key: String) -> Result<(), String> {
    Err(format!("{key} failed on purpose"))
}

// ---------------------------------------------------------------- helpers

/// The queue with its workers running (one call at a time, so a call
/// queued later runs only once an earlier one is done), and the server
/// whose start started them.
async fn working(db: &TestDb) -> (TaskQueue, TestServer) {
    let queue = db
        .durable()
        .queue("default", 1)
        // Longer than any wait of a test (the suite's rescue time, 2 s,
        // would cut attempts short, and dropping its future too): only a
        // cancel stops an attempt here.
        .timeout(DEFAULT_TIMEOUT)
        .connect()
        .await
        .expect("open the queue");
    let server = TestServer::start(App::new().durable(queue.clone())).await;
    listening(&queue).await;
    (queue, server)
}

/// On PostgreSQL, waits until the workers' River client has subscribed to
/// its notifications: a cancel of a running call reaches its worker by
/// `NOTIFY`, and one sent before the subscription is heard only by River's
/// fallback check, a minute later (what `TaskQueue::cancel` documents).
/// SQLite's outbox keeps every notice.
async fn listening(queue: &TaskQueue) {
    let Some(pool) = queue.postgres_pool() else {
        return;
    };
    until("the workers' listener to subscribe", || async {
        let subscribed: i64 = atode::durable::sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND state = 'idle' \
             AND query LIKE '%LISTEN %river_control%'",
        )
        .fetch_one(pool)
        .await
        .expect("read the sessions");
        (subscribed > 0).then_some(())
    })
    .await;
}

/// Stops the server, and with it the workers, as an app's shutdown does.
async fn stop(mut server: TestServer) {
    server.begin_shutdown();
    within("the server to stop", &mut server.handle)
        .await
        .expect("the server's task")
        .expect("the server");
}

fn cancelled(answer: Cancellation) -> TaskStatus {
    match answer {
        Cancellation::Cancelled(status) => status,
        other => panic!("expected the call cancelled, got {other:?}"),
    }
}

async fn status(queue: &TaskQueue, id: TaskId) -> TaskStatus {
    queue
        .status(id)
        .await
        .expect("read the status")
        .expect("the call exists")
}

// ---------------------------------------------------------------- tests

/// A delayed call cancelled before its time never runs: a call delayed
/// as long and queued after it, which River hands out after it, runs and
/// completes, with the cancelled one's body never told of.
async fn a_scheduled_call_cancelled_never_runs(db: TestDb) {
    let delay = Duration::from_millis(300);
    let (mut events, _) = probe(&db.url);
    let queue = db.queue().await;
    let id = queue
        .add_task(runs.after(delay), (db.url.clone(),))
        .await
        .expect("queue the call");
    assert_eq!(status(&queue, id).await.state, TaskState::Scheduled);

    let answer = cancelled(queue.cancel(id).await.expect("cancel"));
    assert_eq!(answer.state, TaskState::Cancelled);
    assert!(answer.finalized_at.is_some(), "{answer:?}");

    let (worked, server) = working(&db).await;
    let later_key = format!("{}-later", db.url);
    let (mut later_events, _) = probe(&later_key);
    let later = worked
        .add_task(runs.after(delay), (later_key,))
        .await
        .expect("queue the later call");
    expect(&mut later_events, "ran").await;
    until_state(&worked, later, TaskState::Completed).await;

    assert!(events.try_recv().is_err(), "the cancelled call ran");
    let after = status(&queue, id).await;
    assert_eq!((after.state, after.attempt), (TaskState::Cancelled, 0));
    stop(server).await;
}

/// A running `async fn` is stopped: its future is dropped, and the call
/// ends `cancelled`, after one attempt, not retried.
async fn a_running_async_call_is_cancelled_and_its_future_dropped(db: TestDb) {
    let (mut events, _) = probe(&db.url);
    let (queue, server) = working(&db).await;
    let id = queue
        .add_task(hangs, (db.url.clone(),))
        .await
        .expect("queue the call");
    expect(&mut events, "started").await;

    let answer = cancelled(queue.cancel(id).await.expect("cancel"));
    // River records the cancel on a running call, and the worker ends it.
    assert!(
        matches!(answer.state, TaskState::Running | TaskState::Cancelled),
        "{answer:?}"
    );
    expect(&mut events, "dropped").await;
    let after = until_state(&queue, id, TaskState::Cancelled).await;
    assert_eq!(after.attempt, 1, "{after:?}");
    assert!(after.finalized_at.is_some(), "{after:?}");
    stop(server).await;
}

/// A running regular `fn` cannot be stopped: the call reads `cancelled`
/// while the function still blocks, and stays so once it has returned
/// (its result ignored). With one place in the queue, a call queued next
/// runs only once the function's thread has given it back.
async fn a_running_blocking_call_is_marked_cancelled_and_its_result_ignored(db: TestDb) {
    let (mut events, gate) = probe(&db.url);
    let (queue, server) = working(&db).await;
    let id = queue
        .add_task(blocks, (db.url.clone(),))
        .await
        .expect("queue the call");
    expect(&mut events, "started").await;

    cancelled(queue.cancel(id).await.expect("cancel"));
    until_state(&queue, id, TaskState::Cancelled).await;

    gate.open();
    expect(&mut events, "returning").await;
    let next_key = format!("{}-next", db.url);
    let (mut next_events, _) = probe(&next_key);
    let next = queue
        .add_task(runs, (next_key,))
        .await
        .expect("queue the next call");
    expect(&mut next_events, "ran").await;
    until_state(&queue, next, TaskState::Completed).await;

    let after = status(&queue, id).await;
    assert_eq!(
        (after.state, after.attempt),
        (TaskState::Cancelled, 1),
        "the function's return overwrote the cancel: {after:?}"
    );
    stop(server).await;
}

/// A second cancel answers as the first did.
async fn cancelling_twice_answers_the_same(db: TestDb) {
    let queue = db.queue().await;
    let id = queue
        .add_task(runs, (db.url.clone(),))
        .await
        .expect("queue the call");
    let first = cancelled(queue.cancel(id).await.expect("cancel"));
    let second = cancelled(queue.cancel(id).await.expect("cancel again"));
    assert_eq!(first.state, TaskState::Cancelled);
    assert_eq!(
        serde_json::to_value(&first).unwrap(),
        serde_json::to_value(&second).unwrap()
    );
}

/// A completed call and a discarded one stay so, and the answer says
/// which they are.
async fn a_finished_call_cannot_be_cancelled(db: TestDb) {
    let (queue, server) = working(&db).await;
    let completed = queue
        .add_task(runs, (db.url.clone(),))
        .await
        .expect("queue the call");
    let discarded = queue
        .add_task(fails_once, (db.url.clone(),))
        .await
        .expect("queue the failing call");
    until_state(&queue, completed, TaskState::Completed).await;
    until_state(&queue, discarded, TaskState::Discarded).await;

    for (id, state) in [
        (completed, TaskState::Completed),
        (discarded, TaskState::Discarded),
    ] {
        match queue.cancel(id).await.expect("cancel") {
            Cancellation::Finished(status) => assert_eq!(status.state, state),
            other => panic!("a {state} call was not refused: {other:?}"),
        }
        assert_eq!(status(&queue, id).await.state, state);
    }
    stop(server).await;
}

/// The id of a call dropped as a duplicate names the call it duplicated,
/// as `status` reads it: cancelling it cancels that call.
async fn a_duplicates_id_cancels_the_call_it_duplicated(db: TestDb) {
    let queue = db.queue().await;
    let original = queue
        .add_task(charge_once, ("order-1".to_owned(),))
        .await
        .expect("queue the call");
    let duplicate = queue
        .add_task(charge_once, ("order-1".to_owned(),))
        .await
        .expect("queue the duplicate");
    assert_ne!(original, duplicate);

    let answer = cancelled(queue.cancel(duplicate).await.expect("cancel"));
    assert_eq!((answer.id, answer.state), (duplicate, TaskState::Cancelled));
    assert_eq!(status(&queue, original).await.state, TaskState::Cancelled);
}

async fn an_unknown_id_is_unknown(db: TestDb) {
    let queue = db.queue().await;
    let answer = queue.cancel(TaskId::random()).await.expect("cancel");
    assert!(matches!(answer, Cancellation::Unknown), "{answer:?}");
}
