//! The seed's endpoint with a durable task: the notification survives a
//! crash, a deploy or an OOM kill, and any worker process can write it.
//!
//! `POST /send-notification/<email>` writes the call of `write_notification`
//! to the queue before it answers, with the call's id; a worker appends the
//! line to `log.txt` in the working directory. `GET /tasks/<id>` tells
//! where the call is; `POST /tasks/<id>/cancel` cancels it (`409` once it
//! has completed or been discarded). The queue is `durable_notification.sqlite3` in the
//! working directory, or the database `$ATODE_DATABASE_URL` names
//! (`postgres://...`).
//!
//! ```sh
//! cargo run -p atode-suite --example durable_notification &            # serves, and works the queue
//! cargo run -p atode-suite --example durable_notification -- worker &  # a worker only, as many as you like
//! curl -X POST http://127.0.0.1:8000/send-notification/foo@example.com
//! # 200 {"message":"Notification sent in the background","task_id":"{task_id}"}
//! cat log.txt
//! # notification for foo@example.com: some notification
//! curl http://127.0.0.1:8000/tasks/{task_id}
//! # eventually 200 {"id":"{task_id}","task":"write_notification","state":"completed",…}
//! curl -X POST http://127.0.0.1:8000/tasks/{task_id}/cancel
//! # 409 {"detail":"task {task_id} is completed: too late to cancel"}
//! ```

use std::io::Write;

use atode::durable::{Cancellation, Durable, TaskId, TaskQueue, TaskStatus, task};
use atode::{App, BackgroundTasks, Json, StatusCode, get, post, routes};
use schemars::JsonSchema;
use serde::Serialize;

/// Appends the notification to `log.txt`. A regular `fn`: it runs on a
/// blocking thread of a worker, after the response. Its call is retried
/// if it fails, and run again if its worker dies before recording it done,
/// so a line may (rarely) appear twice, never zero times.
#[task(max_attempts = 10)]
fn write_notification(email: String, message: String) -> std::io::Result<()> {
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("log.txt")?;
    // One `write` of the whole line on an append-only file: lines from
    // concurrent workers never interleave.
    log.write_all(format!("notification for {email}: {message}\n").as_bytes())
}

#[derive(Serialize, JsonSchema)]
struct Sent {
    message: &'static str,
    task_id: TaskId,
}

/// Send a notification.
///
/// The call is written to the task queue before the response: the answer's
/// `task_id` is the call's, to follow at `/tasks/{id}`.
#[post("/send-notification/<email>")]
async fn send_notification(email: String, background_tasks: BackgroundTasks) -> Json<Sent> {
    let task_id =
        background_tasks.add_task(write_notification, (email, "some notification".to_owned()));
    Json(Sent {
        message: "Notification sent in the background",
        task_id,
    })
}

#[derive(Serialize, JsonSchema)]
struct Detail {
    detail: String,
}

/// Where a task is: queued, running, retrying, completed, ...
#[get("/tasks/<id>")]
async fn task_status(
    id: TaskId,
    queue: TaskQueue,
) -> Result<Json<TaskStatus>, (StatusCode, Json<Detail>)> {
    match queue.status(id).await {
        Ok(Some(status)) => Ok(Json(status)),
        Ok(None) => Err((
            StatusCode::NOT_FOUND,
            Json(Detail {
                detail: not_found(id),
            }),
        )),
        Err(error) => {
            tracing::error!(%error, "reading task {id}");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Detail {
                    detail: "the task queue cannot be read just now".to_owned(),
                }),
            ))
        }
    }
}

/// Cancel a task: a queued one never runs; a running one is stopped (a
/// regular `fn` runs on to its end, its result ignored). Answers the task's
/// status; `409` if it had already completed or been discarded.
#[post("/tasks/<id>/cancel")]
async fn cancel_task(
    id: TaskId,
    queue: TaskQueue,
) -> Result<Json<TaskStatus>, (StatusCode, Json<Detail>)> {
    let refused = |status, detail| Err((status, Json(Detail { detail })));
    match queue.cancel(id).await {
        Ok(Cancellation::Cancelled(status)) => Ok(Json(status)),
        Ok(Cancellation::Finished(status)) => refused(
            StatusCode::CONFLICT,
            format!("task {id} is {}: too late to cancel", status.state),
        ),
        Ok(Cancellation::Unknown) => refused(StatusCode::NOT_FOUND, not_found(id)),
        Err(error) => {
            tracing::error!(%error, "cancelling task {id}");
            refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "the task queue cannot be written just now".to_owned(),
            )
        }
    }
}

fn not_found(id: TaskId) -> String {
    format!("no task {id}: never queued here, or cleaned up")
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    // Every `#[task]` of the program is registered with the queue.
    let queue = Durable::from_env("durable_notification.sqlite3")
        .connect()
        .await?;
    match std::env::args().nth(1).as_deref() {
        Some("worker") => queue.run_worker().await,
        Some(other) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("unknown argument {other:?}: run with no argument to serve, or `worker`"),
        )),
        None => atode::run(app(queue)).await,
    }
}

fn app(queue: TaskQueue) -> App {
    App::new()
        .durable(queue)
        .routes(routes![send_notification, task_status, cancel_task])
}

/// A test needs no worker: `TestClient::durable()` lists what a request
/// queued, runs it on demand, and moves the queue's clock past a retry.
#[cfg(test)]
mod tests {
    use std::time::Duration;

    use atode::durable::TaskState;
    use atode::testing::TestClient;
    use serde_json::Value;

    use super::*;

    #[tokio::test]
    async fn a_notification_is_queued_then_written_and_a_failure_retried() {
        // The task appends to `log.txt` in the working directory: a
        // scratch one (the only test of this binary changes it).
        let dir = std::env::temp_dir().join(format!("durable-notification-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::env::set_current_dir(&dir).unwrap();
        // A retry a minute after a failure: it cannot come due while the
        // test runs, only when the test moves the clock.
        let queue = Durable::sqlite(dir.join("tasks.sqlite3"))
            .retry_backoff(Duration::from_secs(60), Duration::from_secs(60))
            .without_workers()
            .connect()
            .await
            .unwrap();
        let client = TestClient::new(app(queue));

        let sent: Value = client
            .post("/send-notification/foo@example.com")
            .await
            .json();
        let tasks = client.durable();
        let queued = tasks.queued().await;
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].task, "write_notification");
        let (email, message): (String, String) = queued[0].args();
        assert_eq!(
            (email.as_str(), message.as_str()),
            ("foo@example.com", "some notification")
        );
        assert!(!dir.join("log.txt").exists(), "queued, not run");

        // A directory where the log should be: the attempt fails, and its
        // error is the call's.
        std::fs::create_dir(dir.join("log.txt")).unwrap();
        let ran = tasks.run_pending().await;
        assert!(ran[0].error.is_some());
        assert_eq!(ran[0].status.state, TaskState::Retrying);
        std::fs::remove_dir(dir.join("log.txt")).unwrap();
        assert!(
            tasks.run_pending().await.is_empty(),
            "the retry waits for its minute"
        );
        tasks.advance(Duration::from_secs(60)).await;
        let ran = tasks.run_pending().await;
        assert!(ran[0].is_ok());
        assert_eq!(
            std::fs::read_to_string(dir.join("log.txt")).unwrap(),
            "notification for foo@example.com: some notification\n"
        );
        let status: Value = client
            .get(&format!("/tasks/{}", sent["task_id"].as_str().unwrap()))
            .await
            .json();
        assert_eq!(
            (status["state"].as_str(), status["attempt"].as_u64()),
            (Some("completed"), Some(2))
        );
    }
}
