//! The connection limits, each tested at its edge with a raw socket: a slow
//! client's headers, an idle keep-alive connection, an oversized head, the
//! connection cap, and an HTTP/2 client that stops answering pings. The
//! defaults themselves are pinned by `Limits`'s doctest.

mod common;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use atode::{App, Body, Limits, get, post, routes};
use common::{Http1, Http2, request, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

/// Answers only after yielding to the connection once, so hyper has read
/// whatever follows the request (such as the client's end of stream).
#[post("/later")]
async fn later() -> &'static str {
    tokio::task::yield_now().await;
    "later"
}

/// Answers after twice `SHORT`, the header timeout of the tests below.
#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(2 * SHORT).await;
    "slow"
}

/// Sends its first chunk at once and its second twice `SHORT` later.
#[get("/pause")]
async fn pause() -> atode::Response {
    let chunks = tokio_stream::StreamExt::then(
        tokio_stream::iter(["first ", "second"]),
        |chunk: &'static str| async move {
            if chunk == "second" {
                tokio::time::sleep(2 * SHORT).await;
            }
            Ok::<_, std::io::Error>(bytes::Bytes::from_static(chunk.as_bytes()))
        },
    );
    atode::Response::new(Body::from_stream(chunks))
}

async fn start(limits: Limits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = atode::serve(
        listener,
        App::new().routes(routes![ping, later, slow, pause]),
    )
    .limits(limits);
    tokio::spawn(server.into_future());
    addr
}

/// Reads until the server closes the connection; returns what it sent.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received).await;
    received
}

const SHORT: Duration = Duration::from_millis(300);

async fn start_with_header_timeout(timeout: Duration) -> SocketAddr {
    let mut limits = Limits::default();
    limits.header_read_timeout = timeout;
    start(limits).await
}

/// Reads until the server closes `stream`, which must be no sooner than
/// `SHORT` from now; returns what it sent.
async fn closed_after_short(stream: &mut TcpStream, what: &str) -> Vec<u8> {
    let started = Instant::now();
    let received = within(what, read_to_close(stream)).await;
    assert!(
        started.elapsed() >= SHORT,
        "closed before the timeout: {:?}",
        started.elapsed()
    );
    received
}

#[tokio::test]
async fn a_client_too_slow_with_its_headers_is_disconnected() {
    let addr = start_with_header_timeout(SHORT).await;

    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /ping HTTP/1.1\r\nhost: localhost\r\nx-slow: ")
        .await
        .expect("write");
    let received = closed_after_short(&mut slow, "the server to close the slow connection").await;
    assert!(
        !String::from_utf8_lossy(&received).contains("200 OK"),
        "the slow request was served"
    );

    // Within the timeout, the same server answers.
    let (status, _, body) = Http1::connect(addr)
        .await
        .fetch(request("GET", "/ping"))
        .await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "pong"));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let addr = start_with_header_timeout(SHORT).await;

    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /ping HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write");
    // The whole response first: the connection is idle from its end on.
    let response = within("the response", read_response(&mut idle)).await;
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("pong"),
        "{text}"
    );
    // Kept open for the timeout (a keep-alive the client may use), then
    // closed with nothing more sent.
    let rest = closed_after_short(&mut idle, "the server to close the idle connection").await;
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
}

/// Reads one response to `GET /ping`, whose body is `pong`, and nothing
/// past it; fails if the connection closes first.
async fn read_response(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    while !received.ends_with(b"\r\n\r\npong") {
        let mut byte = [0; 1];
        let read = stream.read(&mut byte).await.expect("read the response");
        assert_eq!(
            read,
            1,
            "closed before the response ended: {:?}",
            String::from_utf8_lossy(&received)
        );
        received.push(byte[0]);
    }
    received
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_disconnected_after_the_header_timeout() {
    let addr = start_with_header_timeout(SHORT).await;

    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let received =
        closed_after_short(&mut silent, "the server to close the silent connection").await;
    assert!(received.is_empty(), "{received:?}");
}

#[tokio::test]
async fn the_header_timeout_does_not_cut_a_slow_handler_or_a_pausing_body() {
    let addr = start_with_header_timeout(SHORT).await;

    let mut client = Http1::connect(addr).await;
    let (status, _, body) = within("the slow answer", client.fetch(request("GET", "/slow"))).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "slow"));
    let (status, _, body) =
        within("the pausing body", client.fetch(request("GET", "/pause"))).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "first second"));
    // The same connection, still open between requests within the timeout.
    let (status, _, body) = within("the ping", client.fetch(request("GET", "/ping"))).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "pong"));
}

#[tokio::test]
async fn an_idle_http2_connection_outlives_the_header_timeout() {
    let addr = start_with_header_timeout(SHORT).await;

    let mut client = Http2::connect(addr).await;
    let (status, _, _) = within("the first request", client.fetch(request("GET", "/ping"))).await;
    assert_eq!(status.as_u16(), 200);
    // Idle past the header timeout, which is HTTP/1.1's: HTTP/2 has pings.
    tokio::time::sleep(3 * SHORT).await;
    let (status, _, body) =
        within("the second request", client.fetch(request("GET", "/ping"))).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "pong"));
}

#[tokio::test]
async fn a_head_over_the_limit_is_a_431_and_one_under_it_is_served() {
    let mut limits = Limits::default();
    limits.max_header_size = 16 * 1024;
    let addr = start(limits).await;

    let mut client = Http1::connect(addr).await;
    let mut under = request("GET", "/ping");
    under
        .headers_mut()
        .insert("x-filler", "a".repeat(12 * 1024).parse().expect("header"));
    assert_eq!(client.fetch(under).await.0.as_u16(), 200);

    let mut over = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "GET /ping HTTP/1.1\r\nhost: localhost\r\nx-filler: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    over.write_all(head.as_bytes()).await.expect("write");
    let received = within("the 431", read_to_close(&mut over)).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let mut limits = Limits::default();
    limits.max_connections = 2;
    let addr = start(limits).await;

    let first = Http1::connect(addr).await;
    let mut second = Http1::connect(addr).await;
    assert_eq!(second.fetch(request("GET", "/ping")).await.0.as_u16(), 200);

    // The third connects (the kernel's backlog takes it) but is not served...
    let mut third = TcpStream::connect(addr).await.expect("connect");
    third
        .write_all(b"GET /ping HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .expect("write");
    let early = tokio::time::timeout(SHORT, third.read(&mut [0; 1])).await;
    assert!(
        early.is_err(),
        "a third connection was served past the cap of two"
    );

    // ...until one of the first two closes.
    drop(first);
    let received = within(
        "the third connection to be served",
        read_to_close(&mut third),
    )
    .await;
    assert!(String::from_utf8_lossy(&received).starts_with("HTTP/1.1 200 OK"));
}

#[tokio::test]
async fn an_http2_client_that_stops_answering_pings_is_disconnected() {
    let mut limits = Limits::default();
    limits.keep_alive_timeout = SHORT;
    let addr = start(limits).await;

    // An HTTP/2 preface and empty SETTINGS, then silence: no SETTINGS ack,
    // no PING ack.
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    silent
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .expect("write");
    // The ping timeout is `SHORT` too.
    closed_after_short(&mut silent, "the server to drop the silent connection").await;
}

#[tokio::test]
async fn with_half_close_a_client_that_shuts_its_sending_side_still_gets_the_response() {
    let mut limits = Limits::default();
    limits.half_close = true;
    let addr = start(limits).await;
    let mut client = TcpStream::connect(addr).await.expect("connect");
    client
        .write_all(b"POST /later HTTP/1.1\r\nhost: localhost\r\ncontent-length: 0\r\n\r\n")
        .await
        .expect("write");
    client.shutdown().await.expect("shut the sending side");
    let received = within("the response", read_to_close(&mut client)).await;
    let text = String::from_utf8_lossy(&received);
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("later"),
        "{text:?}"
    );
}
