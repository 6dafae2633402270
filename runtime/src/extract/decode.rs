//! Percent-decoding, for path segments and for `application/x-www-form-urlencoded`
//! (query strings and form bodies).

use std::borrow::Cow;

/// Decodes `%XX` escapes. `None` when the result is not UTF-8.
pub(crate) fn percent_decode(raw: &str) -> Option<Cow<'_, str>> {
    decode(raw, false)
}

/// Decodes a urlencoded key or value: `%XX` escapes, and `+` for a space.
pub(crate) fn form_decode(raw: &str) -> Option<Cow<'_, str>> {
    decode(raw, true)
}

fn decode(raw: &str, plus_is_space: bool) -> Option<Cow<'_, str>> {
    let escaped = raw.contains('%') || (plus_is_space && raw.contains('+'));
    if !escaped {
        return Some(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b'+', _, _) if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (byte, _, _) => {
                // A `%` not followed by two hex digits stands for itself.
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_keeps_plain_text_borrowed() {
        assert!(matches!(
            percent_decode("plain"),
            Some(Cow::Borrowed("plain"))
        ));
        assert_eq!(
            percent_decode("foo%40example.com").as_deref(),
            Some("foo@example.com")
        );
        assert_eq!(percent_decode("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(percent_decode("100%").as_deref(), Some("100%"));
        assert_eq!(percent_decode("%zz").as_deref(), Some("%zz"));
    }

    #[test]
    fn a_plus_is_a_space_only_in_forms() {
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
        assert_eq!(form_decode("a+b%2Bc").as_deref(), Some("a b+c"));
    }

    #[test]
    fn rejects_invalid_utf8() {
        assert_eq!(percent_decode("%ff%fe"), None);
    }
}
