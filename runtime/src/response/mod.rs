//! Turning what a handler returns into an HTTP response.

mod headers;
mod html;
mod into_response;
mod redirect;

pub use html::Html;
pub use into_response::IntoResponse;
pub use redirect::Redirect;

pub(crate) use into_response::{HandlerFailed, json_detail};

/// An HTTP response with atode's [`Body`](crate::Body).
pub type Response<B = crate::Body> = http::Response<B>;
