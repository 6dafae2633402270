//! An echo server that keeps a log of what it served: a target for tests
//! of HTTP/1.1 framing (`scripts/http1_framing.sh` throws request-smuggling
//! vectors at it), and a handy way to see what a client or proxy really
//! sends.
//!
//! - `POST /echo` answers with the body bytes it read, its length in
//!   `x-body-length`;
//! - `GET /hits/<path..>` answers the path and how many requests have been
//!   served so far;
//! - any other request gets a `404` (an unknown path) or a `405` (a known
//!   path, another method);
//! - `GET /seen` lists every request above, in the order served: method,
//!   target as sent, version, and for `/echo` the body it read.
//!
//! A request appears in `/seen` only if it reached the app: one the server
//! refused before routing (a malformed head, a broken body) never does. The
//! log is kept in memory for as long as the server runs: a tool for tests
//! and debugging, not a server to leave running.
//!
//! ```sh
//! cargo run --example echo &
//! curl --data-binary 'hello' http://127.0.0.1:8000/echo
//! # 200 hello
//! curl http://127.0.0.1:8000/hits/a/b
//! # 200 {"path":"a/b","served":2}
//! curl http://127.0.0.1:8000/seen
//! # 200 [{"method":"POST","target":"/echo","version":"HTTP/1.1","body":"hello","body_length":5},{"method":"GET","target":"/hits/a/b","version":"HTTP/1.1","body":null,"body_length":null}]
//! curl -X PUT http://127.0.0.1:8000/echo
//! # 405 {"detail":"Method Not Allowed"}
//! ```
//!
//! Its API is documented at `/openapi.json`, and browsable at `/docs`.

use std::sync::{Arc, Mutex};

use atode::http::{Request, Version};
use atode::{App, Body, HttpError, Json, Method, State, StatusCode, Uri, get, post, routes};
use bytes::Bytes;
use schemars::JsonSchema;
use serde::Serialize;

/// One request that reached the app.
#[derive(Clone, Serialize, JsonSchema)]
struct Served {
    method: String,
    /// The request target as the client sent it: a path and query, or an
    /// absolute URI.
    target: String,
    version: String,
    /// The body, for the requests whose handler read it (`POST /echo`), as
    /// text (bytes that are not UTF-8 become U+FFFD).
    body: Option<String>,
    /// The body's length in bytes, for the same requests.
    body_length: Option<usize>,
}

/// The requests served so far, oldest first.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Served>>>);

impl Seen {
    /// Logs a request; answers how many have been served, this one included.
    fn record(&self, method: &Method, uri: &Uri, version: Version, body: Option<&[u8]>) -> usize {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        seen.push(Served {
            method: method.to_string(),
            target: uri.to_string(),
            version: format!("{version:?}"),
            body: body.map(|body| String::from_utf8_lossy(body).into_owned()),
            body_length: body.map(<[u8]>::len),
        });
        seen.len()
    }

    fn list(&self) -> Vec<Served> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

#[derive(Serialize, JsonSchema)]
struct Hits {
    /// The path under `/hits/`.
    path: String,
    /// Requests served so far, this one included.
    served: usize,
}

/// Echo the body.
///
/// Answers with the body bytes read, whatever their type; `x-body-length`
/// says how many.
#[post("/echo")]
async fn echo(
    method: Method,
    uri: Uri,
    version: Version,
    State(seen): State<Seen>,
    body: Bytes,
) -> ([(&'static str, String); 1], Bytes) {
    seen.record(&method, &uri, version, Some(&body));
    ([("x-body-length", body.len().to_string())], body)
}

/// Count a hit.
///
/// Any path under `/hits/` does; the answer names it, with the number of
/// requests served so far.
#[get("/hits/<path..>")]
async fn hits(
    path: String,
    method: Method,
    uri: Uri,
    version: Version,
    State(seen): State<Seen>,
) -> Json<Hits> {
    let served = seen.record(&method, &uri, version, None);
    Json(Hits { path, served })
}

/// The requests served so far.
#[get("/seen")]
async fn seen(State(seen): State<Seen>) -> Json<Vec<Served>> {
    Json(seen.list())
}

/// Logs an unrouted request (an unknown path, or a known path's other
/// method) and answers it as atode would have: `status`, `{"detail": ..}`.
async fn unrouted(seen: Seen, request: Request<Body>, status: StatusCode) -> HttpError {
    seen.record(request.method(), request.uri(), request.version(), None);
    HttpError::new(status, status.canonical_reason().unwrap_or_default())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let log = Seen::default();
    let (not_found, not_allowed) = (log.clone(), log.clone());
    let app = App::new()
        .state(log)
        .routes(routes![echo, hits, seen])
        .fallback(move |request: Request<Body>| {
            unrouted(not_found.clone(), request, StatusCode::NOT_FOUND)
        })
        .method_not_allowed(move |request: Request<Body>| {
            unrouted(not_allowed.clone(), request, StatusCode::METHOD_NOT_ALLOWED)
        });
    atode::run(app).await
}
