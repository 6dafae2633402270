//! From the response to the task: requests at a fixed rate, each queuing
//! one call, with the workers running in this process. The client notes
//! when it read each response and the task when it started; the difference
//! is how long a written call waits for a worker. atode's route queues it
//! on `BackgroundTasks`; River's peer route awaits `Client::insert`; both
//! answer once the call is committed, with the same queue settings.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use atode::durable::Durable;
use atode::{App, BackgroundTasks, State, post, routes};
use http::StatusCode;
use riverqueue::{Client, Workers};
use tokio::sync::mpsc;

use crate::backend::{Backend, BoxError};
use crate::settings::{Fetch, Settings};
use crate::tasks::{PROGRESS, RiverPickedUp, STARTED, picked_up, river_picked_up};
use crate::waits::{Comparison, Waits};
use crate::{paced, river, server};

#[post("/pickup/<i>")]
async fn atode_pickup(i: u64, tasks: BackgroundTasks) -> &'static str {
    let _id = tasks.add_task(picked_up, (i,));
    "queued"
}

#[post("/river/pickup/<i>")]
async fn river_pickup(i: u64, State(river): State<Client>) -> Result<&'static str, StatusCode> {
    match river.insert(RiverPickedUp { i }).await {
        Ok(_) => Ok("queued"),
        Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE),
    }
}

pub async fn run(
    backend: &Backend,
    settings: &Settings,
    fetch: Fetch,
) -> Result<Comparison, BoxError> {
    let mut comparison = Comparison::default();
    for round in 1..=settings.rounds {
        let atode_first = round % 2 == 1;
        let (mut atode_waits, mut river_waits) = (Waits::default(), Waits::default());
        for atode_turn in [atode_first, !atode_first] {
            if atode_turn {
                atode_waits = atode(backend, settings, fetch).await?;
            } else {
                river_waits = river(backend, settings, fetch).await?;
            }
        }
        comparison.push(atode_waits, river_waits);
        eprintln!(
            "  {} latency round {round} ({}): atode p50/p99 ratio to River {:.2} / {:.2}",
            backend.label(),
            fetch.label(),
            comparison.p50_ratios.last().copied().unwrap_or_default(),
            comparison.p99_ratios.last().copied().unwrap_or_default(),
        );
    }
    Ok(comparison)
}

async fn atode(backend: &Backend, settings: &Settings, fetch: Fetch) -> Result<Waits, BoxError> {
    let url = backend.fresh("latency-atode").await?;
    let durable = Durable::url(&url).task(picked_up);
    let queue = fetch
        .durable(settings.concurrency.durable(durable))
        .connect()
        .await?;
    reset();
    let server = server::start(App::new().durable(queue).routes(routes![atode_pickup])).await?;
    let waits = measure(server.addr, "/pickup/", settings).await;
    server.stop().await?;
    waits
}

async fn river(backend: &Backend, settings: &Settings, fetch: Fetch) -> Result<Waits, BoxError> {
    let url = backend.fresh("latency-river").await?;
    let mut workers = Workers::new();
    workers.add_fn(river_picked_up)?;
    let client = river::with_workers(&url, settings, fetch, workers).await?;
    reset();
    let mut run = client.start()?;
    let server = server::start(App::new().state(client).routes(routes![river_pickup])).await?;
    let waits = measure(server.addr, "/river/pickup/", settings).await;
    server.stop().await?;
    run.stop().await?;
    waits
}

fn reset() {
    PROGRESS.reset();
    *STARTED.lock().unwrap_or_else(|e| e.into_inner()) = Some(HashMap::new());
}

/// The fixed-rate load on `prefix`, then each counted call's wait from
/// its response to its start.
async fn measure(
    addr: SocketAddr,
    prefix: &'static str,
    settings: &Settings,
) -> Result<Waits, BoxError> {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let errors = paced::run(
        addr,
        prefix,
        settings.rate,
        settings.latency_seconds,
        sender,
    )
    .await?;
    let mut answers = Vec::new();
    while let Some(answer) = receiver.recv().await {
        answers.push(answer);
    }
    let answered = answers.len() as u64;
    if let Err(done) = PROGRESS.wait_for(answered, Duration::from_secs(30)).await {
        return Err(format!("{done} of {answered} tasks started within 30 s").into());
    }
    let started = STARTED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    let mut waits = Waits {
        errors,
        ..Waits::default()
    };
    for answer in answers.iter().filter(|answer| answer.counted) {
        let Some(start) = started.get(&answer.i) else {
            return Err(format!("call {} was answered but never started", answer.i).into());
        };
        match start.checked_duration_since(answer.at) {
            Some(wait) => waits.us.push(wait.as_micros() as u64),
            None => {
                waits.early += 1;
                waits.us.push(0);
            }
        }
    }
    Ok(waits)
}

pub fn print(settings: &Settings, rows: &[(&str, String, &Comparison)]) {
    println!();
    println!(
        "Pickup latency: `POST /pickup/<i>` at {} requests/s for {} s (after 1 s not counted), \
         workers running ({}); from the client reading the response to the task starting. \
         River's peer: a route of the same server that awaits `Client::insert`, River's \
         workers with the same settings. Rounds: {} of each, alternating; percentiles over all \
         rounds, ratios per round. Targets (atode, default fetch): p50 <= 5 ms, p99 <= 25 ms.",
        settings.rate,
        settings.latency_seconds,
        settings.concurrency.label(),
        settings.rounds,
    );
    println!();
    crate::waits::print(rows);
}
