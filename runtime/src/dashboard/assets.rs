//! The pages' style sheet and script, compiled into the binary: nothing is
//! fetched from anywhere else, at build or at run time.

use http::{HeaderValue, header};

use crate::Body;
use crate::extract::RequestParts;
use crate::response::{ResponseBody, with_content_type};
use crate::routing::HandlerFuture;

const STYLE: &str = include_str!("assets/dashboard.css");
const SCRIPT: &str = include_str!("assets/dashboard.js");

pub(super) fn style(_parts: RequestParts, _body: Body) -> HandlerFuture {
    serve(STYLE, "text/css; charset=utf-8")
}

pub(super) fn script(_parts: RequestParts, _body: Body) -> HandlerFuture {
    serve(SCRIPT, "text/javascript; charset=utf-8")
}

fn serve(text: &'static str, content_type: &'static str) -> HandlerFuture {
    let mut response = with_content_type(Body::from(text), HeaderValue::from_static(content_type));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Box::pin(std::future::ready(response.map(ResponseBody::plain)))
}
