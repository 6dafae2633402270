//! From the response to the task: requests at a fixed rate, each queuing
//! one durable call, with the workers running in this process. The client
//! notes when it received each response and the task when it started;
//! the difference is how long a written call waits for a worker.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use atode::durable::Durable;
use atode::{App, BackgroundTasks, post, routes};
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::backend::{Backend, BoxError};
use crate::report::percentile;
use crate::server;
use crate::settings::{Fetch, Settings};
use crate::tasks::{PROGRESS, STARTED, picked_up};

/// Client connections: each sends every `CONNECTIONS / rate` seconds, so
/// at the rates used here a connection is idle before its next slot.
const CONNECTIONS: u32 = 8;
/// Requests in the first second are sent but not counted.
const WARMUP: Duration = Duration::from_secs(1);

#[post("/pickup/<i>")]
async fn pickup_call(i: u64, tasks: BackgroundTasks) -> &'static str {
    let _id = tasks.add_task(picked_up, (i,));
    "queued"
}

#[derive(Debug, Default)]
pub struct LatencyResult {
    /// Microseconds from response received to task started, sorted.
    pub latencies: Vec<u64>,
    /// Requests not answered 2xx.
    pub errors: u64,
    /// Tasks that started before the client had read their response
    /// (counted as 0).
    pub early: u64,
}

impl LatencyResult {
    pub fn p50(&self) -> u64 {
        percentile(&self.latencies, 0.50)
    }

    pub fn p99(&self) -> u64 {
        percentile(&self.latencies, 0.99)
    }

    pub fn max(&self) -> u64 {
        self.latencies.last().copied().unwrap_or(0)
    }
}

pub async fn run(
    backend: &Backend,
    settings: &Settings,
    fetch: Fetch,
) -> Result<LatencyResult, BoxError> {
    let url = backend.fresh("latency").await?;
    let durable = Durable::url(&url)
        .task(picked_up)
        .queue("default", settings.concurrency);
    let queue = fetch.durable(durable).connect().await?;
    PROGRESS.reset();
    *STARTED.lock().unwrap_or_else(|e| e.into_inner()) = Some(HashMap::new());
    let server = server::start(App::new().durable(queue).routes(routes![pickup_call])).await?;

    let (received, errors) = client(server.addr, settings.rate, settings.latency_seconds).await?;
    let answered = received.len() as u64;
    let finished = PROGRESS.wait_for(answered, Duration::from_secs(30)).await;
    server.stop().await?;
    if let Err(done) = finished {
        return Err(format!("{done} of {answered} tasks started within 30 s").into());
    }
    let started = STARTED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    let mut result = LatencyResult {
        errors,
        ..LatencyResult::default()
    };
    for (i, at, counted) in received {
        let Some(start) = started.get(&i) else {
            return Err(format!("call {i} was answered but never started").into());
        };
        if !counted {
            continue;
        }
        match start.checked_duration_since(at) {
            Some(wait) => result.latencies.push(wait.as_micros() as u64),
            None => {
                result.early += 1;
                result.latencies.push(0);
            }
        }
    }
    result.latencies.sort_unstable();
    Ok(result)
}

/// Requests at `rate` per second for `WARMUP` + `seconds`; for each one
/// answered 2xx, its number, when its response was read, and whether it
/// counts (sent after the warm-up).
async fn client(
    addr: SocketAddr,
    rate: f64,
    seconds: u64,
) -> Result<(Vec<(u64, Instant, bool)>, u64), BoxError> {
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + WARMUP + Duration::from_secs(seconds);
    let interval = Duration::from_secs_f64(f64::from(CONNECTIONS) / rate);
    let mut connections = tokio::task::JoinSet::new();
    for index in 0..CONNECTIONS {
        connections.spawn(async move {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, driver) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(driver);
            let mut received = Vec::new();
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
                    .uri(format!("/pickup/{i}"))
                    .header(http::header::HOST, "127.0.0.1")
                    .body(Empty::<Bytes>::new())?;
                sender.ready().await?;
                let response = sender.send_request(request).await?;
                let ok = response.status().is_success();
                response.into_body().collect().await?;
                if ok {
                    received.push((i, Instant::now(), scheduled >= start + WARMUP));
                } else {
                    errors += 1;
                }
                scheduled += interval;
            }
            Ok::<_, BoxError>((received, errors))
        });
    }
    let mut received = Vec::new();
    let mut errors = 0;
    while let Some(joined) = connections.join_next().await {
        let (mine, failed) = joined??;
        received.extend(mine);
        errors += failed;
    }
    Ok((received, errors))
}
