//! `atode::broadcast` end to end: two server processes (the compiled
//! `chat_broadcast` example, started twice) sharing a room through
//! PostgreSQL and through Redis, a durable task in a worker process
//! reporting progress to an SSE client of a web process, a backend
//! connection cut and restored under a live subscription, a slow
//! subscriber's bounded buffer, one publisher's order, and the backends'
//! size limits.
//!
//! PostgreSQL needs `ATODE_TEST_POSTGRES_URL`, Redis `ATODE_TEST_REDIS_URL`
//! (`.ci/run` sets both); a suite built without one lists its tests as
//! ignored, with the reason (`build.rs`).

mod common;
mod durable_support;

#[allow(dead_code)] // its `main` and job routes, which only the binary runs
#[path = "../examples/chat_broadcast.rs"]
mod chat_broadcast;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use atode::broadcast::{Broadcast, BroadcastError, Received};
use common::example::{Example, ScratchDir};
use common::proxy::{Proxy, host_port, through};
use common::{Http1, TestServer, within};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

const POSTGRES_VAR: &str = durable_support::POSTGRES_VAR;
const REDIS_VAR: &str = "ATODE_TEST_REDIS_URL";

#[derive(Clone, Copy, Debug)]
enum Backend {
    Memory,
    Postgres,
    Redis,
}

impl Backend {
    /// The backend's URL. A test run without its server
    /// (`--include-ignored`) fails, saying so: it never passes untested.
    fn url(self, test: &str) -> String {
        let var = match self {
            Backend::Memory => return "memory://".to_owned(),
            Backend::Postgres => POSTGRES_VAR,
            Backend::Redis => REDIS_VAR,
        };
        std::env::var(var).unwrap_or_else(|_| {
            panic!("{test} runs on {self:?}: set {var} when building and running it")
        })
    }
}

/// A topic (a room) no other test, or other run on the same server, uses.
fn unique(name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

// ---------------------------------------------------------------- clients

type WsClient =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn join(addr: SocketAddr, room: &str, name: &str) -> WsClient {
    let (client, _) = within(
        "the handshake",
        tokio_tungstenite::connect_async(format!("ws://{addr}/rooms/{room}/ws?name={name}")),
    )
    .await
    .expect("handshake");
    client
}

async fn line(client: &mut WsClient) -> String {
    match within("a line over the WebSocket", client.next()).await {
        Some(Ok(Message::Text(text))) => text.to_string(),
        other => panic!("expected a line, got {other:?}"),
    }
}

/// An SSE response read off the socket: its events, one per chunk.
struct SseClient {
    reader: BufReader<TcpStream>,
}

impl SseClient {
    /// Opens `path`; returns once the response's head arrived, which the
    /// route sends only after it has subscribed.
    async fn open(addr: SocketAddr, path: &str) -> Self {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let head =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n");
        stream.write_all(head.as_bytes()).await.expect("write");
        let mut client = SseClient {
            reader: BufReader::new(stream),
        };
        let status = client.line().await;
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        while !client.line().await.is_empty() {}
        client
    }

    async fn line(&mut self) -> String {
        let mut line = String::new();
        within("a line of the response", self.reader.read_line(&mut line))
            .await
            .expect("read a line");
        line.trim_end_matches("\r\n").to_owned()
    }

    /// The next event's `data` (keep-alive comments skipped).
    async fn data(&mut self) -> String {
        loop {
            let size_line = self.line().await;
            let size = usize::from_str_radix(&size_line, 16)
                .unwrap_or_else(|_| panic!("a chunk size: {size_line:?}"));
            assert!(size > 0, "the stream ended");
            let mut chunk = vec![0; size + 2];
            within("a chunk", self.reader.read_exact(&mut chunk))
                .await
                .expect("read a chunk");
            let chunk = String::from_utf8(chunk).expect("UTF-8");
            if chunk.starts_with(':') {
                continue;
            }
            return chunk
                .lines()
                .find_map(|line| line.strip_prefix("data: "))
                .unwrap_or_else(|| panic!("an event with data: {chunk:?}"))
                .to_owned();
        }
    }
}

async fn post(addr: SocketAddr, path: &str, form: &str) -> (u16, String) {
    let request = http::Request::post(path)
        .header(http::header::HOST, "localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            form.to_owned(),
        )))
        .expect("request");
    let (status, _, body) = Http1::connect(addr).await.fetch(request).await;
    (status.as_u16(), body)
}

// ---------------------------------------------------------------- two processes

/// The example twice, on one broadcast URL: a line said to one instance
/// reaches WebSocket and SSE clients of the other, both ways.
async fn two_instances_share_a_room(backend: Backend) {
    let url = backend.url("two_instances_share_a_room");
    let env = [("ATODE_BROADCAST_URL", url.as_str())];
    let (dir_a, dir_b) = (
        ScratchDir::new(&unique("broadcast-a")),
        ScratchDir::new(&unique("broadcast-b")),
    );
    let a = Example::start_with("chat_broadcast", &dir_a, &env).await;
    let b = Example::start_with("chat_broadcast", &dir_b, &env).await;
    let room = unique("lobby");

    // Ada on B: her join, published by B, comes back through the backend.
    let mut ada = join(b.addr, &room, "ada").await;
    assert_eq!(line(&mut ada).await, "* ada joined");
    let mut follower_b = SseClient::open(b.addr, &format!("/rooms/{room}/events")).await;
    let mut follower_a = SseClient::open(a.addr, &format!("/rooms/{room}/events")).await;

    // Said on A, heard on B's socket and B's event stream.
    let said = post(
        a.addr,
        &format!("/rooms/{room}/messages"),
        "name=bob&text=hi",
    )
    .await;
    assert_eq!(said.0, 204, "{}", said.1);
    assert_eq!(line(&mut ada).await, "bob: hi");
    assert_eq!(follower_b.data().await, r#""bob: hi""#);
    assert_eq!(follower_a.data().await, r#""bob: hi""#);

    // Said on B's socket, heard on A's event stream.
    ada.send("hello from b".into()).await.expect("send");
    assert_eq!(line(&mut ada).await, "ada: hello from b");
    assert_eq!(follower_a.data().await, r#""ada: hello from b""#);
    a.terminate().await.assert_success();
    b.terminate().await.assert_success();
}

#[tokio::test]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn two_instances_share_a_room_over_postgres() {
    two_instances_share_a_room(Backend::Postgres).await;
}

#[tokio::test]
#[cfg_attr(
    not(atode_redis),
    ignore = "set ATODE_TEST_REDIS_URL to a Redis server to run it"
)]
async fn two_instances_share_a_room_over_redis() {
    two_instances_share_a_room(Backend::Redis).await;
}

/// A web process that runs no task queues a job; a worker process runs it
/// and its progress reaches the SSE client of the web process that asked.
#[tokio::test]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn a_task_in_a_worker_process_reports_progress_to_the_browser_that_queued_it() {
    let db =
        durable_support::TestDb::new(durable_support::Backend::Postgres, "broadcast_jobs").await;
    let env = [
        ("ATODE_BROADCAST_URL", db.url.as_str()),
        ("ATODE_DATABASE_URL", db.url.as_str()),
    ];
    let (dir_web, dir_worker) = (
        ScratchDir::new(&unique("jobs-web")),
        ScratchDir::new(&unique("jobs-worker")),
    );
    // One at a time: the first to connect sets up the queue's tables.
    let web = Example::start_with_args("chat_broadcast", &dir_web, &env, &["web"]).await;
    let worker = Example::spawn_with_args("chat_broadcast", &dir_worker, &env, &["worker"]);

    let client = unique("tab");
    let mut feed = SseClient::open(web.addr, &format!("/progress/{client}/events")).await;
    let (status, body) = post(web.addr, &format!("/jobs/{client}?steps=3"), "").await;
    assert_eq!(status, 200, "{body}");
    let queued: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    for step in 1..=3 {
        let progress: serde_json::Value =
            serde_json::from_str(&feed.data().await).expect("JSON progress");
        assert_eq!(progress["job"], queued["task_id"], "{progress}");
        assert_eq!(progress["step"], step, "{progress}");
        assert_eq!(progress["of"], 3, "{progress}");
    }
    web.terminate().await.assert_success();
    worker.terminate().await.assert_success();
}

// ---------------------------------------------------------------- reconnection

/// A server whose broadcast connection goes through a proxy: cut, then
/// restored, its SSE subscriber still receives what is published after.
async fn a_cut_backend_connection_keeps_subscriptions(backend: Backend) {
    let url = backend.url("a_cut_backend_connection_keeps_subscriptions");
    let proxy = Proxy::start(host_port(&url)).await;
    let through_proxy = Broadcast::connect(through(&url, proxy.addr))
        .await
        .expect("connect through the proxy");
    let mut listening = through_proxy.listening();
    let server = TestServer::start(chat_broadcast::app(through_proxy)).await;
    let publisher = Broadcast::connect(url).await.expect("connect");
    let room = unique("cut");
    let topic = format!("room:{room}");
    let mut follower = SseClient::open(server.addr, &format!("/rooms/{room}/events")).await;

    publisher.publish(&topic, "before").await.expect("publish");
    assert_eq!(follower.data().await, r#""before""#);

    proxy.cut();
    within(
        "the listener to notice the cut",
        listening.wait_for(|up| !up),
    )
    .await
    .expect("the listener is alive");
    // Published while the server cannot hear: at most once, so lost to it.
    publisher.publish(&topic, "during").await.expect("publish");
    proxy.restore();
    within("the listener to listen again", listening.wait_for(|up| *up))
        .await
        .expect("the listener is alive");

    publisher.publish(&topic, "after").await.expect("publish");
    assert_eq!(follower.data().await, r#""after""#);
}

#[tokio::test]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn a_cut_backend_connection_keeps_subscriptions_on_postgres() {
    a_cut_backend_connection_keeps_subscriptions(Backend::Postgres).await;
}

#[tokio::test]
#[cfg_attr(
    not(atode_redis),
    ignore = "set ATODE_TEST_REDIS_URL to a Redis server to run it"
)]
async fn a_cut_backend_connection_keeps_subscriptions_on_redis() {
    a_cut_backend_connection_keeps_subscriptions(Backend::Redis).await;
}

// ---------------------------------------------------------------- bounds

/// A subscriber that reads nothing while twenty messages pass holds four
/// (its capacity), then reads that it missed sixteen, then the last four.
async fn a_slow_subscriber_holds_at_most_its_capacity(backend: Backend) {
    let url = backend.url("a_slow_subscriber_holds_at_most_its_capacity");
    let broadcast = Broadcast::builder(url)
        .capacity(4)
        .connect()
        .await
        .expect("connect");
    let topic = unique("ticks");
    let mut slow = broadcast.subscribe::<u32>(&topic).await.expect("subscribe");
    let mut fast = broadcast.subscribe::<u32>(&topic).await.expect("subscribe");
    for n in 1..=20 {
        broadcast.publish(&topic, &n).await.expect("publish");
    }
    // The fast one reading the last message means all twenty arrived here.
    within("the fast subscriber to read the last message", async {
        loop {
            match fast.recv().await {
                Some(Received::Message { message: 20, .. }) => break,
                Some(_) => {}
                None => panic!("the subscription ended"),
            }
        }
    })
    .await;

    assert_eq!(slow.backlog(), 4, "the buffer holds its capacity, no more");
    assert_eq!(
        within("the lag notice", slow.recv()).await,
        Some(Received::Lagged { missed: 16 })
    );
    for n in 17..=20 {
        match within("a kept message", slow.recv()).await {
            Some(Received::Message { message, .. }) => assert_eq!(message, n),
            other => panic!("expected message {n}, got {other:?}"),
        }
    }
    assert_eq!(slow.backlog(), 0);
}

#[tokio::test]
async fn a_slow_subscriber_holds_at_most_its_capacity_in_memory() {
    a_slow_subscriber_holds_at_most_its_capacity(Backend::Memory).await;
}

#[tokio::test]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn a_slow_subscriber_holds_at_most_its_capacity_on_postgres() {
    a_slow_subscriber_holds_at_most_its_capacity(Backend::Postgres).await;
}

#[tokio::test]
#[cfg_attr(
    not(atode_redis),
    ignore = "set ATODE_TEST_REDIS_URL to a Redis server to run it"
)]
async fn a_slow_subscriber_holds_at_most_its_capacity_on_redis() {
    a_slow_subscriber_holds_at_most_its_capacity(Backend::Redis).await;
}

/// A message over the backend's limit is refused, saying so, and sends
/// nothing: the next message is the first the subscriber reads.
async fn a_message_over_the_limit_is_refused(backend: Backend) {
    let url = backend.url("a_message_over_the_limit_is_refused");
    let broadcast = Broadcast::connect(url).await.expect("connect");
    let topic = unique("big");
    let mut subscriber = broadcast
        .subscribe::<String>(&topic)
        .await
        .expect("subscribe");
    let big = "x".repeat(broadcast.max_message_len());
    let error = broadcast.publish(&topic, &big).await.unwrap_err();
    assert!(
        matches!(error, BroadcastError::TooLarge { limit, .. } if limit == broadcast.max_message_len()),
        "{error}"
    );
    assert!(
        error.to_string().contains("over the backend's limit"),
        "{error}"
    );
    broadcast.publish(&topic, "small").await.expect("publish");
    match within("the small message", subscriber.recv()).await {
        Some(Received::Message { message, .. }) => assert_eq!(message, "small"),
        other => panic!("expected the small message, got {other:?}"),
    }
}

#[tokio::test]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn a_message_over_the_limit_is_refused_on_postgres() {
    a_message_over_the_limit_is_refused(Backend::Postgres).await;
}

#[tokio::test]
#[cfg_attr(
    not(atode_redis),
    ignore = "set ATODE_TEST_REDIS_URL to a Redis server to run it"
)]
async fn a_message_over_the_limit_is_refused_on_redis() {
    a_message_over_the_limit_is_refused(Backend::Redis).await;
}

/// A hundred messages one handle publishes one after another reach a
/// subscriber on another connection in the order they were published.
async fn one_publishers_messages_arrive_in_order(backend: Backend) {
    let url = backend.url("one_publishers_messages_arrive_in_order");
    let subscriber = Broadcast::builder(url.clone())
        .capacity(atode::broadcast::MAX_CAPACITY)
        .connect()
        .await
        .expect("connect");
    let publisher = Broadcast::connect(url).await.expect("connect");
    let topic = unique("order");
    let mut numbers = subscriber
        .subscribe::<u32>(&topic)
        .await
        .expect("subscribe");
    for n in 1..=100 {
        publisher.publish(&topic, &n).await.expect("publish");
    }
    for n in 1..=100 {
        match within("the next message", numbers.recv()).await {
            Some(Received::Message { message, .. }) => assert_eq!(message, n),
            other => panic!("expected message {n}, got {other:?}"),
        }
    }
}

#[tokio::test]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn one_publishers_messages_arrive_in_order_on_postgres() {
    one_publishers_messages_arrive_in_order(Backend::Postgres).await;
}

#[tokio::test]
#[cfg_attr(
    not(atode_redis),
    ignore = "set ATODE_TEST_REDIS_URL to a Redis server to run it"
)]
async fn one_publishers_messages_arrive_in_order_on_redis() {
    one_publishers_messages_arrive_in_order(Backend::Redis).await;
}
