//! Work a handler hands back rather than queues: tasks returned with its
//! response (`(body, tasks)`) or on its error's path
//! (`HttpError::with_tasks`), over a real socket. It is under the same cap
//! as queued work, it is never dropped unseen, and an answer that turns
//! into a `500` counts as the handler failing.

mod common;

use std::sync::{Arc, Mutex};

use atode::{App, BackgroundTasks, HttpError, State, StatusCode, get, routes};
use common::{TestServer, request, within};
use tokio::sync::Notify;

/// What the tasks did, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<&'static str>>>);

impl Log {
    fn lines(&self) -> Vec<&'static str> {
        self.0.lock().expect("log").clone()
    }
}

fn record(log: Log, line: &'static str) {
    log.0.lock().expect("log").push(line);
}

/// Released by the test: holds a place under the cap until then.
#[derive(Clone, Default)]
struct Gate(Arc<Notify>);

async fn wait(gate: Gate) {
    gate.0.notified().await;
}

#[get("/hold")]
async fn hold(State(gate): State<Gate>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(wait, (gate,));
    "holding"
}

/// Returns its work with its response, without taking `BackgroundTasks`.
#[get("/returns")]
async fn returns(State(log): State<Log>) -> (&'static str, BackgroundTasks) {
    let tasks = BackgroundTasks::new();
    tasks.add_task(record, (log, "returned"));
    ("ok", tasks)
}

/// Fails, with an audit task on its error's path.
#[get("/refuses")]
async fn refuses(State(log): State<Log>) -> Result<&'static str, HttpError> {
    let audit = BackgroundTasks::new();
    audit.add_task(record, (log, "audit"));
    Err(HttpError::new(StatusCode::UNAUTHORIZED, "no").with_tasks(audit))
}

/// Fails, giving its error the request's own list.
#[get("/own-list-on-error")]
async fn own_list_on_error(
    State(log): State<Log>,
    tasks: BackgroundTasks,
) -> Result<&'static str, HttpError> {
    tasks.add_task(record, (log, "audit"));
    Err(HttpError::forbidden("no").with_tasks(tasks.clone()))
}

/// Queues a task, then answers with a header that cannot be sent.
#[get("/bad-header")]
async fn bad_header(
    State(log): State<Log>,
    tasks: BackgroundTasks,
) -> (
    [(&'static str, &'static str); 1],
    (&'static str, BackgroundTasks),
) {
    tasks.add_task(record, (log.clone(), "queued"));
    let carried = BackgroundTasks::new();
    carried.add_task(record, (log, "carried"));
    ([("x-broken", "line\nbreak")], ("body", carried))
}

fn app(log: &Log, gate: &Gate) -> App {
    App::new()
        .state(log.clone())
        .state(gate.clone())
        .routes(routes![
            hold,
            returns,
            refuses,
            own_list_on_error,
            bad_header
        ])
}

#[tokio::test]
async fn returned_work_is_refused_past_the_cap_like_queued_work() {
    let (log, gate) = (Log::default(), Gate::default());
    let app = app(&log, &gate).max_pending_tasks(1);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;

    // The one place is held by a task that waits for the gate.
    let (status, _, _) = client.fetch(request("GET", "/hold")).await;
    assert_eq!(status, 200);
    for path in ["/returns", "/refuses"] {
        let (status, headers, body) = client.fetch(request("GET", path)).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(headers["retry-after"], "1", "{path}");
    }
    let stats = monitor.stats();
    assert_eq!((stats.pending, stats.refused), (1, 2), "{stats:?}");
    assert_eq!(stats.discarded, 2, "the returned tasks, counted: {stats:?}");

    // With the place back, the same answers carry their work through.
    gate.0.notify_one();
    within("the held task", monitor.wait_idle()).await;
    assert_eq!(client.fetch(request("GET", "/returns")).await.0, 200);
    // Its task holds the one place until it has run.
    within("the returned task", monitor.wait_idle()).await;
    assert_eq!(client.fetch(request("GET", "/refuses")).await.0, 401);
    within("the error path's task", monitor.wait_idle()).await;
    assert_eq!(log.lines(), ["returned", "audit"]);
}

#[tokio::test]
async fn the_requests_own_list_given_to_its_error_runs_on_the_error_path() {
    let (log, gate) = (Log::default(), Gate::default());
    let app = app(&log, &gate);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;

    let (status, _, _) = client.fetch(request("GET", "/own-list-on-error")).await;
    assert_eq!(status, 403);
    within("the error path's task", monitor.wait_idle()).await;
    assert_eq!(log.lines(), ["audit"]);
    let stats = monitor.stats();
    assert_eq!((stats.completed, stats.discarded), (1, 0), "{stats:?}");
}

#[tokio::test]
async fn an_answer_that_becomes_a_500_discards_and_counts_its_work() {
    let (log, gate) = (Log::default(), Gate::default());
    let app = app(&log, &gate);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;

    let (status, _, body) = client.fetch(request("GET", "/bad-header")).await;
    assert_eq!(status, 500, "{body}");
    within("the request's end", monitor.wait_idle()).await;
    assert!(log.lines().is_empty(), "ran: {:?}", log.lines());
    let stats = monitor.stats();
    assert_eq!((stats.completed, stats.discarded), (0, 2), "{stats:?}");
}
