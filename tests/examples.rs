//! The examples, run as a user runs them: each compiled example as a child
//! process in a scratch directory, asked over a real socket, then stopped
//! with SIGTERM. The graceful shutdown drains the background tasks before
//! the process exits, so the exit is the event that says they have run.

mod common;

use common::example::{Example, ScratchDir};
use common::{Http1, request};

#[tokio::test]
async fn send_notification_answers_and_writes_the_log_after_the_response() {
    let dir = ScratchDir::new("send-notification");
    let example = Example::start("send_notification", &dir).await;

    let (status, headers, body) = Http1::connect(example.addr)
        .await
        .fetch(request("POST", "/send-notification/foo@example.com"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
    assert_eq!(body, r#"{"message":"Notification sent in the background"}"#);

    let exit = example.terminate().await;
    exit.assert_success();
    assert_eq!(
        dir.read("log.txt"),
        "notification for foo@example.com: some notification"
    );
}

#[tokio::test]
async fn dependency_tasks_logs_the_dependencys_line_then_the_handlers() {
    let dir = ScratchDir::new("dependency-tasks");
    let example = Example::start("dependency_tasks", &dir).await;

    let mut client = Http1::connect(example.addr).await;
    let (status, _, body) = client
        .fetch(request(
            "POST",
            "/send-notification/foo@example.com?q=some-query",
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"message":"Message sent"}"#);

    let exit = example.terminate().await;
    exit.assert_success();
    assert_eq!(
        dir.read("log.txt"),
        "found query: some-query\nmessage to foo@example.com\n"
    );
}

#[tokio::test]
async fn dependency_tasks_without_a_query_logs_only_the_handlers_line() {
    let dir = ScratchDir::new("dependency-tasks-no-query");
    let example = Example::start("dependency_tasks", &dir).await;

    let (status, _, _) = Http1::connect(example.addr)
        .await
        .fetch(request("POST", "/send-notification/bar@example.com"))
        .await;
    assert_eq!(status, 200);

    let exit = example.terminate().await;
    exit.assert_success();
    assert_eq!(dir.read("log.txt"), "message to bar@example.com\n");
}
