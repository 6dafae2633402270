//! Lifecycle state belongs to each server, not to the app: a server that
//! gave up on its tasks does not stop the app serving again, a clone
//! configured differently leaves the original as it was, and two servers
//! of one app drain only their own work. Over real loopback sockets;
//! nothing sleeps to wait for an event (a task's own work may take time,
//! as a task's does): tests wait on the event, with `common::within` as
//! the guard against hanging.

mod common;

use std::future::IntoFuture;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use atode::body::ReceiverStream;
use atode::sse::{Event, Sse};
use atode::testing::TestClient;
use atode::ws::{Message, SwitchingProtocols, WebSocket, WebSocketUpgrade};
use atode::{App, BackgroundTasks, Serve, State, StatusCode, get, post, routes};
use common::{Http1, TestServer, request, within};
use futures_util::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite;

/// Where tasks report what happened to them.
#[derive(Clone)]
struct Events(mpsc::UnboundedSender<&'static str>);

/// Released by the test: tasks that wait on it are blocked until then.
#[derive(Clone)]
struct Gate(Arc<Semaphore>);

impl Gate {
    fn closed() -> Self {
        Gate(Arc::new(Semaphore::new(0)))
    }

    fn open(&self) {
        self.0.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

/// Sends `label` when dropped unfinished: a task cancelled by a timeout.
struct OnDrop(Option<(Events, &'static str)>);

impl OnDrop {
    fn defuse(mut self) {
        self.0 = None;
    }
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some((events, label)) = self.0.take() {
            let _ = events.0.send(label);
        }
    }
}

async fn stuck(events: Events) {
    let _ = events.0.send("stuck task started");
    std::future::pending::<()>().await;
}

async fn record(events: Events) {
    let _ = events.0.send("work done");
}

async fn blocked(gate: Gate, events: Events) {
    let _ = events.0.send("blocked task started");
    let _permit = gate.0.acquire().await;
    let _ = events.0.send("blocked task released");
}

/// How long the slow task works: well past `TIMEOUT`.
const SLOW_WORK: Duration = Duration::from_millis(300);
/// The task timeout of the clone that has one.
const TIMEOUT: Duration = Duration::from_millis(30);

async fn slow(events: Events) {
    let cancelled = OnDrop(Some((events.clone(), "slow task cancelled")));
    tokio::time::sleep(SLOW_WORK).await; // the task's own work
    cancelled.defuse();
    let _ = events.0.send("slow task finished");
}

#[post("/stuck")]
async fn queue_stuck(State(events): State<Events>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(stuck, (events,));
    "queued"
}

#[post("/work")]
async fn queue_work(State(events): State<Events>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(record, (events,));
    "queued"
}

#[post("/blocked")]
async fn queue_blocked(
    State(events): State<Events>,
    State(gate): State<Gate>,
    tasks: BackgroundTasks,
) -> &'static str {
    tasks.add_task(blocked, (gate, events.clone()));
    // A second task after it: abandoning the batch would leave it unrun.
    tasks.add_task(record, (events,));
    "queued"
}

#[post("/slow")]
async fn queue_slow(State(events): State<Events>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(slow, (events,));
    "queued"
}

fn app() -> (App, mpsc::UnboundedReceiver<&'static str>, Gate) {
    let (events, seen) = mpsc::unbounded_channel();
    let gate = Gate::closed();
    let app = App::new()
        .state(Events(events))
        .state(gate.clone())
        .routes(routes![queue_stuck, queue_work, queue_blocked, queue_slow]);
    (app, seen, gate)
}

/// A server of `app`, set up by `configure`, running until `stop` fires.
struct Server {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<io::Result<()>>,
}

impl Server {
    async fn start(app: App, configure: impl FnOnce(Serve) -> Serve) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let serve = configure(atode::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            handle: tokio::spawn(serve.into_future()),
        }
    }

    /// Shuts the server down and waits until it has returned.
    async fn shut_down(mut self, what: &str) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        within(what, self.handle)
            .await
            .expect("the server task")
            .expect("the server's result");
    }
}

async fn post_ok(addr: std::net::SocketAddr, path: &str) {
    let (status, _, body) = Http1::connect(addr)
        .await
        .fetch(request("POST", path))
        .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "queued"),
        "{path}"
    );
}

async fn next_event(seen: &mut mpsc::UnboundedReceiver<&'static str>, what: &str) -> &'static str {
    within(what, seen.recv()).await.expect("the events' sender")
}

/// (a) A server that hit its shutdown deadline abandoned its own tasks,
/// not the app: the same app then runs tasks in a `TestClient`, and
/// served again.
#[tokio::test]
async fn an_app_runs_tasks_again_after_a_server_of_it_abandoned_its_own() {
    let (app, mut seen, _gate) = app();
    let monitor = app.task_monitor();

    let server = Server::start(app.clone(), |serve| {
        serve.shutdown_deadline(Duration::from_millis(50))
    })
    .await;
    post_ok(server.addr, "/stuck").await;
    assert_eq!(
        next_event(&mut seen, "the stuck task").await,
        "stuck task started"
    );
    server.shut_down("the deadline to end the shutdown").await;
    let stats = monitor.stats();
    assert_eq!((stats.pending, stats.completed), (1, 0), "{stats:?}");

    // The same app, in-process: its task runs.
    let client = TestClient::new(app.clone());
    let response = client.post("/work").await;
    assert_eq!(response.text(), "queued");
    // The client returns once the request's tasks are done.
    let stats = monitor.stats();
    assert_eq!((stats.completed, stats.abandoned), (1, 0), "{stats:?}");
    assert_eq!(
        next_event(&mut seen, "the task in a TestClient").await,
        "work done"
    );
    within("the client's shutdown", client.shutdown()).await;

    // And served again: its task runs, and this server drains only what
    // it took (not the first server's stuck task), so it stops at once.
    let again = Server::start(app, |serve| serve).await;
    post_ok(again.addr, "/work").await;
    assert_eq!(
        next_event(&mut seen, "the task served again").await,
        "work done"
    );
    again
        .shut_down("the second server's shutdown, without a deadline")
        .await;
    let stats = monitor.stats();
    assert_eq!(
        (stats.completed, stats.abandoned, stats.pending),
        (2, 0, 1),
        "only the first server's stuck task is left: {stats:?}"
    );
}

/// (b) `app.clone().max_pending_tasks(0)` caps the clone, not the original.
#[tokio::test]
async fn a_clone_capped_at_zero_leaves_the_original_uncapped() {
    let (app, mut seen, _gate) = app();
    let capped = app.clone().max_pending_tasks(0);
    let original = TestServer::start(app).await;
    let clone = TestServer::start(capped).await;

    post_ok(original.addr, "/work").await;
    assert_eq!(
        next_event(&mut seen, "the original's task").await,
        "work done"
    );

    let (status, headers, _) = clone.http1().await.fetch(request("POST", "/work")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        headers.get("retry-after").map(|value| value.as_bytes()),
        Some(&b"1"[..])
    );

    // And once more the original, after the clone refused.
    post_ok(original.addr, "/work").await;
    assert_eq!(
        next_event(&mut seen, "the original's task").await,
        "work done"
    );
}

/// (b) `app.clone().task_timeout(..)` bounds the clone's tasks, not the
/// original's.
#[tokio::test]
async fn a_clone_with_a_task_timeout_leaves_the_original_unbounded() {
    let (app, mut seen, _gate) = app();
    let monitor = app.task_monitor();
    let hasty = app.clone().task_timeout(TIMEOUT);
    let original = TestServer::start(app).await;
    let clone = TestServer::start(hasty).await;

    post_ok(clone.addr, "/slow").await;
    assert_eq!(
        next_event(&mut seen, "the clone's task to time out").await,
        "slow task cancelled"
    );

    post_ok(original.addr, "/slow").await;
    assert_eq!(
        next_event(&mut seen, "the original's task").await,
        "slow task finished",
        "the original's task was cancelled at the clone's timeout"
    );
    within("the tasks", monitor.wait_idle()).await;
    let stats = monitor.stats();
    assert_eq!((stats.timed_out, stats.completed), (1, 1), "{stats:?}");
}

/// (c) Shutting down one server of an app does not wait for the tasks of
/// another server of it.
#[tokio::test]
async fn shutting_down_one_server_does_not_wait_for_anothers_tasks() {
    let (app, mut seen, gate) = app();
    let monitor = app.task_monitor();
    // A deadline longer than the guard: a server that waited for the other
    // server's task would hang the test, not abandon it.
    let a = Server::start(app.clone(), |serve| {
        serve.shutdown_deadline(Duration::from_secs(3600))
    })
    .await;
    let b = Server::start(app, |serve| serve).await;

    post_ok(b.addr, "/blocked").await;
    assert_eq!(
        next_event(&mut seen, "B's task to start").await,
        "blocked task started"
    );
    a.shut_down("server A's shutdown while B's task runs").await;

    gate.open();
    assert_eq!(
        next_event(&mut seen, "B's task to be released").await,
        "blocked task released"
    );
    assert_eq!(next_event(&mut seen, "B's second task").await, "work done");
    b.shut_down("server B's shutdown").await;
    let stats = monitor.stats();
    assert_eq!(
        (stats.completed, stats.abandoned, stats.pending),
        (2, 0, 0),
        "{stats:?}"
    );
}

/// (c) A server that gives up at its shutdown deadline abandons its own
/// tasks only: another server's batch goes on to its end.
#[tokio::test]
async fn a_server_that_gives_up_does_not_abandon_anothers_tasks() {
    let (app, mut seen, gate) = app();
    let monitor = app.task_monitor();
    let a = Server::start(app.clone(), |serve| {
        serve.shutdown_deadline(Duration::from_millis(50))
    })
    .await;
    let b = Server::start(app, |serve| serve).await;

    post_ok(b.addr, "/blocked").await;
    assert_eq!(
        next_event(&mut seen, "B's task to start").await,
        "blocked task started"
    );
    a.shut_down("server A's shutdown").await;
    assert_eq!(monitor.stats().abandoned, 0, "{:?}", monitor.stats());

    gate.open();
    assert_eq!(
        next_event(&mut seen, "B's task to be released").await,
        "blocked task released"
    );
    assert_eq!(
        next_event(&mut seen, "B's second task").await,
        "work done",
        "server A abandoned server B's batch"
    );
    b.shut_down("server B's shutdown").await;
    let stats = monitor.stats();
    assert_eq!((stats.completed, stats.abandoned), (2, 0), "{stats:?}");
}

type Feed = mpsc::Receiver<Result<Event, std::convert::Infallible>>;

/// The event stream the test feeds; one per test.
#[derive(Clone)]
struct NextFeed(Arc<std::sync::Mutex<Option<Feed>>>);

#[get("/feed")]
async fn feed(
    State(next): State<NextFeed>,
) -> Sse<ReceiverStream<Result<Event, std::convert::Infallible>>> {
    let events = next
        .0
        .lock()
        .expect("lock")
        .take()
        .expect("one stream per test");
    Sse::new(ReceiverStream::new(events))
}

#[get("/echo")]
async fn echo(upgrade: WebSocketUpgrade) -> SwitchingProtocols {
    upgrade.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            if let Message::Text(text) = message {
                let _ = socket.send(Message::Text(text)).await;
            }
        }
    })
}

/// The next chunk of an event stream's body; `None` once it has ended.
async fn next_chunk(body: &mut hyper::body::Incoming) -> Option<String> {
    loop {
        let frame = within("the event stream", body.frame())
            .await?
            .expect("a frame");
        if let Ok(data) = frame.into_data() {
            return Some(String::from_utf8(data.to_vec()).expect("utf-8"));
        }
    }
}

/// Shutting down one server of an app ends its own event streams and
/// closes its own sockets, not another server's.
#[tokio::test]
async fn one_servers_shutdown_leaves_anothers_streams_and_sockets_open() {
    let (events, stream) = mpsc::channel(4);
    let app = App::new()
        .state(NextFeed(Arc::new(std::sync::Mutex::new(Some(stream)))))
        .routes(routes![feed, echo]);
    let a = Server::start(app.clone(), |serve| serve).await;
    let b = Server::start(app, |serve| serve).await;

    let mut sse = Http1::connect(b.addr).await;
    let response = sse.send(request("GET", "/feed")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    events
        .send(Ok(Event::default().data("one")))
        .await
        .expect("the stream");
    assert_eq!(
        next_chunk(&mut body).await.as_deref(),
        Some("data: one\n\n")
    );

    let (mut socket, _) = within(
        "the WebSocket handshake",
        tokio_tungstenite::connect_async(format!("ws://{}/echo", b.addr)),
    )
    .await
    .expect("handshake");
    socket.send("one".into()).await.expect("send");
    let echoed = within("the echo", socket.next())
        .await
        .expect("a message")
        .expect("ok");
    assert_eq!(echoed, tungstenite::Message::text("one"));

    a.shut_down("server A's shutdown").await;

    let sent = events.send(Ok(Event::default().data("two"))).await;
    assert!(sent.is_ok(), "server A's shutdown ended server B's stream");
    assert_eq!(
        next_chunk(&mut body).await.as_deref(),
        Some("data: two\n\n"),
        "server A's shutdown ended server B's stream"
    );
    socket.send("two".into()).await.expect("send");
    let echoed = within("the echo", socket.next())
        .await
        .expect("a message")
        .expect("ok");
    assert_eq!(
        echoed,
        tungstenite::Message::text("two"),
        "server A's shutdown closed server B's socket"
    );

    // B's own shutdown ends both.
    let stopping = tokio::spawn(b.shut_down("server B's shutdown"));
    assert_eq!(next_chunk(&mut body).await, None, "B's stream ended");
    match within("the close frame", socket.next()).await {
        Some(Ok(tungstenite::Message::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), 1001);
        }
        other => panic!("expected B's close frame, got {other:?}"),
    }
    // The client answers the close as it reads on.
    assert!(within("the socket's end", socket.next()).await.is_none());
    within("server B's shutdown", stopping)
        .await
        .expect("the shutdown task");
}

async fn pass_through(
    request: atode::http::Request<atode::Body>,
    next: atode::middleware::Next,
) -> atode::Response {
    next.run(request).await
}

/// Behind a middleware (a layer, which only passes the request on), a
/// request still belongs to the server it came through: that server's
/// deadline abandons what is left of its batch.
#[tokio::test]
async fn behind_a_middleware_a_request_belongs_to_its_server() {
    let (app, mut seen, gate) = app();
    let app = app.middleware(pass_through);
    let monitor = app.task_monitor();
    let server = Server::start(app, |serve| {
        serve.shutdown_deadline(Duration::from_millis(50))
    })
    .await;
    post_ok(server.addr, "/blocked").await;
    assert_eq!(
        next_event(&mut seen, "the task to start").await,
        "blocked task started"
    );
    server.shut_down("the deadline to end the shutdown").await;
    gate.open();
    assert_eq!(
        next_event(&mut seen, "the task to be released").await,
        "blocked task released"
    );
    within("the batch to end", monitor.wait_idle()).await;
    let stats = monitor.stats();
    assert_eq!(
        (stats.completed, stats.abandoned),
        (1, 1),
        "the task after the deadline did not start: {stats:?}"
    );
}
