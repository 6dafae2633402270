//! The handler's signature, classified: each parameter is a path parameter
//! (named after a `<name>`), the request's `BackgroundTasks` (by type, any
//! name, any position), or an extractor.
//!
//! [`input`] gives each parameter its role, [`valid`] reports the roles a
//! handler cannot have (with the fixes of [`hint`]), and the rest become
//! the [`Arg`]s the glue extracts.

use syn::{ItemFn, ReturnType, Type};

use crate::ctxt::Ctxt;
use crate::path::RoutePath;

mod hint;
mod input;
mod valid;

pub(crate) struct Handler {
    pub(crate) args: Vec<Arg>,
    /// The return type as written, where a type that is not a response is
    /// reported; `None` for `()`.
    pub(crate) output: Option<Type>,
}

pub(crate) struct Arg {
    pub(crate) ty: Type,
    pub(crate) kind: ArgKind,
    /// The parameter as written (`Json(item): Json<Item>`), for messages.
    pub(crate) shown: String,
}

/// Tokens as a person writes them: `Json<Item>`, not `Json < Item >`.
pub(crate) fn shown(tokens: &impl quote::ToTokens) -> String {
    let mut text = tokens.to_token_stream().to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" < ", "<"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" [", "["),
        ("[ ", "["),
        (" ]", "]"),
        (" ,", ","),
        (" : ", ": "),
        ("& ", "&"),
    ] {
        text = text.replace(from, to);
    }
    text
}

pub(crate) enum ArgKind {
    /// The `index`-th parameter of the route's path.
    Path {
        index: usize,
        name: String,
    },
    Tasks,
    /// An extractor; `body` for the last one, which may read the body.
    Extractor {
        body: bool,
    },
}

impl Handler {
    /// The handler `item` as a route of `path` calls it (without a path, no
    /// parameter is a path parameter), after reporting every mistake in its
    /// signature. With mistakes, what is returned is incomplete.
    pub(crate) fn parse(cx: &Ctxt, item: &ItemFn, path: Option<&RoutePath>) -> Handler {
        let sig = &item.sig;
        valid::check_qualifiers(cx, sig);
        let inputs = input::parse(sig, path);
        let params = path.map_or(0, |path| path.params.len());
        let (mut args, bound) =
            valid::check_inputs(cx, &sig.ident, &inputs, params, path.is_some());
        if let Some(path) = path {
            valid::check_unbound(cx, sig, path, &inputs, &bound);
        }
        check_body_last(cx, &args);
        mark_body(&mut args);
        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        Handler { args, output }
    }
}

/// atode's extractors that read the body, by the name a handler writes.
const BODY_EXTRACTORS: [&str; 4] = ["Json", "Form", "Bytes", "String"];

/// The body extractor `ty` is (`Json` for `Json<T>`, `Option<Json<T>>`,
/// `Result<Json<T>, _>`), if it is one of atode's.
fn body_extractor(ty: &Type) -> Option<&'static str> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let name = last.ident.to_string();
    if let Some(body) = BODY_EXTRACTORS.iter().find(|body| **body == name) {
        return Some(body);
    }
    if name != "Option" && name != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => body_extractor(inner),
        _ => None,
    }
}

/// Reports a body extractor that is not the last extractor, with the fix
/// first: only the last one may read the body. (The trait error rustc
/// would give instead names `FromRequestParts` before the fix.)
fn check_body_last(cx: &Ctxt, args: &[Arg]) {
    let extractors: Vec<&Arg> = args
        .iter()
        .filter(|arg| matches!(arg.kind, ArgKind::Extractor { .. }))
        .collect();
    let Some((_, before_last)) = extractors.split_last() else {
        return;
    };
    for (i, arg) in before_last.iter().enumerate() {
        let Some(body) = body_extractor(&arg.ty) else {
            continue;
        };
        let later = &extractors[i + 1..];
        let message = match later
            .iter()
            .find(|later| body_extractor(&later.ty).is_some())
        {
            Some(other) => format!(
                "a handler reads the request body once: `{}` and `{}` both read it\nhelp: take one `Json<T>` (or `Form<T>`) of a struct that holds both values",
                arg.shown, other.shown
            ),
            None => {
                let after: Vec<String> = later
                    .iter()
                    .map(|later| format!("`{}`", later.shown))
                    .collect();
                format!(
                    "move `{}` after {}: `{body}` reads the request body, and only the last extractor may\nnote: path parameters and `BackgroundTasks` may come anywhere",
                    arg.shown,
                    after.join(" and "),
                )
            }
        };
        cx.error_spanned_by(&arg.ty, message);
    }
}

/// The last extractor may read the body.
fn mark_body(args: &mut [Arg]) {
    if let Some(Arg {
        kind: ArgKind::Extractor { body },
        ..
    }) = args
        .iter_mut()
        .rev()
        .find(|arg| matches!(arg.kind, ArgKind::Extractor { .. }))
    {
        *body = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::{Span, TokenStream};
    use syn::LitStr;

    fn handler(path: &str, item: TokenStream) -> Result<Handler, Vec<String>> {
        let lit = LitStr::new(path, Span::call_site());
        let path = crate::ctxt::run(|cx| RoutePath::parse(cx, &lit))
            .ok()
            .flatten()
            .expect("a valid path");
        let item: ItemFn = syn::parse2(item).expect("a function");
        crate::ctxt::run(|cx| Handler::parse(cx, &item, Some(&path)))
            .map_err(|errors| errors.into_iter().map(|e| e.to_string()).collect())
    }

    fn kinds(handler: &Handler) -> Vec<String> {
        handler
            .args
            .iter()
            .map(|arg| match &arg.kind {
                ArgKind::Path { index, name } => format!("path {index} {name}"),
                ArgKind::Tasks => "tasks".to_owned(),
                ArgKind::Extractor { body } => format!("extractor body={body}"),
            })
            .collect()
    }

    #[test]
    fn a_body_extractor_before_another_extractor_is_told_to_move() {
        let errors = handler(
            "/<id>",
            quote::quote!(
                async fn f(
                    body: Option<Json<Item>>,
                    id: u32,
                    tasks: BackgroundTasks,
                    State(db): State<Db>,
                ) {
                }
            ),
        )
        .err()
        .expect("an error");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("move `body: Option<Json<Item>>` after `State(db): State<Db>`: `Json` reads the request body"),
            "{errors:?}"
        );
        let errors = handler(
            "/",
            quote::quote!(
                async fn f(a: Json<A>, b: Form<B>) {}
            ),
        )
        .err()
        .expect("an error");
        assert!(
            errors[0].starts_with(
                "a handler reads the request body once: `a: Json<A>` and `b: Form<B>` both read it"
            ),
            "{errors:?}"
        );
        // Last, it is the body; a path parameter named like one is no extractor.
        assert!(
            handler(
                "/<text>",
                quote::quote!(
                    async fn f(text: String, body: Bytes) {}
                )
            )
            .is_ok()
        );
        assert!(
            handler(
                "/",
                quote::quote!(
                    async fn f(h: HeaderMap, body: String) {}
                )
            )
            .is_ok()
        );
    }

    #[test]
    fn classifies_each_parameter() {
        let parsed = handler(
            "/<team>/<id>",
            quote::quote!(
                async fn f(
                    id: u32,
                    later: atode::BackgroundTasks,
                    State(db): State<Db>,
                    team: String,
                    body: Json<T>,
                ) {
                }
            ),
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        assert_eq!(
            kinds(&parsed),
            [
                "path 1 id",
                "tasks",
                "extractor body=false",
                "path 0 team",
                "extractor body=true"
            ]
        );
    }

    #[test]
    fn a_path_parameter_inside_a_pattern_is_named_as_such() {
        let errors = handler(
            "/<id>",
            quote::quote!(
                async fn f(Json(id): Json<u32>) {}
            ),
        )
        .err()
        .unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("bound inside a pattern"), "{errors:?}");
    }

    #[test]
    fn a_wildcard_is_one_error_not_two() {
        let errors = handler(
            "/<id>",
            quote::quote!(
                async fn f(_: u32) {}
            ),
        )
        .err()
        .unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("`_u32: u32`"), "{errors:?}");
    }

    #[test]
    fn a_missing_parameter_points_at_the_path_and_the_parameter_list() {
        let errors = handler(
            "/<emial>",
            quote::quote!(
                async fn f(email: String) {}
            ),
        )
        .err()
        .unwrap();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("did you mean `<email>`?"), "{errors:?}");
        assert!(errors[1].contains("none is named `emial`"), "{errors:?}");
    }

    #[test]
    fn a_tuple_pattern_is_one_error_not_two() {
        let errors = handler(
            "/<a>",
            quote::quote!(
                async fn f((a, b): (String, String)) {}
            ),
        )
        .err()
        .unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("tuple pattern"), "{errors:?}");
    }

    #[test]
    fn borrowed_path_parameters_are_refused() {
        let errors = handler(
            "/<name>",
            quote::quote!(
                async fn f(name: &str) {}
            ),
        )
        .err()
        .unwrap();
        assert!(errors[0].contains("`name: String`"), "{errors:?}");
    }
}
