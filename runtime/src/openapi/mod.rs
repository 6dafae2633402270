//! The app's OpenAPI 3.1 document, made from the route attributes and the
//! handlers' types, served at `/openapi.json`, with Swagger UI at `/docs`.
//!
//! Nothing is declared twice: each route's method and path come from its
//! attribute, its summary and description from its doc comment, and each
//! parameter, body and response from the types in its signature. Schemas
//! come from [`schemars::JsonSchema`], derived beside `Deserialize` and
//! `Serialize`:
//!
//! ```
//! use atode::{post, routes, App, Json};
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize, Serialize, JsonSchema)]
//! struct Item {
//!     name: String,
//!     price: f64,
//! }
//!
//! /// Create an item.
//! ///
//! /// The item is stored as sent.
//! #[post("/items", status = 201, tags = ["items"])]
//! async fn create_item(Json(item): Json<Item>) -> Json<Item> {
//!     Json(item)
//! }
//!
//! let app = App::new().title("Shop").version("1.0.0").routes(routes![create_item]);
//! let document = app.openapi().unwrap();
//! let operation = &document["paths"]["/items"]["post"];
//! assert_eq!(operation["operationId"], "create_item");
//! assert_eq!(operation["summary"], "Create an item.");
//! assert_eq!(operation["description"], "The item is stored as sent.");
//! assert_eq!(
//!     operation["requestBody"]["content"]["application/json"]["schema"]["$ref"],
//!     "#/components/schemas/Item"
//! );
//! assert!(operation["responses"]["201"].is_object());
//! assert!(operation["responses"]["422"].is_object());
//! assert!(app.openapi_gaps().is_empty());
//! ```
//!
//! A type without `JsonSchema` still compiles: its route is documented
//! without it, and [`App::openapi_gaps`](crate::App::openapi_gaps) names
//! what is missing, so a test can insist that nothing is.
//!
//! Extractors and responses of your own document themselves by
//! implementing [`OperationInput`] and [`OperationOutput`].

mod docs_page;
mod document;
mod inputs;
mod operation;
mod outputs;
#[doc(hidden)]
pub mod probe;
mod schemas;

pub(crate) use docs_page::DocsSite;
pub(crate) use document::{Built, Settings, build};
pub use operation::{Operation, ParameterIn, ResponseEntry, Status};

/// The crate atode takes its schemas from, for `#[schemars(crate = ...)]`
/// and for implementing [`JsonSchema`](schemars::JsonSchema) by hand.
pub use schemars;

/// What an extractor adds to the operations of the routes that take it:
/// its parameters, its request body, the security it requires and the
/// responses its rejections give.
///
/// An authentication extractor of your own, say, requires a security scheme
/// and documents its `401`:
///
/// ```
/// use atode::openapi::{Operation, OperationInput};
/// use atode::{get, routes, App, FromRequestParts, RequestParts, Response, StatusCode, IntoResponse};
/// use serde_json::json;
///
/// struct User(String);
///
/// impl FromRequestParts for User {
///     type Rejection = Response;
///
///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Response> {
///         match parts.headers().get("x-api-key").and_then(|key| key.to_str().ok()) {
///             Some("secret") => Ok(User("ada".to_owned())),
///             _ => Err((StatusCode::UNAUTHORIZED, "Not authenticated").into_response()),
///         }
///     }
/// }
///
/// impl OperationInput for User {
///     fn operation_input(op: &mut Operation<'_>) {
///         op.security("apiKey", json!({ "type": "apiKey", "in": "header", "name": "x-api-key" }));
///         op.response(401, "Not authenticated");
///     }
/// }
///
/// #[get("/me")]
/// async fn me(User(name): User) -> String {
///     name
/// }
///
/// let document = App::new().routes(routes![me]).openapi().unwrap();
/// assert_eq!(document["paths"]["/me"]["get"]["security"], json!([{ "apiKey": [] }]));
/// assert_eq!(document["components"]["securitySchemes"]["apiKey"]["in"], "header");
/// assert!(document["paths"]["/me"]["get"]["responses"]["401"].is_object());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not describe itself in the OpenAPI document",
    note = "implement `atode::openapi::OperationInput` for it"
)]
pub trait OperationInput {
    /// Adds what this extractor reads, and how it rejects, to `op`.
    fn operation_input(op: &mut Operation<'_>);
}

/// What a response type adds to the operations of the routes that return
/// it: the statuses it answers with and their bodies.
///
/// An error type of your own documents its statuses:
///
/// ```
/// use atode::openapi::{Operation, OperationOutput};
/// use atode::{get, routes, App, IntoResponse, Json, Response, StatusCode};
///
/// enum ItemError {
///     NotFound,
/// }
///
/// impl IntoResponse for ItemError {
///     fn into_response(self) -> Response {
///         (StatusCode::NOT_FOUND, "no such item").into_response()
///     }
/// }
///
/// impl OperationOutput for ItemError {
///     fn operation_output(op: &mut Operation<'_>) {
///         op.response(404, "No such item")
///             .content("text/plain; charset=utf-8", serde_json::json!({ "type": "string" }));
///     }
/// }
///
/// #[get("/items/<id>")]
/// async fn item(id: u32) -> Result<Json<u32>, ItemError> {
///     if id == 0 { Err(ItemError::NotFound) } else { Ok(Json(id)) }
/// }
///
/// let document = App::new().routes(routes![item]).openapi().unwrap();
/// let responses = &document["paths"]["/items/{id}"]["get"]["responses"];
/// assert!(responses["200"].is_object() && responses["404"].is_object());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not describe itself in the OpenAPI document",
    note = "implement `atode::openapi::OperationOutput` for it"
)]
pub trait OperationOutput {
    /// Adds the responses this type answers with to `op`.
    fn operation_output(op: &mut Operation<'_>);
}
