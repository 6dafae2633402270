//! The pages' frame and escaping: every text a page shows from the queue
//! (a task's arguments, an error) goes through `escape`.

use std::fmt::Write;

use http::{HeaderValue, StatusCode, header};

use crate::Body;
use crate::response::{ResponseBody, with_content_type};

/// Only this origin's style sheet and script; no inline script, no frame.
const POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// `text` with HTML's special characters escaped, for an element's text
/// or an attribute's value.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A whole page: `body` inside the dashboard's frame (its header and
/// links, the style sheet and the script).
pub(super) fn page(base: &str, title: &str, body: &str) -> http::Response<ResponseBody> {
    let base = escape(base);
    let mut html = String::with_capacity(body.len() + 1024);
    let _ = write!(
        html,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · tasks</title>
<link rel="stylesheet" href="{base}/assets/dashboard.css">
</head>
<body data-events="{base}/api/events">
<header><h1>Tasks</h1><nav><a href="{base}">Overview</a><a href="{base}/calls">Durable calls</a></nav><span id="live"></span></header>
<main>
{body}
</main>
<script src="{base}/assets/dashboard.js"></script>
</body></html>
"#,
        title = escape(title),
    );
    html_response(StatusCode::OK, html)
}

pub(super) fn html_response(status: StatusCode, html: String) -> http::Response<ResponseBody> {
    let mut response = with_content_type(
        Body::from(html),
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response.map(ResponseBody::plain)
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_from_the_queue_cannot_open_a_tag() {
        assert_eq!(
            super::escape(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
