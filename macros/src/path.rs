//! The path grammar: static text, `<name>` for one segment, `<name..>` for
//! the rest of the path. Translated to matchit's syntax (`{name}`,
//! `{*name}`). The braces matchit reserves are rejected rather than escaped:
//! clients percent-encode them, so a raw brace would never match, and
//! `{id}` is most often a parameter in another framework's syntax.
//!
//! [`grammar`] reads the path into pieces, [`valid`] reports what is wrong
//! with them (in the words of [`hint`]), and only a path without mistakes is
//! translated here.

use proc_macro2::Span;
use syn::LitStr;

use crate::ctxt::Ctxt;

mod grammar;
mod hint;
mod spans;
mod valid;

#[cfg(test)]
mod properties;

use grammar::{Piece, Written};
use spans::Spans;

/// A route's path, checked.
#[derive(Debug)]
pub(crate) struct RoutePath {
    /// The path as written, for messages and `RouteInfo::declared`.
    pub(crate) declared: String,
    /// The same path in matchit's syntax.
    pub(crate) router: String,
    /// The parameters, in the order they appear (matchit's order too).
    pub(crate) params: Vec<Param>,
}

#[derive(Debug)]
pub(crate) struct Param {
    pub(crate) name: String,
    /// Where `<name>` is written, as near as the compiler lets us point.
    pub(crate) span: Span,
}

impl RoutePath {
    /// The path `lit` holds, or `None` after reporting every mistake in it.
    pub(crate) fn parse(cx: &Ctxt, lit: &LitStr) -> Option<RoutePath> {
        let path = lit.value();
        let spans = Spans::new(lit);
        let written = grammar::parse(&path);
        cx.unless_errors(|| valid::check(cx, &written, &spans))?;
        Some(translate(&written, &spans))
    }
}

/// A path checked by [`valid::check`], in matchit's syntax, and its
/// parameters.
fn translate(written: &Written<'_>, spans: &Spans<'_>) -> RoutePath {
    let mut router = String::with_capacity(written.path.len() + 8);
    let mut params = Vec::new();
    if written.path.starts_with('/') {
        router.push('/');
    }
    for (index, segment) in written.segments.iter().enumerate() {
        if index > 0 {
            router.push('/');
        }
        for piece in &segment.pieces {
            match piece {
                Piece::Param { range, name, rest } => {
                    router.push_str(if *rest { "{*" } else { "{" });
                    router.push_str(name);
                    router.push('}');
                    params.push(Param {
                        name: (*name).to_owned(),
                        span: spans.of(range.clone()),
                    });
                }
                Piece::Char { c, .. } => router.push(*c),
                // Refused by `valid::check`.
                Piece::Unclosed { .. } | Piece::StrayClose { .. } | Piece::Brace { .. } => {}
            }
        }
    }
    RoutePath {
        declared: written.path.to_owned(),
        router,
        params,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str) -> Result<RoutePath, String> {
        let lit = LitStr::new(path, Span::call_site());
        crate::ctxt::run(|cx| RoutePath::parse(cx, &lit))
            .map(|path| path.expect("no error, so a path"))
            .map_err(|errors| {
                errors
                    .into_iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
    }

    #[test]
    fn translates_parameters_to_the_routers_syntax() {
        let path = parse("/send-notification/<email>").unwrap();
        assert_eq!(path.router, "/send-notification/{email}");
        let path = parse("/files/<dir>/<rest..>").unwrap();
        assert_eq!(path.router, "/files/{dir}/{*rest}");
        assert_eq!(
            path.params
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["dir", "rest"]
        );
        assert_eq!(parse("/").unwrap().router, "/");
        assert_eq!(parse("/items/").unwrap().router, "/items/");
        assert_eq!(parse("/img-<id>.png").unwrap().router, "/img-{id}.png");
    }

    #[test]
    fn rejects_what_the_router_reserves() {
        assert!(parse("/a{b/<c>").unwrap_err().contains("`%7B`"));
        assert!(parse("/a}/<c>").unwrap_err().contains("`%7D`"));
        assert!(
            parse("/users/{id}")
                .unwrap_err()
                .contains("did you mean `<id>`?")
        );
        assert!(
            parse("/files/{*rest}")
                .unwrap_err()
                .contains("did you mean `<rest..>`?")
        );
        assert_eq!(parse("/a%7Bb%7D/<c>").unwrap().router, "/a%7Bb%7D/{c}");
    }

    #[test]
    fn reports_every_mistake_at_once() {
        let errors = parse("items//<foo-bar>/<a><b>").unwrap_err();
        assert!(errors.contains("starts with `/`"), "{errors}");
        assert!(errors.contains("empty segment"), "{errors}");
        assert!(errors.contains("<foo_bar>"), "{errors}");
        assert!(errors.contains("only one per segment"), "{errors}");
    }

    #[test]
    fn rejects_each_malformed_parameter() {
        assert!(parse("/<id").unwrap_err().contains("unclosed `<`"));
        assert!(parse("/id>").unwrap_err().contains("stray `>`"));
        assert!(parse("/<>").unwrap_err().contains("empty"));
        assert!(parse("/<type>").unwrap_err().contains("keyword"));
        assert!(parse("/<rest..>/x").unwrap_err().contains("last segment"));
        assert!(parse("/f<rest..>").unwrap_err().contains("whole segment"));
        assert!(parse("/<id>/<id>").unwrap_err().contains("appears twice"));
        assert!(parse("/a?b=1").unwrap_err().contains("query string"));
        assert!(parse("/a b").unwrap_err().contains("%20"));
        assert!(parse("/100%").unwrap_err().contains("%25"));
    }
}
