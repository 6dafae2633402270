//! `Redirect`: a response that sends the client elsewhere.

use http::{HeaderValue, StatusCode, header};

use super::Response;
use crate::{Body, IntoResponse};

/// A redirect to another URI.
///
/// ```
/// use atode::{get, response::Redirect};
///
/// #[get("/old")]
/// async fn old() -> Redirect {
///     Redirect::permanent("/new")
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    status: StatusCode,
    location: HeaderValue,
}

impl Redirect {
    /// `303 See Other`: the client fetches `uri` with `GET` (after a form post, say).
    ///
    /// ```
    /// use atode::{IntoResponse, Redirect, StatusCode};
    ///
    /// let response = Redirect::to("/thanks").into_response();
    /// assert_eq!(response.status(), StatusCode::SEE_OTHER);
    /// assert_eq!(response.headers()["location"], "/thanks");
    /// ```
    pub fn to(uri: &str) -> Self {
        Self::with_status(StatusCode::SEE_OTHER, uri)
    }

    /// `307 Temporary Redirect`: the client repeats the same request at `uri`.
    ///
    /// ```
    /// use atode::{IntoResponse, Redirect, StatusCode};
    ///
    /// let response = Redirect::temporary("/v2/upload").into_response();
    /// assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    /// assert_eq!(response.headers()["location"], "/v2/upload");
    /// ```
    pub fn temporary(uri: &str) -> Self {
        Self::with_status(StatusCode::TEMPORARY_REDIRECT, uri)
    }

    /// `308 Permanent Redirect`: the resource has moved to `uri` for good.
    ///
    /// ```
    /// use atode::{get, routes, App, Redirect, testing::TestClient};
    ///
    /// #[get("/old")]
    /// async fn old() -> Redirect {
    ///     Redirect::permanent("/new")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let response = TestClient::new(App::new().routes(routes![old])).get("/old").await;
    /// assert_eq!(response.status(), 308);
    /// assert_eq!(response.header("location"), Some("/new"));
    /// # }
    /// ```
    pub fn permanent(uri: &str) -> Self {
        Self::with_status(StatusCode::PERMANENT_REDIRECT, uri)
    }

    fn with_status(status: StatusCode, uri: &str) -> Self {
        // A URI with bytes a header cannot hold is percent-encoded rather than refused.
        let location = HeaderValue::from_str(uri).unwrap_or_else(|_| {
            let encoded: String = uri
                .bytes()
                .map(|b| {
                    if b.is_ascii_graphic() {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static("/"))
        });
        Redirect { status, location }
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self.status;
        response
            .headers_mut()
            .insert(header::LOCATION, self.location);
        response
    }
}
