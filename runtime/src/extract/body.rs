//! Reading the request body, up to the app's limit; and the raw-body
//! extractors `Bytes` and `String`.

use bytes::Bytes;
use http::{StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::{FromRequest, RequestParts};
use crate::body::BodyTimedOut;
use crate::response::{close_connection, json_detail};
use crate::{Body, IntoResponse, Response};

/// The `408` for a body that came too slowly. `Connection: close`, since
/// the rest of the body is never read (hyper leaves it out over HTTP/2,
/// whose stream is reset instead).
pub(crate) fn timed_out() -> Response {
    let mut response = json_detail(
        StatusCode::REQUEST_TIMEOUT,
        "The request body did not arrive in time",
    );
    close_connection(response.headers_mut());
    response
}

/// Why a request body could not be read: the rejection of the `Bytes` and
/// `String` extractors, and part of [`JsonRejection`](crate::JsonRejection)
/// and [`FormRejection`](super::FormRejection). Its response is a JSON
/// `{"detail": "..."}` with the status each variant names.
///
/// ```
/// use atode::extract::BodyRejection;
/// use atode::{post, routes, App, testing::TestClient};
///
/// #[post("/echo")]
/// async fn echo(body: Result<String, BodyRejection>) -> String {
///     match body {
///         Ok(text) => text,
///         Err(BodyRejection::NotUtf8) => "binary".to_owned(),
///         Err(BodyRejection::TooLarge(limit)) => format!("over {limit} bytes"),
///         Err(other) => format!("{other:?}"),
///     }
/// }
///
/// #[post("/strict")]
/// async fn strict(text: String) -> String {
///     text
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().body_limit(8).routes(routes![echo, strict]));
/// assert_eq!(client.post("/echo").body(vec![0xff, 0xfe]).await.text(), "binary");
/// assert_eq!(client.post("/echo").body("0123456789").await.text(), "over 8 bytes");
/// // Without the `Result`, the rejection is the response.
/// let response = client.post("/strict").body(vec![0xff]).await;
/// assert_eq!(response.status(), 400);
/// assert_eq!(response.text(), r#"{"detail":"The request body is not valid UTF-8"}"#);
/// # }
/// ```
#[derive(Debug)]
pub enum BodyRejection {
    /// `413`: the body is larger than the limit, in bytes.
    TooLarge(usize),
    /// `400`: the connection failed while the body was being read.
    Unreadable(String),
    /// `415`: the body's `Content-Type` is not the one expected.
    UnsupportedMediaType(&'static str),
    /// `400`: a `String` body that is not UTF-8.
    NotUtf8,
    /// `408`: the body came too slowly ([`Limits::body_read_timeout`](crate::Limits),
    /// [`Limits::min_body_rate`](crate::Limits)). The response closes an
    /// HTTP/1.1 connection, whose rest of the body will not be read.
    TimedOut,
}

impl IntoResponse for BodyRejection {
    fn into_response(self) -> Response {
        match self {
            BodyRejection::TooLarge(limit) => json_detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("Request body is larger than the limit of {limit} bytes"),
            ),
            BodyRejection::Unreadable(error) => json_detail(
                StatusCode::BAD_REQUEST,
                &format!("Could not read the request body: {error}"),
            ),
            BodyRejection::UnsupportedMediaType(expected) => json_detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!("Expected a request body with `Content-Type: {expected}`"),
            ),
            BodyRejection::NotUtf8 => json_detail(
                StatusCode::BAD_REQUEST,
                "The request body is not valid UTF-8",
            ),
            BodyRejection::TimedOut => timed_out(),
        }
    }
}

/// Reads the whole body, refusing it past [`RequestParts::body_limit`].
pub(crate) async fn read_body(parts: &RequestParts, body: Body) -> Result<Bytes, BodyRejection> {
    let limit = parts.body_limit();
    // A declared length over the limit is refused without reading a byte.
    let declared = parts
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyRejection::TooLarge(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(BodyRejection::TooLarge(limit)),
        Err(error) if error.is::<BodyTimedOut>() => Err(BodyRejection::TimedOut),
        Err(error) => Err(BodyRejection::Unreadable(error.to_string())),
    }
}

/// Whether the request's `Content-Type` is `expected` (ignoring parameters
/// such as `charset`), or for JSON any `application/*+json`.
pub(crate) fn has_content_type(parts: &RequestParts, expected: &str) -> bool {
    let Some(content_type) = parts
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    is_media_type(content_type, expected)
}

/// Whether `content_type` is `expected`, as [`has_content_type`] says.
fn is_media_type(content_type: &str, expected: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    // Compared in place: a lowercased copy would be an allocation per body.
    let ends = |suffix: &str| {
        let start = essence.len().saturating_sub(suffix.len());
        essence
            .get(start..)
            .is_some_and(|end| end.eq_ignore_ascii_case(suffix))
    };
    let starts = |prefix: &str| {
        essence
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    };
    essence.eq_ignore_ascii_case(expected)
        || (expected == "application/json" && starts("application/") && ends("+json"))
}

/// The raw body, whatever its content type.
///
/// ```
/// use atode::post;
/// use bytes::Bytes;
///
/// #[post("/upload")]
/// async fn upload(body: Bytes) -> String {
///     format!("{} bytes", body.len())
/// }
/// ```
impl FromRequest for Bytes {
    type Rejection = BodyRejection;

    const INPUT: bool = true;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, BodyRejection> {
        read_body(parts, body).await
    }
}

/// The body as text; `400` if it is not UTF-8.
///
/// ```
/// use atode::post;
///
/// #[post("/echo")]
/// async fn echo(text: String) -> String {
///     text
/// }
/// ```
impl FromRequest for String {
    type Rejection = BodyRejection;

    const INPUT: bool = true;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, BodyRejection> {
        let bytes = read_body(parts, body).await?;
        String::from_utf8(bytes.into()).map_err(|_| BodyRejection::NotUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::is_media_type;

    #[test]
    fn a_media_type_is_compared_without_case_or_parameters() {
        let json = "application/json";
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ;x=1",
            "application/problem+json",
            "APPLICATION/VND.API+JSON",
        ] {
            assert!(is_media_type(yes, json), "{yes}");
        }
        for no in [
            "text/json",
            "application/jsonx",
            "json",
            "application/+jsonp",
            "",
        ] {
            assert!(!is_media_type(no, json), "{no}");
        }
        assert!(is_media_type(
            "Application/X-WWW-Form-Urlencoded",
            "application/x-www-form-urlencoded"
        ));
        assert!(!is_media_type(
            "application/problem+json",
            "application/xml"
        ));
    }
}
