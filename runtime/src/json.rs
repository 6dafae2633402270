//! `Json<T>`: a JSON request body, and a JSON response.

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::extract::{
    BodyRejection, ErrorDetail, FromRequest, RequestParts, ValidationError, has_content_type,
    read_body,
};
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
    /// The body could not be read, was too large, or was not JSON (`415`).
    Body(BodyRejection),
    /// `422`: the body is not valid JSON, or does not fit the expected type.
    Invalid(ValidationError),
}

impl IntoResponse for JsonRejection {
    fn into_response(self) -> Response {
        match self {
            JsonRejection::Body(rejection) => rejection.into_response(),
            JsonRejection::Invalid(error) => error.into_response(),
        }
    }
}

impl<T: DeserializeOwned + Send> FromRequest for Json<T> {
    type Rejection = JsonRejection;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, JsonRejection> {
        if !has_content_type(parts, "application/json") {
            return Err(JsonRejection::Body(BodyRejection::UnsupportedMediaType(
                "application/json",
            )));
        }
        let bytes = read_body(parts, body).await.map_err(JsonRejection::Body)?;
        serde_json::from_slice(&bytes)
            .map(Json)
            .map_err(|error| JsonRejection::Invalid(describe(&error, &bytes)))
    }
}

/// FastAPI reports where JSON broke as a character offset into the body;
/// serde_json gives a line and column, which this converts.
fn describe(error: &serde_json::Error, body: &[u8]) -> ValidationError {
    use serde_json::error::Category;
    let text = String::from_utf8_lossy(body);
    let offset: usize = text
        .split_inclusive('\n')
        .take(error.line().saturating_sub(1))
        .map(|line| line.chars().count())
        .sum::<usize>()
        + error.column().saturating_sub(1);
    let (kind, msg, loc) = match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => (
            "json_invalid",
            format!("JSON decode error: {error}"),
            vec!["body".into(), offset.into()],
        ),
        Category::Data => (
            "value_error",
            format!("Body does not fit the expected type: {error}"),
            vec!["body".into()],
        ),
    };
    ValidationError::new(vec![ErrorDetail {
        kind,
        loc,
        msg,
        input: None,
    }])
}
