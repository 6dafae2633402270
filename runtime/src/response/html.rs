//! `Html<T>`: an HTML response.

use http::HeaderValue;

use super::{Response, with_content_type};
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
        const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
        with_content_type(self.0.into(), HTML)
    }
}
