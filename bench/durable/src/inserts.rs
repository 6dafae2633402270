//! Writing calls without HTTP: atode's `TaskQueue::add_task` against
//! River's `Client::insert`, one call per call, from the same number of
//! concurrent callers. `add_task` goes through atode's group commit (the
//! calls of callers waiting together share a transaction); River's insert
//! is a transaction of its own.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atode::durable::Durable;

use crate::backend::{Backend, BoxError, river_builder};
use crate::report::{Table, median, spread};
use crate::settings::Settings;
use crate::tasks::{RiverCount, picked_up};

#[derive(Debug, Default)]
pub struct InsertResults {
    pub atode: Vec<f64>,
    pub river: Vec<f64>,
    /// atode add_task / River insert, per round.
    pub ratios: Vec<f64>,
}

pub async fn run(backend: &Backend, settings: &Settings) -> Result<InsertResults, BoxError> {
    let url = backend.fresh("insert").await?;
    let queue = Durable::url(&url)
        .task(picked_up)
        .without_workers()
        .connect()
        .await?;
    let river = river_builder(&url).await?.build()?;
    let mut results = InsertResults::default();
    let next = Arc::new(AtomicU64::new(1 << 40));
    for round in 1..=settings.rounds {
        let atode_first = round % 2 == 1;
        let (mut atode_rate, mut river_rate) = (0.0, 0.0);
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
        results.atode.push(atode_rate);
        results.river.push(river_rate);
        results.ratios.push(atode_rate / river_rate);
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

pub fn print(settings: &Settings, all: &[(&str, &InsertResults)]) {
    println!();
    println!(
        "Writing calls without HTTP (different work from the above): {} concurrent callers, \
         one call each at a time, {} s per run. atode's `TaskQueue::add_task` (group commit: \
         waiting callers share a transaction) against River's `Client::insert` (a \
         transaction per call).",
        settings.connections, settings.seconds
    );
    println!();
    let mut table = Table::new(&[
        "backend",
        "atode add_task/s:",
        "River insert/s:",
        "atode/River:",
    ]);
    for (label, results) in all {
        table.row(&[
            (*label).to_owned(),
            format!("{:.0}", median(&results.atode)),
            format!("{:.0}", median(&results.river)),
            spread(&results.ratios),
        ]);
    }
    print!("{}", table.render());
}
