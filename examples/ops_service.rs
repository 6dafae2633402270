//! A small service with its operations side: sign-ups that queue a durable
//! welcome mail and an in-process audit line, and Prometheus metrics of
//! both, and of every request, behind an operator's token.
//!
//! `POST /signup/<email>` writes the call of `send_welcome` to the queue
//! before it answers, with the call's id, and logs an audit line after
//! the response. `GET /tasks/<id>` tells where the call is. `GET /metrics`
//! serves the metrics, and `/admin/tasks` the task dashboard (the calls,
//! their attempts, retry and cancel), to the operators: a client with
//! `Authorization: Bearer $OPS_TOKEN`, or a browser whose user gives
//! `$OPS_TOKEN` as the password it asks for (any user name); without
//! `OPS_TOKEN` set, to no one. The queue is `ops_service.sqlite3` in the
//! working directory, or the database `$ATODE_DATABASE_URL` names
//! (`postgres://...`); the mails go to `outbox.txt`.
//!
//! ```sh
//! OPS_TOKEN=s3cret cargo run -p atode-suite --example ops_service &
//! curl -X POST http://127.0.0.1:8000/signup/ada@example.com
//! # 200 {"task_id":"{task_id}"}
//! curl http://127.0.0.1:8000/metrics
//! # 401 {"detail":"Not authenticated"}
//! curl -H 'authorization: Bearer s3cret' http://127.0.0.1:8000/metrics
//! # eventually 200 …
//! # …
//! # atode_durable_attempts_total{task="send_welcome",outcome="completed"} 1
//! # …
//! curl -H 'authorization: Bearer s3cret' http://127.0.0.1:8000/admin/tasks/api/overview
//! # 200 {"in_process":{…},"durable":{"states":{…},"queues":{"default":{…}},…}}
//! ```
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set (and the other `OTEL_*`
//! variables as wanted), spans go to that OpenTelemetry collector over
//! OTLP/HTTP: a sign-up's request span, its audit task's span under it,
//! and the welcome mail's attempts, under it or linked to it, whichever
//! process runs them (`ops_service worker` runs only a worker). For a
//! collector on this machine: `OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
//! OTEL_SERVICE_NAME=ops cargo run -p atode-suite --example ops_service`.
//!
//! A Prometheus job for it:
//!
//! ```yaml
//! scrape_configs:
//!   - job_name: ops_service
//!     authorization: { credentials: s3cret }
//!     static_configs: [{ targets: ["127.0.0.1:8000"] }]
//! ```

use std::io::Write;

use atode::durable::{Durable, TaskId, TaskQueue, TaskStatus, task};
use atode::extract::{BasicAuth, BearerToken};
use atode::middleware::Next;
use atode::otel::Otel;
use atode::{App, BackgroundTasks, Body, HttpError, Json, Response, State, StatusCode, get, post};
use atode::{http::Request, routes};
use schemars::JsonSchema;
use serde::Serialize;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Sends the welcome mail (here: appends it to `outbox.txt`). Retried if
/// it fails, run again if its worker dies before recording it done.
#[task(max_attempts = 5)]
fn send_welcome(email: String) -> std::io::Result<()> {
    let mut outbox = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("outbox.txt")?;
    outbox.write_all(format!("welcome mail to {email}\n").as_bytes())
}

/// Logs who signed up, after the response; lost if the process dies first,
/// which an audit line may be (a mail may not).
fn audit(email: String) {
    tracing::info!(%email, "signed up");
}

#[derive(Serialize, JsonSchema)]
struct Queued {
    task_id: TaskId,
}

/// Sign up: the welcome mail's call is written before the answer.
#[post("/signup/<email>")]
async fn signup(email: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(send_welcome, (email.clone(),));
    tasks.add_task(audit, (email,));
    Json(Queued { task_id })
}

/// Where a task is: queued, running, retrying, completed, ...
#[get("/tasks/<id>")]
async fn task_status(id: TaskId, queue: TaskQueue) -> Result<Json<TaskStatus>, HttpError> {
    match queue.status(id).await {
        Ok(Some(status)) => Ok(Json(status)),
        Ok(None) => Err(HttpError::new(
            StatusCode::NOT_FOUND,
            format!("no task {id}"),
        )),
        Err(error) => {
            tracing::error!(%error, "reading task {id}");
            Err(HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the task queue cannot be read just now",
            ))
        }
    }
}

/// The operators' token, from `OPS_TOKEN`; `None` shuts the pages to all.
#[derive(Clone)]
struct OpsToken(Option<String>);

/// Lets a request through only with the operators' token: sent as a
/// bearer token (Prometheus, scripts), or as the password of HTTP Basic
/// authentication, which a browser asks its user for (any user name). A
/// request without it, or with another, gets `401` and the challenge
/// that makes a browser ask.
async fn operators_only(
    State(OpsToken(expected)): State<OpsToken>,
    bearer: Option<BearerToken>,
    basic: Option<BasicAuth>,
    request: Request<Body>,
    next: Next,
) -> Result<Response, HttpError> {
    const CHALLENGE: &str = r#"Basic realm="operations", charset="UTF-8""#;
    let given = match (bearer, basic) {
        (Some(BearerToken(token)), _) => token,
        (None, Some(basic)) => basic.password,
        (None, None) => return Err(HttpError::unauthorized(CHALLENGE, "Not authenticated")),
    };
    match expected {
        Some(expected) if same_secret(expected.as_bytes(), given.as_bytes()) => {
            Ok(next.run(request).await)
        }
        _ => Err(HttpError::unauthorized(
            CHALLENGE,
            "not an operator's token",
        )),
    }
}

/// Compares two secrets in a time that depends on their lengths only, so
/// that the time of a refusal does not tell how much of a guess was right.
fn same_secret(expected: &[u8], given: &[u8]) -> bool {
    expected.len() == given.len()
        && expected
            .iter()
            .zip(given)
            .fold(0, |differ, (a, b)| differ | (a ^ b))
            == 0
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Spans go to an OpenTelemetry collector when the standard variables
    // name one (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, ...):
    // a request, its tasks, and its durable calls' attempts, one trace.
    let otel = match std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT") {
        Some(_) => Some(Otel::from_env().map_err(std::io::Error::other)?),
        None => None,
    };
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(otel.as_ref().map(Otel::layer))
        .init();
    let served = serve_or_work().await;
    if let Some(otel) = otel {
        otel.shutdown().await;
    }
    served
}

/// Serves (and works the queue), or, with the argument `worker`, only
/// works it: as many worker processes as you like, on one database.
async fn serve_or_work() -> std::io::Result<()> {
    let queue = Durable::from_env("ops_service.sqlite3")
        // An address is personal: the dashboard shows it as "***".
        .redact("send_welcome", &["#0"])
        .connect()
        .await?;
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("worker") => return queue.run_worker().await,
        Some(other) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("unknown argument {other:?}: run with no argument to serve, or `worker`"),
            ));
        }
    }
    let token = std::env::var("OPS_TOKEN")
        .ok()
        .filter(|token| !token.is_empty());
    if token.is_none() {
        tracing::warn!("OPS_TOKEN is not set: /metrics refuses every request");
    }
    let app = App::new()
        .state(OpsToken(token))
        .durable(queue)
        .routes(routes![signup, task_status])
        .metrics_with("/metrics", |router| router.middleware(operators_only))
        // The task dashboard, behind the same guard: its pages, JSON API
        // and actions (retry, cancel, discard) are the operators' alone.
        .task_dashboard_with("/admin/tasks", |router| router.middleware(operators_only));
    atode::run(app).await
}
