//! `TypedHeader<T>`: one header, parsed into a type.

use http::{HeaderName, HeaderValue, header};

use super::{ErrorDetail, FromRequestParts, RequestParts, ValidationError};

/// A header that [`TypedHeader`] can extract: its name, and how to read it.
///
/// ```
/// use atode::extract::Header;
/// use atode::http::{HeaderName, HeaderValue};
///
/// /// `X-Request-Id`, which must be a number.
/// struct RequestId(u64);
///
/// impl Header for RequestId {
///     const NAME: HeaderName = HeaderName::from_static("x-request-id");
///
///     fn decode(value: &HeaderValue) -> Result<Self, String> {
///         let text = value.to_str().map_err(|_| "not text".to_owned())?;
///         text.parse().map(RequestId).map_err(|_| format!("`{text}` is not a number"))
///     }
/// }
/// ```
pub trait Header: Sized {
    /// The header's name.
    const NAME: HeaderName;

    /// Reads the header's value; an `Err` is the message of the `422`.
    fn decode(value: &HeaderValue) -> Result<Self, String>;

    /// Describes the header in the app's OpenAPI document: by default, a
    /// required header parameter of any text. (The `422` for a missing or
    /// malformed one is added by [`TypedHeader`].)
    #[cfg(feature = "openapi")]
    fn operation_input(op: &mut crate::openapi::Operation<'_>) {
        op.parameter(
            crate::openapi::ParameterIn::Header,
            Self::NAME.as_str(),
            serde_json::json!({ "type": "string" }),
            true,
        );
    }
}

/// One header, parsed. A missing header is a `422` with `"type": "missing"`
/// and `"loc": ["header", name]`; one that does not parse, a `422` with the
/// header type's message. Take `Option<TypedHeader<T>>` for an optional one.
///
/// ```
/// use atode::{get, TypedHeader};
/// use atode::extract::UserAgent;
///
/// #[get("/agent")]
/// async fn agent(TypedHeader(UserAgent(agent)): TypedHeader<UserAgent>) -> String {
///     agent
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypedHeader<T>(pub T);

impl<T: Header + Send> FromRequestParts for TypedHeader<T> {
    type Rejection = ValidationError;

    const INPUT: bool = true;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, ValidationError> {
        let name = T::NAME;
        let loc = vec!["header".into(), name.as_str().into()];
        let Some(value) = parts.headers().get(&name) else {
            let msg = "Field required".to_owned();
            return Err(ValidationError::new(vec![ErrorDetail {
                kind: "missing",
                loc,
                msg,
                input: None,
                ctx: None,
            }]));
        };
        T::decode(value).map(TypedHeader).map_err(|msg| {
            let input = value.to_str().ok().map(Into::into);
            ValidationError::new(vec![ErrorDetail {
                kind: "value_error",
                loc,
                msg,
                input,
                ctx: None,
            }])
        })
    }
}

/// The `User-Agent` header, as text, for [`TypedHeader`]: a `422` when the
/// request has none.
///
/// ```
/// use atode::extract::UserAgent;
/// use atode::{get, routes, App, TypedHeader, testing::TestClient};
///
/// #[get("/agent")]
/// async fn agent(TypedHeader(UserAgent(agent)): TypedHeader<UserAgent>) -> String {
///     agent
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![agent]));
/// let response = client.get("/agent").header("user-agent", "curl/8.5").await;
/// assert_eq!(response.text(), "curl/8.5");
/// let missing = client.get("/agent").await;
/// assert_eq!(missing.status(), 422);
/// assert_eq!(missing.json::<serde_json::Value>()["detail"][0]["loc"], serde_json::json!(["header", "user-agent"]));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserAgent(pub String);

impl Header for UserAgent {
    const NAME: HeaderName = header::USER_AGENT;

    fn decode(value: &HeaderValue) -> Result<Self, String> {
        value
            .to_str()
            .map(|text| UserAgent(text.to_owned()))
            .map_err(|_| "User-Agent is not visible ASCII".to_owned())
    }
}

/// A `Authorization: Bearer <token>` header's token. Taken as is, it is
/// an extractor that answers `401` with `WWW-Authenticate: Bearer` when the
/// token is missing, as FastAPI's `HTTPBearer` does (see its
/// [`FromRequestParts`] implementation); as [`TypedHeader<BearerToken>`],
/// like any header, a `422`.
///
/// ```
/// use atode::extract::BearerToken;
/// use atode::{get, routes, App, TypedHeader, testing::TestClient};
///
/// #[get("/me")]
/// async fn me(TypedHeader(BearerToken(token)): TypedHeader<BearerToken>) -> String {
///     format!("token {token}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![me]));
/// let response = client.get("/me").header("authorization", "Bearer abc123").await;
/// assert_eq!(response.text(), "token abc123");
/// let basic = client.get("/me").header("authorization", "Basic dXNlcg==").await;
/// assert_eq!(basic.status(), 422);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BearerToken(pub String);

impl Header for BearerToken {
    const NAME: HeaderName = header::AUTHORIZATION;

    fn decode(value: &HeaderValue) -> Result<Self, String> {
        let text = value
            .to_str()
            .map_err(|_| "Authorization is not visible ASCII".to_owned())?;
        match text.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Ok(BearerToken(token.trim().to_owned()))
            }
            _ => Err("Expected `Authorization: Bearer <token>`".to_owned()),
        }
    }

    /// The `HTTPBearer` security scheme, as FastAPI names it: OpenAPI
    /// ignores an `Authorization` header parameter.
    #[cfg(feature = "openapi")]
    fn operation_input(op: &mut crate::openapi::Operation<'_>) {
        op.security(
            "HTTPBearer",
            serde_json::json!({ "type": "http", "scheme": "bearer" }),
        );
    }
}
