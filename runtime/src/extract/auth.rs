//! The credentials of `Authorization`, as FastAPI's `HTTPBearer` and
//! `HTTPBasic` read them: a missing or malformed header is a `401` with the
//! `WWW-Authenticate` challenge a client needs, never a `422`.

use base64::Engine;
use http::header;

use super::header::{BearerToken, Header};
use super::{FromRequestParts, RequestParts};
use crate::HttpError;

const NOT_AUTHENTICATED: &str = "Not authenticated";

/// `Authorization: Bearer <token>`: `401` with `WWW-Authenticate: Bearer`
/// and `{"detail": "Not authenticated"}` when the request has no bearer
/// token. (As [`TypedHeader<BearerToken>`](super::TypedHeader) the same
/// header is a `422` instead, as any header.)
///
/// ```
/// use atode::{get, routes, App, testing::TestClient};
/// use atode::extract::BearerToken;
///
/// #[get("/me")]
/// async fn me(BearerToken(token): BearerToken) -> String {
///     format!("token {token}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![me]));
/// let response = client.get("/me").header("authorization", "Bearer abc123").await;
/// assert_eq!(response.text(), "token abc123");
/// let response = client.get("/me").await;
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.header("www-authenticate"), Some("Bearer"));
/// assert_eq!(response.text(), r#"{"detail":"Not authenticated"}"#);
/// # }
/// ```
impl FromRequestParts for BearerToken {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
        parts
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| BearerToken::decode(value).ok())
            .ok_or_else(|| HttpError::unauthorized("Bearer", NOT_AUTHENTICATED))
    }
}

/// `Authorization: Basic <base64 of user:password>`: `401` with
/// `WWW-Authenticate: Basic` when the request has no such header, or one
/// that does not decode.
///
/// ```
/// use atode::{get, routes, App, testing::TestClient};
/// use atode::extract::BasicAuth;
///
/// #[get("/admin")]
/// async fn admin(auth: BasicAuth) -> String {
///     format!("{}:{}", auth.username, auth.password)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![admin]));
/// // "ada:lovelace"
/// let response = client.get("/admin").header("authorization", "Basic YWRhOmxvdmVsYWNl").await;
/// assert_eq!(response.text(), "ada:lovelace");
/// let response = client.get("/admin").await;
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.header("www-authenticate"), Some("Basic"));
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name: what comes before the first `:`.
    pub username: String,
    /// The password: everything after it.
    pub password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A password has no place in a log line.
        f.debug_struct("BasicAuth")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl BasicAuth {
    /// The credentials of an `Authorization` header's value, if it is
    /// `Basic` with base64 of `user:password` in UTF-8.
    fn decode(value: &str) -> Option<Self> {
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (username, password) = decoded.split_once(':')?;
        Some(BasicAuth {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }
}

impl FromRequestParts for BasicAuth {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
        parts
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(BasicAuth::decode)
            .ok_or_else(|| HttpError::unauthorized("Basic", NOT_AUTHENTICATED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_split_at_the_first_colon() {
        // "ada:love:lace"
        let auth = BasicAuth::decode("Basic YWRhOmxvdmU6bGFjZQ==").expect("decodes");
        assert_eq!(
            (auth.username.as_str(), auth.password.as_str()),
            ("ada", "love:lace")
        );
        assert!(BasicAuth::decode("basic YWRhOmxvdmU6bGFjZQ==").is_some());
        // No colon, not base64, another scheme.
        assert!(BasicAuth::decode("Basic YWRh").is_none());
        assert!(BasicAuth::decode("Basic !!!").is_none());
        assert!(BasicAuth::decode("Bearer YWRhOmxvdmU6bGFjZQ==").is_none());
        assert!(!format!("{auth:?}").contains("love"));
    }
}
