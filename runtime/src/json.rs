//! `Json<T>`: a JSON request body, and a JSON response.

use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::extract::{
    BodyRejection, FromRequest, RequestParts, ValidationError, has_content_type, read_body,
};
use crate::response::{JSON, json_detail, with_content_type};
use crate::{Body, IntoResponse, Response};

mod objects;
mod read;

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
/// it is not valid JSON (`"type": "json_invalid"`) or does not fit `T`,
/// with pydantic's kind and message and the offending `input` (for a
/// missing field, the object it is missing from). A struct is read from a
/// JSON object only: an array of its fields in order, which serde would
/// take, is a `model_attributes_type`, as pydantic has it.
///
/// ```
/// use atode::{post, routes, App, Json, testing::TestClient};
/// use serde::Deserialize;
/// use serde_json::{Value, json};
///
/// #[derive(Deserialize)]
/// struct NewItem {
///     name: String,
/// }
///
/// #[post("/items")]
/// async fn create(Json(item): Json<NewItem>) -> Json<Value> {
///     Json(json!({ "name": item.name, "id": 1 }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![create]));
/// let created = client.post("/items").json(&json!({ "name": "pen" })).await;
/// assert_eq!(created.header("content-type"), Some("application/json"));
/// assert_eq!(created.json::<Value>(), json!({ "name": "pen", "id": 1 }));
///
/// let invalid = client.post("/items").json(&json!({ "name": 3 })).await;
/// assert_eq!(invalid.status(), 422);
/// assert_eq!(
///     invalid.json::<Value>()["detail"][0],
///     json!({ "type": "string_type", "loc": ["body", "name"],
///             "msg": "Input should be a valid string", "input": 3 })
/// );
///
/// let array = client.post("/items").json(&json!(["pen"])).await;
/// assert_eq!(array.json::<Value>()["detail"][0]["type"], "model_attributes_type");
///
/// assert_eq!(client.post("/items").body("name=pen").await.status(), 415);
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => with_content_type(Body::from(bytes), JSON),
            Err(error) => {
                // The server's own value would not serialize: its fault, not the client's.
                tracing::error!(target: "atode::response", %error, "failed to serialize a JSON response");
                json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

/// Why a [`Json`] body was refused. Its response is the `415`, `413`, `400`
/// or `422` described on [`Json`]; take `Result<Json<T>, JsonRejection>` to
/// answer in your own way instead.
///
/// ```
/// use atode::{post, routes, App, Json, JsonRejection, testing::TestClient};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct NewItem {
///     name: String,
/// }
///
/// #[post("/items")]
/// async fn create(body: Result<Json<NewItem>, JsonRejection>) -> String {
///     match body {
///         Ok(Json(item)) => item.name,
///         Err(JsonRejection::Body(_)) => "not a JSON body".to_owned(),
///         Err(JsonRejection::Invalid(error)) => format!("{} problem(s)", error.details().len()),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![create]));
/// let item = serde_json::json!({ "name": "pen" });
/// assert_eq!(client.post("/items").json(&item).await.text(), "pen");
/// assert_eq!(client.post("/items").body("pen").await.text(), "not a JSON body");
/// let wrong = serde_json::json!({ "title": "pen" });
/// assert_eq!(client.post("/items").json(&wrong).await.text(), "1 problem(s)");
/// # }
/// ```
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

    const INPUT: bool = true;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, JsonRejection> {
        if !has_content_type(parts, "application/json") {
            return Err(JsonRejection::Body(BodyRejection::UnsupportedMediaType(
                "application/json",
            )));
        }
        let bytes = read_body(parts, body).await.map_err(JsonRejection::Body)?;
        read::read(&bytes).map(Json).map_err(JsonRejection::Invalid)
    }
}
