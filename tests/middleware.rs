//! Middleware from an `async fn`, over a real socket: what it adds to the
//! request reaches the handler, what it does to the response reaches the
//! client, it can answer without the handler, and the handler's background
//! tasks still run after the response.

mod common;

use atode::middleware::{Extension, Next};
use atode::{App, BackgroundTasks, Body, IntoResponse, Response, StatusCode, get, routes};
use common::{Http1, TestServer, request, within};
use http::{HeaderValue, Request};
use tokio::sync::mpsc;

#[derive(Clone)]
struct RequestId(String);

async fn request_id(mut request: Request<Body>, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert("x-request-id", HeaderValue::from_str(&id).unwrap());
    response
}

/// Answers `401` itself unless the request says who it is.
async fn require_user(request: Request<Body>, next: Next) -> Response {
    match request.headers().get("x-user") {
        Some(_) => next.run(request).await,
        None => (StatusCode::UNAUTHORIZED, "who are you?").into_response(),
    }
}

/// Records the order middleware runs in.
async fn trail(mut request: Request<Body>, next: Next) -> Response {
    let so_far = request
        .headers()
        .get("x-trail")
        .map_or(String::new(), |t| format!("{} ", t.to_str().unwrap()));
    let name = next.state::<&'static str>().unwrap_or("?");
    request.headers_mut().insert(
        "x-trail",
        HeaderValue::from_str(&format!("{so_far}{name}")).unwrap(),
    );
    next.run(request).await
}

#[derive(Clone)]
struct Events(mpsc::UnboundedSender<String>);

fn note(events: Events, line: String) {
    let _ = events.0.send(line);
}

#[get("/hello")]
async fn hello(
    Extension(RequestId(id)): Extension<RequestId>,
    atode::State(events): atode::State<Events>,
    tasks: BackgroundTasks,
) -> String {
    tasks.add_task(note, (events, format!("task of {id}")));
    format!("hello {id}")
}

#[get("/trail")]
async fn show_trail(headers: atode::HeaderMap) -> String {
    headers["x-trail"].to_str().unwrap().to_owned()
}

#[get("/bare")]
async fn bare(Extension(RequestId(id)): Extension<RequestId>) -> String {
    id
}

#[tokio::test]
async fn what_middleware_adds_reaches_the_handler_and_the_client_and_tasks_still_run() {
    let (sender, mut events) = mpsc::unbounded_channel();
    let app = App::new()
        .state(Events(sender))
        .routes(routes![hello])
        .middleware(request_id)
        .middleware(require_user);
    let server = TestServer::start(app).await;
    let mut client = Http1::connect(server.addr).await;

    let mut asking = request("GET", "/hello");
    asking
        .headers_mut()
        .insert("x-request-id", HeaderValue::from_static("r-1"));
    asking
        .headers_mut()
        .insert("x-user", HeaderValue::from_static("ada"));
    let (status, headers, body) = client.fetch(asking).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "hello r-1"));
    assert_eq!(headers["x-request-id"], "r-1");
    assert_eq!(
        within("the handler's task", events.recv()).await.as_deref(),
        Some("task of r-1")
    );

    // `require_user` is outermost (added last): it answers before the
    // handler, whose task is then never queued.
    let (status, headers, body) = client.fetch(request("GET", "/hello")).await;
    assert_eq!((status.as_u16(), body.as_str()), (401, "who are you?"));
    assert!(headers.get("x-request-id").is_none());
    let mut asking = request("GET", "/hello");
    asking
        .headers_mut()
        .insert("x-user", HeaderValue::from_static("ada"));
    assert_eq!(client.fetch(asking).await.2, "hello none");
    // The next event is that request's: the refused one queued nothing.
    assert_eq!(
        within("the handler's task", events.recv()).await.as_deref(),
        Some("task of none")
    );
}

#[tokio::test]
async fn middleware_wraps_in_the_order_added_and_reads_app_state() {
    let app = App::new()
        .middleware(trail)
        .state("first")
        .routes(routes![show_trail]);
    let app = app.middleware(|request: Request<Body>, next: Next| async move {
        let mut request = request;
        request
            .headers_mut()
            .insert("x-trail", HeaderValue::from_static("outer"));
        next.run(request).await
    });
    let server = TestServer::start(app).await;
    let (status, _, body) = Http1::connect(server.addr)
        .await
        .fetch(request("GET", "/trail"))
        .await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "outer first"));
}

#[tokio::test]
async fn an_extension_no_middleware_added_is_the_apps_mistake_a_500() {
    let server = TestServer::start(App::new().routes(routes![bare])).await;
    let (status, _, body) = Http1::connect(server.addr)
        .await
        .fetch(request("GET", "/bare"))
        .await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (500, r#"{"detail":"Internal Server Error"}"#)
    );
}
