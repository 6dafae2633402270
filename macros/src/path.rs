//! The path grammar: static text, `<name>` for one segment, `<name..>` for
//! the rest of the path. Translated to matchit's syntax (`{name}`,
//! `{*name}`). The braces matchit reserves are rejected rather than escaped:
//! clients percent-encode them, so a raw brace would never match, and
//! `{id}` is most often a parameter in another framework's syntax.

use std::ops::Range;

use proc_macro2::Span;
use syn::LitStr;

use crate::route::push;

#[cfg(test)]
mod properties;

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

/// Points into the string literal where the compiler allows it (nightly),
/// and at the whole literal otherwise; messages quote the part they mean.
struct Spans<'a> {
    lit: &'a LitStr,
    /// Where the value starts in the literal's source text, when the source
    /// is the value verbatim (no escapes), so byte offsets carry over.
    offset: Option<usize>,
}

impl<'a> Spans<'a> {
    fn new(lit: &'a LitStr) -> Self {
        let source = lit.token().to_string();
        let value = lit.value();
        let offset = source
            .find('"')
            .map(|quote| quote + 1)
            .filter(|&start| source[start..].starts_with(&value));
        Spans { lit, offset }
    }

    fn of(&self, range: Range<usize>) -> Span {
        self.offset
            .and_then(|offset| {
                self.lit
                    .token()
                    .subspan(offset + range.start..offset + range.end)
            })
            .unwrap_or_else(|| self.lit.span())
    }
}

impl RoutePath {
    pub(crate) fn parse(lit: &LitStr) -> syn::Result<RoutePath> {
        let path = lit.value();
        let spans = Spans::new(lit);
        let mut errors = None;
        let mut router = String::with_capacity(path.len() + 8);
        let mut params: Vec<Param> = Vec::new();
        let error =
            |range: Range<usize>, message: String| syn::Error::new(spans.of(range), message);

        if !path.starts_with('/') {
            push(
                &mut errors,
                error(
                    0..path.len(),
                    format!("a route path starts with `/`\nhelp: write \"/{path}\""),
                ),
            );
        }
        if let Some(at) = path.find('?') {
            push(
                &mut errors,
                error(
                    at..path.len(),
                    format!(
                        "a route path cannot hold a query string (`{}`): a route matches the path alone, whatever the query\nhelp: write {:?}, and take the query with the `Query<T>` extractor",
                        &path[at..],
                        &path[..at]
                    ),
                ),
            );
        }
        let checked_end = path.find('?').unwrap_or(path.len());
        let body = &path[..checked_end];

        // Each segment with its byte offset in `path`.
        let mut segments = Vec::new();
        let first = usize::from(body.starts_with('/'));
        let mut start = first;
        for (at, _) in body.match_indices('/').filter(|(at, _)| *at >= first) {
            segments.push((start, &body[start..at]));
            start = at + 1;
        }
        segments.push((start, &body[start..]));

        if body.starts_with('/') {
            router.push('/');
        }
        let last = segments.len() - 1;
        for (index, (offset, segment)) in segments.iter().copied().enumerate() {
            if index > 0 {
                router.push('/');
            }
            if segment.is_empty() && index != last {
                push(
                    &mut errors,
                    error(
                        offset - 1..offset + 1,
                        format!(
                            "the path {path:?} has an empty segment (`//`)\nhelp: remove one of the slashes"
                        ),
                    ),
                );
                continue;
            }
            if let Err(error) = segment_into(
                &spans,
                &path,
                offset,
                segment,
                index == last,
                &mut router,
                &mut params,
            ) {
                push(&mut errors, error);
            }
        }

        for (i, param) in params.iter().enumerate() {
            if params[..i].iter().any(|earlier| earlier.name == param.name) {
                push(
                    &mut errors,
                    syn::Error::new(
                        param.span,
                        format!(
                            "the parameter `<{}>` appears twice in {path:?}\nhelp: give each parameter its own name",
                            param.name
                        ),
                    ),
                );
            }
        }

        match errors {
            Some(errors) => Err(errors),
            None => Ok(RoutePath {
                declared: path,
                router,
                params,
            }),
        }
    }
}

/// Checks one segment and appends it to `router` in matchit's syntax.
fn segment_into(
    spans: &Spans<'_>,
    path: &str,
    offset: usize,
    segment: &str,
    is_last: bool,
    router: &mut String,
    params: &mut Vec<Param>,
) -> syn::Result<()> {
    let mut errors = None;
    let error = |range: Range<usize>, message: String| syn::Error::new(spans.of(range), message);
    let mut found: Vec<(Range<usize>, bool)> = Vec::new();
    let mut chars = segment.char_indices().peekable();

    while let Some((at, c)) = chars.next() {
        let abs = offset + at;
        match c {
            '<' => {
                let Some(close) = segment[at..].find('>') else {
                    push(
                        &mut errors,
                        error(
                            abs..offset + segment.len(),
                            format!(
                                "unclosed `<` in `{}`\nhelp: close the parameter with `>`",
                                &segment[at..]
                            ),
                        ),
                    );
                    break;
                };
                let inner = &segment[at + 1..at + close];
                let whole = abs..abs + close + 1;
                let (name, rest) = match inner.strip_suffix("..") {
                    Some(name) => (name, true),
                    None => (inner, false),
                };
                match check_name(name) {
                    Ok(()) => {
                        if rest {
                            router.push_str("{*");
                        } else {
                            router.push('{');
                        }
                        router.push_str(name);
                        router.push('}');
                        params.push(Param {
                            name: name.to_owned(),
                            span: spans.of(whole.clone()),
                        });
                        found.push((whole, rest));
                    }
                    Err(message) => push(&mut errors, error(whole, message)),
                }
                // Skip to just past the `>`.
                while chars.peek().is_some_and(|(next, _)| *next <= at + close) {
                    chars.next();
                }
            }
            '>' => {
                let before = &segment[..at];
                let hint = if syn::parse_str::<syn::Ident>(before).is_ok() {
                    format!("did you mean `<{before}>`?")
                } else {
                    "parameters are written `<name>`; a literal `>` is `%3E`".to_owned()
                };
                push(
                    &mut errors,
                    error(
                        abs..abs + 1,
                        format!("stray `>` in `{segment}`, with no `<` before it\nhelp: {hint}"),
                    ),
                );
            }
            '{' | '}' => {
                let end = foreign_parameter(&segment[at..]).map_or(at + 1, |len| at + len);
                push(
                    &mut errors,
                    error(abs..offset + end, brace_message(&segment[at..end])),
                );
                while chars.peek().is_some_and(|(next, _)| *next < end) {
                    chars.next();
                }
            }
            '%' => {
                let hex = segment
                    .get(at + 1..at + 3)
                    .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
                if hex.is_none() {
                    let fixed = format!("{}%25{}", &segment[..at], &segment[at + 1..]);
                    push(
                        &mut errors,
                        error(
                            abs..abs + 1,
                            format!(
                                "the `%` in `{segment}` does not start a percent-escape (`%` and two hex digits, such as `%20`)\nhelp: write a literal `%` as `%25`: `{fixed}`"
                            ),
                        ),
                    );
                }
                router.push('%');
            }
            '#' => push(
                &mut errors,
                error(
                    abs..offset + segment.len(),
                    format!(
                        "a route path cannot hold a fragment (`{}`): browsers never send it\nhelp: remove `{}`",
                        &path[abs..],
                        &path[abs..]
                    ),
                ),
            ),
            c if is_path_char(c) => router.push(c),
            c => {
                let mut buf = [0; 4];
                let escaped: String = c
                    .encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect();
                let shown = if c == ' ' {
                    "a space".to_owned()
                } else {
                    format!("`{c}`")
                };
                push(
                    &mut errors,
                    error(
                        abs..abs + c.len_utf8(),
                        format!(
                            "{shown} cannot appear in a URL path as is (in `{segment}`)\nhelp: clients send it percent-encoded: write `{escaped}`"
                        ),
                    ),
                );
            }
        }
    }

    if found.len() > 1 {
        let (second, _) = found[1].clone();
        push(
            &mut errors,
            error(
                second,
                format!(
                    "the segment `{segment}` has {} parameters, and the router can match only one per segment\nhelp: separate them with `/`",
                    found.len()
                ),
            ),
        );
    }
    if let Some((range, _)) = found.iter().find(|(_, rest)| *rest) {
        if !is_last {
            push(
                &mut errors,
                error(
                    range.clone(),
                    format!(
                        "`{}` takes the rest of the path, so it must be the last segment\nhelp: move it to the end, or make it a one-segment parameter `<{}>`",
                        &path[range.clone()],
                        &path[range.start + 1..range.end - 3]
                    ),
                ),
            );
        } else if range.len() != segment.len() {
            push(
                &mut errors,
                error(
                    range.clone(),
                    format!(
                        "`{}` must be a whole segment: the router cannot match text beside it in `{segment}`\nhelp: put it in a segment of its own",
                        &path[range.clone()]
                    ),
                ),
            );
        }
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(()),
    }
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

/// Why a brace cannot be in a route path, with the fix.
fn brace_message(text: &str) -> String {
    if text.len() > 1 {
        let inner = &text[1..text.len() - 1];
        let fixed = match inner.strip_prefix('*') {
            Some(name) => format!("<{name}..>"),
            None => format!("<{inner}>"),
        };
        return format!(
            "atode writes a path parameter as `{fixed}`, not `{text}`\nhelp: did you mean `{fixed}`?"
        );
    }
    let escaped = if text == "{" { "%7B" } else { "%7D" };
    format!(
        "`{text}` is reserved by the router, and clients send it percent-encoded\nhelp: write `{escaped}`"
    )
}

/// RFC 3986's `pchar`, less `%` (handled as escapes).
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c)
}

/// A parameter's name must be a Rust identifier: it names a parameter of
/// the handler.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a parameter needs a name: `<>` is empty\nhelp: write `<id>`, naming a parameter of the handler".to_owned());
    }
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        return Ok(());
    }
    if name == "_" {
        return Err("`<_>` has no name, and a path parameter is bound by name\nhelp: name it after a parameter of the handler, such as `<id>`".to_owned());
    }
    if syn::parse_str::<syn::Ident>(&format!("r#{name}")).is_ok()
        || name == "self"
        || name == "Self"
    {
        return Err(format!(
            "`<{name}>`: `{name}` is a Rust keyword, and cannot name a handler parameter\nhelp: pick another name, such as `<{name}_>`"
        ));
    }
    let mut fixed: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if fixed.starts_with(|c: char| c.is_ascii_digit()) {
        fixed.insert(0, '_');
    }
    Err(format!(
        "`<{name}>` is not a valid parameter name: it must be a Rust identifier, since it names a handler parameter\nhelp: did you mean `<{fixed}>`?"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str) -> Result<RoutePath, String> {
        let lit = LitStr::new(path, Span::call_site());
        RoutePath::parse(&lit).map_err(|errors| {
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
