//! `Html<T>`: an HTML response.

use http::{HeaderValue, header};

use super::Response;
use crate::{Body, IntoResponse};

/// An HTML page: `Content-Type: text/html; charset=utf-8`.
///
/// ```
/// use atode::{get, response::Html};
///
/// #[get("/")]
/// async fn index() -> Html<&'static str> {
///     Html("<h1>Hello, World!</h1>")
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Html<T>(pub T);

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        let mut response = Response::new(self.0.into());
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    }
}
