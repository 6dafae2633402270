//! The attribute's arguments (`"/path"`, or `GET, POST, "/path"` for
//! `#[route]`) and the whole route they describe.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, ItemFn, LitStr, Token};

use crate::path::RoutePath;
use crate::signature::Handler;

/// The HTTP methods a route attribute can name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl Method {
    const ALL: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }

    fn named(name: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|method| method.as_str() == name)
    }
}

/// A route attribute on a handler, parsed and checked.
pub(crate) struct Route {
    pub(crate) methods: Vec<Method>,
    pub(crate) path: RoutePath,
    /// `body_limit = <bytes>`: this route's own body limit, a constant expression.
    pub(crate) body_limit: Option<syn::Expr>,
    pub(crate) handler: Handler,
    pub(crate) item: ItemFn,
}

/// Why a route attribute was rejected: every error found, and the handler
/// when the item was a function, so a stand-in can be emitted for it.
pub(crate) struct Rejected {
    pub(crate) errors: syn::Error,
    pub(crate) item: Option<Box<ItemFn>>,
}

/// Adds `error` to `errors`, so all of them are reported together.
pub(crate) fn push(errors: &mut Option<syn::Error>, error: syn::Error) {
    match errors {
        Some(errors) => errors.combine(error),
        None => *errors = Some(error),
    }
}

impl Route {
    /// Parses and checks everything, and reports every mistake at once: a
    /// bad method does not hide a bad path, nor a bad path a bad signature.
    pub(crate) fn parse(
        verb: Option<Method>,
        macro_name: &'static str,
        args: TokenStream,
        item: TokenStream,
    ) -> Result<Route, Rejected> {
        let mut errors = None;
        let item = match syn::parse2::<ItemFn>(item.clone()) {
            Ok(item) => Some(item),
            Err(error) => {
                push(&mut errors, not_a_function(macro_name, item, error));
                None
            }
        };
        let Args {
            methods,
            path: lit,
            body_limit,
        } = parse_args(verb, macro_name, args, &mut errors);
        let path = lit.and_then(|lit| match RoutePath::parse(&lit) {
            Ok(path) => Some(path),
            Err(error) => {
                push(&mut errors, error);
                None
            }
        });
        let handler = item
            .as_ref()
            .and_then(|item| match Handler::parse(item, path.as_ref()) {
                Ok(handler) => Some(handler),
                Err(error) => {
                    push(&mut errors, error);
                    None
                }
            });
        match (errors, item, path, handler) {
            (None, Some(item), Some(path), Some(handler)) => Ok(Route {
                methods,
                path,
                body_limit,
                handler,
                item,
            }),
            (errors, item, ..) => Err(Rejected {
                errors: errors
                    .unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid route")),
                item: item.map(Box::new),
            }),
        }
    }
}

/// The error for an attribute on something other than a function: names
/// what it is on, or passes on syn's error for a function it cannot parse.
fn not_a_function(macro_name: &str, item: TokenStream, parse_error: syn::Error) -> syn::Error {
    let Some(keyword) = leading_keyword(item.clone()) else {
        return syn::Error::new_spanned(
            item,
            format!("`#[{macro_name}]` goes on an `async fn` handler"),
        );
    };
    let what = match keyword.to_string().as_str() {
        "fn" | "async" | "unsafe" | "extern" => return parse_error,
        "struct" => "a `struct`",
        "enum" => "an `enum`",
        "union" => "a `union`",
        "trait" => "a `trait`",
        "impl" => "an `impl` block",
        "mod" => "a module",
        "const" => "a `const`",
        "static" => "a `static`",
        "type" => "a type alias",
        "use" => "a `use` declaration",
        "macro_rules" => "a macro",
        _ => "this item",
    };
    let hint = if keyword == "impl" {
        format!(
            "help: put `#[{macro_name}(\"/path\")]` on a free `async fn` outside the `impl` block"
        )
    } else {
        format!(
            "help: write `#[{macro_name}(\"/path\")] async fn handler(...) -> impl IntoResponse {{ ... }}`"
        )
    };
    syn::Error::new(
        keyword.span(),
        format!("`#[{macro_name}]` goes on an `async fn` handler, not on {what}\n{hint}"),
    )
}

/// The keyword that says what an item is, past its attributes and visibility.
fn leading_keyword(item: TokenStream) -> Option<Ident> {
    let mut tokens = item.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            // `#[...]`: an attribute.
            TokenTree::Punct(punct) if punct.as_char() == '#' => {
                tokens.next();
            }
            TokenTree::Ident(ident) if ident == "pub" => {
                // `pub(crate)`, `pub(in path)`.
                if matches!(tokens.peek(), Some(TokenTree::Group(group)) if group.delimiter() == proc_macro2::Delimiter::Parenthesis)
                {
                    tokens.next();
                }
            }
            TokenTree::Ident(ident) => return Some(ident),
            _ => return None,
        }
    }
    None
}

/// What an attribute's arguments say.
struct Args {
    methods: Vec<Method>,
    path: Option<LitStr>,
    body_limit: Option<syn::Expr>,
}

/// Parses `"/path"` (a verb attribute) or `GET, POST, "/path"` (`#[route]`),
/// then optionally `body_limit = <bytes>`, adding every mistake to `errors`
/// and returning what could be read.
fn parse_args(
    verb: Option<Method>,
    macro_name: &str,
    args: TokenStream,
    errors: &mut Option<syn::Error>,
) -> Args {
    // The path as written, for suggestions made before it is parsed.
    let path_shown = args
        .clone()
        .into_iter()
        .find_map(|token| syn::parse2::<LitStr>(token.into_token_stream()).ok())
        .map_or_else(
            || "\"/path\"".to_owned(),
            |path| format!("{:?}", path.value()),
        );
    let mut methods: Vec<(Method, Ident)> = Vec::new();
    let mut paths: Vec<LitStr> = Vec::new();
    let mut body_limit: Option<syn::Expr> = None;
    // Whether a path or a method was written, even a wrong one: a wrong one
    // has its own error, and "no path" or "no method" would only repeat it.
    let mut path_attempted = false;
    let mut method_attempted = false;
    let example = if verb.is_some() {
        format!("#[{macro_name}(\"/items/<id>\")]")
    } else {
        "#[route(GET, POST, \"/items/<id>\")]".to_owned()
    };

    let parser = |input: ParseStream| -> syn::Result<()> {
        while !input.is_empty() {
            if input.peek(LitStr) {
                let lit: LitStr = input.parse()?;
                if let Some(first) = paths.first() {
                    push(
                        errors,
                        syn::Error::new(
                            lit.span(),
                            format!(
                                "a route has one path, and this one already has {:?}\n\
                                 help: to answer {:?} as well, give it a handler of its own",
                                first.value(),
                                lit.value()
                            ),
                        ),
                    );
                }
                paths.push(lit);
            } else if input.peek(Ident::peek_any) && input.peek2(Token![=]) {
                let key = input.call(Ident::parse_any)?;
                input.parse::<Token![=]>()?;
                let value: syn::Expr = input.parse()?;
                if key == "body_limit" {
                    if body_limit.replace(value).is_some() {
                        push(
                            errors,
                            syn::Error::new(
                                key.span(),
                                "`body_limit` is given twice\nhelp: keep one",
                            ),
                        );
                    }
                    if input.is_empty() {
                        break;
                    }
                    input.parse::<Token![,]>()?;
                    continue;
                }
                let message = match &value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(path),
                        ..
                    }) if key == "path" => {
                        path_attempted = true;
                        let shown = if verb.is_some() {
                            format!("#[{macro_name}({:?})]", path.value())
                        } else {
                            format!("#[route(GET, {:?})]", path.value())
                        };
                        format!(
                            "`#[{macro_name}]` takes its path without a name\nhelp: write `{shown}`"
                        )
                    }
                    _ => format!(
                        "unknown argument `{key}`: `#[{macro_name}]` takes {} and optionally `body_limit = <bytes>`, as in `{example}`",
                        {
                            if verb.is_some() {
                                "the path,"
                            } else {
                                "methods, the path,"
                            }
                        }
                    ),
                };
                push(errors, syn::Error::new(key.span(), message));
            } else if input.peek(Ident::peek_any) {
                let ident = input.call(Ident::parse_any)?;
                match verb {
                    Some(verb) => {
                        path_attempted |=
                            verb_argument(&ident, verb, macro_name, &example, &path_shown, errors);
                    }
                    None => {
                        method_attempted = true;
                        match method_named(&ident) {
                            Ok(method) if methods.iter().any(|(known, _)| *known == method) => {
                                push(
                                    errors,
                                    syn::Error::new(
                                        ident.span(),
                                        format!(
                                            "`{ident}` is listed twice\nhelp: list each method once"
                                        ),
                                    ),
                                )
                            }
                            Ok(method) => methods.push((method, ident)),
                            Err(error) => push(errors, error),
                        }
                    }
                }
            } else {
                // Anything else stands where the path should: skip to the
                // next comma, reporting the stray tokens once.
                path_attempted = true;
                let mut stray = TokenStream::new();
                while !input.is_empty() && !input.peek(Token![,]) {
                    stray.extend(std::iter::once(input.parse::<TokenTree>()?));
                }
                push(
                    errors,
                    syn::Error::new_spanned(
                        &stray,
                        format!(
                            "the route's path must be a string literal, not `{stray}`\nhelp: write `{example}`"
                        ),
                    ),
                );
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    };
    if let Err(error) = parser.parse2(args) {
        push(errors, error);
        path_attempted = true;
        method_attempted = true;
    }

    if paths.is_empty() && !path_attempted {
        let message = if verb.is_some() {
            format!("this route has no path\nhelp: write `{example}`")
        } else if !methods.is_empty() {
            let listed: Vec<&str> = methods.iter().map(|(method, _)| method.as_str()).collect();
            format!(
                "this route has no path\nhelp: write `#[route({}, \"/items/<id>\")]`",
                listed.join(", ")
            )
        } else {
            format!("`#[route]` needs its methods and its path\nhelp: write `{example}`")
        };
        push(errors, syn::Error::new(Span::call_site(), message));
        method_attempted = true;
    }
    let methods = match verb {
        Some(verb) => vec![verb],
        None => {
            if methods.is_empty() && !method_attempted {
                let path = paths.first().map_or_else(
                    || "\"/items/<id>\"".to_owned(),
                    |path| format!("{:?}", path.value()),
                );
                push(
                    errors,
                    syn::Error::new(
                        Span::call_site(),
                        format!(
                            "`#[route]` needs at least one HTTP method before the path\nhelp: write `#[route(GET, POST, {path})]`, or `#[get({path})]` for one method"
                        ),
                    ),
                );
            }
            methods.into_iter().map(|(method, _)| method).collect()
        }
    };
    Args {
        methods,
        path: paths.into_iter().next(),
        body_limit,
    }
}

/// Reports an identifier given to a verb attribute (`#[get(POST, "/")]`,
/// `#[get(index)]`); returns whether it was meant as the path.
fn verb_argument(
    ident: &Ident,
    verb: Method,
    macro_name: &str,
    example: &str,
    path: &str,
    errors: &mut Option<syn::Error>,
) -> bool {
    let name = ident.to_string();
    let (message, was_path) = match Method::named(&name.to_uppercase()) {
        Some(method) if method == verb => (
            format!("`#[{macro_name}]` answers {name} already\nhelp: remove `{name}`"),
            false,
        ),
        Some(method) => (
            format!(
                "`#[{macro_name}]` names its method already\nhelp: to answer {} and {} with one handler, write `#[route({}, {}, {path})]`",
                verb.as_str(),
                method.as_str(),
                verb.as_str(),
                method.as_str()
            ),
            false,
        ),
        None => (
            format!(
                "the route's path must be a string literal, not `{name}`\nhelp: write `{example}`"
            ),
            true,
        ),
    };
    push(errors, syn::Error::new(ident.span(), message));
    was_path
}

/// The method `#[route]` names with `ident`, or why it names none.
fn method_named(ident: &Ident) -> syn::Result<Method> {
    let name = ident.to_string();
    if let Some(method) = Method::named(&name) {
        return Ok(method);
    }
    let upper = name.to_uppercase();
    let message = if Method::named(&upper).is_some() {
        format!("HTTP methods are written in uppercase\nhelp: write `{upper}`, not `{name}`")
    } else {
        format!(
            "unknown HTTP method `{name}`\nhelp: {}`#[route]` takes GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS",
            crate::suggest::closest(&upper, Method::ALL.iter().map(|m| m.as_str()))
                .map(|close| format!("did you mean `{close}`? "))
                .unwrap_or_default()
        )
    };
    Err(syn::Error::new(ident.span(), message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn args(
        verb: Option<Method>,
        tokens: TokenStream,
    ) -> (Vec<Method>, Option<String>, Vec<String>) {
        let mut errors = None;
        let Args { methods, path, .. } = parse_args(
            verb,
            if verb.is_some() { "get" } else { "route" },
            tokens,
            &mut errors,
        );
        let messages = errors
            .into_iter()
            .flat_map(|errors| errors.into_iter().map(|e| e.to_string()))
            .collect();
        (methods, path.map(|lit| lit.value()), messages)
    }

    #[test]
    fn reads_methods_and_the_path() {
        let (methods, path, errors) = args(None, quote!(GET, POST, "/items",));
        assert_eq!(methods, [Method::Get, Method::Post]);
        assert_eq!(path.as_deref(), Some("/items"));
        assert!(errors.is_empty(), "{errors:?}");
        let (methods, path, errors) = args(Some(Method::Get), quote!("/"));
        assert_eq!((methods, path.as_deref()), (vec![Method::Get], Some("/")));
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn a_bad_method_still_yields_the_path() {
        let (methods, path, errors) = args(None, quote!(GET, get, PUSH, "/x"));
        assert_eq!(methods, [Method::Get]);
        assert_eq!(path.as_deref(), Some("/x"));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("uppercase"));
        assert!(
            errors[1].contains("unknown HTTP method `PUSH`"),
            "{errors:?}"
        );
    }

    #[test]
    fn one_mistake_is_one_error() {
        // A lowercase method is not also "no method"; a bad path not also "no path".
        assert_eq!(args(None, quote!(get, "/")).2.len(), 1);
        assert_eq!(args(Some(Method::Get), quote!(index)).2.len(), 1);
        assert_eq!(args(Some(Method::Get), quote!(42)).2.len(), 1);
        assert_eq!(args(Some(Method::Get), quote!(path = "/")).2.len(), 1);
    }

    #[test]
    fn suggestions_reuse_what_was_written() {
        let (_, _, errors) = args(Some(Method::Get), quote!(POST, "/items"));
        assert!(
            errors[0].contains(r#"`#[route(GET, POST, "/items")]`"#),
            "{errors:?}"
        );
        let (_, _, errors) = args(None, quote!(GET, PUT));
        assert!(
            errors[0].contains(r#"`#[route(GET, PUT, "/items/<id>")]`"#),
            "{errors:?}"
        );
    }

    #[test]
    fn suggests_the_method_meant() {
        let (_, _, errors) = args(None, quote!(PSOT, "/"));
        assert!(errors[0].contains("did you mean `POST`?"), "{errors:?}");
    }

    #[test]
    fn names_the_item_the_attribute_is_on() {
        assert_eq!(
            leading_keyword(quote!(
                #[doc = "x"]
                pub(crate) struct S;
            ))
            .unwrap(),
            "struct"
        );
        assert_eq!(leading_keyword(quote!(impl S {})).unwrap(), "impl");
    }
}
