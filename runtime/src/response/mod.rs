//! Turning what a handler returns into an HTTP response.

mod into_response;

pub use into_response::IntoResponse;

pub(crate) use into_response::{HandlerFailed, json_detail};

/// An HTTP response with atode's [`Body`](crate::Body).
pub type Response<B = crate::Body> = http::Response<B>;
