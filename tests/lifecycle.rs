//! The request owns its work: each test is one way a request's background
//! work could leak its place under the cap, escape it, starve the server or
//! hang a test, tried over a real loopback socket (or the `TestClient`,
//! for what is its own). Nothing sleeps to wait for a task: tests wait on
//! the event, with `common::within` as the guard against hanging.

mod common;

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use atode::testing::TestClient;
use atode::{
    App, BackgroundTasks, FromRequestParts, RequestParts, State, StatusCode, get, post, routes,
};
use common::{TestServer, request, within};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// A follow-up that holds its own request's list, to queue more work.
async fn follow_up(tasks: BackgroundTasks) {
    tasks.add_task(|| {}, ());
}

#[post("/queue")]
async fn queue(tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(|| {}, ());
    "queued"
}

#[post("/panics-holding-its-list")]
async fn panics_holding_its_list(tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(follow_up, (tasks.clone(),));
    panic!("a handler panicked on purpose")
}

/// Sends on the probe when its future is dropped unfinished.
struct DroppedProbe(Option<mpsc::UnboundedSender<&'static str>>);

impl Drop for DroppedProbe {
    fn drop(&mut self) {
        if let Some(events) = self.0.take() {
            let _ = events.send("handler dropped");
        }
    }
}

#[derive(Clone)]
struct Events(mpsc::UnboundedSender<&'static str>);

#[post("/hangs-holding-its-list")]
async fn hangs_holding_its_list(
    State(events): State<Events>,
    tasks: BackgroundTasks,
) -> &'static str {
    tasks.add_task(follow_up, (tasks.clone(),));
    let _ = events.0.send("handler started");
    let _probe = DroppedProbe(Some(events.0));
    std::future::pending::<()>().await;
    "never"
}

/// Scenario 1: a handler that queues a task holding its own list and then
/// panics answers 500, and its place under a cap of one comes back.
#[tokio::test]
async fn a_panicking_handler_whose_task_holds_its_list_gives_its_place_back() {
    let app = App::new()
        .max_pending_tasks(1)
        .routes(routes![queue, panics_holding_its_list]);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;

    let (status, _, _) = client
        .fetch(request("POST", "/panics-holding-its-list"))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    for _ in 0..3 {
        let (status, _, body) = client.fetch(request("POST", "/queue")).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "queued"),
            "the cap leaked"
        );
        within("the task", monitor.wait_idle()).await;
    }
    let stats = monitor.stats();
    assert_eq!((stats.discarded, stats.refused, stats.pending), (1, 0, 0));
}

/// Scenario 1, the other way out: the handler's future is dropped by a
/// timeout layer; its place comes back and its task never runs.
#[tokio::test]
async fn a_handler_dropped_by_a_timeout_layer_gives_its_place_back() {
    let (events, mut seen) = mpsc::unbounded_channel();
    let app = App::new()
        .max_pending_tasks(1)
        .state(Events(events))
        .routes(routes![queue, hangs_holding_its_list])
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(50),
        ));
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;

    let (status, _, _) = client
        .fetch(request("POST", "/hangs-holding-its-list"))
        .await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(
        within("the start", seen.recv()).await,
        Some("handler started")
    );
    assert_eq!(
        within("the drop", seen.recv()).await,
        Some("handler dropped")
    );
    let (status, _, _) = client.fetch(request("POST", "/queue")).await;
    assert_eq!(status, StatusCode::OK, "the cap leaked");
    within("the task", monitor.wait_idle()).await;
    assert_eq!(monitor.stats().discarded, 1);
}

/// Scenario 4: an HTTP/1.1 client that goes away is noticed by default:
/// its handler is dropped, and with it its place under the cap.
#[tokio::test]
async fn a_client_that_goes_away_frees_its_handler_and_its_place() {
    let (events, mut seen) = mpsc::unbounded_channel();
    let app = App::new()
        .max_pending_tasks(1)
        .state(Events(events))
        .routes(routes![queue, hangs_holding_its_list]);
    let server = TestServer::start(app).await;

    let mut socket = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    socket
        .write_all(b"POST /hangs-holding-its-list HTTP/1.1\r\nhost: localhost\r\ncontent-length: 0\r\n\r\n")
        .await
        .expect("send the request");
    // Once the handler runs it holds the only place: a second task route is
    // refused until the client goes.
    assert_eq!(
        within("the handler to start", seen.recv()).await,
        Some("handler started")
    );
    let mut other = server.http1().await;
    let (status, _, _) = other.fetch(request("POST", "/queue")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    drop(socket);

    assert_eq!(
        within("the handler to be dropped", seen.recv()).await,
        Some("handler dropped")
    );
    let (status, _, _) = other.fetch(request("POST", "/queue")).await;
    assert_eq!(status, StatusCode::OK, "the vanished client kept its place");
}

/// Queues a task from the request head, declaring nothing.
struct Audited;

impl FromRequestParts for Audited {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        parts.background_tasks().add_task(|| {}, ());
        Ok(Audited)
    }
}

#[get("/audited")]
async fn audited(_audited: Audited, State(handled): State<Arc<AtomicUsize>>) -> &'static str {
    handled.fetch_add(1, Ordering::SeqCst);
    "ok"
}

/// Scenario 2: an extractor that reaches for the request's tasks is under
/// the cap with no declaration: past it, 503 before the handler runs, and
/// its task is counted as discarded, not run.
#[tokio::test]
async fn an_extractor_that_queues_tasks_is_under_the_cap_without_declaring_it() {
    let handled = Arc::new(AtomicUsize::new(0));
    let app = App::new()
        .max_pending_tasks(0)
        .state(Arc::clone(&handled))
        .routes(routes![audited]);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;

    let (status, headers, body) = server.http1().await.fetch(request("GET", "/audited")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        headers.get("retry-after").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    assert!(body.contains("retry"), "{body}");
    assert_eq!(handled.load(Ordering::SeqCst), 0, "the handler ran");
    let stats = monitor.stats();
    assert_eq!((stats.refused, stats.discarded, stats.scheduled), (1, 1, 0));
}

/// A gate regular `fn` tasks block on, and how many are blocked on it.
#[derive(Clone, Default)]
struct SyncGate(Arc<(Mutex<(bool, usize)>, Condvar)>);

impl SyncGate {
    fn wait(&self) {
        let (state, changed) = &*self.0;
        let mut state = state.lock().expect("gate");
        state.1 += 1;
        changed.notify_all();
        while !state.0 {
            state = changed.wait(state).expect("gate");
        }
    }

    fn open(&self) {
        let (state, changed) = &*self.0;
        state.lock().expect("gate").0 = true;
        changed.notify_all();
    }

    fn blocked(&self) -> usize {
        self.0.0.lock().expect("gate").1
    }

    /// Resolves once `count` tasks are blocked on the gate. Waits on a
    /// thread of its own: tokio's blocking pool may be the one that is full.
    async fn blocked_at_least(&self, count: usize) {
        let (reached, done) = tokio::sync::oneshot::channel();
        let gate = self.clone();
        std::thread::spawn(move || {
            let (state, changed) = &*gate.0;
            let mut state = state.lock().expect("gate");
            while state.1 < count {
                state = changed.wait(state).expect("gate");
            }
            let _ = reached.send(());
        });
        let _ = done.await;
    }
}

struct OpenOnDrop(SyncGate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

fn slow_smtp_call(gate: SyncGate) {
    gate.wait();
}

#[post("/mail")]
async fn mail(State(gate): State<SyncGate>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(slow_smtp_call, (gate,));
    "queued"
}

#[get("/file")]
async fn file() -> String {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    match tokio::fs::read_to_string(manifest).await {
        Ok(text) => text.lines().next().unwrap_or_default().to_owned(),
        Err(error) => error.to_string(),
    }
}

/// Scenario 7: regular `fn` tasks run on the app's own bounded threads, so
/// a handler's `tokio::fs` read still answers while they are all blocked,
/// on a runtime whose own blocking pool has only two threads.
#[test]
fn a_handlers_file_read_answers_while_the_task_threads_are_saturated() {
    const TASK_THREADS: usize = 3;
    const QUEUED: usize = 8;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let gate = SyncGate::default();
    let waiter = gate.clone();
    // Opens the gate however the test ends, so a failing test fails instead
    // of hanging in the runtime's drop on blocked threads.
    let _open_at_the_end = OpenOnDrop(gate.clone());
    runtime.block_on(async move {
        let app = App::new()
            .task_threads(TASK_THREADS)
            .state(gate.clone())
            .routes(routes![mail, file]);
        let monitor = app.task_monitor();
        let server = TestServer::start(app).await;
        let mut client = server.http1().await;
        for _ in 0..QUEUED {
            let (status, _, _) = client.fetch(request("POST", "/mail")).await;
            assert_eq!(status, StatusCode::OK);
        }
        // Two blocked tasks would already fill tokio's blocking pool here.
        within("two tasks to block", waiter.blocked_at_least(2)).await;

        let (status, _, body) = client.fetch(request("GET", "/file")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "[workspace]"));

        within(
            "the task threads to fill",
            waiter.blocked_at_least(TASK_THREADS),
        )
        .await;
        assert_eq!(gate.blocked(), TASK_THREADS, "the task threads are bounded");

        gate.open();
        within("the tasks", monitor.wait_idle()).await;
        assert_eq!(monitor.stats().completed, QUEUED as u64);
    });
}

async fn hangs() {
    std::future::pending::<()>().await;
}

#[post("/hang")]
async fn hang(tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(hangs, ());
    "queued"
}

/// Scenario 8: a hung async task is cancelled at the app's task timeout,
/// counted, and its place under the cap comes back.
#[tokio::test]
async fn a_hung_task_is_cancelled_at_the_task_timeout_and_frees_its_place() {
    let app = App::new()
        .max_pending_tasks(1)
        .task_timeout(Duration::from_millis(20))
        .routes(routes![hang, queue]);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;

    let (status, _, _) = client.fetch(request("POST", "/hang")).await;
    assert_eq!(status, StatusCode::OK);
    within("the timeout", monitor.wait_idle()).await;
    assert_eq!(monitor.stats().timed_out, 1);
    let (status, _, _) = client.fetch(request("POST", "/queue")).await;
    assert_eq!(status, StatusCode::OK, "the hung task kept its place");
}

/// Scenario 10: the `TestClient` waits for its request's own tasks, not
/// for a stuck task of an earlier request.
#[tokio::test]
async fn the_test_client_waits_for_this_requests_tasks_only() {
    let client = TestClient::new(App::new().routes(routes![hang, queue]));
    client.post("/hang").without_waiting_for_tasks().await;

    let response = within(
        "a request after a stuck task",
        client.post("/queue").into_future(),
    )
    .await;
    assert_eq!(response.text(), "queued");
    let stats = client.task_monitor().stats();
    assert_eq!(
        (stats.completed, stats.pending),
        (1, 1),
        "its own task ran; the stuck one is pending"
    );
}
