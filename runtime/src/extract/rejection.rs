//! Validation errors in FastAPI's shape.

use http::StatusCode;
use serde::Serialize;

use crate::response::{JSON, with_content_type};
use crate::{Body, IntoResponse, Response};

/// One problem with the request, as FastAPI reports it:
/// `{"type": "int_parsing", "loc": ["path", "item_id"], "msg": "...", "input": "foo"}`.
/// Build one to reject a request from an extractor of your own, within a
/// [`ValidationError`]; read them with [`ValidationError::details`].
///
/// ```
/// use atode::ErrorDetail;
/// use serde_json::json;
///
/// let detail = ErrorDetail {
///     kind: "int_parsing",
///     loc: vec!["path".into(), "item_id".into()],
///     msg: "Input should be a valid integer".into(),
///     input: Some("foo".into()),
///     ctx: None,
/// };
/// assert_eq!(
///     serde_json::to_value(&detail).unwrap(),
///     json!({
///         "type": "int_parsing",
///         "loc": ["path", "item_id"],
///         "msg": "Input should be a valid integer",
///         "input": "foo",
///     })
/// );
/// ```
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
    /// What the rule expected, such as `{"ge": 1}` for a broken lower
    /// bound; left out of the body when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<serde_json::Value>,
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
///     ctx: None,
/// }]);
/// assert_eq!(error.into_response().status(), StatusCode::UNPROCESSABLE_ENTITY);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValidationError {
    detail: Vec<ErrorDetail>,
}

impl ValidationError {
    /// The error for these problems, in the order a client should read them.
    ///
    /// ```
    /// use atode::{ErrorDetail, IntoResponse, ValidationError};
    /// use http_body_util::BodyExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let error = ValidationError::new(vec![ErrorDetail {
    ///     kind: "missing",
    ///     loc: vec!["query".into(), "q".into()],
    ///     msg: "Field required".into(),
    ///     input: None,
    ///     ctx: None,
    /// }]);
    /// let body = error.into_response().into_body().collect().await.unwrap().to_bytes();
    /// assert_eq!(
    ///     body,
    ///     r#"{"detail":[{"type":"missing","loc":["query","q"],"msg":"Field required","input":null}]}"#
    /// );
    /// # }
    /// ```
    pub fn new(detail: Vec<ErrorDetail>) -> Self {
        ValidationError { detail }
    }

    /// The problems, in the order they were found.
    ///
    /// ```
    /// use atode::{get, routes, App, Query, ValidationError, testing::TestClient};
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// struct Search {
    ///     q: String,
    ///     limit: Option<u32>,
    /// }
    ///
    /// #[get("/search")]
    /// async fn search(query: Result<Query<Search>, ValidationError>) -> String {
    ///     match query {
    ///         Ok(Query(search)) => format!("{} {:?}", search.q, search.limit),
    ///         Err(error) => {
    ///             let kinds: Vec<&str> = error.details().iter().map(|detail| detail.kind).collect();
    ///             kinds.join(", ")
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![search]));
    /// let response = client.get("/search").query(&[("limit", "many")]).await;
    /// assert_eq!(response.text(), "int_parsing, missing");
    /// # }
    /// ```
    pub fn details(&self) -> &[ErrorDetail] {
        &self.detail
    }
}

impl IntoResponse for ValidationError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{\"detail\":[]}".to_vec());
        let mut response = with_content_type(Body::from(body), JSON);
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        response
    }
}
