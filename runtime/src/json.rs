//! `Json<T>`: a JSON request body, and a JSON response.

use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::extract::{
    BodyRejection, ErrorDetail, FromRequest, RequestParts, ValidationError, has_content_type,
    read_body,
};
use crate::response::{JSON, json_detail, with_content_type};
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
/// assert_eq!(invalid.json::<Value>()["detail"][0]["loc"], json!(["body", "name"]));
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

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, JsonRejection> {
        if !has_content_type(parts, "application/json") {
            return Err(JsonRejection::Body(BodyRejection::UnsupportedMediaType(
                "application/json",
            )));
        }
        let bytes = read_body(parts, body).await.map_err(JsonRejection::Body)?;
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        // The path to the field that failed, so the 422 can name it.
        let value = match serde_path_to_error::deserialize(&mut json) {
            Ok(value) => value,
            // Read whole, to its end, by the second reading.
            Err(error) => match integral_floats_as_integers(error.inner(), &bytes) {
                Some(value) => return Ok(Json(value)),
                None => {
                    let error = describe(error.inner(), Some(error.path()), &bytes);
                    return Err(JsonRejection::Invalid(error));
                }
            },
        };
        json.end()
            .map_err(|error| JsonRejection::Invalid(describe(&error, None, &bytes)))?;
        Ok(Json(value))
    }
}

/// `T` read again from `body` with every float that has no fraction
/// (`36.0`) made an integer, when `error` was a float where `T` takes an
/// integer. JSON Schema (and so the OpenAPI document) counts `36.0` as an
/// integer, and FastAPI accepts it as one; serde does not. Only a body that
/// failed pays for the second reading.
fn integral_floats_as_integers<T: DeserializeOwned>(
    error: &serde_json::Error,
    body: &[u8],
) -> Option<T> {
    if !error
        .to_string()
        .starts_with("invalid type: floating point")
    {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    fn integers(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Number(number) => {
                if let Some(float) = number
                    .as_f64()
                    .filter(|f| number.is_f64() && f.fract() == 0.0)
                {
                    // `as` saturates; a float beyond 2^64 stays a float.
                    if (0.0..18_446_744_073_709_551_616.0).contains(&float) {
                        *number = (float as u64).into();
                    } else if (-9_223_372_036_854_775_808.0..0.0).contains(&float) {
                        *number = (float as i64).into();
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(integers),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(integers),
            _ => {}
        }
    }
    integers(&mut value);
    T::deserialize(value).ok()
}

/// The `422` for a body that is not JSON, or not JSON of the expected
/// shape, in FastAPI's terms: where JSON syntax broke (as a character
/// offset, where serde_json gives a line and column), or which field is
/// missing or of the wrong type (`["body", "items", 0, "price"]`).
fn describe(
    inner: &serde_json::Error,
    path: Option<&serde_path_to_error::Path>,
    body: &[u8],
) -> ValidationError {
    use serde_json::error::Category;
    // serde_json ends its messages with the position, which `loc` carries.
    let message = inner.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut loc: Vec<serde_json::Value> = vec!["body".into()];
    if let Category::Syntax | Category::Eof | Category::Io = inner.classify() {
        let text = String::from_utf8_lossy(body);
        let offset: usize = text
            .split_inclusive('\n')
            .take(inner.line().saturating_sub(1))
            .map(|line| line.chars().count())
            .sum::<usize>()
            + inner.column().saturating_sub(1);
        loc.push(offset.into());
        let msg = format!("JSON decode error: {message}");
        return ValidationError::new(vec![ErrorDetail {
            kind: "json_invalid",
            loc,
            msg,
            input: None,
            ctx: None,
        }]);
    }
    for segment in path.into_iter().flat_map(|path| path.iter()) {
        match segment {
            serde_path_to_error::Segment::Seq { index } => loc.push((*index).into()),
            serde_path_to_error::Segment::Map { key }
            | serde_path_to_error::Segment::Enum { variant: key } => {
                loc.push(key.clone().into());
            }
            serde_path_to_error::Segment::Unknown => loc.push("?".into()),
        }
    }
    let (kind, msg) = match message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        Some(field) => {
            loc.push(field.into());
            ("missing", "Field required".to_owned())
        }
        None => (type_error_kind(&message), message),
    };
    ValidationError::new(vec![ErrorDetail {
        kind,
        loc,
        msg,
        input: None,
        ctx: None,
    }])
}

/// Pydantic's name for a value of the wrong JSON type, from serde's
/// "invalid type: ..., expected ..." message.
fn type_error_kind(message: &str) -> &'static str {
    let Some(expected) = message.split("expected ").nth(1) else {
        return "value_error";
    };
    let integer = [
        "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "isize", "usize",
        "integer",
    ];
    if integer.iter().any(|name| expected.contains(name)) {
        "int_type"
    } else if expected.contains("f32") || expected.contains("f64") || expected.contains("floating")
    {
        "float_type"
    } else if expected.contains("a string") || expected.contains("a borrowed string") {
        "string_type"
    } else if expected.contains("a boolean") {
        "bool_type"
    } else {
        "value_error"
    }
}
