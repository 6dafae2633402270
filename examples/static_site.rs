//! A page, its static files, and an API, on one server.
//!
//! `/static/...` serves the files of `examples/static/` with tower-http's
//! `ServeDir`, mounted under the prefix (FastAPI's
//! `app.mount("/static", StaticFiles(directory="static"))`): byte ranges,
//! `ETag` with `If-None-Match` and `Last-Modified` with
//! `If-Modified-Since` (`304`), the `.br` or `.gz` file compressed ahead of
//! time for a client that accepts it (with `Vary: Accept-Encoding`), and
//! `..` refused. `ServeDir`'s errors come without a body; atode gives them
//! its own: a missing file is `404 {"detail":"Not Found"}`, a `POST` is
//! `405`, a range past the end `416`. Two headers `ServeDir` leaves out are
//! added here: `Cache-Control: no-cache`, and `Vary` on its `304`s.
//! `GET /` is the page, and `GET /api/greeting` the route its script asks.
//!
//! ```sh
//! cargo run -p atode-suite --example static_site &
//! curl -I http://127.0.0.1:8000/static/app.css -H 'Accept-Encoding: br'
//! # 200
//! # content-encoding: br
//! # etag: {etag}
//! # vary: accept-encoding
//! # cache-control: no-cache
//! curl -I http://127.0.0.1:8000/static/app.css -H 'Accept-Encoding: br' -H 'If-None-Match: {etag}'
//! # 304
//! # vary: accept-encoding
//! curl http://127.0.0.1:8000/static/nothing.css
//! # 404 {"detail":"Not Found"}
//! curl http://127.0.0.1:8000/api/greeting
//! # 200 {"message":"Hello from the API, beside the static files"}
//! ```
//!
//! `ATODE_STATIC_DIR` serves another directory.

use std::path::PathBuf;

use atode::http::{HeaderValue, header};
use atode::response::Html;
use atode::{App, Json, get, routes};
use schemars::JsonSchema;
use serde::Serialize;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

#[derive(Serialize, JsonSchema)]
struct Greeting {
    message: &'static str,
}

/// The page: its stylesheet and script come from `/static`.
#[get("/")]
async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=en><meta charset=utf-8>",
        "<title>atode static site</title>",
        "<link rel=stylesheet href=/static/app.css>",
        "<script src=/static/app.js defer></script>",
        "<main><h1>A static site</h1>",
        "<p class=lede>Files from <code>/static</code>, data from <code>/api</code>.</p>",
        "<p id=greeting>…</p></main></html>",
    ))
}

/// A greeting for the page's script.
#[get("/api/greeting")]
async fn greeting() -> Json<Greeting> {
    Json(Greeting {
        message: "Hello from the API, beside the static files",
    })
}

fn static_dir() -> PathBuf {
    std::env::var_os("ATODE_STATIC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/examples/static").into())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let files = ServeDir::new(static_dir())
        .precompressed_br()
        .precompressed_gzip();
    // ServeDir picks the `.br` or `.gz` file by Accept-Encoding and says so
    // with `Vary` on its 200s only (tower-http #692), yet a 304 must repeat
    // it (RFC 9110 15.4.5), or a cache may stop keying the file by
    // encoding. And with `Last-Modified` but no `Cache-Control`, caches
    // would reuse a file on a heuristic (often a tenth of its age) without
    // asking: a stale stylesheet after a deploy. `no-cache` has them ask
    // each time, which the `ETag` answers with a 304.
    let files = SetResponseHeader::if_not_present(
        files,
        header::VARY,
        HeaderValue::from_static("accept-encoding"),
    );
    let files = SetResponseHeader::if_not_present(
        files,
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    let app = App::new()
        .title("Static site")
        .routes(routes![index, greeting])
        .mount("/static", files);
    atode::run(app).await
}
