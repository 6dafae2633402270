//! Extractors for parts of the request head: `HeaderMap`, `Method`, `Uri`,
//! `Version`, and the client's address.

use std::convert::Infallible;
use std::net::SocketAddr;

use http::{HeaderMap, Method, StatusCode, Uri, Version};

use super::{FromRequestParts, RequestParts};
use crate::response::json_detail;
use crate::{IntoResponse, Response};

/// All the request's headers.
///
/// ```
/// use atode::{get, HeaderMap};
///
/// #[get("/agent")]
/// async fn agent(headers: HeaderMap) -> String {
///     headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("unknown").to_owned()
/// }
/// ```
impl FromRequestParts for HeaderMap {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(parts.headers().clone())
    }
}

/// The request method.
impl FromRequestParts for Method {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(parts.method().clone())
    }
}

/// The request URI, as sent.
impl FromRequestParts for Uri {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(parts.uri().clone())
    }
}

/// The HTTP version.
impl FromRequestParts for Version {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(parts.version())
    }
}

/// The client's socket address.
///
/// ```
/// use atode::{get, RemoteAddr};
///
/// #[get("/whoami")]
/// async fn whoami(RemoteAddr(addr): RemoteAddr) -> String {
///     addr.ip().to_string()
/// }
/// ```
///
/// A request that did not come over a socket (one sent through the app as a
/// `tower` service, or by [`TestClient`](crate::testing::TestClient) without an
/// address) has none: the extractor answers `500`, since that is a problem of
/// the server's set-up; take `Option<RemoteAddr>` to handle it yourself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemoteAddr(pub SocketAddr);

/// The request reached the app without a socket address: the rejection of
/// [`RemoteAddr`], answered with a logged `500`. Take
/// `Result<RemoteAddr, NoRemoteAddr>` (or `Option<RemoteAddr>`) to carry on
/// without an address.
///
/// ```
/// use atode::extract::NoRemoteAddr;
/// use atode::{get, routes, App, RemoteAddr, testing::TestClient};
///
/// #[get("/ip")]
/// async fn ip(addr: Result<RemoteAddr, NoRemoteAddr>) -> String {
///     match addr {
///         Ok(RemoteAddr(addr)) => addr.ip().to_string(),
///         Err(NoRemoteAddr) => "unknown".to_owned(),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![ip]));
/// assert_eq!(client.get("/ip").await.text(), "unknown");
/// assert_eq!(client.get("/ip").remote_addr(([10, 0, 0, 1], 80).into()).await.text(), "10.0.0.1");
/// # }
/// ```
#[derive(Debug)]
pub struct NoRemoteAddr;

impl IntoResponse for NoRemoteAddr {
    fn into_response(self) -> Response {
        tracing::error!(target: "atode::extract", "RemoteAddr asked for on a request that came without a socket");
        json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }
}

impl FromRequestParts for RemoteAddr {
    type Rejection = NoRemoteAddr;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, NoRemoteAddr> {
        parts.remote_addr().map(RemoteAddr).ok_or(NoRemoteAddr)
    }
}
