//! Working a full queue: `jobs` calls written beforehand, then the workers
//! start (`CONCURRENCY` at once) and the clock runs until the last call's
//! body has run. atode (`Durable` + `App::durable`) and River used directly
//! (`Workers::add_fn`) work the same number of calls with the same queue
//! settings, each on a fresh database, in alternating order.

use std::time::{Duration, Instant};

use atode::App;
use atode::durable::{Durable, TaskQueue};
use riverqueue::{InsertManyItem, Workers};

use crate::backend::{Backend, BoxError};
use crate::report::{Table, median, spread};
use crate::settings::{Fetch, Settings};
use crate::tasks::{PROGRESS, RiverCount, count, river_count};
use crate::{cpu, river, server};

/// Calls written per transaction before a run.
const CHUNK: u64 = 500;

#[derive(Debug, Default)]
pub struct ProcessResults {
    pub atode: Vec<f64>,
    pub river: Vec<f64>,
    /// atode / River tasks per second, per round.
    pub ratios: Vec<f64>,
    /// CPU per call, this process's and PostgreSQL's, per round.
    pub atode_cpu: Vec<CallCpu>,
    pub river_cpu: Vec<CallCpu>,
}

/// Microseconds on a CPU per call worked: this process's threads (workers,
/// pool, client) and the database's (PostgreSQL's processes; SQLite runs
/// inside this process, so its share is 0).
#[derive(Debug, Default, Clone, Copy)]
pub struct CallCpu {
    pub process: f64,
    pub database: f64,
}

/// The CPU a run spent, per call of `jobs`.
fn per_call(spent: &cpu::Spent, jobs: u64) -> CallCpu {
    let per_call = |ms: f64| ms * 1e3 / jobs as f64;
    CallCpu {
        process: per_call(spent.process_ms),
        database: per_call(spent.database_ms),
    }
}

pub async fn run(
    backend: &Backend,
    settings: &Settings,
    jobs: u64,
    fetch: Fetch,
) -> Result<ProcessResults, BoxError> {
    let mut results = ProcessResults::default();
    for round in 1..=settings.rounds {
        let atode_first = round % 2 == 1;
        let ((mut atode_rate, mut atode_cpu), (mut river_rate, mut river_cpu)) = Default::default();
        for atode_turn in [atode_first, !atode_first] {
            if atode_turn {
                (atode_rate, atode_cpu) = atode(backend, settings, jobs, fetch).await?;
            } else {
                (river_rate, river_cpu) = river(backend, settings, jobs, fetch).await?;
            }
        }
        eprintln!(
            "  {} processing round {round} ({}): atode {atode_rate:.0} tasks/s, River {river_rate:.0} jobs/s; \
             CPU µs per call (process + database): atode {:.0} + {:.0}, River {:.0} + {:.0}",
            backend.label(),
            fetch.label(),
            atode_cpu.process,
            atode_cpu.database,
            river_cpu.process,
            river_cpu.database,
        );
        results.atode.push(atode_rate);
        results.river.push(river_rate);
        results.ratios.push(atode_rate / river_rate);
        results.atode_cpu.push(atode_cpu);
        results.river_cpu.push(river_cpu);
    }
    Ok(results)
}

/// How long a run may take before it counts as broken: 20 calls a second.
fn guard(jobs: u64) -> Duration {
    Duration::from_secs(30 + jobs / 20)
}

async fn atode(
    backend: &Backend,
    settings: &Settings,
    jobs: u64,
    fetch: Fetch,
) -> Result<(f64, CallCpu), BoxError> {
    let url = backend.fresh("process-atode").await?;
    let durable = Durable::url(&url).task(count);
    let queue = fetch
        .durable(settings.concurrency.durable(durable))
        .connect()
        .await?;
    write_atode(&queue, jobs).await?;

    PROGRESS.reset();
    let started = Instant::now();
    let cpu = cpu::Since::now();
    let server = server::start(App::new().durable(queue.clone())).await?;
    let finished = PROGRESS.wait_for(jobs, guard(jobs)).await;
    let elapsed = started.elapsed();
    let cpu = per_call(&cpu.spent(), jobs);
    server.stop().await?;
    if let Err(done) = finished {
        return Err(format!("atode ran {done} of {jobs} calls in {:?}", guard(jobs)).into());
    }
    let stats = queue.stats();
    if stats.completed != jobs || stats.failed + stats.panicked + stats.cancelled != 0 {
        return Err(format!("atode's counts after {jobs} calls: {stats:?}").into());
    }
    Ok((jobs as f64 / elapsed.as_secs_f64(), cpu))
}

/// The calls, through atode's public API: `add_task_in` in transactions of
/// `CHUNK` calls (River's insert and atode's id row, as a handler writes them).
async fn write_atode(queue: &TaskQueue, jobs: u64) -> Result<(), BoxError> {
    let mut i = 0;
    while i < jobs {
        let end = (i + CHUNK).min(jobs);
        if queue.sqlite_pool().is_some() {
            let mut transaction = queue.begin_sqlite().await?;
            for i in i..end {
                queue.add_task_in(&mut transaction, count, (i,)).await?;
            }
            transaction.commit().await?;
        } else {
            let mut transaction = queue.begin_postgres().await?;
            for i in i..end {
                queue.add_task_in(&mut transaction, count, (i,)).await?;
            }
            transaction.commit().await?;
        }
        i = end;
    }
    Ok(())
}

async fn river(
    backend: &Backend,
    settings: &Settings,
    jobs: u64,
    fetch: Fetch,
) -> Result<(f64, CallCpu), BoxError> {
    let url = backend.fresh("process-river").await?;
    let mut workers = Workers::new();
    workers.add_fn(river_count)?;
    let client = river::with_workers(&url, settings, fetch, workers).await?;
    let mut i = 0;
    while i < jobs {
        let end = (i + CHUNK).min(jobs);
        client
            .insert_many((i..end).map(|i| InsertManyItem::from(RiverCount { i })))
            .await?;
        i = end;
    }

    PROGRESS.reset();
    let started = Instant::now();
    let cpu = cpu::Since::now();
    let mut run = client.start()?;
    let finished = PROGRESS.wait_for(jobs, guard(jobs)).await;
    let elapsed = started.elapsed();
    let cpu = per_call(&cpu.spent(), jobs);
    run.stop().await?;
    if let Err(done) = finished {
        return Err(format!("River ran {done} of {jobs} jobs in {:?}", guard(jobs)).into());
    }
    Ok((jobs as f64 / elapsed.as_secs_f64(), cpu))
}

/// `process + database`, the medians over rounds.
fn cpu_cell(rounds: &[CallCpu]) -> String {
    let process: Vec<f64> = rounds.iter().map(|cpu| cpu.process).collect();
    let database: Vec<f64> = rounds.iter().map(|cpu| cpu.database).collect();
    format!("{:.0} + {:.0}", median(&process), median(&database))
}

/// River's and graphile-worker's published figures, printed beside ours and
/// never measured here.
const ANCHORS: &str = "Published anchors, not measured here: River (Go) ~46k jobs/s on an \
                       8-core laptop; graphile-worker ~15.6k jobs/s unbatched.";

/// One row per backend and fetch setting: `(backend, fetch, N, results)`.
pub fn print(settings: &Settings, rows: &[(&str, Fetch, u64, &ProcessResults)]) {
    println!();
    println!(
        "Processing: N calls written beforehand, then the workers start ({} at once, in this \
         process); time until the last call's body ran. Each body is an `async fn` that counts \
         itself. Same queue settings on both, fresh database per run. Targets (PostgreSQL, \
         default fetch): atode >= 5000 tasks/s, atode/River >= 0.95.",
        settings.concurrency.label()
    );
    println!();
    let mut table = Table::new(&[
        "backend",
        "fetch",
        "N:",
        "atode tasks/s:",
        "River jobs/s:",
        "atode/River:",
        "CPU µs/call, atode (process + database):",
        "River:",
    ]);
    for (label, fetch, jobs, results) in rows {
        table.row(&[
            (*label).to_owned(),
            fetch.label(),
            jobs.to_string(),
            format!("{:.0}", median(&results.atode)),
            format!("{:.0}", median(&results.river)),
            spread(&results.ratios),
            cpu_cell(&results.atode_cpu),
            cpu_cell(&results.river_cpu),
        ]);
    }
    print!("{}", table.render());
    println!();
    println!("{ANCHORS}");
}
