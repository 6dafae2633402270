//! Middleware and layers on a router or a single route, and middleware
//! functions that take extractors, over a real socket: they run for their
//! routes only, in a fixed order inside the app's, an extractor that
//! rejects answers for the request, and background tasks (the handler's
//! and the middleware's own) still run after the response.

mod common;

use atode::extract::BearerToken;
use atode::middleware::Next;
use atode::{
    App, BackgroundTasks, Body, HeaderMap, HttpError, Response, Router, State, StatusCode, get,
    routes,
};
use common::{Http1, TestServer, request, within};
use http::{HeaderValue, Request};
use tokio::sync::mpsc;
use tower_http::set_header::SetResponseHeaderLayer;

/// Appends `name` to the request's `x-trail` header, so the handler shows
/// the order middleware ran in.
fn mark(request: &mut Request<Body>, name: &str) {
    let trail = match request.headers().get("x-trail") {
        Some(so_far) => format!("{} {name}", so_far.to_str().unwrap()),
        None => name.to_owned(),
    };
    request
        .headers_mut()
        .insert("x-trail", HeaderValue::from_str(&trail).unwrap());
}

async fn app_wide(mut request: Request<Body>, next: Next) -> Response {
    mark(&mut request, "app");
    next.run(request).await
}

async fn outer_router(mut request: Request<Body>, next: Next) -> Response {
    mark(&mut request, "api");
    next.run(request).await
}

async fn inner_router(mut request: Request<Body>, next: Next) -> Response {
    mark(&mut request, "users");
    next.run(request).await
}

#[get("/<id>")]
async fn read_user(id: u32, headers: HeaderMap) -> String {
    let trail = headers.get("x-trail").map_or("", |t| t.to_str().unwrap());
    format!("user {id} via [{trail}]")
}

#[get("/health")]
async fn health(headers: HeaderMap) -> String {
    let trail = headers.get("x-trail").map_or("", |t| t.to_str().unwrap());
    format!("ok via [{trail}]")
}

fn nested_app() -> App {
    let users = Router::new("/users")
        .middleware(inner_router)
        .routes(routes![read_user]);
    let api = Router::new("/api")
        .router(users)
        .middleware(outer_router)
        .layer(SetResponseHeaderLayer::overriding(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    App::new()
        .middleware(app_wide)
        .router(api)
        .routes(routes![health])
}

#[tokio::test]
async fn router_middleware_runs_for_its_routes_only_inside_the_apps() {
    let server = TestServer::start(nested_app()).await;
    let mut client = Http1::connect(server.addr).await;

    let (status, headers, body) = client.fetch(request("GET", "/api/users/7")).await;
    assert_eq!(status, StatusCode::OK);
    // The app's middleware first, then the outer router's, then the inner's;
    // and the path parameter still reaches the handler.
    assert_eq!(body, "user 7 via [app api users]");
    assert_eq!(headers["cache-control"], "no-store");

    let (status, headers, body) = client.fetch(request("GET", "/health")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok via [app]");
    assert!(headers.get("cache-control").is_none());

    // A path under the router that no route matches is the app's 404,
    // reached without the router's middleware or layers.
    let (status, headers, body) = client.fetch(request("GET", "/api/users/x/y")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, r#"{"detail":"Not Found"}"#);
    assert!(headers.get("cache-control").is_none());
}

#[derive(Clone)]
struct AdminToken(&'static str);

#[derive(Clone)]
struct Events(mpsc::UnboundedSender<String>);

fn note(events: Events, line: String) {
    let _ = events.0.send(line);
}

/// Lets only the admin through; audits each admin request after its
/// response, from the middleware's own list of tasks.
async fn admins_only(
    State(admin): State<AdminToken>,
    State(events): State<Events>,
    BearerToken(token): BearerToken,
    tasks: BackgroundTasks,
    request: Request<Body>,
    next: Next,
) -> Result<Response, HttpError> {
    if token != admin.0 {
        tasks.add_task(note, (events, "audit: refused".to_owned()));
        return Err(HttpError::forbidden("Admins only"));
    }
    tasks.add_task(note, (events, format!("audit: {}", request.uri().path())));
    Ok(next.run(request).await)
}

#[get("/stats")]
async fn stats(State(events): State<Events>, tasks: BackgroundTasks) -> &'static str {
    tasks.add_task(note, (events, "handler task".to_owned()));
    "42 users"
}

#[get("/public")]
async fn public() -> &'static str {
    "hello"
}

fn admin_app(events: Events) -> App {
    App::new()
        .state(AdminToken("s3cret"))
        .state(events)
        .routes(routes![public])
        .router(
            Router::new("/admin")
                .middleware(admins_only)
                .routes(routes![stats]),
        )
}

/// `GET /admin/stats` with a bearer token.
fn stats_as(token: &'static str) -> common::Request {
    let mut request = request("GET", "/admin/stats");
    let value = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    request.headers_mut().insert("authorization", value);
    request
}

#[tokio::test]
async fn middleware_extractors_reject_before_the_rest_of_the_app() {
    let (tx, mut events) = mpsc::unbounded_channel();
    let server = TestServer::start(admin_app(Events(tx))).await;
    let mut client = Http1::connect(server.addr).await;

    // No token: `BearerToken` answers for the middleware, which never runs.
    let (status, headers, body) = client.fetch(request("GET", "/admin/stats")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(body, r#"{"detail":"Not authenticated"}"#);

    // The wrong token: the middleware's own error; the handler never runs,
    // and the middleware's task, queued before its error, is discarded with it.
    let (status, _, body) = client.fetch(stats_as("guest")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, r#"{"detail":"Admins only"}"#);

    // The admin: the handler's task, then the middleware's audit, which
    // starts once the response the middleware returned is written.
    let (status, _, body) = client.fetch(stats_as("s3cret")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "42 users"));
    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.push(within("the tasks", events.recv()).await.unwrap());
    }
    seen.sort();
    assert_eq!(seen, ["audit: /admin/stats", "handler task"]);

    // Other routes never meet the middleware.
    let (status, _, body) = client.fetch(request("GET", "/public")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "hello"));
    // Shutting down waits for every pending task: the refused request's
    // audit would have run by then.
    drop(client);
    let mut server = server;
    server.begin_shutdown();
    within("the shutdown", &mut server.handle)
        .await
        .unwrap()
        .unwrap();
    assert!(
        events.try_recv().is_err(),
        "the refused request's audit task was discarded"
    );
}

#[tokio::test]
async fn a_state_a_middleware_takes_is_checked_at_start_up() {
    let (tx, _events) = mpsc::unbounded_channel();
    let app = App::new().state(Events(tx)).router(
        Router::new("/admin")
            .middleware(admins_only)
            .routes(routes![stats]),
    );
    let error = app.check().unwrap_err().to_string();
    assert!(
        error.contains("a middleware around `stats` (/admin/stats) takes `State<scoped_middleware::AdminToken>`"),
        "{error}"
    );
    let app_wide = App::new().middleware(admins_only).routes(routes![public]);
    let error = app_wide.check().unwrap_err().to_string();
    assert!(
        error.contains("a middleware takes `State<scoped_middleware::AdminToken>`"),
        "{error}"
    );
}

#[get("/items/<id>")]
async fn read_item(id: u32) -> String {
    format!("item {id}")
}

/// A middleware that sends every request to `to`.
fn send_to(
    to: &'static str,
) -> impl Fn(Request<Body>, Next) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    move |mut request, next| {
        *request.uri_mut() = to.parse().unwrap();
        Box::pin(next.run(request))
    }
}

/// What `GET /items/1` gets when the route's own middleware sends it to `to`.
async fn item_one_sent_to(to: &'static str) -> (StatusCode, String) {
    let around_the_route = Router::new("")
        .middleware(send_to(to))
        .routes(routes![read_item]);
    let server = TestServer::start(App::new().router(around_the_route)).await;
    let (status, _, body) = Http1::connect(server.addr)
        .await
        .fetch(request("GET", "/items/1"))
        .await;
    (status, body)
}

#[tokio::test]
async fn a_routes_parameters_are_read_from_the_path_its_middleware_passes_on() {
    let (status, body) = item_one_sent_to("/items/99").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "item 99"));
    // Sent to a path the route does not answer: a 404, not a wrong parameter.
    let (status, body) = item_one_sent_to("/somewhere/else").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, r#"{"detail":"Not Found"}"#)
    );
}
