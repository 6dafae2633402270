//! Declarative validation: FastAPI's `Query(ge=1, le=100)`, `EmailStr` and
//! `min_length`, written as [`validator`](https://docs.rs/validator)
//! attributes on the type a handler takes.
//!
//! A `Json<T>`, `Query<T>` or `Form<T>` handler parameter whose `T`
//! implements [`Validate`] is checked after it is deserialized and before
//! the handler runs. A failure is a `422` in FastAPI's shape that lists
//! every failing field, with pydantic's kinds (`greater_than_equal`,
//! `string_too_short`, a `value_error` for an email address, ...) and the
//! broken bound in `ctx`. Nothing needs declaring on the route: a type that
//! derives `Validate` is validated wherever a route takes it. The same
//! attributes put `minimum`, `maxLength` and `format: email` in the OpenAPI
//! document, since `schemars` reads them too.
//!
//! Add `validator` with its `derive` feature to your `Cargo.toml`, at the
//! major version atode uses (0.21): the derive implements the trait of the
//! `validator` your crate names, and atode only knows its own.
//!
//! ```
//! use atode::{post, routes, App, Json, testing::TestClient};
//! use serde::Deserialize;
//! use serde_json::json;
//! use validator::Validate;
//!
//! #[derive(Deserialize, Validate)]
//! struct NewUser {
//!     #[validate(length(min = 3, max = 20))]
//!     name: String,
//!     #[validate(email)]
//!     email: String,
//!     #[validate(range(min = 13))]
//!     age: u32,
//! }
//!
//! #[post("/users")]
//! async fn create(Json(user): Json<NewUser>) -> String {
//!     format!("welcome, {}", user.name)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().routes(routes![create]));
//! let response = client
//!     .post("/users")
//!     .json(&json!({"name": "al", "email": "al@example.com", "age": 12}))
//!     .await;
//! assert_eq!(response.status(), 422);
//! assert_eq!(
//!     response.json::<serde_json::Value>()["detail"],
//!     json!([
//!         {"type": "greater_than_equal", "loc": ["body", "age"],
//!          "msg": "Input should be greater than or equal to 13", "input": 12, "ctx": {"ge": 13}},
//!         {"type": "string_too_short", "loc": ["body", "name"],
//!          "msg": "String should have at least 3 characters", "input": "al", "ctx": {"min_length": 3}},
//!     ])
//! );
//! # }
//! ```
//!
//! Fields are reported in name order, under their Rust names (the derive
//! does not read `#[serde(rename)]`). A rule's `message = ".."` replaces the
//! `msg`; a rule with a `code` of your own is a `value_error`.
//!
//! Validation happens for a route's parameters. An extractor of your own
//! that reads a `Json<T>` itself calls [`validate`].

mod kinds;

pub use validator::{Validate, ValidationErrors};

use serde_json::Value;

use crate::extract::ValidationError;

/// Checks `value`'s rules and reports every failure as FastAPI does, each
/// located under `source` (`"body"`, `"query"`, ...).
///
/// ```
/// use atode::validation::validate;
/// use validator::Validate;
///
/// #[derive(Validate)]
/// struct Page {
///     #[validate(range(min = 1, max = 100))]
///     size: u32,
/// }
///
/// let error = validate(&Page { size: 500 }, "query").unwrap_err();
/// let detail = &error.details()[0];
/// assert_eq!(detail.kind, "less_than_equal");
/// assert_eq!(detail.loc, ["query", "size"]);
/// assert!(validate(&Page { size: 10 }, "query").is_ok());
/// ```
pub fn validate<T: Validate + ?Sized>(
    value: &T,
    source: &'static str,
) -> Result<(), ValidationError> {
    value.validate().map_err(|errors| report(&errors, source))
}

/// The `422` for `validator`'s errors, each located under `source`.
///
/// ```
/// use atode::validation::report;
/// use validator::{ValidationError, ValidationErrors};
///
/// let mut errors = ValidationErrors::new();
/// errors.add("name", ValidationError::new("taken"));
/// let error = report(&errors, "body");
/// assert_eq!(error.details()[0].kind, "value_error");
/// assert_eq!(error.details()[0].msg, "Value error, taken");
/// ```
pub fn report(errors: &ValidationErrors, source: &'static str) -> ValidationError {
    let mut details = Vec::new();
    kinds::details(errors, &mut vec![Value::from(source)], &mut details);
    ValidationError::new(details)
}
