//! An open-loop load generator for the latency-isolation run: requests go
//! out on a fixed schedule whatever the server does, and each latency is
//! counted from the request's slot in the schedule when the connection was
//! late for it. A server that stalls therefore shows the whole stall in its
//! percentiles (no coordinated omission), which a closed-loop tool such as
//! wrk hides.
//!
//! Given several servers, it takes them in turns of 100 ms within the
//! same run, so a burst of other work on the machine lands on all of them
//! alike instead of on whichever happened to be measured then. One line per
//! server:
//!
//! ```sh
//! fixed_rate 127.0.0.1:8000,127.0.0.1:8001 POST /send-notification/a@b.c 1000 10
//! # 127.0.0.1:8000 requests=5000 errors=0 p50_us=95 p99_us=180 max_us=950
//! # 127.0.0.1:8001 requests=5000 errors=0 p50_us=97 p99_us=185 max_us=990
//! ```
//!
//! Only loopback addresses are accepted: this is a benchmark, not a tool to
//! point elsewhere.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Open connections per server; each sends every `CONNECTIONS / rate`
/// seconds during its server's turns, so at the rates used here a
/// connection is idle long before its next slot.
const CONNECTIONS: u32 = 32;
/// How long each server's turn lasts: short, so that a stall of the machine
/// (a few milliseconds, now and then) lands on every server alike.
const TURN: Duration = Duration::from_millis(100);
/// The first turns are sent but not counted: connections, the blocking
/// pool's threads and the allocator settle.
const WARMUP: Duration = Duration::from_secs(2);

#[derive(Clone)]
struct Plan {
    servers: Vec<SocketAddr>,
    method: Method,
    path: String,
    rate: f64,
    /// Total time, all servers' turns together, after the warm-up.
    measure: Duration,
}

#[derive(Default)]
struct Tally {
    /// Microseconds, one per counted request.
    latencies: Vec<u64>,
    errors: u64,
}

fn main() -> io::Result<()> {
    let plan = parse(std::env::args().skip(1).collect())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tallies = runtime.block_on(run(&plan))?;
    for (server, mut tally) in plan.servers.iter().zip(tallies) {
        tally.latencies.sort_unstable();
        let latencies = &tally.latencies;
        println!(
            "{server} requests={} errors={} p50_us={} p99_us={} max_us={}",
            latencies.len(),
            tally.errors,
            percentile(latencies, 0.50),
            percentile(latencies, 0.99),
            latencies.last().copied().unwrap_or(0),
        );
    }
    Ok(())
}

fn parse(args: Vec<String>) -> io::Result<Plan> {
    let usage = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "usage: fixed_rate <loopback addr:port>[,...] <method> <path> <requests/s> <seconds>",
        )
    };
    let [servers, method, path, rate, seconds] =
        <[String; 5]>::try_from(args).map_err(|_| usage())?;
    let servers = servers
        .split(',')
        .map(|server| server.parse::<SocketAddr>().map_err(|_| usage()))
        .collect::<io::Result<Vec<_>>>()?;
    if let Some(remote) = servers.iter().find(|server| !server.ip().is_loopback()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{remote} is not a loopback address"),
        ));
    }
    let rate: f64 = rate.parse().map_err(|_| usage())?;
    let seconds: u64 = seconds.parse().map_err(|_| usage())?;
    if !(rate > 0.0 && rate <= 100_000.0) || seconds == 0 || seconds > 600 {
        return Err(usage());
    }
    Ok(Plan {
        servers,
        method: method.parse().map_err(|_| usage())?,
        path,
        rate,
        measure: Duration::from_secs(seconds),
    })
}

async fn run(plan: &Plan) -> io::Result<Vec<Tally>> {
    let start = Instant::now() + Duration::from_millis(100);
    let mut connections = tokio::task::JoinSet::new();
    for server in 0..plan.servers.len() {
        for index in 0..CONNECTIONS {
            connections.spawn(connection(plan.clone(), server, index, start));
        }
    }
    let mut totals: Vec<Tally> = plan.servers.iter().map(|_| Tally::default()).collect();
    while let Some(joined) = connections.join_next().await {
        let (server, tally) = joined.map_err(io::Error::other)??;
        totals[server].latencies.extend(tally.latencies);
        totals[server].errors += tally.errors;
    }
    Ok(totals)
}

/// One keep-alive connection to `plan.servers[server]`, sending its share
/// of that server's schedule during the server's turns.
async fn connection(
    plan: Plan,
    server: usize,
    index: u32,
    start: Instant,
) -> io::Result<(usize, Tally)> {
    let stream = TcpStream::connect(plan.servers[server]).await?;
    stream.set_nodelay(true)?;
    let (mut sender, driver) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    tokio::spawn(driver);

    let interval = Duration::from_secs_f64(f64::from(CONNECTIONS) / plan.rate);
    let offset = interval.mul_f64(f64::from(index) / f64::from(CONNECTIONS));
    let end = start + WARMUP + plan.measure;
    let mut tally = Tally::default();
    let turns = (0u32..).map(|turn| start + TURN * turn);
    let mine = turns.skip(server).step_by(plan.servers.len());
    for turn in mine.take_while(|turn| *turn < end) {
        let mut scheduled = turn + offset;
        while scheduled < turn + TURN {
            let counted = scheduled >= start + WARMUP;
            match request(&plan, &mut sender, scheduled).await {
                Some(latency) if counted => tally.latencies.push(latency),
                None if counted => tally.errors += 1,
                _ => {}
            }
            scheduled += interval;
        }
    }
    Ok((server, tally))
}

/// Sends the request due at `scheduled`; its latency in microseconds, or
/// `None` when it failed.
async fn request(
    plan: &Plan,
    sender: &mut http1::SendRequest<Empty<Bytes>>,
    scheduled: Instant,
) -> Option<u64> {
    // On time: wait for the slot and time from the actual send, so the
    // timer's own lateness is not blamed on the server. Late: the last
    // response held this connection past the slot, and the wait counts.
    let from = if Instant::now() < scheduled {
        tokio::time::sleep_until(scheduled.into()).await;
        Instant::now()
    } else {
        scheduled
    };
    let request = Request::builder()
        .method(plan.method.clone())
        .uri(plan.path.as_str())
        .header(http::header::HOST, "127.0.0.1")
        .body(Empty::<Bytes>::new())
        .ok()?;
    sender.ready().await.ok()?;
    let response = sender.send_request(request).await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.into_body().collect().await.ok()?;
    Some(from.elapsed().as_micros() as u64)
}

/// The value at quantile `q` of sorted `values` (nearest rank).
fn percentile(values: &[u64], q: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let rank = (q * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}
