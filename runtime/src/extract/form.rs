//! `Form<T>`: an `application/x-www-form-urlencoded` body, deserialized.

use serde::de::DeserializeOwned;

use super::body::{BodyRejection, has_content_type, read_body};
use super::urlencoded::from_urlencoded;
use super::{FromRequest, RequestParts, ValidationError};
use crate::{Body, IntoResponse, Response};

const FORM: &str = "application/x-www-form-urlencoded";

/// A form body deserialized into `T` with serde: `415` unless the
/// `Content-Type` is `application/x-www-form-urlencoded`, `413` past the
/// body limit, and `422` naming each bad field (`"loc": ["body", "name"]`),
/// or past [`App::max_fields`](crate::App::max_fields) pairs (1,000 by
/// default), `"type": "too_many_fields"`.
///
/// ```
/// use atode::{post, Form};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Login {
///     username: String,
///     remember: Option<bool>,
/// }
///
/// #[post("/login")]
/// async fn login(Form(login): Form<Login>) -> String {
///     format!("hello {}", login.username)
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

/// Why a [`Form`] body was refused. Its response is the `415`, `413` or
/// `422` described on [`Form`]; take `Result<Form<T>, FormRejection>` to
/// answer in your own way instead.
///
/// ```
/// use atode::extract::FormRejection;
/// use atode::{post, routes, App, Form, testing::TestClient};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Login {
///     username: String,
/// }
///
/// #[post("/login")]
/// async fn login(form: Result<Form<Login>, FormRejection>) -> String {
///     match form {
///         Ok(Form(login)) => format!("hello {}", login.username),
///         Err(FormRejection::Body(_)) => "send a form".to_owned(),
///         Err(FormRejection::Invalid(error)) => format!("bad {}", error.details()[0].loc[1]),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![login]));
/// assert_eq!(client.post("/login").form(&[("username", "ada")]).await.text(), "hello ada");
/// assert_eq!(client.post("/login").body("username=ada").await.text(), "send a form");
/// assert_eq!(client.post("/login").form(&[("user", "ada")]).await.text(), r#"bad "username""#);
/// # }
/// ```
#[derive(Debug)]
pub enum FormRejection {
    /// The body could not be read, was too large, or was not a form.
    Body(BodyRejection),
    /// `422`: a field is missing or does not parse.
    Invalid(ValidationError),
}

impl IntoResponse for FormRejection {
    fn into_response(self) -> Response {
        match self {
            FormRejection::Body(rejection) => rejection.into_response(),
            FormRejection::Invalid(error) => error.into_response(),
        }
    }
}

impl<T: DeserializeOwned + Send> FromRequest for Form<T> {
    type Rejection = FormRejection;

    const INPUT: bool = true;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, FormRejection> {
        if !has_content_type(parts, FORM) {
            return Err(FormRejection::Body(BodyRejection::UnsupportedMediaType(
                FORM,
            )));
        }
        let bytes = read_body(parts, body).await.map_err(FormRejection::Body)?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| FormRejection::Body(BodyRejection::NotUtf8))?;
        from_urlencoded(text, "body", parts.max_fields())
            .map(Form)
            .map_err(FormRejection::Invalid)
    }
}
