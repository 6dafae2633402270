//! Path decoding: `decode_path_segment` against an independent decoder,
//! and `check_rest_path` against what a path that is safe to join must
//! look like once decoded.

use std::path::{Component, Path};

use atode::__private::fuzz::{check_rest_path, decode_path_segment};

/// Runs every check on `data`; panics on a broken invariant.
pub fn check(data: &[u8]) {
    // A request path reaches the decoders as `&str`: hyper has parsed it.
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    check_segment(raw);
    check_rest(raw);
}

fn check_segment(raw: &str) {
    let decoded = decode_path_segment(raw);
    assert_eq!(
        decoded.as_deref(),
        reference_decode(raw, false).as_deref(),
        "decode_path_segment({raw:?}) disagrees with the reference decoder"
    );
    if !raw.contains('%') {
        assert_eq!(
            decoded.as_deref(),
            Some(raw),
            "nothing to decode in {raw:?}"
        );
    }
}

fn check_rest(raw: &str) {
    if check_rest_path(raw).is_err() {
        return;
    }
    assert!(!raw.starts_with('/'), "accepted an absolute path: {raw:?}");
    for segment in raw.split('/') {
        let decoded = decode_path_segment(segment)
            .unwrap_or_else(|| panic!("accepted {raw:?}, whose segment {segment:?} is not UTF-8"));
        assert!(
            !matches!(&*decoded, "" | "." | ".."),
            "accepted {raw:?}, whose segment {segment:?} decodes to {decoded:?}"
        );
        assert!(
            !decoded.contains(['/', '\\', '\0']),
            "accepted {raw:?}, whose segment {segment:?} decodes to {decoded:?}"
        );
    }
    // The same promise from the other side: decoded whole and joined to a
    // base, it stays below the base.
    let whole = decode_path_segment(raw).expect("every segment decoded, so the whole does");
    let only_names = Path::new(&*whole)
        .components()
        .all(|component| matches!(component, Component::Normal(_)));
    assert!(only_names, "accepted {raw:?}, which decodes to {whole:?}");
}

/// Percent-decoding written plainly, to compare with the runtime's: `%XX`
/// with two hex digits is a byte, `+` a space where `plus_is_space` (a
/// urlencoded key or value), anything else stands for itself; `None` if the
/// bytes are not UTF-8.
pub(crate) fn reference_decode(raw: &str, plus_is_space: bool) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .filter(|hex| hex.chars().all(|c| c.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escape, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}
