//! Enqueue over HTTP, the group-commit curve: `POST /durable/<i>` (one
//! durable call, written before the response) against `POST /memory/<i>`
//! (one in-process `fn`) on the same server under the same wrk, at each
//! of `CURVE`'s connection counts. Requests waiting on a commit share the
//! next one, so the durable route should gain on the in-process one as
//! connections grow. Workers off, so only the write is measured; then one
//! row at `CONNECTIONS` with the workers running, the realistic case.

use std::path::Path;
use std::time::Duration;

use atode::durable::Durable;
use atode::{App, BackgroundTasks, post, routes};

use crate::backend::{Backend, BoxError};
use crate::report::{Table, median, ms, spread};
use crate::server;
use crate::settings::Settings;
use crate::tasks::{PROGRESS, in_memory, picked_up};
use crate::wrk::{self, WrkRun};

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

/// Both routes at one connection count, every round.
#[derive(Debug, Default)]
pub struct Point {
    pub connections: u32,
    pub durable: Vec<WrkRun>,
    pub memory: Vec<WrkRun>,
    /// durable / memory req/s, per round.
    pub ratios: Vec<f64>,
}

impl Point {
    fn new(connections: u32) -> Self {
        Point {
            connections,
            ..Point::default()
        }
    }

    fn push(&mut self, durable: WrkRun, memory: WrkRun) {
        self.ratios.push(durable.rps / memory.rps);
        self.durable.push(durable);
        self.memory.push(memory);
    }
}

#[derive(Debug, Default)]
pub struct CurveResults {
    /// Workers off, one point per `CURVE` entry.
    pub points: Vec<Point>,
    /// Workers running, at `CONNECTIONS`.
    pub with_workers: Option<Point>,
}

/// The curve, workers off: one server, a fresh database.
pub async fn run(
    backend: &Backend,
    settings: &Settings,
    script: &Path,
) -> Result<Vec<Point>, BoxError> {
    let url = backend.fresh("enqueue").await?;
    let queue = Durable::url(&url)
        .task(picked_up)
        .without_workers()
        .connect()
        .await?;
    let app = App::new()
        .durable(queue)
        .routes(routes![durable_call, memory_call]);
    let server = server::start(app).await?;
    let base = format!("http://{}", server.addr);
    // Warm-up: connections, the pool's connections, the task threads.
    let widest = settings.curve.iter().copied().max().unwrap_or(1);
    for path in ["/durable/", "/memory/"] {
        wrk::run(script, &base, path, widest, 1).await?;
    }
    let mut points: Vec<Point> = settings.curve.iter().map(|&c| Point::new(c)).collect();
    for round in 1..=settings.rounds {
        for point in &mut points {
            let (durable, memory) = both_routes(
                backend,
                settings,
                script,
                &base,
                point.connections,
                round,
                None,
            )
            .await?;
            point.push(durable, memory);
        }
    }
    server.stop().await?;
    Ok(points)
}

/// One row at `CONNECTIONS` with the workers running (`CONCURRENCY`,
/// default fetch): they work what the durable route wrote, on the same
/// two cores. The queue is drained after every durable run, so the next
/// run, either route, starts with idle workers.
pub async fn with_workers(
    backend: &Backend,
    settings: &Settings,
    script: &Path,
) -> Result<Point, BoxError> {
    let url = backend.fresh("enqueue-workers").await?;
    let durable = settings
        .concurrency
        .durable(Durable::url(&url).task(picked_up));
    let queue = durable.connect().await?;
    PROGRESS.reset();
    let app = App::new()
        .durable(queue)
        .routes(routes![durable_call, memory_call]);
    let server = server::start(app).await?;
    let base = format!("http://{}", server.addr);
    let connections = settings.connections;
    let mut written = 0;
    for path in ["/durable/", "/memory/"] {
        let warm = wrk::run(script, &base, path, connections, 1).await?;
        if path == "/durable/" {
            written += warm.requests.saturating_sub(warm.errors);
            drain(backend, written).await;
        }
    }
    let mut point = Point::new(connections);
    for round in 1..=settings.rounds {
        let (durable, memory) = both_routes(
            backend,
            settings,
            script,
            &base,
            connections,
            round,
            Some(&mut written),
        )
        .await?;
        point.push(durable, memory);
    }
    server.stop().await?;
    Ok(point)
}

/// Both routes at `connections`, alternating which goes first by round.
/// With `written` (workers running: the calls the durable route wrote so
/// far), the queue is drained after the durable run.
async fn both_routes(
    backend: &Backend,
    settings: &Settings,
    script: &Path,
    base: &str,
    connections: u32,
    round: u32,
    mut written: Option<&mut u64>,
) -> Result<(WrkRun, WrkRun), BoxError> {
    let workers = if written.is_some() { "running" } else { "off" };
    let mut order = ["/durable/", "/memory/"];
    if round % 2 == 0 {
        order.reverse();
    }
    let (mut durable, mut memory) = (WrkRun::default(), WrkRun::default());
    for path in order {
        let run = wrk::run(script, base, path, connections, settings.seconds).await?;
        log(backend, round, path, connections, workers, &run);
        if path == "/durable/" {
            durable = run;
            if let Some(written) = written.as_deref_mut() {
                *written += run.requests.saturating_sub(run.errors);
                drain(backend, *written).await;
            }
        } else {
            memory = run;
        }
    }
    Ok((durable, memory))
}

/// Waits until the workers ran `written` calls (the durable route's 2xx
/// answers so far); a run that never drains is reported, not fatal.
async fn drain(backend: &Backend, written: u64) {
    if let Err(done) = PROGRESS.wait_for(written, Duration::from_secs(120)).await {
        eprintln!(
            "  {} enqueue with workers: only {done} of {written} calls ran within 120 s",
            backend.label()
        );
    }
}

fn log(backend: &Backend, round: u32, path: &str, connections: u32, workers: &str, run: &WrkRun) {
    eprintln!(
        "  {} enqueue round {round} {path}<i> -c{connections} (workers {workers}): {:.0} req/s, \
         p50 {:.0} us, p99 {:.0} us, errors {} (non-2xx {}, timeouts {})",
        backend.label(),
        run.rps,
        run.p50_us,
        run.p99_us,
        run.errors,
        run.non_2xx,
        run.timeouts
    );
}

pub fn print(settings: &Settings, all: &[(&str, &CurveResults)]) {
    println!();
    println!(
        "Enqueue over HTTP (group-commit curve): wrk, 1 thread, `-c` keep-alive connections, \
         {} s per run; `POST /durable/<i>` writes one durable call before its response, \
         `POST /memory/<i>` queues one in-process `fn`; same server, routes alternating. \
         Workers off (only the write), except the `running` row: workers on ({}; default \
         fetch), the queue drained after each durable run. Target: durable/in-process >= 0.5 \
         at 32 connections.",
        settings.seconds,
        settings.concurrency.label()
    );
    println!();
    let mut table = Table::new(&[
        "backend",
        "connections:",
        "workers",
        "durable req/s:",
        "in-process req/s:",
        "durable/in-process:",
        "durable p50 / p99:",
        "in-process p50 / p99:",
        "machine CPU µs/request, durable (database) / in-process:",
        "CPUs busy, durable / in-process:",
        "durable/in-process if CPU-bound:",
        "errors:",
    ]);
    for (label, results) in all {
        let rows = results
            .points
            .iter()
            .map(|p| (p, "off"))
            .chain(results.with_workers.iter().map(|p| (p, "running")));
        for (point, workers) in rows {
            let rps = |runs: &[WrkRun]| median(&runs.iter().map(|r| r.rps).collect::<Vec<_>>());
            let p = |runs: &[WrkRun]| {
                format!(
                    "{} / {}",
                    ms(median(&runs.iter().map(|r| r.p50_us).collect::<Vec<_>>())),
                    ms(median(&runs.iter().map(|r| r.p99_us).collect::<Vec<_>>()))
                )
            };
            let errors: u64 = point
                .durable
                .iter()
                .chain(&point.memory)
                .map(|r| r.errors)
                .sum();
            let of = |runs: &[WrkRun], field: fn(&WrkRun) -> f64| {
                median(&runs.iter().map(field).collect::<Vec<_>>())
            };
            // What the ratio would be if both routes kept every CPU busy:
            // the in-process route's CPU per request over the durable's.
            let bound: Vec<f64> = point
                .durable
                .iter()
                .zip(&point.memory)
                .map(|(durable, memory)| memory.machine_us / durable.machine_us)
                .collect();
            table.row(&[
                (*label).to_owned(),
                point.connections.to_string(),
                workers.to_owned(),
                format!("{:.0}", rps(&point.durable)),
                format!("{:.0}", rps(&point.memory)),
                spread(&point.ratios),
                p(&point.durable),
                p(&point.memory),
                format!(
                    "{:.0} ({:.0}) / {:.0}",
                    of(&point.durable, |r| r.machine_us),
                    of(&point.durable, |r| r.database_us),
                    of(&point.memory, |r| r.machine_us)
                ),
                format!(
                    "{:.0} % / {:.0} %",
                    of(&point.durable, |r| r.busy) * 100.0,
                    of(&point.memory, |r| r.busy) * 100.0
                ),
                spread(&bound),
                errors.to_string(),
            ]);
        }
    }
    print!("{}", table.render());
}
