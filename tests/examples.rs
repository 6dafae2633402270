//! The examples, run as a user runs them: each compiled example as a child
//! process in a scratch directory, asked over a real socket, then stopped
//! with SIGTERM. The graceful shutdown drains the background tasks before
//! the process exits, so the exit is the event that says they have run.

mod common;
#[macro_use]
mod durable_support;

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

/// The id in a `durable_notification` response.
fn task_id(body: &str) -> String {
    let body: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(body["message"], "Notification sent in the background");
    body["task_id"].as_str().expect("a task_id").to_owned()
}

/// Asks `GET /tasks/<id>` until the call is completed. The call runs in the
/// example's worker: its state, read over HTTP, is the event to wait on.
async fn until_completed(addr: std::net::SocketAddr, id: &str) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, _, body) = Http1::connect(addr)
            .await
            .fetch(request("GET", &format!("/tasks/{id}")))
            .await;
        assert_eq!(status, 200, "{body}");
        let state: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        if state["state"] == "completed" {
            return state;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "task {id} not completed: {state}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn durable_notification_answers_with_the_id_and_the_worker_writes_the_log() {
    let dir = ScratchDir::new("durable-notification");
    let example = Example::start("durable_notification", &dir).await;
    let mut client = Http1::connect(example.addr).await;
    let (status, _, body) = client
        .fetch(request("POST", "/send-notification/foo@example.com"))
        .await;
    assert_eq!(status, 200, "{body}");
    let id = task_id(&body);

    let state = until_completed(example.addr, &id).await;
    assert_eq!(state["task"], "write_notification");
    assert_eq!(state["attempt"], 1);
    assert_eq!(
        dir.read("log.txt"),
        "notification for foo@example.com: some notification\n"
    );
    let (status, _, body) = client
        .fetch(request(
            "GET",
            "/tasks/00000000-0000-4000-8000-000000000000",
        ))
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _, body) = client.fetch(request("GET", "/tasks/not-an-id")).await;
    assert_eq!(status, 422, "{body}");
    example.terminate().await.assert_success();
}

#[tokio::test]
async fn ops_service_counts_a_signup_and_shows_its_metrics_to_operators_only() {
    let dir = ScratchDir::new("ops-service");
    let example = Example::start_with("ops_service", &dir, &[("OPS_TOKEN", "s3cret")]).await;
    let mut client = Http1::connect(example.addr).await;
    let (status, _, body) = client
        .fetch(request("POST", "/signup/ada@example.com"))
        .await;
    assert_eq!(status, 200, "{body}");
    let id: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let state = until_completed(example.addr, id["task_id"].as_str().expect("an id")).await;
    assert_eq!(state["task"], "send_welcome");
    assert_eq!(dir.read("outbox.txt"), "welcome mail to ada@example.com\n");

    let with = |authorization: &str| {
        let mut scrape = request("GET", "/metrics");
        scrape.headers_mut().insert(
            http::header::AUTHORIZATION,
            authorization.parse().expect("a header value"),
        );
        scrape
    };
    // Without the token, or with another: the challenge a browser answers
    // by asking its user for a password.
    let (status, headers, _) = client.fetch(request("GET", "/metrics")).await;
    assert_eq!(status, 401);
    let challenge = r#"Basic realm="operations", charset="UTF-8""#;
    assert_eq!(headers[http::header::WWW_AUTHENTICATE], challenge);
    let (status, headers, _) = client.fetch(with("Bearer s3crex")).await;
    assert_eq!(status, 401);
    assert_eq!(headers[http::header::WWW_AUTHENTICATE], challenge);
    // The token as a browser sends it, the password of any user
    // ("ops:s3cret").
    let (status, _, _) = client.fetch(with("Basic b3BzOnMzY3JldA==")).await;
    assert_eq!(status, 200);

    let (status, _, page) = client.fetch(with("Bearer s3cret")).await;
    assert_eq!(status, 200, "{page}");
    for sample in [
        r#"http_server_request_duration_seconds_count{method="POST",route="/signup/{email}",status="200"} 1"#,
        r#"http_server_request_duration_seconds_count{method="GET",route="/metrics",status="401"} 2"#,
        r#"http_server_request_duration_seconds_count{method="GET",route="/metrics",status="200"} 1"#,
        r#"atode_background_tasks_total{task="ops_service::audit",handler="signup",outcome="completed"} 1"#,
        "atode_durable_calls_written_total 1",
    ] {
        assert!(
            page.lines().any(|line| line == sample),
            "no `{sample}` in\n{page}"
        );
    }
    example.terminate().await.assert_success();
}

/// `ops_service worker`, a process of its own, runs a call queued here in a
/// span an OpenTelemetry layer records: the attempt's span, which the
/// worker exports over OTLP to a collector as its environment says, is
/// that span's child, found through the `traceparent` the call stored.
#[tokio::test]
async fn ops_service_workers_attempt_is_the_child_of_the_span_that_queued_it() {
    use atode::otel::Otel;
    use opentelemetry::trace::TraceContextExt;
    use tracing::Instrument;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    use tracing_subscriber::layer::SubscriberExt;

    let mut collector = common::collector::Collector::start().await;
    let dir = ScratchDir::new("ops-service-trace");
    let url = format!(
        "sqlite://{}",
        dir.path().join("ops_service.sqlite3").display()
    );
    let queue = atode::durable::Durable::url(url)
        .without_workers()
        .connect()
        .await
        .expect("open the example's queue");
    let otel = Otel::with_provider(opentelemetry_sdk::trace::SdkTracerProvider::builder().build());
    let queued_in = {
        let _default =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(otel.layer()));
        let checkout = tracing::info_span!("checkout");
        let queued_in = checkout.context().span().span_context().clone();
        queue
            .add_task(send_welcome, ("ada@example.com".to_owned(),))
            .instrument(checkout)
            .await
            .expect("queue the call");
        queued_in
    };
    assert!(queued_in.is_valid());

    let endpoint = collector.endpoint();
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_SERVICE_NAME", "ops-worker"),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ];
    let worker = Example::spawn_with_args("ops_service", &dir, &env, &["worker"]);
    let attempt = collector
        .span("the attempt's span", |span| span.name == "durable_task")
        .await;
    assert_eq!(attempt.trace_id, queued_in.trace_id().to_bytes());
    assert_eq!(attempt.parent_span_id, queued_in.span_id().to_bytes());
    worker.terminate().await.assert_success();
    assert_eq!(dir.read("outbox.txt"), "welcome mail to ada@example.com\n");
}

/// `ops_service`'s task, by name and arguments, for the test above.
#[atode::durable::task(max_attempts = 5)]
fn send_welcome(email: String) {
    let _ = email;
}

/// The example's task, by name and arguments: the test writes a call of
/// it for the example's worker, which runs its own.
#[atode::durable::task(max_attempts = 10)]
fn write_notification(email: String, message: String) {
    let _ = (email, message);
}

/// `POST /tasks/<id>/cancel`: a waiting call is cancelled and never runs,
/// and a second cancel answers the same; a completed call is refused with
/// `409`, an unknown id `404`.
async fn durable_notification_cancels_over_http(db: durable_support::TestDb) {
    use atode::durable::Later;

    let url = db.url.clone();
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let dir = ScratchDir::new(&format!("durable-notification-cancel-{backend}"));
    // Due in an hour, written before the example starts: its worker leaves
    // it waiting.
    let queue = atode::durable::Durable::url(&url)
        .without_workers()
        .connect()
        .await
        .expect("open the example's queue");
    let waiting = queue
        .add_task(
            write_notification.after(std::time::Duration::from_secs(3600)),
            ("later@example.com".to_owned(), "later".to_owned()),
        )
        .await
        .expect("queue a delayed call");
    let example = Example::start_with(
        "durable_notification",
        &dir,
        &[("ATODE_DATABASE_URL", &url)],
    )
    .await;
    let mut client = Http1::connect(example.addr).await;
    let cancel = |id: &str| request("POST", &format!("/tasks/{id}/cancel"));

    let (status, _, body) = client.fetch(cancel(&waiting.to_string())).await;
    assert_eq!(status, 200, "{body}");
    let cancelled: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(cancelled["id"], waiting.to_string());
    assert_eq!(cancelled["task"], "write_notification");
    assert_eq!(cancelled["state"], "cancelled");
    let (status, _, again) = client.fetch(cancel(&waiting.to_string())).await;
    assert_eq!((status.as_u16(), again.as_str()), (200, body.as_str()));
    let (status, _, read) = client
        .fetch(request("GET", &format!("/tasks/{waiting}")))
        .await;
    assert_eq!((status.as_u16(), read.as_str()), (200, body.as_str()));

    let (status, _, body) = client
        .fetch(request("POST", "/send-notification/foo@example.com"))
        .await;
    assert_eq!(status, 200, "{body}");
    let sent = task_id(&body);
    until_completed(example.addr, &sent).await;
    let (status, _, body) = client.fetch(cancel(&sent)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body,
        format!(r#"{{"detail":"task {sent} is completed: too late to cancel"}}"#)
    );

    let (status, _, body) = client
        .fetch(cancel("00000000-0000-4000-8000-000000000000"))
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _, body) = client.fetch(cancel("not-an-id")).await;
    assert_eq!(status, 422, "{body}");

    example.terminate().await.assert_success();
    assert_eq!(
        dir.read("log.txt"),
        "notification for foo@example.com: some notification\n",
        "only the call not cancelled ran"
    );
}

on_every_backend!(durable_notification_cancels_over_http);

/// SIGKILL under load, then a restart: every request that got a `200` has
/// its line in `log.txt`.
/// A worker built from a program without the task its queue holds calls
/// of (here `done`, which only this suite has) says so at start, with the
/// task's name and the count, instead of leaving them `queued` in silence.
#[tokio::test]
async fn a_worker_without_the_task_says_so() {
    let dir = ScratchDir::new("unknown-task");
    let url = format!(
        "sqlite://{}/durable_notification.sqlite3",
        dir.path().display()
    );
    let queue = atode::durable::Durable::url(url)
        .without_workers()
        .connect()
        .await
        .expect("open the example's queue");
    for key in ["a", "b"] {
        queue
            .add_task(durable_support::done, (key.to_owned(),))
            .await
            .expect("queue a call");
    }
    let worker = Example::spawn_with_args("durable_notification", &dir, &[], &["worker"]);
    let line = worker.log.line_with("of the task `done`").await;
    assert!(line.contains("WARN"), "{line}");
    assert!(
        line.contains("2 call(s) of the task `done` wait in the queue `default`, and this program has no task of that name"),
        "{line}"
    );
    worker.terminate().await.assert_success();
}

#[tokio::test]
async fn durable_notification_killed_under_load_loses_no_notification() {
    const REQUESTS: usize = 300;
    let dir = ScratchDir::new("durable-notification-kill");
    let env = [("ATODE_RESCUE_AFTER", "2")];
    let example = Example::start_with("durable_notification", &dir, &env).await;
    let addr = example.addr;
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut senders = Vec::new();
    for sender in 0..8 {
        let answered = std::sync::Arc::clone(&answered);
        senders.push(tokio::spawn(async move {
            let mut ok = Vec::new();
            let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
                return ok;
            };
            let Ok((mut send, connection)) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await
            else {
                return ok;
            };
            tokio::spawn(connection);
            for n in (sender..REQUESTS).step_by(8) {
                let email = format!("user{n}@example.com");
                let request = request("POST", &format!("/send-notification/{email}"));
                let Ok(response) = send.send_request(request).await else {
                    return ok;
                };
                let status = response.status();
                let Ok(body) = http_body_util::BodyExt::collect(response.into_body()).await else {
                    return ok;
                };
                if status == 200 {
                    ok.push((email, task_id(&String::from_utf8_lossy(&body.to_bytes()))));
                    answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            ok
        }));
    }
    common::within("a third of the requests to be answered", async {
        while answered.load(std::sync::atomic::Ordering::Relaxed) < REQUESTS / 3 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    drop(example); // SIGKILL
    let mut got_200 = Vec::new();
    for sender in senders {
        got_200.extend(sender.await.expect("sender"));
    }
    assert!(got_200.len() >= REQUESTS / 3);

    let restarted = Example::start_with("durable_notification", &dir, &env).await;
    for (_, id) in &got_200 {
        until_completed(restarted.addr, id).await;
    }
    let log = dir.read("log.txt");
    for (email, _) in &got_200 {
        let line = format!("notification for {email}: some notification\n");
        assert!(log.contains(&line), "no line for {email}, which got a 200");
    }
    restarted.terminate().await.assert_success();
}

/// Waits for `file` in `dir` to hold `lines` lines: written by the
/// example's worker, after the response.
async fn until_lines(dir: &ScratchDir, file: &str, lines: usize) -> String {
    common::within(&format!("{lines} line(s) in {file}"), async {
        loop {
            let text = std::fs::read_to_string(dir.path().join(file)).unwrap_or_default();
            if text.lines().count() >= lines {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    })
    .await
}

async fn durable_signup_writes_the_user_and_the_welcome_task_together(env: &[(&str, &str)]) {
    // One directory per backend: the two tests run at once in one process.
    let backend = if env.is_empty() { "sqlite" } else { "postgres" };
    let dir = ScratchDir::new(&format!("durable-signup-{backend}"));
    let example = Example::start_with("durable_signup", &dir, env).await;
    let mut client = Http1::connect(example.addr).await;
    let signup =
        |email: &str| common::json_request("POST", "/signup", &format!(r#"{{"email":"{email}"}}"#));
    let (status, _, body) = client.fetch(signup("ada@example.com")).await;
    assert_eq!(status, 201, "{body}");
    let user: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(user["email"], "ada@example.com");
    assert!(
        user["welcome_task"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );

    let (status, _, body) = client.fetch(signup("ada@example.com")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (409, r#"{"detail":"ada@example.com has already signed up"}"#)
    );
    let (status, _, body) = client.fetch(signup("not-an-address")).await;
    assert_eq!(status, 422);
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        body["detail"][0]["loc"],
        serde_json::json!(["body", "email"])
    );

    let welcome = until_lines(&dir, "welcome.txt", 1).await;
    example.terminate().await.assert_success();
    assert_eq!(
        welcome,
        format!("welcome mail to ada@example.com (user {})\n", user["id"])
    );
    assert_eq!(
        dir.read("welcome.txt"),
        welcome,
        "one email, for the one signup"
    );
}

#[tokio::test]
async fn durable_signup_on_sqlite() {
    durable_signup_writes_the_user_and_the_welcome_task_together(&[]).await;
}

#[tokio::test]
#[cfg_attr(
    not(atode_postgres),
    ignore = "set ATODE_TEST_POSTGRES_URL to a PostgreSQL server to run it"
)]
async fn durable_signup_on_postgres() {
    let db = durable_support::TestDb::new(durable_support::Backend::Postgres, "signup").await;
    durable_signup_writes_the_user_and_the_welcome_task_together(&[(
        "ATODE_DATABASE_URL",
        &db.url,
    )])
    .await;
}

/// The events of a `text/event-stream` body: each one's lines.
fn events(body: &str) -> Vec<Vec<&str>> {
    body.split_terminator("\n\n")
        .map(|event| event.lines().collect())
        .collect()
}

/// Checks one `tick` event of `examples/sse_clock.rs`.
fn assert_tick(event: &[&str], n: u32) {
    assert_eq!(
        event[..2],
        ["event: tick", &format!("id: {n}")],
        "{event:?}"
    );
    assert_eq!(event.len(), 3, "{event:?}");
    let data: serde_json::Value =
        serde_json::from_str(event[2].strip_prefix("data: ").expect("a data line")).expect("JSON");
    assert_eq!(data["tick"], n);
    let utc = data["utc"].as_str().expect("a time");
    assert!(
        utc.len() == 8 && utc.split(':').all(|part| part.parse::<u8>().is_ok()),
        "HH:MM:SS: {utc}"
    );
}

#[tokio::test]
async fn sse_clock_ticks_resumes_after_the_last_event_id_and_logs_each_streams_end() {
    let dir = ScratchDir::new("sse-clock");
    let example = Example::start_with("sse_clock", &dir, &[("SSE_CLOCK_TICK_MS", "10")]).await;
    let mut client = Http1::connect(example.addr).await;

    let (status, headers, body) = client.fetch(request("GET", "/clock?until=3")).await;
    assert_eq!(status, 200);
    assert_eq!(headers[http::header::CONTENT_TYPE], "text/event-stream");
    let ticks = events(&body);
    assert_eq!(ticks.len(), 3, "{body}");
    for (n, event) in (1..).zip(&ticks) {
        assert_tick(event, n);
    }

    let resume = |last: &str| {
        let mut resume = request("GET", "/clock?until=3");
        resume.headers_mut().insert(
            "last-event-id",
            http::HeaderValue::from_str(last).expect("a header value"),
        );
        resume
    };
    let (status, _, body) = client.fetch(resume("1")).await;
    assert_eq!(status, 200);
    let ticks = events(&body);
    assert_eq!(ticks.len(), 2, "{body}");
    assert_tick(&ticks[0], 2);
    assert_tick(&ticks[1], 3);

    // Every tick seen: 204, which stops a browser from reconnecting.
    let (status, _, body) = client.fetch(resume("3")).await;
    assert_eq!((status.as_u16(), body.as_str()), (204, ""));

    let (status, _, body) = client.fetch(request("GET", "/clock?until=61")).await;
    assert_eq!(status, 422);
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        body["detail"][0]["loc"],
        serde_json::json!(["query", "until"])
    );

    let exit = example.terminate().await;
    exit.assert_success();
    let log = dir.read("clock.log");
    let mut lines: Vec<&str> = log.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "stream from tick 1 to 3 ended after tick 3",
            "stream from tick 2 to 3 ended after tick 3",
        ]
    );
}

/// A client that leaves after the first tick: the stream's task still
/// runs, and logs that it ended there (the next tick is a minute away).
#[tokio::test]
async fn sse_clock_logs_a_stream_whose_client_left() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = ScratchDir::new("sse-clock-left");
    let example = Example::start_with("sse_clock", &dir, &[("SSE_CLOCK_TICK_MS", "60000")]).await;
    let mut socket = tokio::net::TcpStream::connect(example.addr)
        .await
        .expect("connect");
    socket
        .write_all(b"GET /clock?until=5 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write the request");
    let mut received = Vec::new();
    common::within("the first tick", async {
        while !String::from_utf8_lossy(&received).contains("id: 1\n") {
            let mut buffer = [0; 1024];
            let read = socket.read(&mut buffer).await.expect("read");
            assert!(read > 0, "the stream ended early");
            received.extend_from_slice(&buffer[..read]);
        }
    })
    .await;
    drop(socket);

    let exit = example.terminate().await;
    exit.assert_success();
    assert_eq!(
        dir.read("clock.log"),
        "stream from tick 1 to 5 ended after tick 1\n"
    );
}

/// The shop's `POST /items` answers `201 Created` with the new item's URL
/// in `Location` (RFC 9110 15.3.2), which a client follows to read it.
#[tokio::test]
async fn openapi_creates_an_item_and_says_where_it_is() {
    let dir = ScratchDir::new("openapi-location");
    let example = Example::start("openapi", &dir).await;
    let mut client = Http1::connect(example.addr).await;
    let mut create = common::json_request("POST", "/items", r#"{"name": "pen", "price": 120}"#);
    create
        .headers_mut()
        .insert("x-api-key", http::HeaderValue::from_static("secret"));
    let (status, headers, created) = client.fetch(create).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created, r#"{"id":1,"name":"pen","price":120,"tags":[]}"#);
    let location = headers[http::header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(location, "/items/1");
    let (status, _, read) = client.fetch(request("GET", &location)).await;
    assert_eq!((status.as_u16(), read), (200, created));
    example.terminate().await.assert_success();
}

/// Each example's OpenAPI document, as a client fetches it, against the
/// one committed in `tests/snapshots/openapi/`: a change to a route shows
/// up as a diff of the document. After a deliberate change, rewrite them
/// with `ATODE_BLESS=1 cargo test --test examples openapi`, then review the
/// diff.
#[tokio::test]
async fn each_examples_openapi_document_matches_its_snapshot() {
    let mut on_disk: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
            .expect("examples/")
            .filter_map(|entry| {
                entry
                    .ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".rs")
                    .map(str::to_owned)
            })
            .collect();
    on_disk.sort();
    let mut listed = EXAMPLES.map(str::to_owned).to_vec();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every example has a snapshot: list new ones in EXAMPLES"
    );

    let bless = std::env::var_os("ATODE_BLESS").is_some();
    let mut changed = Vec::new();
    for name in EXAMPLES {
        let dir = ScratchDir::new(&format!("openapi-{name}"));
        let example = Example::start(name, &dir).await;
        let (status, headers, body) = Http1::connect(example.addr)
            .await
            .fetch(request("GET", "/openapi.json"))
            .await;
        example.terminate().await.assert_success();
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
        let document: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        let pretty = serde_json::to_string_pretty(&document).expect("JSON") + "\n";
        let path = format!(
            "{}/tests/snapshots/openapi/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        if bless {
            std::fs::write(&path, &pretty).expect("write the snapshot");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != pretty {
            changed.push(format!(
                "{name}: {path} differs from what the example serves:\n{pretty}"
            ));
        }
    }
    assert!(
        changed.is_empty(),
        "{}\n(rewrite with ATODE_BLESS=1 cargo test --test examples openapi, then review the diff)",
        changed.join("\n")
    );
}

/// Every example, by the name `cargo run --example` takes.
const EXAMPLES: [&str; 16] = [
    "send_notification",
    "dependency_tasks",
    "graceful_shutdown",
    "tracing_compression",
    "durable_notification",
    "durable_signup",
    "ops_service",
    "openapi",
    "users_api",
    "sse_clock",
    "chat_ws",
    "chat_broadcast",
    "upload",
    "static_site",
    "echo",
    "ws_echo",
];
