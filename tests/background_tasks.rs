//! BackgroundTasks end to end: a real server on a loopback socket, real
//! HTTP/1.1 and HTTP/2 clients, and tasks that report what they did on a
//! channel. Nothing here sleeps to wait for a task: tests wait on the
//! task's own report, with `common::within` only as a guard against hanging.

mod common;

use std::sync::{Arc, Condvar, Mutex};

use atode::{
    App, BackgroundTasks, Body, FromRequestParts, RequestParts, Response, State, StatusCode, get,
    post, routes,
};
use bytes::Bytes;
use common::{Fetch, TestServer, request, within};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};

/// What the routes below share with the test: where tasks report, a gate
/// that holds async tasks until the test opens it, one for regular `fn`
/// tasks, and a one-shot sender a task can hold to prove it never ran.
#[derive(Clone)]
struct Probe {
    events: mpsc::UnboundedSender<String>,
    gate: watch::Receiver<bool>,
    sync_gate: Arc<(Mutex<bool>, Condvar)>,
    witness: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

/// The test's side of a [`Probe`].
struct Harness {
    events: mpsc::UnboundedReceiver<String>,
    gate: watch::Sender<bool>,
    sync_gate: Arc<(Mutex<bool>, Condvar)>,
    witness: oneshot::Receiver<()>,
}

impl Harness {
    fn new() -> (Probe, Harness) {
        let (events_tx, events) = mpsc::unbounded_channel();
        let (gate, gate_rx) = watch::channel(false);
        let (witness_tx, witness) = oneshot::channel();
        let sync_gate = Arc::new((Mutex::new(false), Condvar::new()));
        let probe = Probe {
            events: events_tx,
            gate: gate_rx,
            sync_gate: Arc::clone(&sync_gate),
            witness: Arc::new(Mutex::new(Some(witness_tx))),
        };
        (
            probe,
            Harness {
                events,
                gate,
                sync_gate,
                witness,
            },
        )
    }

    async fn next_event(&mut self) -> String {
        within("a background task's report", self.events.recv())
            .await
            .expect("events channel open")
    }

    fn no_event_yet(&mut self) {
        match self.events.try_recv() {
            Err(mpsc::error::TryRecvError::Empty) => {}
            other => panic!("expected no task to have reported yet, got {other:?}"),
        }
    }

    fn open_gate(&self) {
        self.gate.send_replace(true);
    }

    fn open_sync_gate(&self) {
        let (open, changed) = &*self.sync_gate;
        *open.lock().expect("sync gate") = true;
        changed.notify_all();
    }
}

fn app(probe: Probe) -> App {
    App::new().state(probe).routes(routes![
        ping,
        blocked,
        ordered,
        sync_blocked,
        failures,
        handler_err,
        handler_panic,
        streamed,
        head_task,
        no_content,
        carried,
        gated,
    ])
}

async fn report(events: mpsc::UnboundedSender<String>, label: &'static str) {
    let _ = events.send(label.to_owned());
}

async fn report_after_gate(probe: Probe, label: &'static str) {
    let mut gate = probe.gate;
    let _ = gate.wait_for(|open| *open).await;
    let _ = probe.events.send(label.to_owned());
}

/// A regular `fn` that blocks its thread until the sync gate opens.
fn block_thread_then_report(probe: Probe) {
    let (open, changed) = &*probe.sync_gate;
    let mut open = open.lock().expect("sync gate");
    while !*open {
        open = changed.wait(open).expect("sync gate");
    }
    let _ = probe.events.send("sync task done".to_owned());
}

/// Holds the witness sender; if the task is dropped unrun, the test's
/// receiver sees the channel close instead of a value.
async fn hold_witness(witness: oneshot::Sender<()>) {
    let _ = witness.send(());
}

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

#[post("/blocked")]
async fn blocked(State(probe): State<Probe>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(report_after_gate, (probe, "blocked task done"));
    "accepted"
}

/// A dependency that queues a task of its own before the handler runs.
struct Audited;

impl FromRequestParts for Audited {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        let probe = parts.state::<Probe>().expect("probe state").clone();
        parts
            .background_tasks()
            .add_task(report, (probe.events, "dependency"));
        Ok(Audited)
    }
}

#[post("/ordered")]
async fn ordered(
    _audit: Audited,
    State(probe): State<Probe>,
    background_tasks: BackgroundTasks,
) -> &'static str {
    for label in ["one", "two", "three"] {
        background_tasks.add_task(report, (probe.events.clone(), label));
    }
    "ordered"
}

#[post("/sync-blocked")]
async fn sync_blocked(tasks: BackgroundTasks, State(probe): State<Probe>) -> &'static str {
    tasks.add_task(block_thread_then_report, (probe,));
    "blocking task queued"
}

#[post("/failures")]
async fn failures(State(probe): State<Probe>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(|| Err::<(), _>("mail server unreachable"), ());
    tasks.add_task(panic_async, ());
    tasks.add_task(panic_sync, ());
    tasks.add_task(report, (probe.events, "after the failures"));
    "queued"
}

async fn panic_async() {
    panic!("async task panicked on purpose")
}

fn panic_sync() {
    panic!("sync task panicked on purpose")
}

fn take_witness(probe: &Probe) -> oneshot::Sender<()> {
    probe
        .witness
        .lock()
        .expect("witness")
        .take()
        .expect("witness taken once")
}

#[post("/handler-err")]
async fn handler_err(
    State(probe): State<Probe>,
    tasks: BackgroundTasks,
) -> Result<&'static str, StatusCode> {
    tasks.add_task(hold_witness, (take_witness(&probe),));
    Err(StatusCode::CONFLICT)
}

#[post("/handler-panic")]
async fn handler_panic(State(probe): State<Probe>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(hold_witness, (take_witness(&probe),));
    panic!("handler panicked on purpose")
}

/// Answers once the gate opens; queues no task.
#[get("/gated")]
async fn gated(State(probe): State<Probe>) -> &'static str {
    let _ = probe.events.send("gated handler started".to_owned());
    let mut gate = probe.gate;
    let _ = gate.wait_for(|open| *open).await;
    "gated"
}

/// A body of two chunks with the gate between them.
#[get("/streamed")]
async fn streamed(State(probe): State<Probe>, tasks: BackgroundTasks) -> Response {
    tasks.add_task(report, (probe.events.clone(), "streamed task done"));
    let (chunks, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let mut gate = probe.gate.clone();
    tokio::spawn(async move {
        let _ = chunks.send(Ok(Bytes::from_static(b"first\n"))).await;
        let _ = gate.wait_for(|open| *open).await;
        let _ = chunks.send(Ok(Bytes::from_static(b"last\n"))).await;
    });
    Response::new(Body::from_stream(atode::body::ReceiverStream::new(
        receiver,
    )))
}

#[get("/head-task")]
async fn head_task(State(probe): State<Probe>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(report, (probe.events, "head task done"));
    "a body HEAD never sends"
}

#[post("/no-content")]
async fn no_content(State(probe): State<Probe>, tasks: BackgroundTasks) -> StatusCode {
    tasks.add_task(report, (probe.events, "no-content task done"));
    StatusCode::NO_CONTENT
}

/// Returns a response with tasks of its own, beside the injected list.
#[post("/carried")]
async fn carried(
    State(probe): State<Probe>,
    injected: BackgroundTasks,
) -> (&'static str, BackgroundTasks) {
    injected.add_task(report, (probe.events.clone(), "injected"));
    let own = BackgroundTasks::new();
    own.add_task(report, (probe.events, "carried by the response"));
    ("carried", own)
}

#[tokio::test]
async fn the_response_does_not_wait_for_its_task() {
    let (probe, mut harness) = Harness::new();
    let server = TestServer::start(app(probe)).await;
    let mut client = server.http1().await;

    // The task is blocked until the gate opens, and the gate opens only
    // after the whole response has been read: if the response waited for
    // the task, this read would time out.
    let (status, _, body) = client.fetch(request("POST", "/blocked")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "accepted"));
    harness.no_event_yet();

    harness.open_gate();
    assert_eq!(harness.next_event().await, "blocked task done");
}

/// On one connection, a request whose task stays blocked, then another
/// request, which must be answered while the first one's task still waits.
async fn a_second_request_is_answered_while_the_first_ones_task_waits(
    connection: &mut impl Fetch,
    harness: &mut Harness,
) {
    let (status, _, _) = connection.fetch(request("POST", "/blocked")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = connection.fetch(request("GET", "/ping")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "pong"));
    harness.no_event_yet();

    harness.open_gate();
    assert_eq!(harness.next_event().await, "blocked task done");
}

#[tokio::test]
async fn keep_alive_is_not_held_by_a_task_on_http1() {
    let (probe, mut harness) = Harness::new();
    let server = TestServer::start(app(probe)).await;
    a_second_request_is_answered_while_the_first_ones_task_waits(
        &mut server.http1().await,
        &mut harness,
    )
    .await;
}

#[tokio::test]
async fn keep_alive_is_not_held_by_a_task_on_http2() {
    let (probe, mut harness) = Harness::new();
    let server = TestServer::start(app(probe)).await;
    a_second_request_is_answered_while_the_first_ones_task_waits(
        &mut server.http2().await,
        &mut harness,
    )
    .await;
}

#[tokio::test]
async fn tasks_run_in_the_order_added_with_the_dependencys_first() {
    let (probe, mut harness) = Harness::new();
    let server = TestServer::start(app(probe)).await;

    let (status, _, _) = server
        .http1()
        .await
        .fetch(request("POST", "/ordered"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(harness.next_event().await);
    }
    assert_eq!(seen, ["dependency", "one", "two", "three"]);
}

#[tokio::test]
async fn a_responses_own_tasks_run_after_the_injected_ones() {
    let (probe, mut harness) = Harness::new();
    let server = TestServer::start(app(probe)).await;

    let (status, _, body) = server
        .http1()
        .await
        .fetch(request("POST", "/carried"))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "carried"));
    assert_eq!(harness.next_event().await, "injected");
    assert_eq!(harness.next_event().await, "carried by the response");
}

/// The server runs on a runtime of its own with a single worker thread: a
/// regular `fn` task that blocked that thread would stop the server dead,
/// while this test's runtime stays free to time the wait out.
#[tokio::test]
async fn a_blocking_fn_task_does_not_stall_other_requests() {
    let (probe, mut harness) = Harness::new();
    let (started, addr) = oneshot::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let server_thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let mut server = TestServer::start(app(probe)).await;
            let _ = started.send(server.addr);
            let _ = stopped.await;
            server.begin_shutdown();
            server.handle.await.expect("server task")
        })
    });
    let addr = within("the server to start", addr)
        .await
        .expect("server address");

    let (status, _, _) = common::Http1::connect(addr)
        .await
        .fetch(request("POST", "/sync-blocked"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = common::Http1::connect(addr)
        .await
        .fetch(request("GET", "/ping"))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "pong"));
    harness.no_event_yet();

    harness.open_sync_gate();
    assert_eq!(harness.next_event().await, "sync task done");
    let _ = stop.send(());
    server_thread
        .join()
        .expect("server thread")
        .expect("server result");
}

#[tokio::test]
async fn failing_and_panicking_tasks_do_not_stop_the_rest_or_the_server() {
    let (probe, mut harness) = Harness::new();
    let app = app(probe);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut connection = server.http1().await;

    let (status, _, _) = connection.fetch(request("POST", "/failures")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(harness.next_event().await, "after the failures");
    let stats = monitor.stats();
    assert_eq!((stats.failed, stats.panicked), (1, 2), "{stats:?}");

    let (status, _, body) = connection.fetch(request("GET", "/ping")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "pong"));
}

#[tokio::test]
async fn a_handler_that_returns_err_discards_its_tasks() {
    let (probe, harness) = Harness::new();
    let app = app(probe);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;

    let (status, _, _) = server
        .http1()
        .await
        .fetch(request("POST", "/handler-err"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The task held the witness; the channel closing (rather than a value
    // arriving) proves the task was dropped and can never run.
    let witnessed = within("the discarded task to be dropped", harness.witness).await;
    assert!(witnessed.is_err(), "the discarded task ran");
    assert_eq!(monitor.stats().discarded, 1);
}

#[tokio::test]
async fn a_handler_that_panics_answers_500_discards_its_tasks_and_keeps_the_connection() {
    let (probe, harness) = Harness::new();
    let app = app(probe);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut connection = server.http1().await;

    let (status, headers, body) = connection.fetch(request("POST", "/handler-panic")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    assert_eq!(body, r#"{"detail":"Internal Server Error"}"#);
    let witnessed = within("the discarded task to be dropped", harness.witness).await;
    assert!(witnessed.is_err(), "the discarded task ran");
    assert_eq!(monitor.stats().discarded, 1);

    let (status, _, body) = connection.fetch(request("GET", "/ping")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "pong"));
}

#[tokio::test]
async fn tasks_still_run_when_the_client_disconnects_before_the_body_is_written() {
    let (probe, mut harness) = Harness::new();
    let server = TestServer::start(app(probe)).await;

    let mut socket = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    socket
        .write_all(b"GET /streamed HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("send request");
    // Read until the first chunk has arrived: the handler has finished and
    // the body is being written.
    let mut received = Vec::new();
    while !String::from_utf8_lossy(&received).contains("first") {
        let mut buf = [0; 1024];
        let read = within("the first chunk", socket.read(&mut buf))
            .await
            .expect("read");
        assert!(read > 0, "server closed the connection early");
        received.extend_from_slice(&buf[..read]);
    }
    // The gate stays shut, so the body never ends: only the server noticing
    // the client has gone, and dropping the body, can start the task.
    drop(socket);

    assert_eq!(harness.next_event().await, "streamed task done");
}

#[tokio::test]
async fn a_streamed_bodys_tasks_start_only_after_its_last_chunk() {
    let (probe, mut harness) = Harness::new();
    let app = app(probe);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let mut connection = server.http1().await;

    let response = connection.send(request("GET", "/streamed")).await;
    let mut body = response.into_body();
    let first = within("the first chunk", body.frame())
        .await
        .expect("a frame")
        .expect("frame ok");
    assert_eq!(first.into_data().expect("data"), "first\n");
    // Handing the tasks over is synchronous with the body's last frame, so
    // a count of zero here means they have not been started early.
    assert_eq!(monitor.stats().scheduled, 0);
    harness.no_event_yet();

    harness.open_gate();
    let rest = within("the rest of the body", body.collect())
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(rest, "last\n");
    assert_eq!(harness.next_event().await, "streamed task done");
    assert_eq!(monitor.stats().scheduled, 1);
}

#[tokio::test]
async fn a_head_request_runs_its_tasks() {
    let (probe, mut harness) = Harness::new();
    let server = TestServer::start(app(probe)).await;

    let (status, _, body) = server
        .http1()
        .await
        .fetch(request("HEAD", "/head-task"))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    assert_eq!(harness.next_event().await, "head task done");
}

#[tokio::test]
async fn an_empty_body_response_runs_its_tasks() {
    let (probe, mut harness) = Harness::new();
    let server = TestServer::start(app(probe)).await;

    let (status, _, body) = server
        .http2()
        .await
        .fetch(request("POST", "/no-content"))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
    assert_eq!(harness.next_event().await, "no-content task done");
}

/// Starts `server`'s shutdown and checks that it is still waiting (for
/// what `holding` says) once its listener has closed.
async fn begin_shutdown_and_see_it_wait(server: &mut TestServer, holding: &str) {
    server.begin_shutdown();
    // The listener closes first: a refused connection shows the shutdown began.
    within("the listener to close", async {
        while tokio::net::TcpStream::connect(server.addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    // A server that did not wait returns within microseconds of the
    // listener closing; the window below only gives it the chance to be
    // wrong.
    let early =
        tokio::time::timeout(std::time::Duration::from_millis(300), &mut server.handle).await;
    assert!(early.is_err(), "the server stopped while {holding}");
}

#[tokio::test]
async fn graceful_shutdown_finishes_a_response_in_progress_before_it_returns() {
    let (probe, mut harness) = Harness::new();
    let mut server = TestServer::start(app(probe)).await;
    let mut client = server.http1().await;
    let answer = tokio::spawn(async move { client.fetch(request("GET", "/gated")).await });
    assert_eq!(harness.next_event().await, "gated handler started");
    // No task is pending: only the response in progress holds the server.
    begin_shutdown_and_see_it_wait(&mut server, "a response was in progress").await;

    harness.open_gate();
    let (status, _, body) = within("the answer", answer).await.expect("client task");
    assert_eq!((status, body.as_str()), (StatusCode::OK, "gated"));
    let stopped = within("the server to finish its shutdown", &mut server.handle).await;
    stopped.expect("server task").expect("server result");
}

#[tokio::test]
async fn graceful_shutdown_waits_for_a_blocked_task() {
    let (probe, mut harness) = Harness::new();
    let app = app(probe);
    let monitor = app.task_monitor();
    let mut server = TestServer::start(app).await;

    let (status, _, _) = server
        .http1()
        .await
        .fetch(request("POST", "/blocked"))
        .await;
    assert_eq!(status, StatusCode::OK);
    begin_shutdown_and_see_it_wait(&mut server, "a task was still pending").await;
    assert_eq!(monitor.stats().pending, 1);

    harness.open_gate();
    let stopped = within("the server to finish its shutdown", &mut server.handle).await;
    stopped.expect("server task").expect("server result");
    assert_eq!(harness.next_event().await, "blocked task done");
    assert_eq!(monitor.stats().completed, 1);
}
