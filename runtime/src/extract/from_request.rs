//! The two extractor traits.

use std::future::Future;

use super::{RequestParts, Requirements};
use crate::{BackgroundTasks, Body, IntoResponse};

/// An extractor that needs only the request head: method, URI, headers,
/// app state, and the request's [`BackgroundTasks`].
///
/// Implement it for your own types to build dependencies, as FastAPI's
/// `Depends` does; an extractor may call other extractors, and gets the same
/// `BackgroundTasks` as the handler.
///
/// ```
/// use atode::{BackgroundTasks, FromRequestParts, RequestParts, StatusCode};
///
/// /// The caller's user agent; queues an audit line for every request.
/// struct Audited(String);
///
/// fn audit(agent: String) {
///     let _ = agent;
/// }
///
/// impl FromRequestParts for Audited {
///     type Rejection = StatusCode;
///
///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, StatusCode> {
///         let agent = parts
///             .headers()
///             .get("user-agent")
///             .and_then(|value| value.to_str().ok())
///             .ok_or(StatusCode::BAD_REQUEST)?
///             .to_owned();
///         let tasks = BackgroundTasks::from_request_parts(parts).await.unwrap();
///         tasks.add_task(audit, (agent.clone(),));
///         Ok(Audited(agent))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler parameter here: it does not implement `FromRequestParts`",
    label = "not an extractor that works from the request head",
    note = "if `{Self}` reads the request body (as `Json<T>` does), make it the last extractor: only the last one may read the body, so a handler has at most one such parameter (path parameters and `BackgroundTasks` may still come after it)",
    note = "if it is meant to be a path parameter, name it after a `<name>` in the route's path"
)]
pub trait FromRequestParts: Sized {
    /// The response sent when extraction fails.
    type Rejection: IntoResponse;

    /// Whether the extractor reads one of the request's inputs (a header,
    /// the query string, the body) rather than being a dependency
    /// (authentication, state, an extractor of your own). `false` unless
    /// overridden; atode's `Query`, `TypedHeader`, `LastEventId` and body
    /// extractors set it (`Option<T>` and `Result<T, _>` take `T`'s).
    ///
    /// A handler's extractors run in two rounds, each in the order the
    /// parameters are written: the dependencies first, then the inputs,
    /// with the path parameters parsed between the two and the body read
    /// last. So a missing token is a `401` before a malformed parameter is
    /// a `422`, as FastAPI solves a route's dependencies before it
    /// validates its parameters. (The handler's [`BackgroundTasks`], and the
    /// `503` of a full cap on pending work, come before both.)
    ///
    /// ```
    /// use atode::extract::BearerToken;
    /// use atode::{delete, routes, App, testing::TestClient};
    ///
    /// #[delete("/subscribers/<id>")]
    /// async fn unsubscribe(id: u64, _token: BearerToken) -> String {
    ///     format!("{id} unsubscribed")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![unsubscribe]));
    /// // The token is checked before the path parameter is parsed.
    /// assert_eq!(client.delete("/subscribers/abc").await.status(), 401);
    /// let authorized = client.delete("/subscribers/abc").header("authorization", "Bearer t");
    /// assert_eq!(authorized.await.status(), 422);
    /// # }
    /// ```
    const INPUT: bool = false;

    /// Declares what the extractor needs from the app, such as
    /// [`State`](crate::State) of some type, so a missing one is reported
    /// when the server starts. Nothing, unless overridden.
    fn requirements(needs: &mut Requirements) {
        let _ = needs;
    }

    /// Builds the value from the request head.
    fn from_request_parts(
        parts: &mut RequestParts,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;
}

/// Marks [`FromRequest`] implemented through [`FromRequestParts`]. The
/// `Via` parameter only keeps the two kinds of implementation apart; it is
/// inferred, and named only in a bound that asks for a head-only extractor.
///
/// ```
/// use atode::extract::{ViaParts, ViaRequest};
/// use atode::{FromRequest, HeaderMap, Json};
///
/// fn from_the_head<T: FromRequest<ViaParts>>() {}
/// fn from_the_body<T: FromRequest<ViaRequest>>() {}
///
/// from_the_head::<HeaderMap>();
/// from_the_body::<Json<serde_json::Value>>();
/// ```
#[derive(Debug)]
pub enum ViaParts {}

/// Marks [`FromRequest`] implemented directly: the extractor reads the body.
/// It is the default of `FromRequest`'s parameter, so `impl FromRequest for
/// T` means this one; see [`ViaParts`] for an example.
#[derive(Debug)]
pub enum ViaRequest {}

/// An extractor that may read the request body, such as [`Json`](crate::Json).
/// Only a handler's last extractor is built with it.
///
/// Every [`FromRequestParts`] type is also a `FromRequest` (through
/// [`ViaParts`]), so any extractor may come last.
///
/// ```
/// use atode::{Body, FromRequest, RequestParts, StatusCode};
/// use http_body_util::BodyExt;
///
/// /// The body's length, read in full.
/// struct BodyLength(usize);
///
/// impl FromRequest for BodyLength {
///     type Rejection = StatusCode;
///
///     async fn from_request(_parts: &mut RequestParts, body: Body) -> Result<Self, StatusCode> {
///         let bytes = body.collect().await.map_err(|_| StatusCode::BAD_REQUEST)?.to_bytes();
///         Ok(BodyLength(bytes.len()))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler parameter: it is not an extractor",
    label = "does not implement `FromRequest` or `FromRequestParts`",
    note = "a handler parameter is a path parameter named after a `<name>` in the route's path, `BackgroundTasks`, or an extractor such as `Json<T>` or `State<T>`",
    note = "to use your own type, implement `atode::FromRequestParts` (or `atode::FromRequest` to read the body) for it"
)]
pub trait FromRequest<Via = ViaRequest>: Sized {
    /// The response sent when extraction fails.
    type Rejection: IntoResponse;

    /// Whether the extractor reads one of the request's inputs, the body
    /// among them, rather than being a dependency; see
    /// [`FromRequestParts::INPUT`]. `false` unless overridden, so an
    /// extractor of your own that checks the body (a signature, say) runs
    /// with the dependencies, before the path parameters; set it for one
    /// that parses the body, as `Json` and `Form` do, so it runs last.
    const INPUT: bool = false;

    /// Declares what the extractor needs from the app; see
    /// [`FromRequestParts::requirements`].
    fn requirements(needs: &mut Requirements) {
        let _ = needs;
    }

    /// Builds the value from the request head and body.
    fn from_request(
        parts: &mut RequestParts,
        body: Body,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;
}

impl<T: FromRequestParts> FromRequest<ViaParts> for T {
    type Rejection = T::Rejection;

    const INPUT: bool = T::INPUT;

    fn requirements(needs: &mut Requirements) {
        T::requirements(needs);
    }

    fn from_request(
        parts: &mut RequestParts,
        _body: Body,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        T::from_request_parts(parts)
    }
}

impl FromRequestParts for BackgroundTasks {
    type Rejection = std::convert::Infallible;

    /// The request's list: the same one for the handler and every extractor.
    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        Ok(parts.background_tasks())
    }

    /// None; noted, so that an app with durable tasks in the program and
    /// no queue is warned of at start-up (`App::check`).
    fn requirements(needs: &mut Requirements) {
        needs.background_tasks();
    }
}
