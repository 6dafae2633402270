//! `Json<T>`: a JSON request body, and a JSON response.

use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::extract::{ErrorDetail, FromRequest, RequestParts, ValidationError};
use crate::response::json_detail;
use crate::{Body, IntoResponse, Response};

/// JSON in either direction.
///
/// As a handler's return type, `T` is serialized with `Content-Type:
/// application/json`. As its last parameter, the request body is read (up to
/// [`App::body_limit`](crate::App::body_limit)) and deserialized into `T`.
///
/// ```
/// use atode::{post, Json};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize)]
/// struct NewItem {
///     name: String,
/// }
///
/// #[derive(Serialize)]
/// struct Created {
///     name: String,
///     id: u64,
/// }
///
/// #[post("/items")]
/// async fn create(Json(item): Json<NewItem>) -> Json<Created> {
///     Json(Created { name: item.name, id: 1 })
/// }
/// ```
///
/// A request is rejected with `415` when its `Content-Type` is not JSON,
/// `413` when the body is over the limit, and `422` in FastAPI's shape when
/// it is not valid JSON (`"type": "json_invalid"`) or does not fit `T`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => {
                let mut response = Response::new(Body::from(bytes));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(error) => {
                // The server's own value would not serialize: its fault, not the client's.
                tracing::error!(target: "atode::response", %error, "failed to serialize a JSON response");
                json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

/// Why a [`Json`] body was refused.
#[derive(Debug)]
pub enum JsonRejection {
    /// `415`: the request's `Content-Type` is missing or not JSON.
    UnsupportedMediaType,
    /// `413`: the body is larger than the limit, in bytes.
    TooLarge(usize),
    /// `400`: the body could not be read from the connection.
    Unreadable(String),
    /// `422`: the body is not valid JSON, or does not fit the expected type.
    Invalid(ValidationError),
}

impl IntoResponse for JsonRejection {
    fn into_response(self) -> Response {
        match self {
            JsonRejection::UnsupportedMediaType => json_detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected a request body with `Content-Type: application/json`",
            ),
            JsonRejection::TooLarge(limit) => json_detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("Request body is larger than the limit of {limit} bytes"),
            ),
            JsonRejection::Unreadable(error) => json_detail(
                StatusCode::BAD_REQUEST,
                &format!("Could not read the request body: {error}"),
            ),
            JsonRejection::Invalid(error) => error.into_response(),
        }
    }
}

fn is_json(parts: &RequestParts) -> bool {
    let Some(content_type) = parts
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned + Send> FromRequest for Json<T> {
    type Rejection = JsonRejection;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, JsonRejection> {
        if !is_json(parts) {
            return Err(JsonRejection::UnsupportedMediaType);
        }
        let limit = parts.body_limit();
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.is::<LengthLimitError>() => {
                return Err(JsonRejection::TooLarge(limit));
            }
            Err(error) => return Err(JsonRejection::Unreadable(error.to_string())),
        };
        serde_json::from_slice(&bytes)
            .map(Json)
            .map_err(|error| JsonRejection::Invalid(describe(&error)))
    }
}

fn describe(error: &serde_json::Error) -> ValidationError {
    use serde_json::error::Category;
    let (kind, msg) = match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ("json_invalid", format!("JSON decode error: {error}"))
        }
        Category::Data => (
            "value_error",
            format!("Body does not match the expected shape: {error}"),
        ),
    };
    let mut loc = vec![serde_json::Value::from("body")];
    if kind == "json_invalid" {
        loc.push(serde_json::Value::from(error.column()));
    }
    ValidationError::new(vec![ErrorDetail {
        kind,
        loc,
        msg,
        input: None,
    }])
}
