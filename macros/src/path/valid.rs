//! What is wrong with a path, each mistake reported at the part of the
//! literal it is about.

use std::ops::Range;

use super::grammar::{Piece, Segment, Written};
use super::hint;
use super::spans::Spans;
use crate::ctxt::Ctxt;

/// Checks the whole path: its start, its query, each segment, and that no
/// parameter appears twice.
pub(super) fn check(cx: &Ctxt, written: &Written<'_>, spans: &Spans<'_>) {
    let path = written.path;
    let error = |range: Range<usize>, message: String| cx.error(spans.of(range), message);
    if !path.starts_with('/') {
        error(0..path.len(), hint::no_leading_slash(path));
    }
    if let Some(at) = written.query {
        error(at..path.len(), hint::query(path, at));
    }
    let last = written.segments.len() - 1;
    for (index, segment) in written.segments.iter().enumerate() {
        if segment.text.is_empty() && index != last {
            let offset = segment.offset;
            error(offset - 1..offset + 1, hint::empty_segment(path));
            continue;
        }
        check_segment(cx, spans, path, segment, index == last);
    }
    check_duplicates(cx, spans, written);
}

/// Checks each piece of `segment`, then how its parameters sit in it.
fn check_segment(cx: &Ctxt, spans: &Spans<'_>, path: &str, segment: &Segment<'_>, is_last: bool) {
    let error = |range: Range<usize>, message: String| cx.error(spans.of(range), message);
    let Segment { offset, text, .. } = *segment;
    // The parameters with a valid name, and whether each takes the rest.
    let mut found: Vec<(Range<usize>, bool)> = Vec::new();
    for piece in &segment.pieces {
        match piece {
            Piece::Param { range, name, rest } => {
                if is_name(name) {
                    found.push((range.clone(), *rest));
                } else {
                    error(range.clone(), hint::bad_name(name));
                }
            }
            Piece::Unclosed { range } => error(range.clone(), hint::unclosed(&path[range.clone()])),
            &Piece::StrayClose { at } => {
                error(at..at + 1, hint::stray_close(&path[offset..at], text));
            }
            Piece::Brace { range } => error(range.clone(), hint::brace(&path[range.clone()])),
            &Piece::Char { at, c: '%' } => {
                let at_in_segment = at - offset;
                let escape = text
                    .get(at_in_segment + 1..at_in_segment + 3)
                    .filter(|hex| hex.chars().all(|c| c.is_ascii_hexdigit()));
                if escape.is_none() {
                    error(at..at + 1, hint::bare_percent(text, at_in_segment));
                }
            }
            &Piece::Char { at, c: '#' } => {
                error(at..offset + text.len(), hint::fragment(&path[at..]));
            }
            &Piece::Char { c, .. } if is_path_char(c) => {}
            &Piece::Char { at, c } => error(at..at + c.len_utf8(), hint::unencoded(c, text)),
        }
    }

    if let [_, (second, _), ..] = found.as_slice() {
        error(second.clone(), hint::two_params(text, found.len()));
    }
    if let Some((range, _)) = found.iter().find(|(_, rest)| *rest) {
        if !is_last {
            error(range.clone(), hint::rest_not_last(&path[range.clone()]));
        } else if range.len() != text.len() {
            error(
                range.clone(),
                hint::rest_not_whole(&path[range.clone()], text),
            );
        }
    }
}

/// Reports each parameter named like one before it.
fn check_duplicates(cx: &Ctxt, spans: &Spans<'_>, written: &Written<'_>) {
    let params: Vec<(&Range<usize>, &str)> = written
        .segments
        .iter()
        .flat_map(|segment| &segment.pieces)
        .filter_map(|piece| match piece {
            Piece::Param { range, name, .. } if is_name(name) => Some((range, *name)),
            _ => None,
        })
        .collect();
    for (i, (range, name)) in params.iter().enumerate() {
        if params[..i].iter().any(|(_, earlier)| earlier == name) {
            cx.error(
                spans.of((*range).clone()),
                hint::duplicate(name, written.path),
            );
        }
    }
}

/// A parameter's name must be a Rust identifier: it names a parameter of
/// the handler.
pub(super) fn is_name(name: &str) -> bool {
    syn::parse_str::<syn::Ident>(name).is_ok()
}

/// RFC 3986's `pchar`, less `%` (handled as escapes).
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c)
}
