//! Writing calls: `POST /durable/<i>` (one durable call, written before the
//! response) against `POST /memory/<i>` (one in-process `fn`) on the same
//! server under the same wrk; then, without HTTP, atode's
//! `TaskQueue::add_task` against River's `Client::insert`, each one call per
//! transaction from the same number of concurrent callers.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atode::durable::Durable;
use atode::{App, BackgroundTasks, post, routes};

use crate::backend::{Backend, BoxError, river_builder};
use crate::server;
use crate::settings::Settings;
use crate::tasks::{RiverCount, in_memory, picked_up};

#[post("/durable/<i>")]
async fn durable_call(i: u64, tasks: BackgroundTasks) -> &'static str {
    let _id = tasks.add_task(picked_up, (i,));
    "queued"
}

#[post("/memory/<i>")]
async fn memory_call(i: u64, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(in_memory, (i,));
    "queued"
}

/// One wrk run.
#[derive(Clone, Copy, Debug, Default)]
pub struct WrkRun {
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub errors: u64,
}

#[derive(Debug, Default)]
pub struct EnqueueResults {
    pub durable: Vec<WrkRun>,
    pub memory: Vec<WrkRun>,
    /// durable / memory req/s, per round.
    pub http_ratios: Vec<f64>,
    pub atode_inserts: Vec<f64>,
    pub river_inserts: Vec<f64>,
    /// atode add_task / River insert, per round.
    pub insert_ratios: Vec<f64>,
}

pub async fn run(
    backend: &Backend,
    settings: &Settings,
    script: &Path,
) -> Result<EnqueueResults, BoxError> {
    let url = backend.fresh("enqueue").await?;
    // Workers off: only the write is measured.
    let queue = Durable::url(&url)
        .task(picked_up)
        .without_workers()
        .connect()
        .await?;
    let river = river_builder(&url).await?.build()?;
    let app = App::new()
        .durable(queue.clone())
        .routes(routes![durable_call, memory_call]);
    let server = server::start(app).await?;
    let base = format!("http://{}", server.addr);
    let mut results = EnqueueResults::default();

    // Warm-up: connections, the pools' connections, the task threads.
    for path in ["/durable/", "/memory/"] {
        wrk(script, &base, path, settings.connections, 1).await?;
    }
    for round in 1..=settings.rounds {
        let mut order = ["/durable/", "/memory/"];
        if round % 2 == 0 {
            order.reverse();
        }
        let (mut durable, mut memory) = (WrkRun::default(), WrkRun::default());
        for path in order {
            let run = wrk(script, &base, path, settings.connections, settings.seconds).await?;
            eprintln!(
                "  {} enqueue round {round} {path}<i>: {:.0} req/s, p50 {:.0} us, p99 {:.0} us, errors {}",
                backend.label(),
                run.rps,
                run.p50_us,
                run.p99_us,
                run.errors
            );
            if path == "/durable/" {
                durable = run;
            } else {
                memory = run;
            }
        }
        results.durable.push(durable);
        results.memory.push(memory);
        results.http_ratios.push(durable.rps / memory.rps);
    }
    server.stop().await?;

    let next = Arc::new(AtomicU64::new(1 << 40));
    for round in 1..=settings.rounds {
        let atode_first = round % 2 == 1;
        let mut atode_rate = 0.0;
        let mut river_rate = 0.0;
        for atode_turn in [atode_first, !atode_first] {
            if atode_turn {
                let queue = queue.clone();
                atode_rate = callers(settings, &next, move |i| {
                    let queue = queue.clone();
                    async move {
                        queue.add_task(picked_up, (i,)).await?;
                        Ok(())
                    }
                })
                .await?;
            } else {
                let river = river.clone();
                river_rate = callers(settings, &next, move |i| {
                    let river = river.clone();
                    async move {
                        river.insert(RiverCount { i }).await?;
                        Ok(())
                    }
                })
                .await?;
            }
        }
        eprintln!(
            "  {} insert round {round}: atode add_task {atode_rate:.0}/s, River insert {river_rate:.0}/s",
            backend.label()
        );
        results.atode_inserts.push(atode_rate);
        results.river_inserts.push(river_rate);
        results.insert_ratios.push(atode_rate / river_rate);
    }
    Ok(results)
}

/// `settings.connections` callers, each writing one call at a time for
/// `settings.seconds`; calls written per second, all callers together.
async fn callers<F, Fut>(
    settings: &Settings,
    next: &Arc<AtomicU64>,
    insert: F,
) -> Result<f64, BoxError>
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send,
{
    let started = Instant::now();
    let until = started + Duration::from_secs(settings.seconds);
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..settings.connections {
        let insert = insert.clone();
        let next = Arc::clone(next);
        callers.spawn(async move {
            let mut written = 0u64;
            while Instant::now() < until {
                insert(next.fetch_add(1, Ordering::Relaxed)).await?;
                written += 1;
            }
            Ok::<u64, BoxError>(written)
        });
    }
    let mut written = 0;
    while let Some(joined) = callers.join_next().await {
        written += joined??;
    }
    Ok(written as f64 / started.elapsed().as_secs_f64())
}

/// wrk, one thread, `connections` keep-alive connections, for `seconds`.
async fn wrk(
    script: &Path,
    base: &str,
    path: &str,
    connections: u32,
    seconds: u64,
) -> Result<WrkRun, BoxError> {
    let output = tokio::process::Command::new("wrk")
        .arg("-t1")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("-s")
        .arg(script)
        .arg(base)
        .env("BENCH_PATH", path)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|error| format!("running wrk: {error} (install it: apt-get install wrk)"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .ok_or_else(|| {
            format!(
                "wrk gave no result for {base}{path}: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let fields: Vec<f64> = line
        .split_whitespace()
        .map(|field| field.parse().map_err(|_| format!("wrk said {line:?}")))
        .collect::<Result<_, _>>()?;
    let [rps, p50_us, p99_us, errors, _requests] = fields[..] else {
        return Err(format!("wrk said {line:?}").into());
    };
    Ok(WrkRun {
        rps,
        p50_us,
        p99_us,
        errors: errors as u64,
    })
}
