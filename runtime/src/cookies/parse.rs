//! Reading the request's `Cookie` headers, leniently.

use cookie::Cookie;
use http::HeaderMap;

/// The cookies of every `Cookie` header (HTTP/2 clients may send one per
/// cookie), as a jar of originals.
///
/// A pair that does not parse (no `=`, an empty name, bytes that are not
/// UTF-8 before or after percent-decoding) is skipped, not refused:
/// browsers send what other sites' scripts and old servers left behind,
/// and one stray pair must not lock a user out. Where a name repeats, the
/// first wins: browsers send the cookie of the most specific path first.
pub(super) fn cookies(headers: &HeaderMap) -> cookie::CookieJar {
    let mut jar = cookie::CookieJar::new();
    let pairs = headers
        .get_all(http::header::COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&byte| byte == b';'));
    for pair in pairs {
        let Ok(pair) = std::str::from_utf8(pair) else {
            continue;
        };
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        match Cookie::parse_encoded(pair.to_owned()) {
            Ok(cookie) if jar.get(cookie.name()).is_none() => jar.add_original(cookie),
            Ok(_) => {}
            Err(error) => {
                tracing::debug!(target: "atode::cookies", %error, "skipped a cookie that does not parse");
            }
        }
    }
    jar
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn jar(values: &[&[u8]]) -> Vec<(String, String)> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                http::header::COOKIE,
                HeaderValue::from_bytes(value).expect("a header value"),
            );
        }
        let mut pairs: Vec<(String, String)> = cookies(&headers)
            .iter()
            .map(|cookie| (cookie.name().to_owned(), cookie.value().to_owned()))
            .collect();
        pairs.sort();
        pairs
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn pairs_of_one_header_and_of_several_are_read() {
        assert_eq!(
            jar(&[b"a=1; b=2", b"c=3"]),
            pairs(&[("a", "1"), ("b", "2"), ("c", "3")])
        );
    }

    #[test]
    fn bad_pairs_are_skipped_and_the_rest_kept() {
        let read = jar(&[b"junk; =empty-name; ok=yes;; \xff\xfe=x; bad=%FF; also=fine"]);
        assert_eq!(read, pairs(&[("also", "fine"), ("ok", "yes")]));
    }

    #[test]
    fn values_are_percent_decoded() {
        assert_eq!(
            jar(&[b"greeting=hello%20world%3B"]),
            pairs(&[("greeting", "hello world;")])
        );
    }

    #[test]
    fn the_first_of_a_repeated_name_wins() {
        assert_eq!(
            jar(&[b"id=specific; id=general"]),
            pairs(&[("id", "specific")])
        );
    }
}
