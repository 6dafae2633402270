//! Many distinct keys in a query string or a form body: work a parser does
//! per key must stay linear in their number, or a single request of a few
//! kilobytes (a query) or a few megabytes (a form) holds a worker for
//! minutes. Each request is owed an answer within `BOUND`: a 4xx (too many
//! fields) or the route's success, never a 5xx, a close or a late answer.

use std::time::Duration;

use crate::attacks::Category;
use crate::probe::{Attack, Ending};

/// How long the server gets, once the request is sent, to answer it: a
/// linear parse takes milliseconds even on a loaded machine, a quadratic
/// one of these sizes minutes.
pub const BOUND: Duration = Duration::from_secs(3);

/// Distinct keys in the query string: about 47 KB, under the 64 KiB head
/// limit with the request line and headers.
pub const QUERY_KEYS: usize = 6_000;

/// Distinct keys in the form body, with empty values: about 1.96 MB,
/// under 2 MiB, the default body limit, so the whole body is parsed.
pub const FORM_KEYS: usize = 230_000;

/// `k0=v&k1=v&...`: `count` distinct keys, each with `value`.
fn distinct_pairs(count: usize, value: &str) -> String {
    let mut out = String::with_capacity(count * (9 + value.len()));
    for i in 0..count {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&format!("k{i}={value}"));
    }
    out
}

/// The categories for a target whose route at `query_route` takes a
/// `Query<T>` (its path and any query it needs, such as `/ws?name=x`), and
/// whose route at `form_route`, if it has one, takes a `Form<T>`.
/// `extra_headers` go with the query: for a WebSocket route, a handshake's,
/// so the route runs every extractor and reads the query whatever their
/// order (without them, `Connection: close`).
pub fn categories(
    query_route: &str,
    extra_headers: &str,
    form_route: Option<&str>,
) -> Vec<Category> {
    let mut attacks = vec![query(query_route, extra_headers)];
    attacks.extend(form_route.map(form));
    vec![Category {
        name: "urlencoded_keys",
        attacks,
    }]
}

/// A GET whose query holds `QUERY_KEYS` distinct keys.
fn query(route: &str, extra_headers: &str) -> Attack {
    let separator = if route.contains('?') { '&' } else { '?' };
    let pairs = distinct_pairs(QUERY_KEYS, "v");
    let headers = if extra_headers.is_empty() {
        "Connection: close\r\n"
    } else {
        extra_headers
    };
    let request =
        format!("GET {route}{separator}{pairs} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n");
    Attack::new(request, Ending::AnswerWithin(BOUND))
}

/// A POST whose form body holds `FORM_KEYS` distinct keys.
fn form(route: &str) -> Attack {
    let body = distinct_pairs(FORM_KEYS, "");
    let request = format!(
        "POST {route} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Attack::new(request, Ending::AnswerWithin(BOUND))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_fits_the_head_limit_and_the_form_the_body_limit() {
        let query = distinct_pairs(QUERY_KEYS, "v");
        assert!((45_000..=48_000).contains(&query.len()), "{}", query.len());
        let Attack { bytes, .. } = super::query("/ws?name=fault", "Upgrade: websocket\r\n");
        assert!(bytes.len() < 64 * 1024, "{}", bytes.len());
        assert!(bytes.starts_with(b"GET /ws?name=fault&k0=v&k1=v&"));

        let form = distinct_pairs(FORM_KEYS, "");
        assert!(
            (1_900_000..=2 * 1024 * 1024).contains(&form.len()),
            "{}",
            form.len()
        );
        assert_eq!(form.split('&').count(), FORM_KEYS);
        assert!(form.ends_with(&format!("&k{}=", FORM_KEYS - 1)));
    }
}
