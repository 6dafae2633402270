//! Spans inside the path's string literal.

use std::ops::Range;

use proc_macro2::Span;
use syn::LitStr;

/// Points into the string literal where the compiler allows it (nightly),
/// and at the whole literal otherwise; messages quote the part they mean.
pub(super) struct Spans<'a> {
    lit: &'a LitStr,
    /// Where the value starts in the literal's source text, when the source
    /// is the value verbatim (no escapes), so byte offsets carry over.
    offset: Option<usize>,
}

impl<'a> Spans<'a> {
    pub(super) fn new(lit: &'a LitStr) -> Self {
        let source = lit.token().to_string();
        let value = lit.value();
        let offset = source
            .find('"')
            .map(|quote| quote + 1)
            .filter(|&start| source[start..].starts_with(&value));
        Spans { lit, offset }
    }

    /// The span of the bytes `range` of the path's value.
    pub(super) fn of(&self, range: Range<usize>) -> Span {
        self.offset
            .and_then(|offset| {
                self.lit
                    .token()
                    .subspan(offset + range.start..offset + range.end)
            })
            .unwrap_or_else(|| self.lit.span())
    }
}
