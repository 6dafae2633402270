//! `atode::otel`: one trace from a request to its tasks, read from the
//! OpenTelemetry SDK's in-memory exporter. A request served over loopback
//! joins the trace its `traceparent` header names; its in-process tasks
//! are its children (and a task's own spans, theirs); a durable call's
//! first attempt is the child of the request that queued it, found
//! through the `traceparent` the call stored, and a retry is linked to
//! it, on SQLite and on PostgreSQL.

mod common;
#[macro_use]
mod durable_support;

use std::sync::LazyLock;

use atode::durable::{TaskState, current, task};
use atode::otel::Otel;
use atode::{App, BackgroundTasks, Json, StatusCode, post, routes};
use common::{TestServer, request, within};
use durable_support::{TestDb, until, until_state};
use opentelemetry::Value;
use opentelemetry::trace::{SpanId, SpanKind, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

on_every_backend!(a_durable_calls_first_attempt_is_the_requests_child_and_a_retry_links_to_it);

/// Every span the binary's tests end, as the app's layer exports them: one
/// subscriber for the whole binary (tasks run on the runtime's threads,
/// so a per-thread one would miss them); each test reads its own trace.
static SPANS: LazyLock<InMemorySpanExporter> = LazyLock::new(|| {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let otel = Otel::with_provider(provider);
    tracing_subscriber::registry().with(otel.layer()).init();
    // The provider lives as long as the binary: spans end at any time.
    std::mem::forget(otel);
    exporter
});

fn finished() -> Vec<SpanData> {
    SPANS.get_finished_spans().expect("the exporter's spans")
}

fn in_trace(trace: TraceId) -> Vec<SpanData> {
    finished()
        .into_iter()
        .filter(|span| span.span_context.trace_id() == trace)
        .collect()
}

fn attribute<'s>(span: &'s SpanData, key: &str) -> Option<&'s Value> {
    span.attributes
        .iter()
        .find(|attribute| attribute.key.as_str() == key)
        .map(|attribute| &attribute.value)
}

fn named<'s>(spans: &'s [SpanData], name: &str) -> &'s SpanData {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| {
            let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
            panic!("no span {name:?} among {names:?}")
        })
}

/// A request with a W3C `traceparent` naming the client's span.
fn traced(method: &str, path: &str, trace: TraceId, parent: SpanId) -> common::Request {
    let mut request = request(method, path);
    let header = format!("00-{trace}-{parent}-01");
    request
        .headers_mut()
        .insert("traceparent", header.parse().expect("a header value"));
    request
}

// ---------------------------------------------------------------- in-process tasks

fn send_welcome(email: String) {
    // A span of the task's own: the task's child.
    tracing::info_span!("smtp", to = email.as_str()).in_scope(|| ());
}

async fn audit() {}

#[post("/signup/<email>")]
async fn signup(email: String, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(send_welcome, (email,));
    tasks.add_task(audit, ());
    "welcome"
}

#[tokio::test]
async fn a_request_joins_its_clients_trace_and_its_tasks_are_its_children() {
    LazyLock::force(&SPANS);
    let app = App::new().routes(routes![signup]);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    let trace = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let client_span = SpanId::from_hex("00f067aa0ba902b7").unwrap();
    let (status, _, _) = server
        .http1()
        .await
        .fetch(traced(
            "POST",
            "/signup/ada@example.com",
            trace,
            client_span,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    within("the request's tasks", monitor.wait_idle()).await;

    let spans = in_trace(trace);
    let request = named(&spans, "POST /signup/{email}");
    assert_eq!(request.span_kind, SpanKind::Server);
    assert_eq!(
        request.parent_span_id, client_span,
        "the client's span is the parent"
    );
    assert!(request.parent_span_is_remote);
    assert_eq!(
        attribute(request, "http.route"),
        Some(&Value::from("/signup/{email}"))
    );
    assert_eq!(
        attribute(request, "http.response.status_code"),
        Some(&Value::I64(200))
    );
    let request_id = request.span_context.span_id();
    let welcome = named(&spans, "otel::send_welcome");
    let audit = named(&spans, "otel::audit");
    assert_eq!(
        welcome.parent_span_id, request_id,
        "a task is its request's child"
    );
    assert_eq!(audit.parent_span_id, request_id);
    let smtp = named(&spans, "smtp");
    assert_eq!(
        smtp.parent_span_id,
        welcome.span_context.span_id(),
        "a task's own span is the task's child"
    );
}

#[post("/orphan/<n>")]
async fn orphan(n: u32, tasks: BackgroundTasks) -> &'static str {
    let _ = n;
    tasks.add_task(audit, ());
    "ok"
}

#[tokio::test]
async fn without_a_traceparent_the_request_starts_a_trace() {
    LazyLock::force(&SPANS);
    let app = App::new().routes(routes![orphan]);
    let monitor = app.task_monitor();
    let server = TestServer::start(app).await;
    // A path no other test sends: the span's `url.path` finds it.
    let path = "/orphan/8675309";
    let (status, _, _) = server.http1().await.fetch(request("POST", path)).await;
    assert_eq!(status, StatusCode::OK);
    within("the request's task", monitor.wait_idle()).await;

    let all = finished();
    let request = all
        .iter()
        .find(|span| attribute(span, "url.path") == Some(&Value::from(path)))
        .expect("the request's span");
    assert_eq!(request.name, "POST /orphan/{n}");
    assert_eq!(request.parent_span_id, SpanId::INVALID, "a root");
    let spans = in_trace(request.span_context.trace_id());
    let audit = named(&spans, "otel::audit");
    assert_eq!(audit.parent_span_id, request.span_context.span_id());
}

// ---------------------------------------------------------------- durable calls

/// Fails its first attempt, completes its second.
#[task(max_attempts = 3)]
async fn flaky_receipt(order: String) -> Result<(), String> {
    match current().map(|call| call.attempt) {
        Some(1) => Err(format!("the printer is out of paper for {order}")),
        _ => Ok(()),
    }
}

#[derive(serde::Serialize)]
struct Queued {
    task_id: atode::durable::TaskId,
}

#[post("/orders/<order>")]
async fn place_order(order: String, tasks: BackgroundTasks) -> Json<Queued> {
    let task_id = tasks.add_task(flaky_receipt, (order,));
    Json(Queued { task_id })
}

async fn a_durable_calls_first_attempt_is_the_requests_child_and_a_retry_links_to_it(db: TestDb) {
    LazyLock::force(&SPANS);
    let queue = db.durable().connect().await.expect("open the queue");
    let status_queue = queue.clone();
    let server = TestServer::start(App::new().durable(queue).routes(routes![place_order])).await;
    // Each backend's test a trace of its own.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    let trace = TraceId::from_bytes(nanos.to_be_bytes());
    let client_span = SpanId::from_hex("b7ad6b7169203331").unwrap();
    let (status, _, body) = server
        .http1()
        .await
        .fetch(traced("POST", "/orders/o-17", trace, client_span))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let id = body["task_id"]
        .as_str()
        .expect("an id")
        .parse()
        .expect("a task id");
    let completed = until_state(&status_queue, id, TaskState::Completed).await;
    assert_eq!(completed.attempt, 2);

    let spans = in_trace(trace);
    let request = named(&spans, "POST /orders/{order}");
    let request_context = request.span_context.clone();
    let commit = named(&spans, "durable commit");
    assert_eq!(
        commit.parent_span_id,
        request_context.span_id(),
        "the commit is the request's child"
    );
    assert_eq!(attribute(commit, "calls"), Some(&Value::I64(1)));
    let attempts: Vec<SpanData> = until("both attempts' spans", || async {
        let attempts: Vec<SpanData> = finished()
            .into_iter()
            .filter(|span| {
                span.name == "durable_task"
                    && attribute(span, "id") == Some(&Value::from(id.to_string()))
            })
            .collect();
        (attempts.len() == 2).then_some(attempts)
    })
    .await;
    let attempt = |n: i64| {
        attempts
            .iter()
            .find(|span| attribute(span, "attempt") == Some(&Value::I64(n)))
            .unwrap_or_else(|| panic!("no span of attempt {n}"))
    };
    let first = attempt(1);
    assert_eq!(
        first.span_context.trace_id(),
        trace,
        "the first attempt is in the request's trace"
    );
    assert_eq!(
        first.parent_span_id,
        request_context.span_id(),
        "and its child"
    );
    let retry = attempt(2);
    assert_ne!(
        retry.span_context.trace_id(),
        trace,
        "a retry starts a trace of its own"
    );
    let linked: Vec<_> = retry
        .links
        .iter()
        .map(|link| (link.span_context.trace_id(), link.span_context.span_id()))
        .collect();
    assert_eq!(
        linked,
        [(trace, request_context.span_id())],
        "linked to the request that queued it"
    );
}
