//! From the response to `completed`: the load of the latency run, each
//! request queuing one trivial call and answering its id; the client then
//! reads the call's state until it is `completed`, and the wait is from
//! reading the response to reading `completed`. atode's reads are
//! `TaskQueue::status`; River's peer reads `Client::jobs().get` of the job
//! id its route answers. In-process reads, no HTTP.
//!
//! A call cannot be `completed` before its body ran, so each reader first
//! waits for the body (`tasks::FINISHED`), then reads every `POLL`: the
//! wait then counts the body's own pickup, and the database is not loaded
//! with reads that cannot succeed.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use atode::durable::{Durable, TaskId, TaskQueue, TaskState};
use atode::{App, BackgroundTasks, State, post, routes};
use bytes::Bytes;
use http::StatusCode;
use riverqueue::{Client, JobState, Workers};
use tokio::sync::mpsc;

use crate::backend::{Backend, BoxError};
use crate::settings::{Fetch, Settings};
use crate::tasks::{FINISHED, PROGRESS, RiverFinished, finished, river_finished};
use crate::waits::{Comparison, Waits};
use crate::{paced, river, server};

/// Between two reads of one call's state, once its body ran.
const POLL: Duration = Duration::from_millis(1);
/// A call not `completed` this long after its response counts as an error.
const GUARD: Duration = Duration::from_secs(30);

#[post("/completed/<i>")]
async fn atode_call(i: u64, tasks: BackgroundTasks) -> String {
    tasks.add_task(finished, (i,)).to_string()
}

#[post("/river/completed/<i>")]
async fn river_call(i: u64, State(river): State<Client>) -> Result<String, StatusCode> {
    match river.insert(RiverFinished { i }).await {
        Ok(inserted) => Ok(inserted.job.row.id.to_string()),
        Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE),
    }
}

pub async fn run(backend: &Backend, settings: &Settings) -> Result<Comparison, BoxError> {
    let mut comparison = Comparison::default();
    for round in 1..=settings.rounds {
        let atode_first = round % 2 == 1;
        let (mut atode_waits, mut river_waits) = (Waits::default(), Waits::default());
        for atode_turn in [atode_first, !atode_first] {
            if atode_turn {
                atode_waits = atode(backend, settings).await?;
            } else {
                river_waits = river(backend, settings).await?;
            }
        }
        comparison.push(atode_waits, river_waits);
        eprintln!(
            "  {} completed round {round}: atode p50/p99 ratio to River {:.2} / {:.2}",
            backend.label(),
            comparison.p50_ratios.last().copied().unwrap_or_default(),
            comparison.p99_ratios.last().copied().unwrap_or_default(),
        );
    }
    Ok(comparison)
}

async fn atode(backend: &Backend, settings: &Settings) -> Result<Waits, BoxError> {
    let url = backend.fresh("completed-atode").await?;
    let durable = Durable::url(&url).task(finished);
    let queue = settings.concurrency.durable(durable).connect().await?;
    reset();
    let app = App::new()
        .durable(queue.clone())
        .routes(routes![atode_call]);
    let server = server::start(app).await?;
    let waits = measure(server.addr, "/completed/", settings, move |body| {
        let queue = queue.clone();
        async move { atode_completed(&queue, &body).await }
    })
    .await;
    server.stop().await?;
    waits
}

async fn atode_completed(queue: &TaskQueue, body: &[u8]) -> Result<bool, BoxError> {
    let id: TaskId = std::str::from_utf8(body)?.parse()?;
    let status = queue.status(id).await?;
    Ok(status.is_some_and(|status| status.state == TaskState::Completed))
}

async fn river(backend: &Backend, settings: &Settings) -> Result<Waits, BoxError> {
    let url = backend.fresh("completed-river").await?;
    let mut workers = Workers::new();
    workers.add_fn(river_finished)?;
    let client = river::with_workers(&url, settings, Fetch::Default, workers).await?;
    reset();
    let mut run = client.start()?;
    let app = App::new().state(client.clone()).routes(routes![river_call]);
    let server = server::start(app).await?;
    let waits = measure(server.addr, "/river/completed/", settings, move |body| {
        let client = client.clone();
        async move {
            let id: i64 = std::str::from_utf8(&body)?.parse()?;
            let row = client.jobs().get(id).await?;
            Ok(row.state == JobState::Completed)
        }
    })
    .await;
    server.stop().await?;
    run.stop().await?;
    waits
}

fn reset() {
    PROGRESS.reset();
    FINISHED.reset();
}

/// The fixed-rate load on `prefix`; for each answer, a reader that waits
/// for the call's body, then asks `completed` with the answer's body until
/// it says yes.
async fn measure<F, Fut>(
    addr: SocketAddr,
    prefix: &'static str,
    settings: &Settings,
    completed: F,
) -> Result<Waits, BoxError>
where
    F: Fn(Bytes) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<bool, BoxError>> + Send,
{
    let (sender, mut receiver) = mpsc::unbounded_channel::<paced::Answer>();
    // Readers start as answers arrive, while the load still runs.
    let readers = tokio::spawn(async move {
        let mut readers = tokio::task::JoinSet::new();
        while let Some(answer) = receiver.recv().await {
            let completed = completed.clone();
            readers.spawn(async move {
                let read = tokio::time::timeout(GUARD, async {
                    FINISHED.wait(answer.i).await;
                    while !completed(answer.body.clone()).await? {
                        tokio::time::sleep(POLL).await;
                    }
                    Ok::<Instant, BoxError>(Instant::now())
                })
                .await;
                (answer, read)
            });
        }
        let mut waits = Waits::default();
        while let Some(joined) = readers.join_next().await {
            let (answer, read) = joined?;
            match read {
                Ok(Ok(at)) if answer.counted => waits
                    .us
                    .push(at.duration_since(answer.at).as_micros() as u64),
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    eprintln!("  reading call {}: {error}", answer.i);
                    waits.errors += 1;
                }
                Err(_) => {
                    eprintln!("  call {} not completed within {GUARD:?}", answer.i);
                    waits.errors += 1;
                }
            }
        }
        Ok::<Waits, BoxError>(waits)
    });
    let errors = paced::run(
        addr,
        prefix,
        settings.rate,
        settings.latency_seconds,
        sender,
    )
    .await?;
    let mut waits = readers.await??;
    waits.errors += errors;
    Ok(waits)
}

pub fn print(settings: &Settings, rows: &[(&str, String, &Comparison)]) {
    println!();
    println!(
        "Enqueue to `completed`: the load of the latency run ({} requests/s, {} s, workers \
         running ({}), default fetch), each request queuing one call of a task that does \
         nothing and answering its id; from the client reading the response to its first \
         read of `completed` (atode: `TaskQueue::status`; River: `Client::jobs().get`; \
         in-process, every {POLL:?} once the body ran). Target (atode): p50 <= 20 ms.",
        settings.rate,
        settings.latency_seconds,
        settings.concurrency.label(),
    );
    println!();
    crate::waits::print(rows);
}
