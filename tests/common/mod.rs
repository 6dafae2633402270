//! Shared by the end-to-end suites: a real server on `127.0.0.1:0`, and real
//! HTTP/1.1 and HTTP/2 clients talking to it over loopback sockets.

#![allow(dead_code)] // each suite uses its own part of this module

pub mod collector;
pub mod example;
pub mod proxy;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::time::Duration;

use atode::App;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long any single wait may take before the test fails as hung. Never a
/// wait for work to finish: every test waits on the event itself.
pub const GUARD: Duration = Duration::from_secs(10);

/// Awaits `future`, failing the test if it hangs.
pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(GUARD, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out after {GUARD:?} waiting for {what}"),
    }
}

/// A server running `app` on an OS-chosen loopback port.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub handle: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start(app: App) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let serve = atode::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        let handle = tokio::spawn(serve.into_future());
        TestServer {
            addr,
            stop: Some(stop),
            handle,
        }
    }

    /// Starts a graceful shutdown; await `handle` to see it finish.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub async fn http1(&self) -> Http1 {
        Http1::connect(self.addr).await
    }

    pub async fn http2(&self) -> Http2 {
        Http2::connect(self.addr).await
    }
}

pub type Request = http::Request<Full<Bytes>>;

pub fn request(method: &str, path: &str) -> Request {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, "localhost")
        .body(Full::new(Bytes::new()))
        .expect("request")
}

pub fn json_request(method: &str, path: &str, json: &str) -> Request {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(json.to_owned())))
        .expect("request")
}

/// A connection that sends a request and reads the whole response.
pub trait Fetch {
    async fn fetch(&mut self, request: Request) -> (http::StatusCode, http::HeaderMap, String);
}

impl Fetch for Http1 {
    async fn fetch(&mut self, request: Request) -> (http::StatusCode, http::HeaderMap, String) {
        Http1::fetch(self, request).await
    }
}

impl Fetch for Http2 {
    async fn fetch(&mut self, request: Request) -> (http::StatusCode, http::HeaderMap, String) {
        Http2::fetch(self, request).await
    }
}

/// One HTTP/1.1 keep-alive connection.
pub struct Http1 {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Http1 {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("http1 handshake");
        tokio::spawn(connection);
        Http1 { sender }
    }

    /// Sends `request`; returns the response with its body still unread.
    pub async fn send(&mut self, request: Request) -> http::Response<Incoming> {
        within("the connection to be ready", self.sender.ready())
            .await
            .expect("connection ready");
        within("the response head", self.sender.send_request(request))
            .await
            .expect("response")
    }

    /// Sends `request` and reads the whole response.
    pub async fn fetch(&mut self, request: Request) -> (http::StatusCode, http::HeaderMap, String) {
        let response = self.send(request).await;
        read_all(response).await
    }
}

/// One HTTP/2 connection (prior knowledge, no TLS).
pub struct Http2 {
    sender: http2::SendRequest<Full<Bytes>>,
}

impl Http2 {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("http2 handshake");
        tokio::spawn(connection);
        Http2 { sender }
    }

    pub async fn fetch(&mut self, request: Request) -> (http::StatusCode, http::HeaderMap, String) {
        within("the connection to be ready", self.sender.ready())
            .await
            .expect("connection ready");
        let response = within("the response head", self.sender.send_request(request))
            .await
            .expect("response");
        read_all(response).await
    }
}

pub async fn read_all(
    response: http::Response<Incoming>,
) -> (http::StatusCode, http::HeaderMap, String) {
    let (head, body) = response.into_parts();
    let bytes = within("the response body", body.collect())
        .await
        .expect("body")
        .to_bytes();
    (
        head.status,
        head.headers,
        String::from_utf8(bytes.to_vec()).expect("utf-8 body"),
    )
}
