//! atode's broadcast channel across two processes: this program publishes,
//! a copy of it (`broadcast subscribe ...`, spawned here) subscribes, and
//! the copy reports what arrived. Per backend URL on the command line:
//!
//! - **burst**: `MESSAGES` messages published back to back by `PUBLISHERS`
//!   tasks; messages per second as the subscriber received them (first to
//!   last), and how many were lost (a lag, at-most-once).
//! - **paced**: `PACED` messages at `RATE` per second: publish → receive
//!   latency percentiles (both processes read the same clock).
//!
//! `memory://` has no second process: its subscriber runs in this one.
//!
//! ```sh
//! cargo run --release -p atode-bench-broadcast -- memory:// \
//!     postgres://postgres@127.0.0.1:5432/test redis://127.0.0.1:6379
//! ```

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use atode::broadcast::{Broadcast, MAX_CAPACITY, Received};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};

/// One message: which phase, its number, and when it was published.
#[derive(Serialize, Deserialize)]
struct Tick {
    phase: Phase,
    seq: u64,
    sent_ns: u64,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Burst,
    Paced,
    End,
}

/// What the subscriber saw.
#[derive(Serialize, Deserialize, Default)]
struct Report {
    burst_received: u64,
    burst_seconds: f64,
    lagged: u64,
    latencies_us: Vec<u64>,
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("subscribe") {
        let [_, url, topic] = &args[..] else {
            return Err("usage: broadcast subscribe <url> <topic>".into());
        };
        return subscriber(url, topic).await;
    }
    if args.is_empty() {
        return Err("usage: broadcast <url>... (memory://, postgres://..., redis://...)".into());
    }
    let messages = setting("MESSAGES", 20_000);
    let publishers = setting("PUBLISHERS", 4);
    let paced = setting("PACED", 1_000);
    let rate = setting("RATE", 500);
    println!(
        "| backend | burst: received/s | burst: lost | paced: p50 | p99 | max |  ({messages} burst messages from {publishers} publishers; {paced} paced at {rate}/s)"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for url in &args {
        let report = run(url, messages, publishers, paced, rate).await?;
        let mut latencies = report.latencies_us.clone();
        latencies.sort_unstable();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
                .map_or("-".to_owned(), |us| {
                    format!("{:.2} ms", *us as f64 / 1000.0)
                })
        };
        let scheme = url.split("://").next().unwrap_or(url);
        println!(
            "| {scheme} | {:.0} | {} | {} | {} | {} |",
            report.burst_received as f64 / report.burst_seconds.max(f64::EPSILON),
            messages - report.burst_received,
            at(0.5),
            at(0.99),
            at(1.0),
        );
    }
    Ok(())
}

/// Publishes both phases to a subscriber in another process (in this one
/// for `memory://`) and returns its report.
async fn run(
    url: &str,
    messages: u64,
    publishers: u64,
    paced: u64,
    rate: u64,
) -> Result<Report, Error> {
    // The largest buffer, as the subscriber's: `memory://` subscribes here.
    let broadcast = Broadcast::builder(url)
        .capacity(MAX_CAPACITY)
        .connect()
        .await?;
    let topic = format!("bench-{}", std::process::id());
    let (child, local) = if url.starts_with("memory:") {
        let topic = topic.clone();
        let subscription = broadcast.subscribe::<Tick>(&topic).await?;
        (None, Some(tokio::spawn(receive(subscription))))
    } else {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .args(["subscribe", url, &topic])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        // The subscriber says when it listens: nothing published before is counted.
        if lines.next_line().await?.as_deref() != Some("ready") {
            return Err("the subscriber did not start".into());
        }
        (Some((child, lines)), None)
    };

    let mut tasks = Vec::new();
    for publisher in 0..publishers {
        let (broadcast, topic) = (broadcast.clone(), topic.clone());
        let share = messages / publishers + u64::from(publisher < messages % publishers);
        tasks.push(tokio::spawn(async move {
            for seq in 0..share {
                let tick = Tick {
                    phase: Phase::Burst,
                    seq,
                    sent_ns: now_ns(),
                };
                broadcast.publish(&topic, &tick).await?;
            }
            Ok::<_, atode::broadcast::BroadcastError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    for seq in 0..paced {
        every.tick().await;
        let tick = Tick {
            phase: Phase::Paced,
            seq,
            sent_ns: now_ns(),
        };
        broadcast.publish(&topic, &tick).await?;
    }
    let end = Tick {
        phase: Phase::End,
        seq: 0,
        sent_ns: now_ns(),
    };
    broadcast.publish(&topic, &end).await?;

    match (child, local) {
        (Some((mut child, mut lines)), _) => {
            let line = lines
                .next_line()
                .await?
                .ok_or("the subscriber reported nothing")?;
            child.wait().await?;
            Ok(serde_json::from_str(&line)?)
        }
        (None, Some(local)) => Ok(local.await?),
        (None, None) => unreachable!("one subscriber or the other"),
    }
}

/// The subscribing process: says `ready`, then prints its report.
async fn subscriber(url: &str, topic: &str) -> Result<(), Error> {
    // The largest buffer: a burst should measure the backend, not a lag.
    let broadcast = Broadcast::builder(url)
        .capacity(MAX_CAPACITY)
        .connect()
        .await?;
    let subscription = broadcast.subscribe::<Tick>(topic).await?;
    println!("ready");
    let report = receive(subscription).await;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

async fn receive(mut subscription: atode::broadcast::Subscription<Tick>) -> Report {
    let mut report = Report::default();
    let mut burst: Option<(Instant, Instant)> = None;
    // A lost end marker must not hang the run.
    while let Ok(Some(received)) =
        tokio::time::timeout(Duration::from_secs(30), subscription.recv()).await
    {
        let tick = match received {
            Received::Message { message, .. } => message,
            Received::Lagged { missed } => {
                report.lagged += missed;
                continue;
            }
        };
        match tick.phase {
            Phase::Burst => {
                let now = Instant::now();
                burst = Some(burst.map_or((now, now), |(first, _)| (first, now)));
                report.burst_received += 1;
            }
            Phase::Paced => report
                .latencies_us
                .push(now_ns().saturating_sub(tick.sent_ns) / 1000),
            Phase::End => break,
        }
    }
    report.burst_seconds = burst.map_or(0.0, |(first, last)| (last - first).as_secs_f64());
    report
}
