//! Requests at a fixed rate over a few keep-alive connections, the load of
//! the latency and completion runs: each connection sends on its own
//! schedule and hands every 2xx answer on as soon as it is read.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::backend::BoxError;

/// Client connections: each sends every `CONNECTIONS / rate` seconds, so
/// at the rates used here a connection is idle before its next slot.
const CONNECTIONS: u32 = 8;
/// Requests in the first second are sent but not counted.
const WARMUP: Duration = Duration::from_secs(1);

/// One request answered 2xx.
#[derive(Debug)]
pub struct Answer {
    /// The request's number, `<i>` in its path.
    pub i: u64,
    /// When the client had read the whole response.
    pub at: Instant,
    pub body: Bytes,
    /// Sent after the warm-up.
    pub counted: bool,
}

/// `POST <prefix><i>` at `rate` per second for `WARMUP` + `seconds`;
/// every 2xx answer goes to `answers` as it is read. Returns how many
/// were not 2xx.
pub async fn run(
    addr: SocketAddr,
    prefix: &'static str,
    rate: f64,
    seconds: u64,
    answers: mpsc::UnboundedSender<Answer>,
) -> Result<u64, BoxError> {
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + WARMUP + Duration::from_secs(seconds);
    let interval = Duration::from_secs_f64(f64::from(CONNECTIONS) / rate);
    let mut connections = tokio::task::JoinSet::new();
    for index in 0..CONNECTIONS {
        let answers = answers.clone();
        connections.spawn(async move {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, driver) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(driver);
            let mut errors = 0u64;
            let mut scheduled = start + interval.mul_f64(f64::from(index) / f64::from(CONNECTIONS));
            let mut n = 0u64;
            while scheduled < end {
                tokio::time::sleep_until(scheduled.into()).await;
                // Numbers never collide across connections.
                let i = n * u64::from(CONNECTIONS) + u64::from(index);
                n += 1;
                let request = Request::builder()
                    .method(Method::POST)
                    .uri(format!("{prefix}{i}"))
                    .header(http::header::HOST, "127.0.0.1")
                    .body(Empty::<Bytes>::new())?;
                sender.ready().await?;
                let response = sender.send_request(request).await?;
                let ok = response.status().is_success();
                let body = response.into_body().collect().await?.to_bytes();
                if ok {
                    let counted = scheduled >= start + WARMUP;
                    let _ = answers.send(Answer {
                        i,
                        at: Instant::now(),
                        body,
                        counted,
                    });
                } else {
                    errors += 1;
                }
                scheduled += interval;
            }
            Ok::<_, BoxError>(errors)
        });
    }
    drop(answers);
    let mut errors = 0;
    while let Some(joined) = connections.join_next().await {
        errors += joined??;
    }
    Ok(errors)
}
