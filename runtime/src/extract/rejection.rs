//! Validation errors in FastAPI's shape.

use http::StatusCode;
use serde::Serialize;

use crate::{Body, IntoResponse, Response};

/// One problem with the request, as FastAPI reports it:
/// `{"type": "int_parsing", "loc": ["path", "item_id"], "msg": "...", "input": "foo"}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorDetail {
    /// A machine-readable kind, such as `int_parsing` or `missing`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where the problem is: the source (`path`, `query`, `body`, ...) and then the field.
    pub loc: Vec<serde_json::Value>,
    /// What is wrong, for a person.
    pub msg: String,
    /// The offending input; `null` when there is none (a missing field).
    pub input: Option<serde_json::Value>,
}

/// A `422 Unprocessable Entity` listing every problem found, as
/// `{"detail": [ErrorDetail, ...]}`.
///
/// ```
/// use atode::{ErrorDetail, IntoResponse, StatusCode, ValidationError};
///
/// let error = ValidationError::new(vec![ErrorDetail {
///     kind: "missing",
///     loc: vec!["query".into(), "q".into()],
///     msg: "Field required".into(),
///     input: None,
/// }]);
/// assert_eq!(error.into_response().status(), StatusCode::UNPROCESSABLE_ENTITY);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValidationError {
    detail: Vec<ErrorDetail>,
}

impl ValidationError {
    /// The error for these problems.
    pub fn new(detail: Vec<ErrorDetail>) -> Self {
        ValidationError { detail }
    }

    /// The problems, in the order they were found.
    pub fn details(&self) -> &[ErrorDetail] {
        &self.detail
    }
}

impl IntoResponse for ValidationError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{\"detail\":[]}".to_vec());
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }
}
