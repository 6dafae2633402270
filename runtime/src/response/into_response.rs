//! The `IntoResponse` trait and its implementations for the usual return types.

use std::borrow::Cow;
use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use super::Response;
use crate::{BackgroundTasks, Body};

/// A value a handler can return.
///
/// Implemented for text (`&'static str`, `String`: `text/plain`), [`Html`](crate::Html), [`Redirect`](crate::Redirect), headers with a body (`(HeaderMap, T)`, `([(name, value); N], T)`), bytes
/// (`Bytes`, `Vec<u8>`: `application/octet-stream`), [`Json`](crate::Json),
/// [`StatusCode`] (an empty body), `(StatusCode, T)`, `()` (an empty `200`),
/// [`Response`], and `Result<T, E>` where both sides are responses.
///
/// A handler that returns `Err` has failed: its response is the error's, and
/// the background tasks it queued are discarded (and the count is logged).
///
/// ```
/// use atode::{IntoResponse, Response, StatusCode};
///
/// struct NotFound(&'static str);
///
/// impl IntoResponse for NotFound {
///     fn into_response(self) -> Response {
///         (StatusCode::NOT_FOUND, format!("no such item: {}", self.0)).into_response()
///     }
/// }
///
/// let response = NotFound("plumbus").into_response();
/// assert_eq!(response.status(), StatusCode::NOT_FOUND);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a handler: it is not a response",
    label = "this type does not implement `atode::IntoResponse`",
    note = "return a `&'static str`, `String`, `Json<T>`, `Html<T>`, `Redirect`, `StatusCode`, `(StatusCode, T)`, headers with a body, `Response`, `()`, or `Result<T, E>` of those",
    note = "or implement `atode::IntoResponse` for your own type"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;
}

/// Marks a response built from a handler's `Err`, so its tasks are discarded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HandlerFailed;

/// Makes a response the last on its HTTP/1.1 connection: `Connection:
/// close`, which hyper honours by closing after it (and leaves out over
/// HTTP/2, which has no such header).
pub(crate) fn close_connection(headers: &mut http::HeaderMap) {
    headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
}

/// The `500` that replaces `replaced` when the handler's answer cannot be
/// sent as it is (a header or cookie that is not a valid header value): the
/// handler failed after all, so the request's tasks are discarded, and the
/// work its answer carried goes with the `500`, to be counted, not dropped
/// unseen.
pub(crate) fn server_mistake(replaced: Response) -> Response {
    let mut response = json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    *response.extensions_mut() = replaced.into_parts().0.extensions;
    response.extensions_mut().insert(HandlerFailed);
    response
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self;
        response
    }
}

/// `content_type` is one of the `const`s below (or the caller's own),
/// built at compile time: `HeaderValue::from_static` run per response
/// checks every byte again, a few hundred instructions on a response of a
/// few dozen.
pub(crate) fn with_content_type(body: Body, content_type: HeaderValue) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const OCTETS: HeaderValue = HeaderValue::from_static("application/octet-stream");
pub(crate) const JSON: HeaderValue = HeaderValue::from_static("application/json");

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), TEXT)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), TEXT)
    }
}

impl IntoResponse for Cow<'static, str> {
    fn into_response(self) -> Response {
        match self {
            Cow::Borrowed(text) => text.into_response(),
            Cow::Owned(text) => text.into_response(),
        }
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), OCTETS)
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), OCTETS)
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let (status, inner) = self;
        let mut response = inner.into_response();
        *response.status_mut() = status;
        response
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => {
                let mut response = error.into_response();
                response.extensions_mut().insert(HandlerFailed);
                response
            }
        }
    }
}

/// A response that carries background tasks of its own, as FastAPI's
/// `Response(background=...)` does. They run after the response, appended
/// after the tasks the handler and its extractors queued on the injected
/// `BackgroundTasks`.
///
/// ```
/// use atode::{BackgroundTasks, IntoResponse};
///
/// fn cleanup() {}
///
/// let tasks = BackgroundTasks::new();
/// tasks.add_task(cleanup, ());
/// let response = ("done", tasks).into_response();
/// # let _ = response;
/// ```
impl<T: IntoResponse> IntoResponse for (T, BackgroundTasks) {
    fn into_response(self) -> Response {
        let (inner, tasks) = self;
        let mut response = inner.into_response();
        match response.extensions().get::<BackgroundTasks>() {
            // Nested: keep the inner tasks first, then these.
            Some(carried) => carried.append(&tasks),
            None => {
                response.extensions_mut().insert(tasks);
            }
        }
        response
    }
}

/// A JSON error response in FastAPI's shape: `{"detail": "..."}`.
pub(crate) fn json_detail(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({ "detail": detail }).to_string();
    let mut response = with_content_type(Body::from(body), JSON);
    *response.status_mut() = status;
    response
}

/// `503` with `Retry-After`, for a request that reached for its background
/// tasks while the app's cap on pending background work was reached.
pub(crate) fn overloaded() -> Response {
    unavailable("Too much background work is pending; retry shortly")
}

/// A `503` the client should retry in a second: the server is fine, and
/// could not take this request's work just now.
pub(crate) fn unavailable(detail: &'static str) -> Response {
    let mut response = json_detail(StatusCode::SERVICE_UNAVAILABLE, detail);
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn text(response: Response) -> String {
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn text_types_are_plain_text() {
        let response = "hi".into_response();
        assert_eq!(response.headers()[header::CONTENT_TYPE], TEXT);
        assert_eq!(text(response).await, "hi");
        assert_eq!(text(String::from("owned").into_response()).await, "owned");
    }

    #[tokio::test]
    async fn status_pairs_override_the_status() {
        let response = (StatusCode::CREATED, "made").into_response();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(text(response).await, "made");
    }

    #[test]
    fn err_is_marked_as_a_failed_handler_and_ok_is_not() {
        let ok: Result<&str, StatusCode> = Ok("fine");
        assert!(
            ok.into_response()
                .extensions()
                .get::<HandlerFailed>()
                .is_none()
        );
        let err: Result<&str, StatusCode> = Err(StatusCode::CONFLICT);
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(response.extensions().get::<HandlerFailed>().is_some());
    }

    #[tokio::test]
    async fn json_detail_has_fastapis_shape() {
        let response = json_detail(StatusCode::NOT_FOUND, "Not Found");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(text(response).await, r#"{"detail":"Not Found"}"#);
    }
}
