//! What is wrong with the attribute's arguments, each mistake reported at
//! the argument it is about; and what they say, once checked.

use proc_macro2::Span;
use syn::{Ident, LitStr};

use super::hint::Usage;
use super::{AttrArg, AttrArgs};
use crate::ctxt::Ctxt;
use crate::method::Method;
use crate::route::DocArgs;

/// What the attribute's arguments say.
pub(crate) struct Args {
    pub(crate) methods: Vec<Method>,
    pub(crate) path: Option<LitStr>,
    /// `body_limit = <bytes>`: the route's own body limit, a constant expression.
    pub(crate) body_limit: Option<syn::Expr>,
    /// The keys for the OpenAPI document.
    pub(crate) doc: DocArgs,
}

/// Checks the arguments of `#[{macro_name}]` (whose method is `verb`, or
/// which is `#[route]`), reporting every mistake, and returns what could be
/// read.
pub(crate) fn check(cx: &Ctxt, verb: Option<Method>, macro_name: &str, attr: AttrArgs) -> Args {
    let usage = Usage::new(verb, macro_name, attr.first_string.as_ref());
    let mut methods: Vec<Method> = Vec::new();
    let mut paths: Vec<LitStr> = Vec::new();
    let mut body_limit: Option<syn::Expr> = None;
    // Whether a path or a method was written, even a wrong one: a wrong one
    // has its own error, and "no path" or "no method" would only repeat it.
    let mut path_attempted = false;
    let mut method_attempted = false;

    for arg in attr.args {
        match arg {
            AttrArg::Path(lit) => {
                if let Some(first) = paths.first() {
                    cx.error(lit.span(), usage.second_path(first, &lit));
                }
                paths.push(lit);
            }
            AttrArg::KeyValue { key, value } if key == "body_limit" => {
                if body_limit.replace(value).is_some() {
                    cx.error(key.span(), "`body_limit` is given twice\nhelp: keep one");
                }
            }
            AttrArg::KeyValue { key, value } => {
                let message = match &value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(path),
                        ..
                    }) if key == "path" => {
                        path_attempted = true;
                        usage.named_path(path)
                    }
                    _ => usage.unknown_argument(&key),
                };
                cx.error(key.span(), message);
            }
            AttrArg::Word(ident) => match verb {
                Some(verb) => path_attempted |= verb_argument(cx, &usage, &ident, verb),
                None => {
                    method_attempted = true;
                    if let Some(method) = route_method(cx, &ident, &methods) {
                        methods.push(method);
                    }
                }
            },
            AttrArg::Stray(stray) => {
                path_attempted = true;
                cx.error_spanned_by(&stray, usage.not_a_literal(&stray));
            }
        }
    }
    if let Some(error) = attr.malformed {
        cx.syn_error(error);
        path_attempted = true;
        method_attempted = true;
    }

    if paths.is_empty() && !path_attempted {
        cx.error(Span::call_site(), usage.no_path(&methods));
        method_attempted = true;
    }
    let methods = match verb {
        Some(verb) => vec![verb],
        None => {
            if methods.is_empty() && !method_attempted {
                cx.error(Span::call_site(), Usage::no_methods(paths.first()));
            }
            methods
        }
    };
    Args {
        methods,
        path: paths.into_iter().next(),
        body_limit,
        doc: DocArgs::default(),
    }
}

/// Reports an identifier given to a verb attribute (`#[get(POST, "/")]`,
/// `#[get(index)]`); returns whether it was meant as the path.
fn verb_argument(cx: &Ctxt, usage: &Usage<'_>, ident: &Ident, verb: Method) -> bool {
    let name = ident.to_string();
    let (message, was_path) = match Method::named(&name.to_uppercase()) {
        Some(method) if method == verb => (usage.verb_repeated(&name), false),
        Some(method) => (usage.second_method(verb, method), false),
        None => (usage.not_a_literal(&name), true),
    };
    cx.error(ident.span(), message);
    was_path
}

/// The method `#[route]` names with `ident`, unless it names none or one
/// listed already, which is reported.
fn route_method(cx: &Ctxt, ident: &Ident, listed: &[Method]) -> Option<Method> {
    let name = ident.to_string();
    match Method::named(&name) {
        Some(method) if listed.contains(&method) => {
            cx.error(
                ident.span(),
                format!("`{ident}` is listed twice\nhelp: list each method once"),
            );
            None
        }
        Some(method) => Some(method),
        None => {
            cx.error(ident.span(), Usage::unknown_method(&name));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn args(
        verb: Option<Method>,
        tokens: TokenStream,
    ) -> (Vec<Method>, Option<String>, Vec<String>) {
        let cx = Ctxt::new();
        let macro_name = if verb.is_some() { "get" } else { "route" };
        let Args { methods, path, .. } = check(&cx, verb, macro_name, super::super::parse(tokens));
        let messages = cx
            .check()
            .err()
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
}
