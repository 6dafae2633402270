//! The attribute's arguments (`"/path"`, or `GET, POST, "/path"` for
//! `#[route]`) and the whole route they describe.

use proc_macro2::{Span, TokenStream};
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
    const ALL: [Method; 7] =
        [Method::Get, Method::Head, Method::Post, Method::Put, Method::Patch, Method::Delete, Method::Options];

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
}

/// A route attribute on a handler, parsed and checked.
pub(crate) struct Route {
    pub(crate) methods: Vec<Method>,
    pub(crate) path: RoutePath,
    pub(crate) handler: Handler,
    pub(crate) item: ItemFn,
}

/// Adds `error` to `errors`, so all of them are reported together.
pub(crate) fn push(errors: &mut Option<syn::Error>, error: syn::Error) {
    match errors {
        Some(errors) => errors.combine(error),
        None => *errors = Some(error),
    }
}

impl Route {
    pub(crate) fn parse(
        verb: Option<Method>,
        macro_name: &'static str,
        args: TokenStream,
        item: TokenStream,
    ) -> syn::Result<Route> {
        let mut errors = None;
        let item = match syn::parse2::<ItemFn>(item.clone()) {
            Ok(item) => Some(item),
            Err(_) => {
                push(&mut errors, not_a_function(macro_name, item));
                None
            }
        };
        let (methods, lit) = match parse_args(verb, macro_name, args) {
            Ok(parsed) => parsed,
            Err(error) => {
                push(&mut errors, error);
                (Vec::new(), None)
            }
        };
        let path = lit.map(|lit| RoutePath::parse(&lit));
        let path = match path {
            Some(Ok(path)) => Some(path),
            Some(Err(error)) => {
                push(&mut errors, error);
                None
            }
            None => None,
        };
        let handler = item.as_ref().map(|item| Handler::parse(item, path.as_ref()));
        match (errors, item, path, handler) {
            (None, Some(item), Some(path), Some(Ok(handler))) => Ok(Route { methods, path, handler, item }),
            (errors, _, _, handler) => {
                let mut errors = errors;
                if let Some(Err(error)) = handler {
                    push(&mut errors, error);
                }
                Err(errors.unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid route")))
            }
        }
    }
}

fn not_a_function(macro_name: &str, item: TokenStream) -> syn::Error {
    let kind = item
        .clone()
        .into_iter()
        .find_map(|token| match token {
            proc_macro2::TokenTree::Ident(ident)
                if ["struct", "enum", "trait", "impl", "union", "mod", "const", "static", "type", "use"]
                    .contains(&ident.to_string().as_str()) =>
            {
                Some(ident)
            }
            _ => None,
        });
    let what = kind.as_ref().map_or_else(|| "this item".to_owned(), |kind| format!("a `{kind}`"));
    let message = format!(
        "`#[{macro_name}]` goes on an `async fn` handler, not on {what}\n\
         help: write `#[{macro_name}(\"/path\")] async fn handler(...) -> impl IntoResponse {{ ... }}`"
    );
    match kind {
        Some(kind) => syn::Error::new(kind.span(), message),
        None => syn::Error::new_spanned(item, message),
    }
}

/// Parses `"/path"` (a verb attribute) or `GET, POST, "/path"` (`#[route]`).
fn parse_args(verb: Option<Method>, macro_name: &str, args: TokenStream) -> syn::Result<(Vec<Method>, Option<LitStr>)> {
    let mut errors = None;
    let mut methods: Vec<(Method, Ident)> = Vec::new();
    let mut paths: Vec<LitStr> = Vec::new();
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
                        &mut errors,
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
                input.parse::<syn::Expr>()?;
                push(
                    &mut errors,
                    syn::Error::new(
                        key.span(),
                        format!("unknown argument `{key}`: `#[{macro_name}]` takes only the path, as in `{example}`"),
                    ),
                );
            } else if input.peek(Ident::peek_any) {
                let ident = input.call(Ident::parse_any)?;
                match method_named(&ident, verb, macro_name) {
                    Ok(method) => {
                        if methods.iter().any(|(known, _)| *known == method) {
                            push(
                                &mut errors,
                                syn::Error::new(ident.span(), format!("`{ident}` is listed twice; list each method once")),
                            );
                        } else {
                            methods.push((method, ident));
                        }
                    }
                    Err(error) => push(&mut errors, error),
                }
            } else if input.peek(syn::Lit) {
                let lit: syn::Lit = input.parse()?;
                push(
                    &mut errors,
                    syn::Error::new(
                        lit.span(),
                        format!("the route's path must be a string literal, as in `{example}`"),
                    ),
                );
            } else {
                // Skip to the next comma, reporting the stray tokens once.
                let start = input.span();
                let mut stray = TokenStream::new();
                while !input.is_empty() && !input.peek(Token![,]) {
                    stray.extend(std::iter::once(input.parse::<proc_macro2::TokenTree>()?));
                }
                let shown = stray.to_string();
                push(
                    &mut errors,
                    syn::Error::new(
                        start,
                        format!("expected the route's path as a string literal, found `{shown}`\nhelp: write `{example}`"),
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
    parser.parse2(args)?;

    if paths.is_empty() {
        push(
            &mut errors,
            syn::Error::new(Span::call_site(), format!("this route has no path\nhelp: write `{example}`")),
        );
    }
    let methods = match verb {
        Some(verb) => vec![verb],
        None if methods.is_empty() => {
            push(
                &mut errors,
                syn::Error::new(
                    Span::call_site(),
                    format!("`#[route]` needs at least one HTTP method before the path\nhelp: write `{example}`"),
                ),
            );
            Vec::new()
        }
        None => methods.into_iter().map(|(method, _)| method).collect(),
    };
    match errors {
        Some(errors) => Err(errors),
        None => Ok((methods, paths.into_iter().next())),
    }
}

fn method_named(ident: &Ident, verb: Option<Method>, macro_name: &str) -> syn::Result<Method> {
    let name = ident.to_string();
    if verb.is_some() {
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "`#[{macro_name}]` names its method already; to answer several methods, write `#[route({}, {name}, \"/path\")]`",
                macro_name.to_uppercase()
            ),
        ));
    }
    if let Some(method) = Method::ALL.into_iter().find(|method| method.as_str() == name) {
        return Ok(method);
    }
    let upper = name.to_uppercase();
    let message = if Method::ALL.iter().any(|method| method.as_str() == upper) {
        format!("HTTP methods are written in uppercase: `{upper}`, not `{name}`")
    } else {
        format!(
            "unknown HTTP method `{name}`\nhelp: `#[route]` takes GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS{}",
            crate::suggest::closest(&upper, Method::ALL.iter().map(|m| m.as_str()))
                .map(|close| format!("; did you mean `{close}`?"))
                .unwrap_or_default()
        )
    };
    Err(syn::Error::new(ident.span(), message))
}
