//! atode's durable tasks measured against the engine under them, River's
//! Rust client used directly, on SQLite and PostgreSQL, in one process on
//! loopback. `bash bench/durable.sh` builds and runs it; the tables it
//! prints are the ones bench/README.md records.
//!
//! 1. Enqueue over HTTP: `POST /durable/<i>` (one durable call, written
//!    before the response; workers off) against `POST /memory/<i>` (one
//!    in-process `fn`), same server, same wrk. Then, without HTTP, atode's
//!    `TaskQueue::add_task` against River's `Client::insert`.
//! 2. Processing: N calls written beforehand, then the workers start; the
//!    time until every call's body has run. atode and River, same queue
//!    settings, alternating, a fresh database each.
//! 3. Pickup latency: requests at a fixed rate with the workers running;
//!    from the client reading a response to its task starting.

mod backend;
mod enqueue;
mod latency;
mod process;
mod report;
mod server;
mod settings;
mod tasks;

use backend::{Backend, BoxError};
use report::{Table, median, ms, spread};
use settings::{Fetch, Settings};

/// River's and graphile-worker's published figures, printed beside ours and
/// never measured here.
const ANCHORS: &str = "Published anchors, not measured here: River (Go) ~46k jobs/s on an \
                       8-core laptop; graphile-worker ~15.6k jobs/s unbatched.";

#[derive(Default)]
struct BackendResults {
    label: &'static str,
    skipped: Option<String>,
    enqueue: Option<enqueue::EnqueueResults>,
    process: Vec<(Fetch, u64, process::ProcessResults)>,
    latency: Vec<(Fetch, latency::LatencyResult)>,
}

fn main() {
    if let Err(error) = real_main() {
        eprintln!("durable bench: {error}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<(), BoxError> {
    let settings = Settings::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let results = runtime.block_on(run(&settings))?;
    print_tables(&settings, &results);
    Ok(())
}

async fn run(settings: &Settings) -> Result<Vec<BackendResults>, BoxError> {
    let dir = std::env::temp_dir().join(format!("atode-bench-durable-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("wrk.lua");
    std::fs::write(&script, include_str!("wrk.lua"))?;
    let mut all = Vec::new();
    for name in &settings.backends {
        let backend = match name.as_str() {
            "sqlite" => Ok(Backend::Sqlite {
                dir: dir.join("sqlite"),
            }),
            "postgres" => {
                Backend::postgres(&settings.postgres_admin, &settings.postgres_database).await
            }
            other => return Err(format!("BACKENDS: unknown backend {other:?}").into()),
        };
        let backend = match backend {
            Ok(backend) => backend,
            Err(reason) => {
                eprintln!("PostgreSQL skipped: {reason}");
                all.push(BackendResults {
                    label: "PostgreSQL",
                    skipped: Some(reason),
                    ..BackendResults::default()
                });
                continue;
            }
        };
        if let Backend::Sqlite { dir } = &backend {
            std::fs::create_dir_all(dir)?;
        }
        eprintln!("{}:", backend.label());
        let results = run_backend(&backend, settings, &script).await;
        if let Err(error) = backend.clean_up().await {
            eprintln!("cleaning up {}: {error}", backend.label());
        }
        all.push(results?);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(all)
}

async fn run_backend(
    backend: &Backend,
    settings: &Settings,
    script: &std::path::Path,
) -> Result<BackendResults, BoxError> {
    let mut results = BackendResults {
        label: backend.label(),
        ..BackendResults::default()
    };
    let wants = |section: &str| settings.sections.iter().any(|s| s == section);
    if wants("enqueue") {
        results.enqueue = Some(enqueue::run(backend, settings, script).await?);
    }
    if wants("process") {
        let jobs = match backend {
            Backend::Sqlite { .. } => settings.sqlite_jobs,
            Backend::Postgres { .. } => settings.postgres_jobs,
        };
        for &fetch in &settings.process_fetch {
            let measured = process::run(backend, settings, jobs, fetch).await?;
            results.process.push((fetch, jobs, measured));
        }
    }
    if wants("latency") {
        for &fetch in &settings.latency_fetch {
            let measured = latency::run(backend, settings, fetch).await?;
            eprintln!(
                "  {} latency ({}): p50 {} us, p99 {} us, max {} us, {} tasks",
                backend.label(),
                fetch.label(),
                measured.p50(),
                measured.p99(),
                measured.max(),
                measured.latencies.len()
            );
            results.latency.push((fetch, measured));
        }
    }
    Ok(results)
}

fn print_tables(settings: &Settings, all: &[BackendResults]) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let build = if cfg!(debug_assertions) {
        "DEBUG build: figures are not representative"
    } else {
        "release build"
    };
    println!();
    println!(
        "Machine: {cpus} CPUs, {cpu}; {build}; server, workers and clients in one process \
         (tokio, {cpus} workers), wrk and the database beside it, not pinned."
    );
    println!(
        "{} rounds, alternating order; figures are medians over rounds, ratios are per round \
         (median, min–max). Load average at the end: {}.",
        settings.rounds,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for results in all {
        if let Some(reason) = &results.skipped {
            println!();
            println!("{}: skipped ({reason}).", results.label);
        }
    }

    let enqueued: Vec<_> = all
        .iter()
        .filter_map(|r| r.enqueue.as_ref().map(|e| (r.label, e)))
        .collect();
    if !enqueued.is_empty() {
        println!();
        println!(
            "Enqueue over HTTP: wrk, 1 thread, {} keep-alive connections, {} s per run; \
             `POST /durable/<i>` writes one durable call before its response (workers off), \
             `POST /memory/<i>` queues one in-process `fn`.",
            settings.connections, settings.seconds
        );
        println!();
        let mut table = Table::new(&[
            "backend",
            "durable req/s:",
            "in-process req/s:",
            "durable/in-process:",
            "durable p50 / p99:",
            "in-process p50 / p99:",
            "errors:",
        ]);
        for (label, e) in &enqueued {
            let rps =
                |runs: &[enqueue::WrkRun]| median(&runs.iter().map(|r| r.rps).collect::<Vec<_>>());
            let p = |runs: &[enqueue::WrkRun]| {
                format!(
                    "{} / {}",
                    ms(median(&runs.iter().map(|r| r.p50_us).collect::<Vec<_>>())),
                    ms(median(&runs.iter().map(|r| r.p99_us).collect::<Vec<_>>()))
                )
            };
            let errors: u64 = e.durable.iter().chain(&e.memory).map(|r| r.errors).sum();
            table.row(&[
                (*label).to_owned(),
                format!("{:.0}", rps(&e.durable)),
                format!("{:.0}", rps(&e.memory)),
                spread(&e.http_ratios),
                p(&e.durable),
                p(&e.memory),
                errors.to_string(),
            ]);
        }
        print!("{}", table.render());
        println!();
        println!(
            "Writing calls without HTTP (different work from the above): {} concurrent callers, \
             one call per transaction, {} s per run. atode's `TaskQueue::add_task` writes River's \
             job and its own id row; River's `Client::insert` writes the job.",
            settings.connections, settings.seconds
        );
        println!();
        let mut table = Table::new(&[
            "backend",
            "atode add_task/s:",
            "River insert/s:",
            "atode/River:",
        ]);
        for (label, e) in &enqueued {
            table.row(&[
                (*label).to_owned(),
                format!("{:.0}", median(&e.atode_inserts)),
                format!("{:.0}", median(&e.river_inserts)),
                spread(&e.insert_ratios),
            ]);
        }
        print!("{}", table.render());
    }

    if all.iter().any(|r| !r.process.is_empty()) {
        println!();
        println!(
            "Processing: N calls written beforehand, then the workers start ({} at once, \
             in this process); time until the last call's body ran. Each body is an `async fn` \
             that counts itself. Fresh database per run.",
            settings.concurrency
        );
        println!();
        let mut table = Table::new(&[
            "backend",
            "fetch",
            "N:",
            "atode tasks/s:",
            "River jobs/s:",
            "atode/River:",
        ]);
        for results in all {
            for (fetch, jobs, p) in &results.process {
                table.row(&[
                    results.label.to_owned(),
                    fetch.label(),
                    jobs.to_string(),
                    format!("{:.0}", median(&p.atode)),
                    format!("{:.0}", median(&p.river)),
                    spread(&p.ratios),
                ]);
            }
        }
        print!("{}", table.render());
        println!();
        println!("{ANCHORS}");
    }

    if all.iter().any(|r| !r.latency.is_empty()) {
        println!();
        println!(
            "Pickup latency: `POST /pickup/<i>` at {} requests/s for {} s (after 1 s not \
             counted), workers running ({} at once); from the client reading the response to \
             the task starting.",
            settings.rate, settings.latency_seconds, settings.concurrency
        );
        println!();
        let mut table = Table::new(&[
            "backend", "fetch", "p50:", "p99:", "max:", "tasks:", "errors:",
        ]);
        for results in all {
            for (fetch, l) in &results.latency {
                table.row(&[
                    results.label.to_owned(),
                    fetch.label(),
                    ms(l.p50() as f64),
                    ms(l.p99() as f64),
                    ms(l.max() as f64),
                    l.latencies.len().to_string(),
                    l.errors.to_string(),
                ]);
            }
        }
        print!("{}", table.render());
    }
}
