//! atode's durable tasks measured against the engine under them, River's
//! Rust client used directly, on SQLite and PostgreSQL, in one process on
//! loopback. `bash bench/durable.sh` builds and runs it; the tables it
//! prints are the ones bench/README.md records. Sections (`SECTIONS`):
//!
//! - `enqueue`: over HTTP, `POST /durable/<i>` (one durable call, written
//!   before the response) against `POST /memory/<i>` (one in-process `fn`)
//!   at 1 to 128 connections, workers off, and at 32 with them running
//!   (`curve.rs`); then, without HTTP, `TaskQueue::add_task` against
//!   River's `Client::insert` (`inserts.rs`).
//! - `process`: N calls written beforehand, then the workers start; calls
//!   run per second, atode and River with the same settings.
//! - `latency`: requests at a fixed rate, workers running; from a response
//!   to its task starting.
//! - `completed`: the same load; from a response to reading `completed`.
//! - `idle`: workers on an empty queue; transactions and CPU per second.

mod backend;
mod completed;
mod cpu;
mod curve;
mod idle;
mod inserts;
mod latency;
mod machine;
mod paced;
mod process;
mod report;
mod river;
mod server;
mod settings;
mod tasks;
mod waits;
mod wrk;

use backend::{Backend, BoxError};
use settings::{Fetch, Settings};

/// One backend's measurements; a section not run stays empty.
#[derive(Default)]
struct BackendResults {
    label: &'static str,
    skipped: Option<String>,
    curve: Option<curve::CurveResults>,
    inserts: Option<inserts::InsertResults>,
    process: Vec<(Fetch, u64, process::ProcessResults)>,
    latency: Vec<(Fetch, waits::Comparison)>,
    completed: Option<waits::Comparison>,
    idle: Option<idle::IdleResults>,
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
    if settings.wants("enqueue") {
        let points = curve::run(backend, settings, script).await?;
        let with_workers = curve::with_workers(backend, settings, script).await?;
        results.curve = Some(curve::CurveResults {
            points,
            with_workers: Some(with_workers),
        });
        results.inserts = Some(inserts::run(backend, settings).await?);
    }
    if settings.wants("process") {
        let jobs = match backend {
            Backend::Sqlite { .. } => settings.sqlite_jobs,
            Backend::Postgres { .. } => settings.postgres_jobs,
        };
        for &fetch in &settings.process_fetch {
            let measured = process::run(backend, settings, jobs, fetch).await?;
            results.process.push((fetch, jobs, measured));
        }
    }
    if settings.wants("latency") {
        for &fetch in &settings.latency_fetch {
            let measured = latency::run(backend, settings, fetch).await?;
            results.latency.push((fetch, measured));
        }
    }
    if settings.wants("completed") {
        results.completed = Some(completed::run(backend, settings).await?);
    }
    if settings.wants("idle") {
        results.idle = Some(idle::run(backend, settings).await?);
    }
    Ok(results)
}

fn print_tables(settings: &Settings, all: &[BackendResults]) {
    machine::print(settings);
    for results in all {
        if let Some(reason) = &results.skipped {
            println!();
            println!("{}: skipped ({reason}).", results.label);
        }
    }
    let curves: Vec<_> = all
        .iter()
        .filter_map(|r| Some((r.label, r.curve.as_ref()?)))
        .collect();
    if !curves.is_empty() {
        curve::print(settings, &curves);
    }
    let inserts: Vec<_> = all
        .iter()
        .filter_map(|r| Some((r.label, r.inserts.as_ref()?)))
        .collect();
    if !inserts.is_empty() {
        inserts::print(settings, &inserts);
    }
    let process: Vec<_> = all
        .iter()
        .flat_map(|r| {
            r.process
                .iter()
                .map(move |(fetch, jobs, p)| (r.label, *fetch, *jobs, p))
        })
        .collect();
    if !process.is_empty() {
        process::print(settings, &process);
    }
    let latency: Vec<_> = all
        .iter()
        .flat_map(|r| {
            r.latency
                .iter()
                .map(move |(fetch, c)| (r.label, fetch.label(), c))
        })
        .collect();
    if !latency.is_empty() {
        latency::print(settings, &latency);
    }
    let completed: Vec<_> = all
        .iter()
        .filter_map(|r| Some((r.label, Fetch::Default.label(), r.completed.as_ref()?)))
        .collect();
    if !completed.is_empty() {
        completed::print(settings, &completed);
    }
    let idle: Vec<_> = all
        .iter()
        .filter_map(|r| Some((r.label, r.idle.as_ref()?)))
        .collect();
    if !idle.is_empty() {
        idle::print(settings, &idle);
    }
}
