//! `ParamLayout`: where a route's parameters sit in a path it matched,
//! known from the route's own path when each parameter fills a segment.
//!
//! matchit hands a match's parameters back as strings, checking each name
//! and value as UTF-8 again (about a quarter of a one-parameter route's
//! look-up). For `/items/{id}/edit`, the parameter's place follows from the
//! match itself: matchit compares static text byte for byte and ends a
//! parameter at the next `/`, so `{id}` starts 7 bytes in and runs to the
//! next `/`. Any other shape (a catch-all, a parameter sharing its segment
//! with text, a literal brace) is read from matchit as before.

use crate::extract::PathParams;

/// A registered path's parameters, for a request matchit matched to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ParamLayout {
    /// Each parameter is a whole segment: the length of the static text
    /// before each one, counted from the end of the parameter before it.
    Segments(Box<[usize]>),
    /// Read the parameters from matchit's match.
    Matched,
}

impl ParamLayout {
    /// The layout of `path`, in matchit's syntax.
    pub(crate) fn of(path: &str) -> Self {
        // `{{` and `}}` are literal braces; atode's paths never hold them,
        // and a path that does is left to matchit.
        if path.contains("{{") || path.contains("}}") {
            return ParamLayout::Matched;
        }
        let mut gaps = Vec::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            let (text, param) = rest.split_at(open);
            let Some(close) = param.find('}') else {
                return ParamLayout::Matched;
            };
            let name = &param[1..close];
            let after = &param[close + 1..];
            let whole_segment = text.ends_with('/') && (after.is_empty() || after.starts_with('/'));
            if !whole_segment || name.is_empty() || name.starts_with('*') || text.contains('}') {
                return ParamLayout::Matched;
            }
            gaps.push(text.len());
            rest = after;
        }
        if rest.contains('}') {
            return ParamLayout::Matched;
        }
        ParamLayout::Segments(gaps.into())
    }

    /// Whether the path has no parameters (and no brace at all). Such a
    /// path is the only one matchit can give for a request whose path is
    /// exactly it (a static route wins over a parameter), so the table
    /// routes that request with a hash and one comparison instead of a
    /// walk of the tree.
    pub(crate) fn is_static(&self) -> bool {
        matches!(self, ParamLayout::Segments(gaps) if gaps.is_empty())
    }

    /// The parameters of `path`, which matchit matched to this layout's
    /// route with `matched`: from the layout when it has one, else read
    /// from matchit.
    #[inline]
    pub(crate) fn read(&self, path: &str, matched: &matchit::Params<'_, '_>) -> PathParams {
        self.params(path).unwrap_or_else(|| {
            PathParams::from_slices(path, matched.iter().map(|(_, value)| value))
        })
    }

    /// Where the parameters sit in `path`, a path matchit matched to this
    /// layout's route; `None` for [`ParamLayout::Matched`], or if `path`
    /// is shorter than the layout says (which a match rules out).
    #[inline]
    pub(crate) fn params(&self, path: &str) -> Option<PathParams> {
        let ParamLayout::Segments(gaps) = self else {
            return None;
        };
        let bytes = path.as_bytes();
        let mut params = PathParams::default();
        let mut end = 0;
        for gap in gaps {
            let start = end + gap;
            let segment = bytes.get(start..)?;
            end = start
                + segment
                    .iter()
                    .position(|&b| b == b'/')
                    .unwrap_or(segment.len());
            params.push(start..end);
        }
        Some(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_segment_parameters_get_a_layout() {
        let segments = |gaps: &[usize]| ParamLayout::Segments(gaps.into());
        assert_eq!(ParamLayout::of("/plaintext"), segments(&[]));
        assert!(ParamLayout::of("/plaintext").is_static());
        assert!(!ParamLayout::of("/items/{id}").is_static());
        assert!(!ParamLayout::of("/a/{{literal}}").is_static());
        assert_eq!(ParamLayout::of("/items/{id}"), segments(&[7]));
        assert_eq!(ParamLayout::of("/a/{x}/bb/{y}/"), segments(&[3, 4]));
        assert_eq!(ParamLayout::of("/{x}/{y}"), segments(&[1, 1]));
        for other in [
            "/files/{*rest}",
            "/files/{name}.png",
            "/files/v{version}",
            "/a/{{literal}}/{x}",
            "/a/{x}}",
            "/a/{x",
            "/a/{x}/b}",
        ] {
            assert_eq!(ParamLayout::of(other), ParamLayout::Matched, "{other}");
        }
    }

    /// For every route whose parameters fill their segments, the ranges
    /// worked out from the layout are the ones matchit gives.
    #[test]
    fn the_layout_agrees_with_matchit() {
        let routes = [
            "/items/{id}",
            "/items/{id}/edit",
            "/items/{id}/files/{name}/",
            "/{a}/{b}/{c}/{d}/{e}/{f}",
            "/send-notification/{email}",
        ];
        let requests = [
            "/items/42",
            "/items/caf%C3%A9",
            "/items/42/edit",
            "/items/7/files/x.txt/",
            "/1/2/3/4/5/6",
            "/one/two/three/four/five/six",
            "/send-notification/foo@example.com",
            "/send-notification/a%2Fb",
        ];
        let mut router = matchit::Router::new();
        for (index, route) in routes.iter().enumerate() {
            router
                .insert(*route, index)
                .expect("routes do not conflict");
        }
        let mut checked = 0;
        for path in requests {
            let matched = router.at(path).expect("every request matches a route");
            let layout = ParamLayout::of(routes[*matched.value]);
            let from_layout = layout.params(path).expect("a layout");
            let from_matchit =
                PathParams::from_slices(path, matched.params.iter().map(|(_, value)| value));
            for index in 0..=matched.params.len() {
                assert_eq!(
                    from_layout.get(index, path),
                    from_matchit.get(index, path),
                    "parameter {index} of {path}"
                );
            }
            checked += 1;
        }
        assert_eq!(checked, requests.len());
    }
}
