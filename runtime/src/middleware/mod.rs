//! Middleware from an `async fn`: FastAPI's `@app.middleware("http")`,
//! axum's `middleware::from_fn`. The function gets the request and [`Next`],
//! the rest of the app, and returns the response; what it puts in the
//! request's extensions, handlers read with [`Extension<T>`]. It may take
//! extractors before the request (see [`Middleware`]), and wraps the whole
//! app ([`App::middleware`](crate::App::middleware)) or a router's routes
//! ([`Router::middleware`](crate::Router::middleware)).
//!
//! ```
//! use atode::middleware::{Extension, Next};
//! use atode::{get, routes, App, Body, Response, testing::TestClient};
//! use atode::http::{HeaderValue, Request};
//!
//! #[derive(Clone)]
//! struct RequestId(String);
//!
//! /// Gives each request an id, and its response the same id.
//! async fn request_id(mut request: Request<Body>, next: Next) -> Response {
//!     let id = request
//!         .headers()
//!         .get("x-request-id")
//!         .and_then(|id| id.to_str().ok())
//!         .map_or_else(|| "generated".to_owned(), str::to_owned);
//!     request.extensions_mut().insert(RequestId(id.clone()));
//!     let mut response = next.run(request).await;
//!     response.headers_mut().insert("x-request-id", HeaderValue::from_str(&id).unwrap());
//!     response
//! }
//!
//! #[get("/")]
//! async fn index(Extension(RequestId(id)): Extension<RequestId>) -> String {
//!     format!("request {id}")
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().middleware(request_id).routes(routes![index]));
//! let response = client.get("/").header("x-request-id", "abc").await;
//! assert_eq!(response.text(), "request abc");
//! assert_eq!(response.header("x-request-id"), Some("abc"));
//! # }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::StatusCode;

mod from_fn;

pub use from_fn::Middleware;
pub(crate) use from_fn::wrap;

use crate::extract::{FromRequestParts, RequestParts};
use crate::response::json_detail;
use crate::routing::Routes;
use crate::shared::AppShared;
use crate::{Body, IntoResponse, Response};

/// The rest of the app, as a middleware function sees it: the inner
/// middleware and layers, then the routes.
pub struct Next {
    inner: Routes,
    shared: Arc<AppShared>,
}

impl Next {
    /// Passes the request on, and returns the response the app makes of
    /// it. The request's background tasks still start once the response
    /// the middleware returns has been written.
    pub async fn run(self, request: http::Request<Body>) -> Response {
        let mut inner = self.inner;
        let Ok(response) = tower_service::Service::call(&mut inner, request).await;
        response.map(Body::new)
    }

    /// A clone of the app's state of type `T` (given with
    /// [`App::state`](crate::App::state)), if it has one.
    ///
    /// ```
    /// use atode::middleware::Next;
    /// use atode::{get, routes, App, Body, IntoResponse, Response, StatusCode, testing::TestClient};
    /// use atode::http::Request;
    ///
    /// #[derive(Clone)]
    /// struct Maintenance(bool);
    ///
    /// async fn closed(request: Request<Body>, next: Next) -> Response {
    ///     match next.state::<Maintenance>() {
    ///         Some(Maintenance(true)) => (StatusCode::SERVICE_UNAVAILABLE, "back soon").into_response(),
    ///         _ => next.run(request).await,
    ///     }
    /// }
    ///
    /// #[get("/")]
    /// async fn index() -> &'static str {
    ///     "open"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().middleware(closed).routes(routes![index]);
    /// let client = TestClient::new(app.clone().state(Maintenance(true)));
    /// assert_eq!(client.get("/").await.status(), 503);
    /// assert_eq!(TestClient::new(app).get("/").await.text(), "open");
    /// # }
    /// ```
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.shared.state.get::<T>().cloned()
    }
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").finish_non_exhaustive()
    }
}

/// An async function of the request, as a tower service: a fallback, a
/// `405` handler, or a middleware function with its `Next` bound.
#[derive(Clone)]
pub(crate) struct FnService<F>(pub(crate) F);

impl<F, Fut, R> tower_service::Service<http::Request<Body>> for FnService<F>
where
    F: Fn(http::Request<Body>) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let answer = (self.0)(request);
        Box::pin(async move { Ok(answer.await.into_response()) })
    }
}

/// A value a middleware put in the request's extensions
/// (`request.extensions_mut().insert(value)`), for a handler. A request
/// without one is answered `500` and logged: the middleware that should
/// have added it did not run, which is the app's mistake, not the
/// client's. Take `Option<Extension<T>>` where it may be missing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extension<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromRequestParts for Extension<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Response> {
        match parts.extensions().get::<T>() {
            Some(value) => Ok(Extension(value.clone())),
            None => {
                tracing::error!(
                    target: "atode::middleware",
                    route = parts.route_path(),
                    "no middleware put a `{}` on the request; answering 500",
                    std::any::type_name::<T>()
                );
                Err(json_detail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error",
                ))
            }
        }
    }
}

/// Reads what a middleware added: nothing from the client.
#[cfg(feature = "openapi")]
impl<T> crate::openapi::OperationInput for Extension<T> {
    fn operation_input(_: &mut crate::openapi::Operation<'_>) {}
}
