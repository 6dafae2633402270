//! The path read into segments and pieces, without judgement: what is
//! wrong with them is [`super::valid`]'s to say. Offsets are bytes into the
//! whole path, so each piece has its own span.

use std::ops::Range;

/// A route path as written.
pub(super) struct Written<'a> {
    pub(super) path: &'a str,
    /// Where a `?` starts a query string; segments end there.
    pub(super) query: Option<usize>,
    pub(super) segments: Vec<Segment<'a>>,
}

/// The text between two slashes.
pub(super) struct Segment<'a> {
    pub(super) offset: usize,
    pub(super) text: &'a str,
    pub(super) pieces: Vec<Piece<'a>>,
}

pub(super) enum Piece<'a> {
    /// `<name>`, or `<name..>` (`rest`); `range` covers the brackets, and
    /// `name` is unchecked.
    Param {
        range: Range<usize>,
        name: &'a str,
        rest: bool,
    },
    /// A `<` never closed in its segment: it runs to the segment's end, and
    /// nothing after it is read.
    Unclosed { range: Range<usize> },
    /// A `>` with no `<` before it.
    StrayClose { at: usize },
    /// A brace, or a whole `{name}` or `{*name}`: the router's own syntax.
    Brace { range: Range<usize> },
    /// Any other character.
    Char { at: usize, c: char },
}

/// Splits `path` into its segments, each read into pieces.
pub(super) fn parse(path: &str) -> Written<'_> {
    let query = path.find('?');
    let body = &path[..query.unwrap_or(path.len())];
    let mut bounds = Vec::new();
    let first = usize::from(body.starts_with('/'));
    let mut start = first;
    for (at, _) in body.match_indices('/').filter(|(at, _)| *at >= first) {
        bounds.push((start, &body[start..at]));
        start = at + 1;
    }
    bounds.push((start, &body[start..]));
    let segments = bounds
        .into_iter()
        .map(|(offset, text)| Segment {
            offset,
            text,
            pieces: pieces(offset, text),
        })
        .collect();
    Written {
        path,
        query,
        segments,
    }
}

/// The pieces of `segment`, which starts at `offset` in the path.
fn pieces(offset: usize, segment: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut chars = segment.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let abs = offset + at;
        match c {
            '<' => {
                let Some(close) = segment[at..].find('>') else {
                    pieces.push(Piece::Unclosed {
                        range: abs..offset + segment.len(),
                    });
                    break;
                };
                let inner = &segment[at + 1..at + close];
                let (name, rest) = match inner.strip_suffix("..") {
                    Some(name) => (name, true),
                    None => (inner, false),
                };
                pieces.push(Piece::Param {
                    range: abs..abs + close + 1,
                    name,
                    rest,
                });
                // Skip to just past the `>`.
                while chars.peek().is_some_and(|(next, _)| *next <= at + close) {
                    chars.next();
                }
            }
            '>' => pieces.push(Piece::StrayClose { at: abs }),
            '{' | '}' => {
                let end = foreign_parameter(&segment[at..]).map_or(at + 1, |len| at + len);
                pieces.push(Piece::Brace {
                    range: abs..offset + end,
                });
                while chars.peek().is_some_and(|(next, _)| *next < end) {
                    chars.next();
                }
            }
            c => pieces.push(Piece::Char { at: abs, c }),
        }
    }
    pieces
}

/// The length of `{name}` or `{*name}` at the start of `text`: a parameter
/// written in the router's (and axum's) syntax instead of atode's.
fn foreign_parameter(text: &str) -> Option<usize> {
    let inner = text.strip_prefix('{')?;
    let close = inner.find('}')?;
    let name = inner[..close].strip_prefix('*').unwrap_or(&inner[..close]);
    syn::parse_str::<syn::Ident>(name)
        .is_ok()
        .then_some(close + 2)
}
