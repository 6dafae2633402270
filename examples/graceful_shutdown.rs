//! Graceful shutdown drains background work: each job's task takes a while,
//! and Ctrl-C or SIGTERM lets every accepted job finish before the process
//! exits. Set `ATODE_SHUTDOWN_DEADLINE` (seconds) to bound the wait: the
//! process then exits by the deadline whatever its tasks do, and the log
//! says how many were abandoned. A report (a regular `fn` that blocks for
//! as many seconds as asked) shows it: nothing after it starts once the
//! deadline has passed.
//!
//! ```sh
//! cargo run --example graceful_shutdown &
//! curl -X POST http://127.0.0.1:8000/jobs/1
//! # 200 {"accepted":1}
//! kill %1
//! ls done-1   # written after the response, before the process exited
//! # done-1
//!
//! ATODE_SHUTDOWN_DEADLINE=1 cargo run --example graceful_shutdown &
//! curl -X POST http://127.0.0.1:8000/reports/3600
//! # 200 building the report
//! kill %1   # exits a second later, saying what it abandoned:
//! # …shutdown deadline of 1s passed; 2 background task(s) abandoned…
//! ```

use std::time::Duration;

use atode::{App, BackgroundTasks, Json, post, routes};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Serialize, JsonSchema)]
struct Accepted {
    accepted: u32,
}

/// The slow part: 150 ms of work, then a file that proves it was done.
async fn process(id: u32) -> std::io::Result<()> {
    tokio::time::sleep(Duration::from_millis(150)).await;
    tokio::fs::write(format!("done-{id}"), b"done").await
}

/// A slow report, built by blocking code (a regular `fn`, so it runs on
/// the app's task threads, never on the async workers).
fn build_report(seconds: u64) {
    std::thread::sleep(Duration::from_secs(seconds));
}

/// Runs after the report: proof that it was finished.
fn report_ready() -> std::io::Result<()> {
    std::fs::write("report-ready", b"ready")
}

/// Build a report that takes `seconds` of blocking work, after the response.
#[post("/reports/<seconds>")]
async fn report(seconds: u64, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(build_report, (seconds,));
    tasks.add_task(report_ready, ());
    "building the report"
}

/// Submit a job, processed after the response.
#[post("/jobs/<id>")]
async fn submit(id: u32, tasks: BackgroundTasks) -> Json<Accepted> {
    tasks.add_task(process, (id,));
    Json(Accepted { accepted: id })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    atode::run(App::new().routes(routes![submit, report])).await
}
