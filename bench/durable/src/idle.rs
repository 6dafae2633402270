//! What an idle worker costs: workers running on an empty queue, atode
//! with all its defaults against River's client with River's own
//! (`QueueConfig::new(n)`, a default `Client::builder`), each for
//! `IDLE_SECONDS` after a settling pause. Counted: this process's CPU time
//! (workers, pool, SQLite inside); on PostgreSQL also the bench
//! database's transactions (`pg_stat_database`, read from the admin
//! database so the reads do not count) and its backends' CPU time.
//!
//! `pg_stat_database` counts every statement outside a transaction as one,
//! so transactions are round trips that did work; a backend publishes its
//! counts at most once a second, so each end of the window is off by up to
//! about a second of activity (the same for both engines).

use std::time::Duration;

use atode::App;
use atode::durable::{DEFAULT_CONCURRENCY, Durable};
use riverqueue::sqlx::{Connection, PgConnection};
use riverqueue::{QueueConfig, Workers};

use crate::backend::{Backend, BoxError, river_builder};
use crate::report::Table;
use crate::settings::Settings;
use crate::tasks::{count, river_count};
use crate::{cpu, server};

/// Before the window: start-up's migrations, leader election, first fetches.
// Longer than PostgreSQL's `PGSTAT_IDLE_INTERVAL` (10 s): a backend that
// went idle after the schema's migration publishes its counts by then at
// the latest, so they do not land in the window (with 2 s they did, and
// read as idle transactions: 4–5/s where the server's statement log
// showed 1.5/s).
const SETTLE: Duration = Duration::from_secs(12);

/// One engine's cost per second of idling.
#[derive(Debug, Default)]
pub struct Cost {
    pub transactions: Option<f64>,
    pub cpu_ms: Option<f64>,
    pub database_cpu_ms: Option<f64>,
}

#[derive(Debug, Default)]
pub struct IdleResults {
    pub atode: Cost,
    pub river: Cost,
}

pub async fn run(backend: &Backend, settings: &Settings) -> Result<IdleResults, BoxError> {
    let atode = {
        let url = backend.fresh("idle-atode").await?;
        let queue = Durable::url(&url).task(count).connect().await?;
        let server = server::start(App::new().durable(queue)).await?;
        let cost = window(backend, settings).await;
        server.stop().await?;
        cost?
    };
    let river = {
        let url = backend.fresh("idle-river").await?;
        let mut workers = Workers::new();
        workers.add_fn(river_count)?;
        let client = river_builder(&url)
            .await?
            .workers(workers)
            .queue("default", QueueConfig::new(DEFAULT_CONCURRENCY))
            .build()?;
        let mut run = client.start()?;
        let cost = window(backend, settings).await;
        run.stop().await?;
        cost?
    };
    eprintln!(
        "  {} idle: atode {atode:.1?}, River {river:.1?}",
        backend.label()
    );
    Ok(IdleResults { atode, river })
}

/// Waits `SETTLE`, then measures `IDLE_SECONDS`.
async fn window(backend: &Backend, settings: &Settings) -> Result<Cost, BoxError> {
    tokio::time::sleep(SETTLE).await;
    let mut stats = match backend {
        Backend::Postgres { admin, name } => Some(PgStats::open(admin, name).await?),
        Backend::Sqlite { .. } => None,
    };
    let before_transactions = match &mut stats {
        Some(stats) => Some(stats.transactions().await?),
        None => None,
    };
    let before_backends = match &mut stats {
        Some(stats) => stats.backend_cpu().await?,
        None => Vec::new(),
    };
    let before_cpu = cpu::ThreadTimes::now();
    let started = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(settings.idle_seconds)).await;
    let after_cpu = cpu::ThreadTimes::now();
    let seconds = started.elapsed().as_secs_f64();
    let per_second = |delta: f64| delta.max(0.0) / seconds;
    let mut cost = Cost {
        cpu_ms: before_cpu
            .zip(after_cpu)
            .map(|(before, after)| per_second(after.ms_since(&before))),
        ..Cost::default()
    };
    if let (Some(mut stats), Some(before)) = (stats, before_transactions) {
        let after = stats.transactions().await?;
        cost.transactions = Some(per_second(after.saturating_sub(before) as f64));
        // Backends alive at both ends; one that came or went is missed.
        let used: f64 = before_backends
            .iter()
            .filter_map(|(pid, before)| Some(cpu::backend_ms(*pid)? - before))
            .sum();
        if !before_backends.is_empty() {
            cost.database_cpu_ms = Some(per_second(used));
        }
        let _ = stats.connection.close().await;
    }
    Ok(cost)
}

/// An admin connection reading the bench database's statistics.
struct PgStats {
    connection: PgConnection,
    name: String,
}

impl PgStats {
    async fn open(admin: &str, name: &str) -> Result<PgStats, BoxError> {
        Ok(PgStats {
            connection: PgConnection::connect(admin).await?,
            name: name.to_owned(),
        })
    }

    /// Committed and rolled-back transactions of the bench database.
    async fn transactions(&mut self) -> Result<u64, BoxError> {
        let total: i64 = riverqueue::sqlx::query_scalar(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
        )
        .bind(&self.name)
        .fetch_one(&mut self.connection)
        .await?;
        Ok(total.max(0) as u64)
    }

    /// The bench database's backends and their CPU time so far.
    async fn backend_cpu(&mut self) -> Result<Vec<(i32, f64)>, BoxError> {
        let pids: Vec<i32> =
            riverqueue::sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
                .bind(&self.name)
                .fetch_all(&mut self.connection)
                .await?;
        Ok(pids
            .into_iter()
            .filter_map(|pid| Some((pid, cpu::backend_ms(pid)?)))
            .collect())
    }
}

pub fn print(settings: &Settings, all: &[(&str, &IdleResults)]) {
    println!();
    println!(
        "Idle cost: workers running on an empty queue, one window of {} s each (not rounds) \
         after {} s of settling; atode with \
         all its defaults (queue `default`, {DEFAULT_CONCURRENCY} workers, its fetch settings, \
         started by `atode::serve`) against River's client with River's defaults \
         (`QueueConfig::new({DEFAULT_CONCURRENCY})`, default `Client::builder`). PostgreSQL \
         transactions from `pg_stat_database` (each end off by up to ~1 s of activity; \
         pg_stat_statements is not used: it needs `shared_preload_libraries`); CPU from \
         /proc (schedstat): this process's threads (workers, pool, SQLite) and the bench \
         database's backends (alive at both ends). SQLite has no server to count \
         statements: only CPU.",
        settings.idle_seconds,
        SETTLE.as_secs(),
    );
    println!();
    let mut table = Table::new(&[
        "backend",
        "atode transactions/s:",
        "River transactions/s:",
        "atode/River:",
        "atode CPU ms/s:",
        "River CPU ms/s:",
        "atode/River CPU:",
        "database CPU ms/s (atode / River):",
    ]);
    let number = |value: Option<f64>| value.map_or("–".to_owned(), |v| format!("{v:.1}"));
    let ratio = |a: Option<f64>, r: Option<f64>| match (a, r) {
        (Some(a), Some(r)) if r > 0.0 => format!("{:.2}", a / r),
        _ => "–".to_owned(),
    };
    for (label, results) in all {
        let (a, r) = (&results.atode, &results.river);
        table.row(&[
            (*label).to_owned(),
            number(a.transactions),
            number(r.transactions),
            ratio(a.transactions, r.transactions),
            number(a.cpu_ms),
            number(r.cpu_ms),
            ratio(a.cpu_ms, r.cpu_ms),
            format!(
                "{} / {}",
                number(a.database_cpu_ms),
                number(r.database_cpu_ms)
            ),
        ]);
    }
    print!("{}", table.render());
}
