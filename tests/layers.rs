//! tower layers on an app: tower-http's compression, CORS, timeout and
//! tracing wrap it, and background tasks still start once the (wrapped)
//! body has been written.

mod common;

use std::future::IntoFuture;
use std::time::Duration;

use atode::testing::TestClient;
use atode::{App, BackgroundTasks, State, StatusCode, get, routes};
use common::{TestServer, request, within};
use tokio::sync::mpsc;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
struct Events(mpsc::UnboundedSender<&'static str>);

async fn report(events: Events) {
    let _ = events.0.send("task ran");
}

#[get("/report")]
async fn long_report(State(events): State<Events>, tasks: BackgroundTasks) -> String {
    tasks.add_task(report, (events,));
    "a line that compresses well\n".repeat(500)
}

#[get("/slow")]
async fn slow() -> &'static str {
    std::future::pending::<()>().await;
    "never"
}

fn app(events: Events) -> App {
    App::new().state(events).routes(routes![long_report, slow])
}

#[tokio::test]
async fn a_compressed_body_still_runs_its_tasks_after_it_is_written() {
    let (events, mut reported) = mpsc::unbounded_channel();
    let app = app(Events(events))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http());
    let server = TestServer::start(app).await;

    let mut gzip = request("GET", "/report");
    gzip.headers_mut().insert(
        http::header::ACCEPT_ENCODING,
        http::HeaderValue::from_static("gzip"),
    );
    let (status, headers, _) = {
        let mut client = server.http1().await;
        let response = client.send(gzip).await;
        let (head, body) = response.into_parts();
        let bytes = within(
            "the compressed body",
            http_body_util::BodyExt::collect(body),
        )
        .await
        .expect("body");
        (head.status, head.headers, bytes.to_bytes())
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[http::header::CONTENT_ENCODING], "gzip");
    assert_eq!(
        within("the task's report", reported.recv()).await,
        Some("task ran")
    );
}

#[tokio::test]
async fn cors_answers_preflight_requests() {
    let (events, _reported) = mpsc::unbounded_channel();
    let client = TestClient::new(app(Events(events)).layer(CorsLayer::permissive()));
    let response = client
        .request(atode::Method::OPTIONS, "/report")
        .header("origin", "https://example.com")
        .header("access-control-request-method", "GET")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn a_timeout_layer_answers_for_a_slow_handler() {
    let (events, _reported) = mpsc::unbounded_channel();
    let layer =
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_millis(50));
    let client = TestClient::new(app(Events(events)).layer(layer));
    let response = within("the timeout layer", client.get("/slow").into_future()).await;
    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
}
