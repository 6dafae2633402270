//! Throws bounded hostile traffic at an atode server on loopback, for
//! `scripts/fault.sh`.
//!
//! `atode-fault ADDR` runs every category (see `attacks.rs`), prints one
//! line per category on stderr and the totals as `key=value` on stdout.
//! `atode-fault check ADDR` sends one normal request and exits 0 on a 200.
//! `atode-fault ws ADDR` and `atode-fault check ws ADDR` do the same with
//! WebSocket traffic (`ws.rs`), against the chat_ws example, a query of
//! thousands of distinct keys to its `/ws` and a 2 MiB form of hundreds
//! of thousands to its `/messages` (`urlencoded.rs`).
//! With `upload` before the address, the target is `examples/upload.rs`
//! and the categories are hostile multipart bodies (`multipart.rs`); its
//! normal request is an upload, answered `202`.

mod attacks;
mod h2;
mod multipart;
mod probe;
mod tally;
mod urlencoded;
mod ws;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::probe::{Attack, Outcome};
use crate::tally::Tally;

/// Connections open at once: enough to overlap slow attempts, few enough
/// not to turn the run into a load test.
const CONCURRENCY: usize = 16;

/// The whole run stops starting attacks past this.
const BUDGET: Duration = Duration::from_secs(90);

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check_only = take_word(&mut args, "check");
    let target = if take_word(&mut args, "ws") {
        // The example's `/ws` takes a `Query<Join>`, so the many-keys query
        // goes there; its `/messages` takes a `Form<Line>`, so the 2 MiB
        // form of many keys goes there.
        let mut categories = ws::categories();
        categories.extend(urlencoded::categories(
            ws::ROUTE,
            &ws::handshake_headers(),
            Some("/messages"),
        ));
        Target {
            categories,
            normal: ws::normal(),
            answered: 200,
        }
    } else if take_word(&mut args, "upload") {
        Target {
            categories: multipart::categories(),
            normal: multipart::normal(),
            answered: 202,
        }
    } else {
        Target {
            categories: attacks::categories(),
            normal: attacks::normal(),
            answered: 200,
        }
    };
    let [addr] = args.as_slice() else {
        return usage();
    };
    let Ok(addr) = addr.parse::<SocketAddr>() else {
        return usage();
    };
    if !addr.ip().is_loopback() {
        eprintln!("atode-fault: {addr} is not a loopback address; refusing to send");
        return ExitCode::from(2);
    }
    let normal = Outcome::Status(target.answered);
    if check_only {
        return match probe::run(addr, &target.normal).await {
            outcome if outcome == normal => ExitCode::SUCCESS,
            outcome => {
                eprintln!(
                    "atode-fault: a normal request got {outcome:?}, not a {}",
                    target.answered
                );
                ExitCode::FAILURE
            }
        };
    }

    let stop = Instant::now() + BUDGET;
    let mut total = Tally::default();
    for category in target.categories {
        let started = Instant::now();
        let tally = run_category(addr, category.attacks, stop).await;
        let took = started.elapsed();
        // Checked after each category, so a failure names its cause.
        let alive = probe::run(addr, &target.normal).await;
        let alive = if alive == normal {
            String::new()
        } else {
            format!("; then a normal request got {alive:?}")
        };
        eprintln!(
            "{:>20}: {:>4} tried in {took:.1?}: {tally}{alive}",
            category.name,
            tally.tried()
        );
        total.merge(&tally);
    }
    println!("{}", total.figures());
    ExitCode::SUCCESS
}

async fn run_category(addr: SocketAddr, attacks: Vec<Attack>, stop: Instant) -> Tally {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut running = JoinSet::new();
    for attack in attacks {
        if Instant::now() >= stop {
            break;
        }
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        running.spawn(async move {
            let outcome = probe::run(addr, &attack).await;
            drop(permit);
            outcome
        });
    }
    let mut tally = Tally::default();
    while let Some(outcome) = running.join_next().await {
        // A probe that panicked is a bug here, not in the server.
        tally.add(outcome.expect("a probe panicked"));
    }
    tally
}

/// What the traffic is aimed at: its categories, and its normal request
/// with the status that answers it.
struct Target {
    categories: Vec<attacks::Category>,
    normal: Attack,
    answered: u16,
}

/// Removes `word` from `args` if it is there.
fn take_word(args: &mut Vec<String>, word: &str) -> bool {
    let before = args.len();
    args.retain(|arg| arg != word);
    args.len() != before
}

fn usage() -> ExitCode {
    eprintln!("usage: atode-fault [check] [ws | upload] 127.0.0.1:PORT");
    ExitCode::from(2)
}
