//! What answers the requests no route matches: a fallback handler (an
//! SPA's `index.html`, a `404` of your own), tower services mounted under a
//! prefix (tower-http's `ServeDir`), and the `405` for a known path's other
//! methods.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;

use super::App;
use crate::middleware::FnService;
use crate::routing::{Layered, LayeredService};
use crate::{Body, BoxError, IntoResponse};

impl App {
    /// Answers the requests no route (and no [`mount`](App::mount)) matches
    /// with `handler`, in place of atode's `404 {"detail":"Not Found"}`.
    /// It gets the whole request.
    ///
    /// ```
    /// use atode::{get, routes, App, Body, StatusCode, testing::TestClient};
    /// use atode::response::Html;
    ///
    /// #[get("/api/health")]
    /// async fn health() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // A single-page app: every other path gets the page, which routes itself.
    /// let app = App::new()
    ///     .routes(routes![health])
    ///     .fallback(|_request: atode::http::Request<Body>| async { Html("<div id=app></div>") });
    /// let client = TestClient::new(app);
    /// assert_eq!(client.get("/settings/profile").await.text(), "<div id=app></div>");
    /// assert_eq!(client.get("/api/health").await.text(), "ok");
    /// # }
    /// ```
    pub fn fallback<F, Fut, R>(self, handler: F) -> Self
    where
        F: Fn(http::Request<Body>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.fallback_service(FnService(handler))
    }

    /// Answers the requests no route matches with a tower service, such as
    /// tower-http's `ServeDir` with its own fallback.
    ///
    /// ```
    /// use atode::{App, Body, Response, testing::TestClient};
    /// use std::convert::Infallible;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let service = tower::service_fn(|request: atode::http::Request<Body>| async move {
    ///     Ok::<_, Infallible>(Response::new(Body::from(format!("no {}", request.uri().path()))))
    /// });
    /// let client = TestClient::new(App::new().fallback_service(service));
    /// assert_eq!(client.get("/missing").await.text(), "no /missing");
    /// # }
    /// ```
    pub fn fallback_service<S, B>(mut self, service: S) -> Self
    where
        S: tower_service::Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.routing_mut().unmatched.fallback = Some(Arc::new(Layered::answering_clients(service)));
        self
    }

    /// Mounts a tower service at `prefix`: a request for `prefix` or a path
    /// under it that no route matches goes to `service`, which sees the
    /// path without the prefix (`/static/app.css` as `/app.css`), query
    /// kept. Routes are matched first. `prefix` starts with `/`; a trailing
    /// `/` is ignored. tower-http's `ServeDir` serves a directory this way,
    /// with ranges, `ETag`s and precompressed files, and refuses `..`.
    /// It sends no `Cache-Control`, so caches reuse its files on a heuristic
    /// without asking, and its `304`s lack the `Vary: accept-encoding` of
    /// its `200`s: wrap it in tower-http's
    /// `SetResponseHeader::if_not_present` for `cache-control: no-cache` (or
    /// the lifetime the files have) and `vary: accept-encoding`, as
    /// `examples/static_site.rs` does.
    ///
    /// An error the service answers without a body (`ServeDir` gives its
    /// `404`, `405` and `416` so) gets atode's `{"detail": "<reason>"}`, with
    /// the service's headers (`Allow`, `Content-Range`) kept; so does one
    /// from a [`fallback_service`](App::fallback_service).
    ///
    /// ```
    /// use atode::{App, Body, Response, StatusCode, testing::TestClient};
    /// use std::convert::Infallible;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let files = tower::service_fn(|request: atode::http::Request<Body>| async move {
    ///     let mut response = Response::new(Body::from(format!("file {}", request.uri())));
    ///     if request.uri().path() == "/gone.css" {
    ///         response = Response::new(Body::empty());
    ///         *response.status_mut() = StatusCode::NOT_FOUND;
    ///     }
    ///     Ok::<_, Infallible>(response)
    /// });
    /// let client = TestClient::new(App::new().mount("/static", files));
    /// assert_eq!(client.get("/static/app.css?v=2").await.text(), "file /app.css?v=2");
    /// assert_eq!(client.get("/static").await.text(), "file /");
    /// assert_eq!(client.get("/static/gone.css").await.text(), r#"{"detail":"Not Found"}"#);
    /// assert_eq!(client.get("/staticky").await.status(), 404);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If `prefix` does not start with `/`: a mistake to catch at start-up.
    pub fn mount<S, B>(mut self, prefix: &str, service: S) -> Self
    where
        S: tower_service::Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        assert!(
            prefix.starts_with('/'),
            "atode: `App::mount` takes a path starting with `/`, not `{prefix}`"
        );
        let prefix = prefix.trim_end_matches('/').to_owned();
        let service: Arc<dyn LayeredService> = Arc::new(Layered::answering_clients(service));
        let mounts = &mut self.routing_mut().unmatched.mounts;
        mounts.push((prefix, service));
        // The longest prefix first, so `/static/img` wins over `/static`.
        mounts.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        self
    }

    /// Answers a known path's other methods with `handler`, in place of
    /// atode's `405 {"detail":"Method Not Allowed"}`; atode adds the
    /// `Allow` header to what it returns.
    ///
    /// ```
    /// use atode::{get, routes, App, Body, StatusCode, testing::TestClient};
    ///
    /// #[get("/items")]
    /// async fn items() -> &'static str {
    ///     "[]"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().routes(routes![items]).method_not_allowed(
    ///     |request: atode::http::Request<Body>| async move {
    ///         (StatusCode::METHOD_NOT_ALLOWED, format!("{} is not allowed here", request.method()))
    ///     },
    /// );
    /// let response = TestClient::new(app).delete("/items").await;
    /// assert_eq!(response.status(), 405);
    /// assert_eq!(response.text(), "DELETE is not allowed here");
    /// assert_eq!(response.header("allow"), Some("GET, HEAD"));
    /// # }
    /// ```
    pub fn method_not_allowed<F, Fut, R>(mut self, handler: F) -> Self
    where
        F: Fn(http::Request<Body>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        let service = Arc::new(Layered::new(FnService(handler)));
        self.routing_mut().unmatched.method_not_allowed = Some(service);
        self
    }

    /// Whether a path no route matches is redirected to its twin with the
    /// last slash added or removed, when a route matches the twin (for any
    /// method): `307` with `Location` (the query kept), so the client
    /// repeats the same method with the same body. On by default, as
    /// FastAPI's `redirect_slashes`.
    ///
    /// A route that matches the path as sent always answers it, and so
    /// does a [`mount`](App::mount) (the redirect comes before the
    /// [`fallback`](App::fallback)). A twin that starts with `//` or `/\`
    /// would name another host to a browser, and is never redirected to.
    /// Off, such a path is `404`.
    ///
    /// ```
    /// use atode::{get, post, routes, App, Router, testing::TestClient};
    ///
    /// #[post("/")]
    /// async fn create() -> &'static str {
    ///     "created"
    /// }
    ///
    /// #[get("/health")]
    /// async fn health() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // The route is `/users/`: a prefix, and `"/"`.
    /// let users = Router::new("/users").routes(routes![create]);
    /// let app = App::new().router(users).routes(routes![health]);
    /// let client = TestClient::new(app.clone());
    /// let moved = client.post("/users?notify=1").await;
    /// assert_eq!(moved.status(), 307);
    /// assert_eq!(moved.header("location"), Some("/users/?notify=1"));
    /// assert_eq!(client.get("/health/").await.header("location"), Some("/health"));
    ///
    /// let strict = TestClient::new(app.redirect_slashes(false));
    /// assert_eq!(strict.post("/users").await.status(), 404);
    /// # }
    /// ```
    pub fn redirect_slashes(mut self, redirect: bool) -> Self {
        self.routing_mut().unmatched.strict_slashes = !redirect;
        self
    }
}
