//! What a hostile client can make the server spend, over real sockets: a
//! body trickled or stalled, an HTTP/2 connection kept idle, a form of
//! hundreds of thousands of fields, a request the task cap refuses that
//! would still have its body read, and configuration at its extremes.

mod common;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use atode::{App, BackgroundTasks, Form, Json, Limits, get, post, routes};
use bytes::Bytes;
use common::{Http1, Http2, TestServer, request, within};
use http_body_util::Full;
use serde::Deserialize;
use std::collections::HashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[post("/echo")]
async fn echo(body: Bytes) -> String {
    body.len().to_string()
}

#[derive(Deserialize)]
struct Item {
    #[allow(dead_code)]
    name: String,
}

#[post("/items")]
async fn create(Json(_item): Json<Item>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(|| {}, ());
    "created"
}

/// An extractor that reaches for the request's tasks, as an audit
/// dependency does.
struct Audited;

impl atode::FromRequestParts for Audited {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut atode::RequestParts,
    ) -> Result<Self, std::convert::Infallible> {
        parts.background_tasks().add_task(|| {}, ());
        Ok(Audited)
    }
}

#[post("/audited")]
async fn audited(_audited: Audited, body: Bytes) -> String {
    body.len().to_string()
}

#[post("/form")]
async fn form(Form(fields): Form<HashMap<String, String>>) -> String {
    fields.len().to_string()
}

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

fn app() -> App {
    App::new().routes(routes![echo, create, audited, form, ping])
}

async fn start(app: App, limits: Limits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(atode::serve(listener, app).limits(limits).into_future());
    addr
}

/// Reads until the server closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received).await;
    String::from_utf8_lossy(&received).into_owned()
}

/// A head that announces `length` bytes of body to `path`.
fn head(path: &str, content_type: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
    )
}

const TIMEOUT: Duration = Duration::from_millis(600);

fn slow_body_limits(min_rate: u64) -> Limits {
    let mut limits = Limits::default();
    limits.body_read_timeout = TIMEOUT;
    limits.min_body_rate = min_rate;
    limits
}

#[tokio::test]
async fn a_body_trickled_below_the_minimum_rate_is_cut_with_a_408() {
    let addr = start(app(), slow_body_limits(100)).await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    // A byte every half of the timeout, for far longer than the guard:
    // never idle for a whole timeout, but 2 bytes a second against a
    // minimum of 100.
    let trickle = tokio::spawn(async move {
        writer
            .write_all(head("/echo", "application/octet-stream", 1_000).as_bytes())
            .await
            .expect("head");
        for _ in 0..1_000 {
            if writer.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(TIMEOUT / 2).await;
        }
    });
    let mut received = Vec::new();
    within("the 408", reader.read_to_end(&mut received))
        .await
        .expect("read");
    let elapsed = started.elapsed();
    trickle.abort();
    let answer = String::from_utf8_lossy(&received);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(r#"{"detail":"The request body did not arrive in time"}"#),
        "{answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    // Not before the grace of one timeout.
    assert!(
        elapsed >= TIMEOUT,
        "cut after {elapsed:?}, before the grace"
    );
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_after_the_read_timeout() {
    let addr = start(app(), slow_body_limits(0)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(head("/echo", "application/octet-stream", 100).as_bytes())
        .await
        .expect("head");
    stream.write_all(&[b'x'; 50]).await.expect("half the body");
    let sent = Instant::now();
    let answer = within("the 408", read_to_close(&mut stream)).await;
    let elapsed = sent.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        elapsed >= TIMEOUT,
        "cut after {elapsed:?}, before the timeout"
    );
}

#[tokio::test]
async fn a_body_at_the_speed_of_the_network_is_read_whole() {
    let addr = start(app(), slow_body_limits(100)).await;
    let mut client = Http1::connect(addr).await;
    let request = http::Request::post("/echo")
        .header("host", "localhost")
        .body(Full::new(Bytes::from(vec![b'x'; 1 << 20])))
        .expect("request");
    let (status, _, body) = client.fetch(request).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "1048576"));
}

#[tokio::test]
async fn an_idle_http2_connection_is_sent_goaway_after_the_idle_timeout() {
    let mut limits = Limits::default();
    limits.idle_timeout = TIMEOUT;
    let addr = start(app(), limits).await;

    // hyper's client answers the server's pings, so only the idle timeout
    // can end this connection.
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("handshake");
    let connection = tokio::spawn(connection);
    let response = within("the response", sender.send_request(request("GET", "/ping")))
        .await
        .expect("response");
    let (status, _, body) = common::read_all(response).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "pong"));
    let idle_since = Instant::now();
    within("the server to close the idle connection", connection)
        .await
        .expect("connection task")
        .expect("a clean GOAWAY, not an error");
    let idle = idle_since.elapsed();
    assert!(
        idle >= TIMEOUT,
        "closed after {idle:?} idle, before the timeout"
    );
}

#[tokio::test]
async fn an_http2_connection_with_a_stream_open_is_not_idle() {
    let mut limits = Limits::default();
    limits.idle_timeout = Duration::from_millis(300);
    let addr = start(app(), limits).await;
    // A body that takes three idle timeouts to arrive: its stream is open.
    let (tx, rx) =
        tokio::sync::mpsc::channel::<Result<hyper::body::Frame<Bytes>, std::io::Error>>(1);
    let body = http_body_util::StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("handshake");
    tokio::spawn(connection);
    let request = http::Request::post("/echo")
        .header("host", "localhost")
        .body(body)
        .expect("request");
    let response = tokio::spawn(sender.send_request(request));
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.send(Ok(hyper::body::Frame::data(Bytes::from_static(b"abc"))))
            .await
            .expect("the stream is still open");
    }
    drop(tx);
    let response = within("the response", response)
        .await
        .expect("task")
        .expect("response");
    let (status, _, body) = common::read_all(response).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "9"));
}

/// `n` distinct `k<i>=<i>` pairs.
fn form_of(n: usize) -> String {
    (0..n)
        .map(|i| format!("k{i}={i}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// As many whole `k<i>=<i>` fields as the default 2 MiB body limit holds
/// (about 154,000), and their count.
fn largest_form() -> (String, usize) {
    let mut body = form_of(230_000);
    body.truncate(atode::DEFAULT_BODY_LIMIT);
    body.truncate(body.rfind('&').expect("a separator"));
    let fields = body.split('&').count();
    (body, fields)
}

/// Posts `body` as a form over a real socket: the status, the answer, and
/// how long it took.
async fn post_form(app: App, body: String) -> (u16, String, Duration) {
    let server = TestServer::start(app).await;
    let mut client = server.http1().await;
    let request = http::Request::post("/form")
        .header("host", "localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let started = Instant::now();
    let (status, _, body) = client.fetch(request).await;
    (status.as_u16(), body, started.elapsed())
}

#[tokio::test]
async fn a_form_of_the_largest_allowed_size_is_refused_at_the_field_cap() {
    // One such request took two minutes of CPU when fields were grouped by
    // a scan of those seen so far.
    let (body, fields) = largest_form();
    let (status, body, took) = post_form(app(), body).await;
    println!("{fields}-field 2 MiB form at the default field cap: {took:?}");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains(r#""type":"too_many_fields""#), "{body}");
    assert!(body.contains(r#""max_fields":1000"#), "{body}");
}

#[tokio::test]
async fn a_form_under_a_raised_field_cap_is_read_whole() {
    let (body, fields) = largest_form();
    assert!(fields > 100_000, "{fields}");
    let (status, body, took) = post_form(app().max_fields(300_000), body).await;
    println!("{fields}-field 2 MiB form read whole: {took:?}");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, fields.to_string());
}

/// Sends only the head of a request with a body to come, and returns the
/// status line the server answers without waiting for the body.
async fn answer_without_the_body(addr: SocketAddr, path: &str, content_type: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(head(path, content_type, 100).as_bytes())
        .await
        .expect("head");
    let mut received = vec![0u8; 1024];
    let read = within("an answer before the body", stream.read(&mut received))
        .await
        .expect("read");
    let answer = String::from_utf8_lossy(&received[..read]).into_owned();
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_request_the_task_cap_refuses_is_answered_before_its_body_is_read() {
    // The body would be waited for up to the read timeout (an hour here),
    // far past the guard: only an answer that does not read it arrives.
    let mut limits = Limits::default();
    limits.body_read_timeout = Duration::from_secs(3600);
    limits.min_body_rate = 0;
    let addr = start(app().max_pending_tasks(0), limits).await;
    // The handler's own `BackgroundTasks`, after a `Json` body.
    assert_eq!(
        answer_without_the_body(addr, "/items", "application/json").await,
        "HTTP/1.1 503 Service Unavailable"
    );
    // An extractor that reaches for the tasks, before a `Bytes` body.
    assert_eq!(
        answer_without_the_body(addr, "/audited", "application/octet-stream").await,
        "HTTP/1.1 503 Service Unavailable"
    );
}

#[tokio::test]
async fn every_duration_may_be_as_long_as_duration_max() {
    let mut limits = Limits::default();
    limits.header_read_timeout = Duration::MAX;
    limits.body_read_timeout = Duration::MAX;
    limits.keep_alive_timeout = Duration::MAX;
    limits.idle_timeout = Duration::MAX;
    limits.websocket_close_timeout = Duration::MAX;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        atode::serve(listener, app().task_timeout(Duration::MAX))
            .limits(limits)
            .shutdown_deadline(Duration::MAX)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let mut http1 = Http1::connect(addr).await;
    let post = http::Request::post("/echo")
        .header("host", "localhost")
        .body(Full::new(Bytes::from_static(b"body")))
        .expect("request");
    assert_eq!(http1.fetch(post).await.2, "4");
    let mut http2 = Http2::connect(addr).await;
    assert_eq!(http2.fetch(request("GET", "/ping")).await.2, "pong");
    drop((http1, http2));
    stop.send(()).expect("server running");
    within("the shutdown", server)
        .await
        .expect("the server did not panic")
        .expect("serve");
}

#[tokio::test]
async fn an_http11_request_without_exactly_one_host_is_a_400() {
    let addr = start(app(), Limits::default()).await;
    for request in [
        "GET /ping HTTP/1.1\r\n\r\n",
        "GET /ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    ] {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        let answer = within("the 400 and the close", read_to_close(&mut stream)).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{request:?}: {answer}");
        assert!(answer.contains("exactly one Host"), "{answer}");
        assert!(!answer.contains("pong"), "{answer}");
    }
    // HTTP/1.0 needs none.
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /ping HTTP/1.0\r\n\r\n")
        .await
        .expect("write");
    let answer = within("the answer", read_to_close(&mut stream)).await;
    assert!(answer.ends_with("pong"), "{answer}");
}

#[tokio::test]
async fn no_request_hidden_after_a_chunked_body_reaches_a_handler() {
    let addr = start(app(), Limits::default()).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // Trailers ended by bare LFs, which hyper's chunked decoder reads past:
    // it took the next request's head for trailers and served the `GET`
    // hidden in that request's body.
    let hidden = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
    let smuggle = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\nhello\r\n0\r\nX-Trailer: 1\n\n\
         POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{hidden}",
        hidden.len()
    );
    stream.write_all(smuggle.as_bytes()).await.expect("write");
    let answer = within("the answers and the close", read_to_close(&mut stream)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        !answer.contains("pong"),
        "the hidden request was served: {answer}"
    );
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
}
