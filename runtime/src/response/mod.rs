//! Turning what a handler returns into an HTTP response.

mod body;
mod headers;
mod html;
mod http_error;
mod into_response;
mod redirect;

pub use body::ResponseBody;
pub use html::Html;
pub(crate) use http_error::ErrorPathTasks;
pub use http_error::HttpError;
pub use into_response::IntoResponse;
pub use redirect::Redirect;

#[cfg(feature = "cookies")]
pub(crate) use into_response::server_mistake;
#[cfg(feature = "durable")]
pub(crate) use into_response::unavailable;
pub(crate) use into_response::{
    HandlerFailed, JSON, close_connection, json_detail, overloaded, with_content_type,
};

/// An HTTP response with atode's [`Body`](crate::Body): what
/// [`IntoResponse`] builds, and a return type for a handler that sets every
/// part of its response itself.
///
/// ```
/// use atode::{get, routes, App, Body, Response, StatusCode, testing::TestClient};
///
/// #[get("/teapot")]
/// async fn teapot() -> Response {
///     let mut response = Response::new(Body::from("short and stout"));
///     *response.status_mut() = StatusCode::IM_A_TEAPOT;
///     response
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let response = TestClient::new(App::new().routes(routes![teapot])).get("/teapot").await;
/// assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
/// assert_eq!(response.text(), "short and stout");
/// # }
/// ```
pub type Response<B = crate::Body> = http::Response<B>;
