//! Responses with extra headers: `(HeaderMap, T)`, `([(name, value); N], T)`,
//! and the same with a status first.

use std::fmt::Display;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::Response;
use super::into_response::server_mistake;
use crate::IntoResponse;

/// Adds `headers` to `inner`'s response, replacing any of the same name.
///
/// ```
/// use atode::{HeaderMap, IntoResponse};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-powered-by", "atode".parse().unwrap());
/// let response = (headers, "hi").into_response();
/// assert_eq!(response.headers()["x-powered-by"], "atode");
/// ```
impl<T: IntoResponse> IntoResponse for (HeaderMap, T) {
    fn into_response(self) -> Response {
        let (headers, inner) = self;
        let mut response = inner.into_response();
        response.headers_mut().extend(headers);
        response
    }
}

/// Adds the named headers to `inner`'s response.
///
/// ```
/// use atode::IntoResponse;
///
/// let response = ([("cache-control", "no-store")], "fresh").into_response();
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// ```
///
/// A name or value that is not a valid header is the server's mistake: the
/// response becomes a logged `500`.
impl<K, V, const N: usize, T> IntoResponse for ([(K, V); N], T)
where
    K: TryInto<HeaderName>,
    K::Error: Display,
    V: TryInto<HeaderValue>,
    V::Error: Display,
    T: IntoResponse,
{
    fn into_response(self) -> Response {
        let (pairs, inner) = self;
        let mut response = inner.into_response();
        for (name, value) in pairs {
            match (name.try_into(), value.try_into()) {
                (Ok(name), Ok(value)) => {
                    response.headers_mut().insert(name, value);
                }
                (Err(error), _) => return invalid_header(&error, response),
                (_, Err(error)) => return invalid_header(&error, response),
            }
        }
        response
    }
}

fn invalid_header(error: &dyn Display, replaced: Response) -> Response {
    tracing::error!(target: "atode::response", %error, "a handler returned an invalid header");
    server_mistake(replaced)
}

/// A status, headers and a body.
impl<T: IntoResponse> IntoResponse for (StatusCode, HeaderMap, T) {
    fn into_response(self) -> Response {
        let (status, headers, inner) = self;
        (status, (headers, inner)).into_response()
    }
}

/// A status, named headers and a body.
///
/// ```
/// use atode::{IntoResponse, StatusCode};
///
/// let response = (StatusCode::CREATED, [("location", "/items/7")], "made").into_response();
/// assert_eq!(response.status(), StatusCode::CREATED);
/// assert_eq!(response.headers()["location"], "/items/7");
/// ```
impl<K, V, const N: usize, T> IntoResponse for (StatusCode, [(K, V); N], T)
where
    K: TryInto<HeaderName>,
    K::Error: Display,
    V: TryInto<HeaderValue>,
    V::Error: Display,
    T: IntoResponse,
{
    fn into_response(self) -> Response {
        let (status, headers, inner) = self;
        let mut response = (headers, inner).into_response();
        // An invalid header already made this a 500; keep that.
        if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
            *response.status_mut() = status;
        }
        response
    }
}
