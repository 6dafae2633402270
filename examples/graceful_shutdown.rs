//! Graceful shutdown drains background work: each job's task takes a while,
//! and Ctrl-C or SIGTERM lets every accepted job finish before the process
//! exits. Set `ATODE_SHUTDOWN_DEADLINE` (seconds) to bound the wait; what is
//! still running then is abandoned, and the log says how many.
//!
//! ```sh
//! cargo run --example graceful_shutdown &
//! curl -X POST http://127.0.0.1:8000/jobs/1; kill %1
//! ls done-1   # written after the response, before the process exited
//! ```

use std::time::Duration;

use atode::{App, BackgroundTasks, Json, post, routes};
use serde::Serialize;

#[derive(Serialize)]
struct Accepted {
    accepted: u32,
}

/// The slow part: 150 ms of work, then a file that proves it was done.
async fn process(id: u32) -> std::io::Result<()> {
    tokio::time::sleep(Duration::from_millis(150)).await;
    tokio::fs::write(format!("done-{id}"), b"done").await
}

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
    atode::run(App::new().routes(routes![submit])).await
}
