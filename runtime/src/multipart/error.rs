//! [`MultipartError`]: why a multipart body was refused, and the response
//! each reason gives.

use http::StatusCode;

use crate::extract::BodyRejection;
use crate::response::json_detail;
use crate::{ErrorDetail, IntoResponse, Response, ValidationError};

/// Why a `multipart/form-data` body was refused, whether when the
/// [`Multipart`](super::Multipart) extractor looked at the request head or
/// while the handler read its fields. Its response is a JSON
/// `{"detail": ...}`: `415` for another content type, `400` for a body
/// that is not well-formed multipart (no boundary, a part cut short), `413`
/// past a limit, `422` in FastAPI's shape for a field the handler requires
/// ([`MultipartError::missing`]). Return it from the handler (`?` works)
/// to answer with it.
///
/// ```
/// use atode::multipart::{Multipart, MultipartError};
/// use atode::{post, routes, App, testing::{MultipartForm, TestClient}};
///
/// #[post("/notes")]
/// async fn notes(mut form: Multipart) -> Result<String, MultipartError> {
///     while let Some(field) = form.next_field().await? {
///         if field.name() == Some("note") {
///             return Ok(field.text().await?);
///         }
///     }
///     Err(MultipartError::missing("note"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![notes]));
/// let form = MultipartForm::new().text("note", "hello");
/// assert_eq!(client.post("/notes").multipart(form).await.text(), "hello");
///
/// let response = client.post("/notes").multipart(MultipartForm::new()).await;
/// assert_eq!(response.status(), 422);
/// assert_eq!(
///     response.text(),
///     r#"{"detail":[{"type":"missing","loc":["body","note"],"msg":"Field required","input":null}]}"#
/// );
///
/// let response = client.post("/notes").body("note=hello").await;
/// assert_eq!(response.status(), 415);
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum MultipartError {
    /// `415`: the request's `Content-Type` is not `multipart/form-data`.
    UnsupportedMediaType,
    /// `400`: `multipart/form-data` without a `boundary` parameter, or
    /// with one that is not a valid boundary.
    InvalidBoundary,
    /// `400`: the body is not well-formed multipart (the boundary never
    /// comes, a part is cut short, a part's headers do not parse); what
    /// is wrong, for a person.
    Malformed(String),
    /// `400`: the connection failed while the body was being read.
    Unreadable(String),
    /// `408`: the body came too slowly ([`Limits::body_read_timeout`](crate::Limits),
    /// [`Limits::min_body_rate`](crate::Limits)).
    TimedOut,
    /// `400`: [`Field::text`](super::Field::text) on a field that is not
    /// UTF-8.
    NotUtf8 {
        /// The field's name, if it has one.
        field: Option<String>,
    },
    /// `413`: the whole body is larger than the route's body limit, in bytes.
    BodyTooLarge(usize),
    /// `413`: one field is larger than its limit, in bytes
    /// ([`Multipart::field_limit`](super::Multipart::field_limit),
    /// [`Multipart::file_limit`](super::Multipart::file_limit)).
    FieldTooLarge {
        /// The field's name, if it has one.
        field: Option<String>,
        /// The limit it went over, in bytes.
        limit: usize,
    },
    /// `413`: more parts than [`Multipart::max_parts`](super::Multipart::max_parts).
    TooManyParts(usize),
    /// `413`: a part's head (its headers, and any preamble or padding
    /// before them) is larger than this many bytes.
    PartHeadTooLarge(usize),
    /// `422`: the form is well-formed but not what the handler takes,
    /// in FastAPI's shape.
    Invalid(ValidationError),
    /// `500`: an upload could not be written to its temporary file (a full
    /// or read-only disk): the server's fault, logged.
    Spool(std::io::Error),
}

impl MultipartError {
    /// The `422` for a required field the form lacks:
    /// `{"type": "missing", "loc": ["body", name], "msg": "Field required"}`,
    /// as FastAPI answers a missing `Form(...)` or `File(...)`.
    ///
    /// ```
    /// use atode::multipart::MultipartError;
    /// use atode::{IntoResponse, StatusCode};
    ///
    /// let response = MultipartError::missing("file").into_response();
    /// assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    /// ```
    pub fn missing(name: &str) -> Self {
        MultipartError::field(name, "missing", "Field required")
    }

    /// The `422` for a field the form should not have:
    /// `{"type": "extra_forbidden", "loc": ["body", name], "msg": "Extra inputs are not permitted"}`,
    /// as FastAPI answers an unknown field of a form model that forbids
    /// extra fields; its schema says so with `#[schemars(deny_unknown_fields)]`.
    ///
    /// ```
    /// use atode::multipart::MultipartError;
    /// use atode::{IntoResponse, StatusCode};
    ///
    /// let response = MultipartError::unexpected("colour").into_response();
    /// assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    /// ```
    pub fn unexpected(name: &str) -> Self {
        MultipartError::field(name, "extra_forbidden", "Extra inputs are not permitted")
    }

    /// The `422` for one field of the form: `{"type": kind, "loc": ["body",
    /// name], "msg": msg}`.
    fn field(name: &str, kind: &'static str, msg: &str) -> Self {
        MultipartError::Invalid(ValidationError::new(vec![ErrorDetail {
            kind,
            loc: vec!["body".into(), name.into()],
            msg: msg.into(),
            input: None,
            ctx: None,
        }]))
    }

    /// The status this error answers with.
    ///
    /// ```
    /// use atode::multipart::MultipartError;
    /// use atode::StatusCode;
    ///
    /// assert_eq!(MultipartError::TooManyParts(1000).status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// assert_eq!(MultipartError::InvalidBoundary.status(), StatusCode::BAD_REQUEST);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            MultipartError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            MultipartError::InvalidBoundary
            | MultipartError::Malformed(_)
            | MultipartError::Unreadable(_)
            | MultipartError::NotUtf8 { .. } => StatusCode::BAD_REQUEST,
            MultipartError::BodyTooLarge(_)
            | MultipartError::FieldTooLarge { .. }
            | MultipartError::TooManyParts(_)
            | MultipartError::PartHeadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            MultipartError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            MultipartError::TimedOut => StatusCode::REQUEST_TIMEOUT,
            MultipartError::Spool(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What multer reports, in atode's terms: limits it enforces for atode
    /// (the body limit) are `413`, a broken stream is `400`.
    pub(crate) fn from_multer(error: multer::Error, body_limit: usize) -> Self {
        match error {
            multer::Error::StreamSizeExceeded { .. } => MultipartError::BodyTooLarge(body_limit),
            multer::Error::FieldSizeExceeded { limit, field_name } => {
                MultipartError::FieldTooLarge {
                    field: field_name,
                    limit: usize::try_from(limit).unwrap_or(usize::MAX),
                }
            }
            multer::Error::StreamReadFailed(error) if error.is::<crate::body::BodyTimedOut>() => {
                MultipartError::TimedOut
            }
            multer::Error::StreamReadFailed(error) => MultipartError::Unreadable(error.to_string()),
            multer::Error::NoBoundary
            | multer::Error::NoMultipart
            | multer::Error::DecodeContentType(_) => MultipartError::InvalidBoundary,
            multer::Error::IncompleteStream => MultipartError::Malformed(
                "the body ends before the closing boundary, or the boundary never appears".into(),
            ),
            multer::Error::IncompleteFieldData { field_name } => {
                MultipartError::Malformed(format!(
                    "the field {} ends before its boundary",
                    self::field_name(&field_name)
                ))
            }
            multer::Error::IncompleteHeaders | multer::Error::ReadHeaderFailed(_) => {
                MultipartError::Malformed("a part's headers do not parse".into())
            }
            multer::Error::DecodeHeaderName { .. } | multer::Error::DecodeHeaderValue { .. } => {
                MultipartError::Malformed("a part has a header that is not valid".into())
            }
            // multer's other errors come from features atode does not use.
            other => MultipartError::Malformed(other.to_string()),
        }
    }
}

impl std::fmt::Display for MultipartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MultipartError::UnsupportedMediaType => {
                f.write_str("Expected a request body with `Content-Type: multipart/form-data`")
            }
            MultipartError::InvalidBoundary => f.write_str(
                "The `multipart/form-data` Content-Type has no valid `boundary` parameter",
            ),
            MultipartError::Malformed(what) => write!(f, "Malformed multipart body: {what}"),
            MultipartError::Unreadable(error) => {
                write!(f, "Could not read the request body: {error}")
            }
            MultipartError::NotUtf8 { field } => {
                write!(f, "The field {} is not valid UTF-8", field_name(field))
            }
            MultipartError::BodyTooLarge(limit) => {
                write!(f, "Request body is larger than the limit of {limit} bytes")
            }
            MultipartError::FieldTooLarge { field, limit } => write!(
                f,
                "The field {} is larger than the limit of {limit} bytes",
                field_name(field)
            ),
            MultipartError::TooManyParts(limit) => {
                write!(f, "The form has more than {limit} parts")
            }
            MultipartError::PartHeadTooLarge(limit) => {
                write!(f, "A part's headers are larger than {limit} bytes")
            }
            MultipartError::Invalid(_) => f.write_str("The form is not the one expected"),
            MultipartError::TimedOut => f.write_str("The request body did not arrive in time"),
            MultipartError::Spool(_) => f.write_str("Internal Server Error"),
        }
    }
}

impl std::error::Error for MultipartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MultipartError::Spool(error) => Some(error),
            _ => None,
        }
    }
}

fn field_name(field: &Option<String>) -> String {
    match field {
        Some(name) => format!("`{name}`"),
        None => "without a name".to_owned(),
    }
}

impl IntoResponse for MultipartError {
    fn into_response(self) -> Response {
        match self {
            MultipartError::Invalid(error) => error.into_response(),
            MultipartError::BodyTooLarge(limit) => BodyRejection::TooLarge(limit).into_response(),
            MultipartError::TimedOut => BodyRejection::TimedOut.into_response(),
            MultipartError::Spool(ref error) => {
                // The client did nothing wrong: say nothing about the disk.
                tracing::error!(target: "atode::multipart", %error, "could not spool an upload to disk");
                json_detail(self.status(), &self.to_string())
            }
            other => json_detail(other.status(), &other.to_string()),
        }
    }
}
