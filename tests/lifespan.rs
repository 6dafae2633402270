//! Lifespan hooks over a real socket: start-up hooks run before the server
//! accepts anything and give handlers their state, a failing one stops the
//! server before it serves, and shutdown hooks run last, in reverse order,
//! each whatever the others do. Tests run on the current-thread runtime,
//! so "the server has done X before the test sees Y" is deterministic; no
//! test sleeps to wait for anything.

mod common;

use std::future::{Future, IntoFuture};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use atode::{App, BackgroundTasks, State, get, post, routes};
use bytes::Bytes;
use common::{TestServer, read_all, request, within};
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};

/// What happened, in order, shared by the hooks, handlers and tasks.
#[derive(Clone, Default)]
struct Journal(Arc<Mutex<Vec<String>>>);

impl Journal {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().expect("journal lock").push(event.into());
    }

    fn events(&self) -> Vec<String> {
        self.0.lock().expect("journal lock").clone()
    }
}

/// Stands for a connection pool opened at start-up.
#[derive(Clone)]
struct Pool {
    url: String,
}

/// Stands for a cache warmed from the pool, by a second start-up hook.
#[derive(Clone)]
struct Cache {
    from: String,
}

#[get("/pool")]
async fn pool(State(pool): State<Pool>, State(cache): State<Cache>) -> String {
    format!("{} / {}", pool.url, cache.from)
}

#[tokio::test]
async fn startup_state_reaches_a_handler() {
    let journal = Journal::default();
    let app = App::new()
        .state(journal.clone())
        .on_startup(|State(journal): State<Journal>| async move {
            journal.push("open the pool");
            Ok::<_, std::io::Error>(Pool {
                url: "postgres://db/app".to_owned(),
            })
        })
        // Registered second, so it runs second and can take the pool.
        .on_startup(
            |State(pool): State<Pool>, State(journal): State<Journal>| async move {
                journal.push("warm the cache");
                Ok::<_, String>(Cache {
                    from: format!("warmed from {}", pool.url),
                })
            },
        )
        .routes(routes![pool]);
    let mut server = TestServer::start(app).await;

    let (status, _, body) = server.http1().await.fetch(request("GET", "/pool")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "postgres://db/app / warmed from postgres://db/app");
    assert_eq!(journal.events(), ["open the pool", "warm the cache"]);

    server.begin_shutdown();
    within("the server to stop", &mut server.handle)
        .await
        .expect("server task")
        .expect("serve");
}

#[derive(Clone, Default)]
struct Hits(Arc<AtomicUsize>);

#[get("/")]
async fn counted(State(hits): State<Hits>) -> &'static str {
    hits.0.fetch_add(1, Ordering::SeqCst);
    "served"
}

#[tokio::test]
async fn a_failing_startup_hook_stops_serve_before_any_connection_is_served() {
    let hits = Hits::default();
    let (started, hook_started) = oneshot::channel::<()>();
    let started = Arc::new(Mutex::new(Some(started)));
    let (fail, release) = oneshot::channel::<()>();
    let release = Arc::new(Mutex::new(Some(release)));
    let app = App::new()
        .state(hits.clone())
        .on_startup(move || {
            let started = started.lock().expect("lock").take();
            let release = release.lock().expect("lock").take();
            async move {
                if let Some(started) = started {
                    let _ = started.send(());
                }
                if let Some(release) = release {
                    let _ = release.await;
                }
                Err::<(), _>("the database is unreachable")
            }
        })
        .routes(routes![counted]);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let server = tokio::spawn(atode::serve(listener, app).into_future());

    // A client connects and sends a request while the hook is running: the
    // kernel completes the handshake (the socket is listening), but the
    // server must not accept it, let alone answer it.
    within("the start-up hook to start", hook_started)
        .await
        .expect("hook started");
    let mut early = TcpStream::connect(addr)
        .await
        .expect("connect to the backlog");
    early
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write the request");
    fail.send(()).expect("release the hook");

    let error = within("serve to return", server)
        .await
        .expect("server task")
        .expect_err("serve must fail when a start-up hook fails");
    assert_eq!(error.kind(), std::io::ErrorKind::Other);
    let message = error.to_string();
    assert!(message.contains("the database is unreachable"), "{message}");
    assert!(message.contains("start-up hook"), "{message}");

    // The early connection is closed unanswered, and nothing listens now.
    let mut answer = Vec::new();
    let read = within(
        "the early connection to close",
        early.read_to_end(&mut answer),
    )
    .await;
    assert!(
        answer.is_empty(),
        "answered: {}",
        String::from_utf8_lossy(&answer)
    );
    if let Err(error) = read {
        assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset, "{error}");
    }
    let refused = TcpStream::connect(addr).await.expect_err("nothing listens");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    assert_eq!(hits.0.load(Ordering::SeqCst), 0, "a handler ran");
}

/// Lets the background task finish.
#[derive(Clone, Default)]
struct Gate(Arc<Notify>);

async fn slow_task(gate: Gate, journal: Journal) {
    gate.0.notified().await;
    journal.push("task");
}

#[post("/work")]
async fn work(
    State(gate): State<Gate>,
    State(journal): State<Journal>,
    tasks: BackgroundTasks,
) -> &'static str {
    tasks.add_task(slow_task, (gate, journal));
    "queued"
}

#[tokio::test]
async fn shutdown_hooks_run_after_the_tasks_drain_in_reverse_order() {
    let journal = Journal::default();
    let gate = Gate::default();
    let hook = |name: &'static str| {
        move |State(journal): State<Journal>| async move { journal.push(name) }
    };
    let app = App::new()
        .state(journal.clone())
        .state(gate.clone())
        .on_shutdown(hook("registered first"))
        .on_shutdown(hook("registered second"))
        .routes(routes![work]);
    let mut server = TestServer::start(app).await;

    // One keep-alive connection, kept to see when graceful shutdown has
    // closed it: the server is then past its connections, into the drain.
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (mut sender, connection) = http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
        .await
        .expect("http1 handshake");
    let connection = tokio::spawn(connection);
    let response = within(
        "the response",
        sender.send_request(request("POST", "/work")),
    )
    .await
    .expect("response");
    let (status, _, body) = read_all(response).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "queued"));

    server.begin_shutdown();
    within("the server to close the idle connection", connection)
        .await
        .expect("connection task")
        .expect("connection");
    // The task is still waiting: no shutdown hook may have run yet.
    assert_eq!(journal.events(), Vec::<String>::new());
    gate.0.notify_one();

    within("the server to stop", &mut server.handle)
        .await
        .expect("server task")
        .expect("serve");
    assert_eq!(
        journal.events(),
        ["task", "registered second", "registered first"]
    );
}

/// Records what is logged while the test's subscriber is the default.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

async fn panics(State(journal): State<Journal>) {
    journal.push("c");
    panic!("a bug in a shutdown hook");
}

#[tokio::test]
async fn a_failing_shutdown_hook_does_not_stop_the_others() {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    // The current-thread runtime polls the server on this thread, so its
    // logs reach this subscriber.
    let _logging = tracing::subscriber::set_default(subscriber);

    let journal = Journal::default();
    let app = App::new()
        .state(journal.clone())
        .on_shutdown(|State(journal): State<Journal>| async move { journal.push("a") })
        .on_shutdown(|State(journal): State<Journal>| async move {
            journal.push("b");
            Err::<(), _>("the metrics collector is gone")
        })
        .on_shutdown(panics);
    let mut server = TestServer::start(app).await;
    server.begin_shutdown();
    within("the server to stop", &mut server.handle)
        .await
        .expect("server task")
        .expect("a failing shutdown hook does not fail the shutdown");

    assert_eq!(journal.events(), ["c", "b", "a"]);
    let logs = String::from_utf8_lossy(&logs.0.lock().expect("log lock")).into_owned();
    let failed = logs
        .lines()
        .find(|line| line.contains("shutdown hook failed"))
        .unwrap_or_else(|| panic!("no failure logged:\n{logs}"));
    assert!(failed.contains("atode::lifespan"), "{failed}");
    assert!(failed.contains("the metrics collector is gone"), "{failed}");
    let panicked = logs
        .lines()
        .find(|line| line.contains("shutdown hook panicked"))
        .unwrap_or_else(|| panic!("no panic logged:\n{logs}"));
    assert!(panicked.contains("a bug in a shutdown hook"), "{panicked}");
}

async fn stuck() {
    std::future::pending::<()>().await;
}

#[post("/stuck")]
async fn queue_stuck(tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(stuck, ());
    "queued"
}

#[tokio::test]
async fn past_the_deadline_a_waiting_hook_is_cancelled_and_the_others_run() {
    let journal = Journal::default();
    let app = App::new()
        .state(journal.clone())
        .on_shutdown(|State(journal): State<Journal>| async move { journal.push("closed") })
        // Runs first, after the deadline passed on the stuck task.
        .on_shutdown(stuck)
        .routes(routes![queue_stuck]);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(
        atode::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .shutdown_deadline(std::time::Duration::from_millis(50))
            .into_future(),
    );
    let mut client = common::Http1::connect(addr).await;
    let (status, _, _) = client.fetch(request("POST", "/stuck")).await;
    assert_eq!(status, 200);
    drop(client);

    stop.send(()).expect("signal shutdown");
    within("the server to stop by its deadline", server)
        .await
        .expect("server task")
        .expect("serve");
    assert_eq!(journal.events(), ["closed"]);
}

#[tokio::test]
#[should_panic(expected = "so start the client with `TestClient::start(app).await`")]
async fn test_client_new_says_to_start_when_only_a_hook_gives_the_state() {
    let app = App::new()
        .on_startup(|| async {
            Ok::<_, String>(Pool {
                url: "sqlite::memory:".to_owned(),
            })
        })
        .on_startup(|| async {
            Ok::<_, String>(Cache {
                from: "nothing".to_owned(),
            })
        })
        .routes(routes![pool]);
    atode::testing::TestClient::new(app);
}

#[tokio::test]
async fn test_client_shutdown_waits_for_the_tasks_then_runs_the_hooks() {
    let journal = Journal::default();
    let gate = Gate::default();
    let app = App::new()
        .state(gate.clone())
        .on_startup({
            let journal = journal.clone();
            move || {
                let journal = journal.clone();
                async move {
                    journal.push("start-up");
                    Ok::<_, String>(journal)
                }
            }
        })
        .on_shutdown(|State(journal): State<Journal>| async move {
            journal.push("shutdown");
            Err::<(), _>("the metrics collector is gone")
        })
        .routes(routes![work]);
    let client = atode::testing::TestClient::start(app).await;
    let response = client.post("/work").without_waiting_for_tasks().await;
    assert_eq!(response.text(), "queued");

    let mut shutdown = std::pin::pin!(client.shutdown());
    // One poll: the task waits for the gate, so shutdown must wait too.
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(shutdown.as_mut().poll(cx))).await;
    assert!(first.is_pending(), "shutdown returned while a task ran");
    assert_eq!(journal.events(), ["start-up"]);
    gate.0.notify_one();
    let failures = within("the shutdown", shutdown).await;
    assert_eq!(journal.events(), ["start-up", "task", "shutdown"]);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains("the metrics collector is gone"),
        "{failures:?}"
    );
}
