//! Graceful shutdown of a real process under load: the `graceful_shutdown`
//! example as a child process, a bounded burst of requests whose tasks take
//! 150 ms each, and SIGTERM sent while responses and tasks are in flight.
//! Every request that got a `200` must have its task's effect on disk (or,
//! with a deadline, be counted in the log as abandoned); requests after the
//! signal are refused, never answered `200` and dropped.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use atode::StatusCode;
use common::example::{Example, ScratchDir};
use common::{Http1, request, within};
use tokio::sync::Notify;

const WORKERS: usize = 4;
/// Each worker stops once the server has refused it this often, so the
/// burst always outlasts the server...
const REFUSALS_PER_WORKER: usize = 3;
/// ...or after this many requests, so a server that never stops cannot
/// keep the test going.
const MAX_PER_WORKER: usize = 250;
/// The id of the request sent before the burst.
const FIRST_ID: u32 = 10_000;
/// SIGTERM goes out once this many requests have been answered.
const SIGNAL_AFTER: usize = 30;

/// What happened to each request of the burst.
#[derive(Default)]
struct Outcomes {
    tried: usize,
    ok: Vec<u32>,
    refused: usize,
    other: Vec<String>,
}

/// Sends the burst from `WORKERS` concurrent clients, each request on a
/// connection of its own; `answered` counts the `200`s as they arrive.
async fn burst(addr: SocketAddr, answered: Arc<AtomicUsize>, enough: Arc<Notify>) -> Outcomes {
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..WORKERS {
        let (answered, enough) = (Arc::clone(&answered), Arc::clone(&enough));
        workers.spawn(async move {
            let mut outcomes = Outcomes::default();
            for n in 0..MAX_PER_WORKER {
                if outcomes.refused == REFUSALS_PER_WORKER {
                    break;
                }
                outcomes.tried += 1;
                let id = u32::try_from(worker * MAX_PER_WORKER + n).expect("small id");
                let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
                    outcomes.refused += 1;
                    continue;
                };
                let io = hyper_util::rt::TokioIo::new(stream);
                let Ok((mut sender, connection)) = hyper::client::conn::http1::handshake(io).await
                else {
                    outcomes.refused += 1;
                    continue;
                };
                tokio::spawn(connection);
                match sender
                    .send_request(request("POST", &format!("/jobs/{id}")))
                    .await
                {
                    Ok(response) if response.status() == 200 => {
                        let (_, _, body) = common::read_all(response).await;
                        assert_eq!(body, format!(r#"{{"accepted":{id}}}"#));
                        outcomes.ok.push(id);
                        if answered.fetch_add(1, Ordering::SeqCst) + 1 == SIGNAL_AFTER {
                            enough.notify_one();
                        }
                    }
                    Ok(response) => outcomes
                        .other
                        .push(format!("{id}: status {}", response.status())),
                    // The connection was accepted but closed unanswered: refused.
                    Err(_) => outcomes.refused += 1,
                }
            }
            outcomes
        });
    }
    let mut all = Outcomes::default();
    for outcomes in workers.join_all().await {
        all.tried += outcomes.tried;
        all.ok.extend(outcomes.ok);
        all.refused += outcomes.refused;
        all.other.extend(outcomes.other);
    }
    all
}

/// Starts the example, runs the burst, and sends SIGTERM mid-burst.
async fn burst_with_sigterm(
    dir: &ScratchDir,
    env: &[(&str, &str)],
) -> (Outcomes, common::example::Exit) {
    let example = Example::start_with("graceful_shutdown", dir, env).await;
    // A first request proves the server is up before the burst's clock starts.
    let (status, _, _) = Http1::connect(example.addr)
        .await
        .fetch(request("POST", &format!("/jobs/{FIRST_ID}")))
        .await;
    assert_eq!(status, 200);

    let answered = Arc::new(AtomicUsize::new(1));
    let enough = Arc::new(Notify::new());
    let load = tokio::spawn(burst(
        example.addr,
        Arc::clone(&answered),
        Arc::clone(&enough),
    ));
    within("enough answers to signal mid-burst", enough.notified()).await;
    let exit = example.terminate().await;
    let mut outcomes = within("the burst to end", load).await.expect("burst task");
    outcomes.ok.push(FIRST_ID);
    outcomes.tried += 1;
    (outcomes, exit)
}

fn effects(dir: &ScratchDir, ids: &[u32]) -> usize {
    ids.iter()
        .filter(|id| dir.path().join(format!("done-{id}")).exists())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_no_accepted_task() {
    let dir = ScratchDir::new("sigterm");
    let (outcomes, exit) = burst_with_sigterm(&dir, &[]).await;

    exit.assert_success();
    assert!(
        outcomes.other.is_empty(),
        "unexpected answers: {:?}",
        outcomes.other
    );
    assert!(outcomes.refused > 0, "the burst should outlast the server");
    let done = effects(&dir, &outcomes.ok);
    let lost = outcomes.ok.len() - done;
    println!(
        "sigterm: {} requests, {} answered 200, {} task effects, {} lost, {} refused after the signal",
        outcomes.tried,
        outcomes.ok.len(),
        done,
        lost,
        outcomes.refused
    );
    assert_eq!(lost, 0, "a request answered 200 lost its task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_deadline_what_is_abandoned_is_counted_in_the_log() {
    let dir = ScratchDir::new("sigterm-deadline");
    // Shorter than one task: whatever is still running at SIGTERM is abandoned.
    let (outcomes, exit) = burst_with_sigterm(&dir, &[("ATODE_SHUTDOWN_DEADLINE", "0.02")]).await;

    exit.assert_success();
    let done = effects(&dir, &outcomes.ok);
    let abandoned: usize = exit
        .stderr
        .lines()
        .find(|line| line.contains("background task(s) abandoned"))
        .and_then(|line| line.split("passed; ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no abandoned count in the log:\n{}", exit.stderr));
    println!(
        "sigterm with deadline: {} answered 200, {} task effects, {} abandoned (logged)",
        outcomes.ok.len(),
        done,
        abandoned
    );
    assert!(
        abandoned > 0,
        "a 20 ms deadline should cut 150 ms tasks short"
    );
    // Every accepted request either has its effect or is in the logged count.
    assert!(
        done + abandoned >= outcomes.ok.len(),
        "{done} effects + {abandoned} abandoned < {} accepted",
        outcomes.ok.len()
    );
}

/// Lifecycle scenario 3: with a deadline, the process exits once the
/// deadline has passed (and not before), although a regular `fn` task
/// blocks for an hour; the task queued after it never starts, and both are
/// counted as abandoned. The exit is the event waited on: `terminate` fails
/// the test if it has not come within `GUARD`, an hour short of the task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_bounds_exit_even_with_a_task_blocked_for_an_hour() {
    const DEADLINE: Duration = Duration::from_secs(1);
    let dir = ScratchDir::new("deadline-bounds-exit");
    let example = Example::start_with(
        "graceful_shutdown",
        &dir,
        &[("ATODE_SHUTDOWN_DEADLINE", "1")],
    )
    .await;
    let mut client = Http1::connect(example.addr).await;
    let (status, _, body) = client.fetch(request("POST", "/reports/3600")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "building the report")
    );
    drop(client);

    let signalled = Instant::now();
    let exit = example.terminate().await;
    let took = signalled.elapsed();
    exit.assert_success();
    // The deadline ended the wait: the log says so, with the count of the
    // running report and the task after it.
    assert!(
        exit.stderr
            .contains("shutdown deadline of 1s passed; 2 background task(s) abandoned"),
        "the log counts the running report and the task after it:\n{}",
        exit.stderr
    );
    assert!(
        took >= DEADLINE,
        "exited {took:?} after SIGTERM, before the {DEADLINE:?} deadline"
    );
    assert!(
        !dir.path().join("report-ready").exists(),
        "a task started after the deadline"
    );
}
