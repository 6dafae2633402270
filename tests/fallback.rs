//! What answers a request no route matches, over a real socket: a directory
//! mounted with tower-http's `ServeDir`, a fallback handler, and a `405` of
//! the app's own.

mod common;

use atode::response::Html;
use atode::{App, Body, StatusCode, get, routes};
use common::example::ScratchDir;
use common::{Http1, TestServer, request};
use tower_http::services::ServeDir;

#[get("/api/items")]
async fn items() -> &'static str {
    "[]"
}

/// An SPA: the API's routes, its files under `/assets`, and its page for
/// every other path.
fn app(dir: &ScratchDir) -> App {
    App::new()
        .routes(routes![items])
        .mount("/assets/", ServeDir::new(dir.path()))
        .fallback(|request: http::Request<Body>| async move {
            Html(format!(
                "<div id=app data-path={}></div>",
                request.uri().path()
            ))
        })
        .method_not_allowed(|request: http::Request<Body>| async move {
            (
                StatusCode::METHOD_NOT_ALLOWED,
                format!("no {} here", request.method()),
            )
        })
}

#[tokio::test]
async fn a_mounted_directory_serves_its_files_with_ranges_and_refuses_to_climb_out() {
    let dir = ScratchDir::new("fallback-assets");
    std::fs::write(dir.path().join("app.css"), "body { color: teal }").unwrap();
    let server = TestServer::start(app(&dir)).await;
    let mut client = Http1::connect(server.addr).await;

    let (status, headers, body) = client.fetch(request("GET", "/assets/app.css?v=3")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (200, "body { color: teal }")
    );
    assert_eq!(headers[http::header::CONTENT_TYPE], "text/css");
    let modified = headers[http::header::LAST_MODIFIED].clone();

    let mut ranged = request("GET", "/assets/app.css");
    ranged
        .headers_mut()
        .insert(http::header::RANGE, "bytes=0-3".parse().unwrap());
    let (status, headers, body) = client.fetch(ranged).await;
    assert_eq!((status.as_u16(), body.as_str()), (206, "body"));
    assert_eq!(headers[http::header::CONTENT_RANGE], "bytes 0-3/20");

    let mut cached = request("GET", "/assets/app.css");
    cached
        .headers_mut()
        .insert(http::header::IF_MODIFIED_SINCE, modified);
    assert_eq!(client.fetch(cached).await.0, 304);

    // Out of the directory: ServeDir refuses, and never reads the file.
    std::fs::write(dir.path().join("..").join("atode-secret.txt"), "secret").unwrap();
    for path in [
        "/assets/../atode-secret.txt",
        "/assets/%2e%2e/atode-secret.txt",
    ] {
        let (status, _, body) = client.fetch(request("GET", path)).await;
        assert_ne!(status, 200, "{path}");
        assert!(!body.contains("secret"), "{path}: {body}");
    }
    let _ = std::fs::remove_file(dir.path().join("..").join("atode-secret.txt"));
}

#[tokio::test]
async fn routes_come_first_then_mounts_then_the_fallback() {
    let dir = ScratchDir::new("fallback-order");
    let server = TestServer::start(app(&dir)).await;
    let mut client = Http1::connect(server.addr).await;

    assert_eq!(client.fetch(request("GET", "/api/items")).await.2, "[]");
    // Under the mount, a missing file is ServeDir's 404, not the page.
    assert_eq!(client.fetch(request("GET", "/assets/none.js")).await.0, 404);
    let (status, headers, body) = client.fetch(request("GET", "/settings/profile")).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers[http::header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    assert_eq!(body, "<div id=app data-path=/settings/profile></div>");
    // `/assetsx` is not under `/assets`.
    assert_eq!(
        client.fetch(request("GET", "/assetsx")).await.2,
        "<div id=app data-path=/assetsx></div>"
    );

    let (status, headers, body) = client.fetch(request("DELETE", "/api/items")).await;
    assert_eq!((status.as_u16(), body.as_str()), (405, "no DELETE here"));
    assert_eq!(headers[http::header::ALLOW], "GET, HEAD");
}

#[tokio::test]
async fn without_them_atode_answers_its_own_404_and_405() {
    let server = TestServer::start(App::new().routes(routes![items])).await;
    let mut client = Http1::connect(server.addr).await;
    let (status, _, body) = client.fetch(request("GET", "/nothing")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (404, r#"{"detail":"Not Found"}"#)
    );
    let (status, _, body) = client.fetch(request("POST", "/api/items")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (405, r#"{"detail":"Method Not Allowed"}"#)
    );
}
