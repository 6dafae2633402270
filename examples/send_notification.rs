//! FastAPI's first background-tasks tutorial, in atode.
//!
//! `POST /send-notification/<email>` answers at once; after the response has
//! been written, a regular `fn` writes the notification to `log.txt` in the
//! working directory.
//!
//! ```sh
//! cargo run --example send_notification &
//! curl -X POST http://127.0.0.1:8000/send-notification/foo@example.com
//! # 200 {"message":"Notification sent in the background"}
//! cat log.txt
//! # notification for foo@example.com: some notification
//! ```
//!
//! Each `curl` is followed by the status and body it prints:
//! `tests/documented_commands.rs` runs every example's commands and
//! compares.
//!
//! Its API is documented at `/openapi.json`, and browsable at `/docs`.

use atode::{App, BackgroundTasks, Json, post, routes};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Serialize, JsonSchema)]
struct Message {
    message: &'static str,
}

/// A regular `fn`: atode runs it on the blocking pool, after the response.
fn write_notification(email: String, message: &'static str) -> std::io::Result<()> {
    std::fs::write("log.txt", format!("notification for {email}: {message}"))
}

/// Send a notification.
///
/// Answers at once; the notification is written to `log.txt` after the
/// response.
#[post("/send-notification/<email>")]
async fn send_notification(email: String, background_tasks: BackgroundTasks) -> Json<Message> {
    background_tasks.add_task(write_notification, (email, "some notification"));
    Json(Message {
        message: "Notification sent in the background",
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Task failures are logged through `tracing`; this prints them.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    atode::run(App::new().routes(routes![send_notification])).await
}
