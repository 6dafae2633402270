//! FastAPI's second background-tasks tutorial ("dependency injection"), in
//! atode.
//!
//! A dependency reads the optional query parameter `q` and, when it is
//! given, queues a log line on the request's `BackgroundTasks`; the handler
//! gets the same list and queues its own line after it. Both append to
//! `log.txt` in the working directory, once the response has been written.
//!
//! ```sh
//! cargo run --example dependency_tasks &
//! curl -X POST 'http://127.0.0.1:8000/send-notification/foo@example.com?q=some-query'
//! # 200 {"message":"Message sent"}
//! cat log.txt
//! # found query: some-query
//! # message to foo@example.com
//! ```

use std::io::Write;

use atode::openapi::{Operation, OperationInput};
use atode::{
    App, BackgroundTasks, FromRequestParts, Json, Query, RequestParts, ValidationError, post,
    routes,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, JsonSchema)]
struct Message {
    message: &'static str,
}

fn write_log(message: String) -> std::io::Result<()> {
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("log.txt")?;
    log.write_all(message.as_bytes())
}

#[derive(Deserialize, JsonSchema)]
struct QueryParams {
    /// Logged in the background when given.
    q: Option<String>,
}

/// The dependency: the query `q`, logged in the background when given.
struct LoggedQuery(#[allow(dead_code)] Option<String>);

impl FromRequestParts for LoggedQuery {
    type Rejection = ValidationError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, ValidationError> {
        let Query(QueryParams { q }) = Query::from_request_parts(parts).await?;
        // As in FastAPI's `if q:`, an empty `q` logs nothing.
        if let Some(q) = q.as_deref().filter(|q| !q.is_empty()) {
            parts
                .background_tasks()
                .add_task(write_log, (format!("found query: {q}\n"),));
        }
        Ok(LoggedQuery(q))
    }
}

/// In the API documentation, the dependency is the query it reads.
impl OperationInput for LoggedQuery {
    fn operation_input(op: &mut Operation<'_>) {
        Query::<QueryParams>::operation_input(op);
    }
}

/// Send a message, logging the query first.
#[post("/send-notification/<email>")]
async fn send_notification(
    email: String,
    background_tasks: BackgroundTasks,
    _q: LoggedQuery,
) -> Json<Message> {
    background_tasks.add_task(write_log, (format!("message to {email}\n"),));
    Json(Message {
        message: "Message sent",
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    atode::run(App::new().routes(routes![send_notification])).await
}
