//! `HttpError`: FastAPI's `HTTPException`, returned rather than raised.

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use serde_json::Value;

use super::{JSON, with_content_type};
use crate::{Body, IntoResponse, Response};

/// An error answered to the client as `{"detail": ...}` with its status
/// and any headers: FastAPI's `HTTPException`. A handler returns
/// `Result<T, HttpError>` and uses `?`; the `detail` is a message or any
/// JSON.
///
/// ```
/// use atode::{get, routes, App, HttpError, Json, StatusCode, testing::TestClient};
///
/// #[get("/items/<id>")]
/// async fn read_item(id: u32) -> Result<Json<u32>, HttpError> {
///     let item = (id == 7).then_some(id).ok_or_else(|| HttpError::not_found("Item not found"))?;
///     Ok(Json(item))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![read_item]));
/// let response = client.get("/items/3").await;
/// assert_eq!(response.status(), StatusCode::NOT_FOUND);
/// assert_eq!(response.text(), r#"{"detail":"Item not found"}"#);
/// # }
/// ```
///
/// As with any `Err`, the background tasks the request queued are
/// discarded: they were the success path's work. Work that must run
/// whatever happens, such as an audit line, goes on the error itself with
/// [`HttpError::with_tasks`], and runs after the error response.
#[derive(Debug)]
pub struct HttpError(Box<Parts>);

/// Boxed, so a `Result<T, HttpError>` stays a pointer wide on its `Err`
/// side (clippy's `result_large_err` in users' code otherwise).
#[derive(Debug)]
struct Parts {
    status: StatusCode,
    detail: Value,
    headers: HeaderMap,
    tasks: Option<crate::BackgroundTasks>,
}

impl HttpError {
    /// An error with `status` and `detail`: a message (`&str`, `String`)
    /// or any JSON (`serde_json::json!({...})`).
    ///
    /// ```
    /// use atode::{HttpError, IntoResponse, StatusCode};
    /// use serde_json::json;
    ///
    /// let error = HttpError::new(StatusCode::CONFLICT, json!({ "field": "email", "taken": true }));
    /// assert_eq!(error.status(), StatusCode::CONFLICT);
    /// assert_eq!(error.detail()["field"], "email");
    /// ```
    pub fn new(status: StatusCode, detail: impl Into<Value>) -> Self {
        HttpError(Box::new(Parts {
            status,
            detail: detail.into(),
            headers: HeaderMap::new(),
            tasks: None,
        }))
    }

    /// `400 Bad Request`.
    pub fn bad_request(detail: impl Into<Value>) -> Self {
        HttpError::new(StatusCode::BAD_REQUEST, detail)
    }

    /// `401 Unauthorized`, with the `WWW-Authenticate` challenge a client
    /// needs (`"Bearer"`, `"Basic realm=\"api\""`).
    ///
    /// ```
    /// use atode::{HttpError, IntoResponse};
    ///
    /// let response = HttpError::unauthorized("Bearer", "Not authenticated").into_response();
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(response.headers()["www-authenticate"], "Bearer");
    /// ```
    pub fn unauthorized(challenge: &'static str, detail: impl Into<Value>) -> Self {
        HttpError::new(StatusCode::UNAUTHORIZED, detail).header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        )
    }

    /// `403 Forbidden`.
    pub fn forbidden(detail: impl Into<Value>) -> Self {
        HttpError::new(StatusCode::FORBIDDEN, detail)
    }

    /// `404 Not Found`.
    pub fn not_found(detail: impl Into<Value>) -> Self {
        HttpError::new(StatusCode::NOT_FOUND, detail)
    }

    /// `409 Conflict`.
    pub fn conflict(detail: impl Into<Value>) -> Self {
        HttpError::new(StatusCode::CONFLICT, detail)
    }

    /// Adds a header to the response.
    ///
    /// ```
    /// use atode::{HttpError, IntoResponse, StatusCode};
    /// use atode::http::{HeaderValue, header};
    ///
    /// let response = HttpError::new(StatusCode::TOO_MANY_REQUESTS, "Slow down")
    ///     .header(header::RETRY_AFTER, HeaderValue::from_static("30"))
    ///     .into_response();
    /// assert_eq!(response.headers()["retry-after"], "30");
    /// ```
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.append(name, value);
        self
    }

    /// Runs `tasks` after the error response, as a successful response's
    /// tasks run: the error path's own work (an audit line, a metric), which
    /// the discarding of the request's other tasks leaves alone.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use atode::{post, routes, App, BackgroundTasks, HttpError, State, testing::TestClient};
    ///
    /// #[derive(Clone, Default)]
    /// struct Audit(Arc<Mutex<Vec<String>>>);
    ///
    /// fn record(audit: Audit, line: String) {
    ///     audit.0.lock().unwrap().push(line);
    /// }
    ///
    /// fn welcome(_user: String) {}
    ///
    /// #[post("/admin/<user>")]
    /// async fn promote(user: String, State(audit): State<Audit>, tasks: BackgroundTasks) -> Result<&'static str, HttpError> {
    ///     tasks.add_task(welcome, (user.clone(),));
    ///     if user != "ada" {
    ///         let trail = BackgroundTasks::new();
    ///         trail.add_task(record, (audit, format!("refused {user}")));
    ///         return Err(HttpError::forbidden("Not an admin").with_tasks(trail));
    ///     }
    ///     Ok("promoted")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let audit = Audit::default();
    /// let client = TestClient::new(App::new().state(audit.clone()).routes(routes![promote]));
    /// assert_eq!(client.post("/admin/bob").await.status(), 403);
    /// assert_eq!(*audit.0.lock().unwrap(), ["refused bob"]);
    /// # }
    /// ```
    pub fn with_tasks(mut self, tasks: crate::BackgroundTasks) -> Self {
        match &self.0.tasks {
            Some(carried) => carried.append(&tasks),
            None => self.0.tasks = Some(tasks),
        }
        self
    }

    /// The status the client gets.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// What `"detail"` holds.
    pub fn detail(&self) -> &Value {
        &self.0.detail
    }
}

/// The status's reason as the detail: `HttpError::from(StatusCode::NOT_FOUND)`
/// answers `{"detail": "Not Found"}`, as FastAPI's `HTTPException(404)` does.
///
/// ```
/// use atode::{HttpError, StatusCode};
///
/// assert_eq!(HttpError::from(StatusCode::NOT_FOUND).detail(), "Not Found");
/// ```
impl From<StatusCode> for HttpError {
    fn from(status: StatusCode) -> Self {
        HttpError::new(status, status.canonical_reason().unwrap_or(""))
    }
}

/// A `422` in FastAPI's shape, as extractors answer it: a handler that
/// validates more than serde does answers the same way.
///
/// ```
/// use atode::{ErrorDetail, HttpError, ValidationError};
///
/// let error: HttpError = ValidationError::new(vec![ErrorDetail {
///     kind: "value_error",
///     loc: vec!["body".into(), "email".into()],
///     msg: "value is not a valid email address".into(),
///     input: Some("ada".into()),
///     ctx: None,
/// }])
/// .into();
/// assert_eq!(error.status(), 422);
/// assert_eq!(error.detail()[0]["loc"][1], "email");
/// ```
impl From<crate::ValidationError> for HttpError {
    fn from(error: crate::ValidationError) -> Self {
        let detail = serde_json::to_value(error.details()).unwrap_or(Value::Null);
        HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0.detail {
            Value::String(detail) => write!(f, "{}: {detail}", self.0.status),
            detail => write!(f, "{}: {detail}", self.0.status),
        }
    }
}

impl std::error::Error for HttpError {}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let Parts {
            status,
            detail,
            headers: extra,
            tasks,
        } = *self.0;
        let body = serde_json::json!({ "detail": detail }).to_string();
        let mut response = with_content_type(Body::from(body), JSON);
        *response.status_mut() = status;
        response.headers_mut().extend(extra);
        if let Some(tasks) = tasks {
            response.extensions_mut().insert(ErrorPathTasks(tasks));
        }
        response
    }
}

/// Tasks an error response carries, which run even though the handler
/// failed (see [`HttpError::with_tasks`]).
#[derive(Clone)]
pub(crate) struct ErrorPathTasks(pub(crate) crate::BackgroundTasks);
