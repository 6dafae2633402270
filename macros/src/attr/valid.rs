//! What is wrong with the attribute's arguments, each mistake reported at
//! the argument it is about; and what they say, once checked.

use proc_macro2::Span;
use syn::{Ident, LitStr};

use super::doc_keys;
use super::hint::Usage;
use super::key::Key;
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
    let mut keys = Keys::default();
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
            AttrArg::KeyValue { key: ident, value } => match Key::named(&ident.to_string()) {
                Some(key) => keys.read(cx, key, &ident, value),
                None => {
                    let message = match &value {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(path),
                            ..
                        }) if ident == "path" => {
                            path_attempted = true;
                            usage.named_path(path)
                        }
                        _ => usage.unknown_argument(&ident, Some(&value)),
                    };
                    cx.error(ident.span(), message);
                }
            },
            // A key, before the word could be taken for a path or a method:
            // `deprecated`, or a key missing its value.
            AttrArg::Word(ident) if Key::named(&ident.to_string()).is_some() => {
                keys.word(cx, &ident);
            }
            // `depreciated`: a typo of the key written alone.
            AttrArg::Word(ident) if misspells_deprecated(&ident) => {
                cx.error(ident.span(), usage.unknown_argument(&ident, None));
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
            AttrArg::Call { key: ident, args } => {
                let message = match Key::named(&ident.to_string()) {
                    Some(key) => Usage::called(key, &args),
                    None => usage.unknown_argument(&ident, None),
                };
                cx.error_spanned_by(quote::quote!(#ident #args), message);
            }
            AttrArg::Stray(stray) => {
                path_attempted = true;
                let shown = crate::signature::shown(&stray).replace(" !", "!");
                cx.error_spanned_by(&stray, usage.not_a_literal(&shown));
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
        body_limit: keys.body_limit,
        doc: keys.doc,
    }
}

/// The values of the keys given (`body_limit = ...` and the document's),
/// each key given once.
#[derive(Default)]
struct Keys {
    given: Vec<Key>,
    body_limit: Option<syn::Expr>,
    doc: DocArgs,
}

impl Keys {
    /// `key = value`, written with the name `ident`.
    fn read(&mut self, cx: &Ctxt, key: Key, ident: &Ident, value: syn::Expr) {
        if !self.first_time(cx, key, ident) {
            return;
        }
        let doc = &mut self.doc;
        match key {
            Key::BodyLimit => self.body_limit = Some(value),
            Key::Tags => doc.tags = doc_keys::tags(cx, &value),
            Key::Deprecated => doc.deprecated = doc_keys::flag(cx, key, &value).unwrap_or(false),
            Key::IncludeInSchema => doc.include_in_schema = doc_keys::flag(cx, key, &value),
            Key::Status => doc.status = doc_keys::status(cx, &value),
            Key::ResponseDescription => {
                doc.response_description = doc_keys::response_description(cx, &value);
            }
            Key::Errors => doc.errors = doc_keys::errors(cx, &value),
        }
    }

    /// A key written alone: `deprecated`, or another missing its value.
    fn word(&mut self, cx: &Ctxt, ident: &Ident) {
        match Key::named(&ident.to_string()) {
            Some(Key::Deprecated) => {
                // A second one is reported, and leaves the first's value.
                let first = self.first_time(cx, Key::Deprecated, ident);
                self.doc.deprecated |= first;
            }
            Some(key) => cx.error(ident.span(), Usage::needs_value(key)),
            None => {}
        }
    }

    /// Whether `key` is given for the first time; reports it otherwise.
    fn first_time(&mut self, cx: &Ctxt, key: Key, ident: &Ident) -> bool {
        if self.given.contains(&key) {
            cx.error(
                ident.span(),
                format!("`{key}` is given twice\nhelp: keep one"),
            );
            return false;
        }
        self.given.push(key);
        true
    }
}

/// Whether `ident` is a typo of `deprecated`, the one key written alone
/// (and so the one a word could mean).
fn misspells_deprecated(ident: &Ident) -> bool {
    crate::suggest::closest(&ident.to_string(), [Key::Deprecated.as_str()]).is_some()
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
        let (Args { methods, path, .. }, messages) = checked(verb, tokens);
        (methods, path.map(|lit| lit.value()), messages)
    }

    /// What `check` reads from `tokens`, and the errors it reports.
    fn checked(verb: Option<Method>, tokens: TokenStream) -> (Args, Vec<String>) {
        let cx = Ctxt::new();
        let macro_name = if verb.is_some() { "get" } else { "route" };
        let args = check(&cx, verb, macro_name, super::super::parse(tokens));
        let messages = cx
            .check()
            .err()
            .into_iter()
            .flat_map(|errors| errors.into_iter().map(|e| e.to_string()))
            .collect();
        (args, messages)
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

    /// What `#[get(tokens)]` (or `#[route(tokens)]`) says for the
    /// document, and its errors.
    fn doc(verb: Option<Method>, tokens: TokenStream) -> (DocArgs, Vec<String>) {
        let (Args { doc, .. }, messages) = checked(verb, tokens);
        (doc, messages)
    }

    #[test]
    fn reads_every_document_key_in_any_order() {
        let (doc, errors) = doc(
            Some(Method::Post),
            quote!(
                deprecated,
                "/items",
                tags = ["items", "admin"],
                include_in_schema = false,
                status = 201,
                response_description = "Item created",
                body_limit = 1024,
                errors = [409, 404],
            ),
        );
        assert!(errors.is_empty(), "{errors:?}");
        let tags: Vec<String> = doc.tags.iter().map(LitStr::value).collect();
        assert_eq!(tags, ["items", "admin"]);
        assert!(doc.deprecated);
        assert_eq!(doc.include_in_schema, Some(false));
        assert_eq!(doc.status, Some(201));
        assert_eq!(
            doc.response_description.map(|lit| lit.value()).as_deref(),
            Some("Item created")
        );
        assert_eq!(doc.errors, [409, 404]);
    }

    #[test]
    fn route_takes_the_keys_among_its_methods() {
        let (doc, errors) = doc(None, quote!(GET, deprecated, POST, "/x", status = 204));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(doc.deprecated);
        assert_eq!(doc.status, Some(204));
        let (methods, path, errors) = args(None, quote!(GET, deprecated, POST, "/x"));
        assert_eq!(methods, [Method::Get, Method::Post]);
        assert_eq!(path.as_deref(), Some("/x"));
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn no_keys_is_the_default() {
        let (doc, errors) = doc(Some(Method::Get), quote!("/"));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(doc.tags.is_empty() && !doc.deprecated);
        assert_eq!((doc.include_in_schema, doc.status), (None, None));
        assert!(doc.response_description.is_none());
    }

    #[test]
    fn deprecated_may_say_true_or_false() {
        let (yes, errors) = doc(Some(Method::Get), quote!("/", deprecated = true));
        assert!(yes.deprecated && errors.is_empty(), "{errors:?}");
        let (no, errors) = doc(Some(Method::Get), quote!("/", deprecated = false));
        assert!(!no.deprecated && errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn each_key_is_given_once() {
        for tokens in [
            quote!("/", status = 201, status = 202),
            quote!("/", deprecated, deprecated),
            quote!("/", deprecated, deprecated = true),
            quote!("/", tags = ["a"], tags = ["b"]),
            quote!("/", body_limit = 1, body_limit = 2),
            quote!("/", errors = [404], errors = [409]),
        ] {
            let (_, errors) = doc(Some(Method::Get), tokens);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].contains("is given twice"), "{errors:?}");
        }
        let (doc, _) = doc(Some(Method::Get), quote!("/", status = 201, status = 202));
        assert_eq!(doc.status, Some(201));
    }

    #[test]
    fn a_key_without_its_value_is_not_a_path() {
        let (_, errors) = doc(Some(Method::Get), quote!("/", status));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("`status` needs a value\nhelp: write `status = 201`"),
            "{errors:?}"
        );
        let (_, errors) = doc(None, quote!(GET, "/", tags));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("`tags` needs a value"), "{errors:?}");
        // Without a path, that is a second mistake.
        let (_, errors) = doc(Some(Method::Get), quote!(deprecated));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("this route has no path"),
            "{errors:?}"
        );
    }

    #[test]
    fn suggests_the_key_meant() {
        for (tokens, meant) in [
            (quote!("/", tag = ["items"]), "did you mean `tags`?"),
            (quote!("/", status_code = 201), "did you mean `status`?"),
            (quote!("/", depreciated), "did you mean `deprecated`?"),
            (
                quote!("/", hidden = true),
                "did you mean `include_in_schema = false`?",
            ),
            (
                quote!("/", include_in_shema = false),
                "did you mean `include_in_schema`?",
            ),
            (quote!("/", body_limt = 1), "did you mean `body_limit`?"),
            (
                quote!("/", summary = "List the items"),
                "write `/// List the items`",
            ),
            (
                quote!("/", description = DESCRIPTION),
                "write `/// Create an item.`",
            ),
        ] {
            let (_, errors) = doc(Some(Method::Get), tokens);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].contains(meant), "{meant}: {errors:?}");
        }
        let (_, errors) = doc(None, quote!(GET, DEPRECATED, "/"));
        assert!(
            errors[0].contains("did you mean `deprecated`?"),
            "{errors:?}"
        );
    }

    #[test]
    fn an_unknown_key_lists_every_key() {
        let (_, errors) = doc(Some(Method::Get), quote!("/items", format = "json"));
        assert!(
            errors[0].starts_with("unknown argument `format`\nhelp: `#[get]` takes the path, then optionally `body_limit = <bytes>`, `tags = [\"items\"]`, `deprecated`"),
            "{errors:?}"
        );
        assert!(
            errors[0].ends_with(
                r#"`status = 201`, `response_description = "..."` and `errors = [404, 409]`"#
            ),
            "{errors:?}"
        );
    }

    #[test]
    fn a_key_written_as_a_call_is_shown_as_key_value() {
        let (read, errors) = doc(Some(Method::Get), quote!("/", errors(404, 409)));
        assert!(read.errors.is_empty());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0],
            "`errors` takes a value after `=`, as every key does\nhelp: write `errors = [404, 409]`"
        );
        let (_, errors) = doc(Some(Method::Get), quote!("/", raises(404)));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("unknown argument `raises`\nhelp: did you mean `errors`?"),
            "{errors:?}"
        );
    }

    #[test]
    fn suggests_the_method_meant() {
        let (_, _, errors) = args(None, quote!(PSOT, "/"));
        assert!(errors[0].contains("did you mean `POST`?"), "{errors:?}");
    }
}
