//! The handler's signature, classified: each parameter is a path parameter
//! (named after a `<name>`), the request's `BackgroundTasks` (by type, any
//! name, any position), or an extractor.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use crate::path::RoutePath;
use crate::route::push;

pub(crate) struct Handler {
    pub(crate) args: Vec<Arg>,
    /// The return type as written, where a type that is not a response is
    /// reported; `None` for `()`.
    pub(crate) output: Option<Type>,
}

pub(crate) struct Arg {
    pub(crate) ty: Type,
    pub(crate) kind: ArgKind,
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

const TASKS: &str = "BackgroundTasks";

/// Whether `ty` names `BackgroundTasks` (by its last path segment, so
/// `atode::BackgroundTasks` counts too).
fn is_tasks(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|last| last.ident == TASKS && last.arguments.is_empty()))
}

/// Whether `tokens` hold the identifier `name` anywhere, groups included.
fn mentions(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == name,
        TokenTree::Group(group) => mentions(group.stream(), name),
        _ => false,
    })
}

/// A name for an unused parameter of type `ty`: `_tasks`, `_json`.
fn unused_name(ty: &Type) -> String {
    if is_tasks(ty) {
        return "_tasks".to_owned();
    }
    let Type::Path(path) = ty else {
        return "_value".to_owned();
    };
    let Some(last) = path.path.segments.last() else {
        return "_value".to_owned();
    };
    let mut name = String::new();
    for c in last.ident.to_string().chars() {
        if c.is_uppercase() {
            name.push('_');
        }
        name.extend(c.to_lowercase());
    }
    if name.starts_with('_') {
        name
    } else {
        format!("_{name}")
    }
}

/// Why a parameter pattern is not accepted, with the fix.
fn pattern_error(pat: &Pat, ty: &Type) -> syn::Error {
    let ty = ty.to_token_stream();
    let message = match pat {
        Pat::Wild(_) => format!(
            "a route handler's parameter needs a name, not `_`\nhelp: to leave it unused, give it a name that starts with `_`: `{}: {ty}`",
            unused_name(&syn::parse2(ty.clone()).unwrap_or(Type::Verbatim(ty.clone())))
        ),
        Pat::Tuple(_) => format!(
            "a route handler's parameter cannot be a tuple pattern: each path parameter is bound by its own name\nhelp: take one parameter per `<name>` in the path, or name this one (`pair: {ty}`) and destructure it in the body"
        ),
        Pat::Ident(pat) if pat.by_ref.is_some() => {
            format!(
                "a route handler's parameter cannot be bound by reference\nhelp: write `{}: {ty}`",
                pat.ident
            )
        }
        _ => format!(
            "a route handler's parameter must be a name (`email: String`) or an extractor destructured by its type (`State(db): State<Db>`)\nhelp: name the parameter (`value: {ty}`), and destructure it in the body"
        ),
    };
    syn::Error::new_spanned(pat, message)
}

impl Handler {
    pub(crate) fn parse(item: &ItemFn, path: Option<&RoutePath>) -> syn::Result<Handler> {
        let sig = &item.sig;
        let name = &sig.ident;
        let mut errors = None;

        if sig.asyncness.is_none() {
            push(
                &mut errors,
                syn::Error::new(
                    sig.fn_token.span(),
                    format!("a route handler must be an `async fn`\nhelp: write `async fn {name}`"),
                ),
            );
        }
        if let Some(constness) = &sig.constness {
            push(
                &mut errors,
                syn::Error::new(
                    constness.span(),
                    "a route handler cannot be a `const fn`\nhelp: remove `const`",
                ),
            );
        }
        if let syn::Safety::Unsafe(unsafety) = &sig.safety {
            push(
                &mut errors,
                syn::Error::new(
                    unsafety.span(),
                    "a route handler cannot be an `unsafe fn`: the router calls it without an `unsafe` block\nhelp: remove `unsafe`, and put an `unsafe` block with its safety argument inside the handler",
                ),
            );
        }
        if let Some(abi) = &sig.abi {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    abi,
                    "a route handler cannot declare an ABI\nhelp: remove it",
                ),
            );
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            let generics = if sig.generics.params.is_empty() {
                sig.generics.where_clause.to_token_stream()
            } else {
                sig.generics.to_token_stream()
            };
            push(
                &mut errors,
                syn::Error::new_spanned(
                    generics,
                    format!(
                        "a route handler cannot be generic: the router needs one concrete `{name}` to call\nhelp: remove the generic parameters, or call a generic function from a concrete handler"
                    ),
                ),
            );
        }
        if let Some(variadic) = &sig.variadic {
            push(
                &mut errors,
                syn::Error::new_spanned(variadic, "a route handler cannot be variadic"),
            );
        }

        let mut args = Vec::new();
        let mut tasks_seen: Option<Ident> = None;
        let mut bound_params = vec![false; path.map_or(0, |p| p.params.len())];
        // Patterns that bind names of their own: a path parameter they
        // mention gets a message about the pattern, not "no such parameter".
        // Rejected ones have an error already, and suppress any other.
        let mut patterns: Vec<(&Pat, bool)> = Vec::new();
        for input in &sig.inputs {
            let typed = match input {
                FnArg::Receiver(receiver) => {
                    push(
                        &mut errors,
                        syn::Error::new_spanned(
                            receiver,
                            "a route handler cannot take `self`: it must be a free function\nhelp: move it out of the `impl` block, and reach shared values through `State<T>`",
                        ),
                    );
                    continue;
                }
                FnArg::Typed(typed) => typed,
            };
            let ty = (*typed.ty).clone();
            let ident = match &*typed.pat {
                Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                    pat.ident.clone()
                }
                // `State(db): State<Db>`, `Json(Item { name, .. }): Json<Item>`:
                // an extractor destructured in place, the idiomatic Rust way.
                pat @ (Pat::TupleStruct(_) | Pat::Struct(_)) => {
                    patterns.push((pat, false));
                    args.push(Arg {
                        ty,
                        kind: ArgKind::Extractor { body: false },
                    });
                    continue;
                }
                other => {
                    patterns.push((other, true));
                    push(&mut errors, pattern_error(other, &ty));
                    continue;
                }
            };
            let param =
                path.and_then(|path| path.params.iter().position(|p| ident == p.name.as_str()));

            if let Type::ImplTrait(_) = ty {
                if let Some(index) = param {
                    bound_params[index] = true;
                }
                push(
                    &mut errors,
                    syn::Error::new_spanned(
                        &ty,
                        format!(
                            "a route handler cannot take `impl Trait`: that makes `{name}` generic, and the router needs one concrete function to call\nhelp: name the type of `{ident}`"
                        ),
                    ),
                );
                continue;
            }

            if let Type::Reference(reference) = &ty {
                if is_tasks(&reference.elem) {
                    push(
                        &mut errors,
                        syn::Error::new_spanned(
                            &ty,
                            format!(
                                "take `BackgroundTasks` by value: `{ident}: BackgroundTasks`\nnote: it is a cheap handle; clones share the request's one list of tasks"
                            ),
                        ),
                    );
                    continue;
                }
            }
            if is_tasks(&ty) {
                if let Some(index) = param {
                    bound_params[index] = true;
                    push(
                        &mut errors,
                        syn::Error::new(
                            ident.span(),
                            format!(
                                "`{ident}` is named after the path parameter `<{ident}>`, but has the type `BackgroundTasks`\nhelp: rename one of them"
                            ),
                        ),
                    );
                    continue;
                }
                if let Some(first) = &tasks_seen {
                    push(
                        &mut errors,
                        syn::Error::new_spanned(
                            typed,
                            format!(
                                "`{name}` already takes `BackgroundTasks` as `{first}`; a request has one list of tasks\nhelp: remove `{ident}`, and use `{first}`"
                            ),
                        ),
                    );
                    continue;
                }
                tasks_seen = Some(ident);
                args.push(Arg {
                    ty,
                    kind: ArgKind::Tasks,
                });
                continue;
            }
            match param {
                Some(index) => {
                    bound_params[index] = true;
                    if let Type::Reference(reference) = &ty {
                        let owned = match &*reference.elem {
                            Type::Path(path) if path.path.is_ident("str") => "String".to_owned(),
                            elem => elem.to_token_stream().to_string(),
                        };
                        push(
                            &mut errors,
                            syn::Error::new_spanned(
                                &ty,
                                format!(
                                    "the path parameter `{ident}` cannot borrow: it is parsed from the request, which the handler outlives\nhelp: take it owned: `{ident}: {owned}`"
                                ),
                            ),
                        );
                        continue;
                    }
                    args.push(Arg {
                        ty,
                        kind: ArgKind::Path {
                            index,
                            name: ident.to_string(),
                        },
                    });
                }
                None => args.push(Arg {
                    ty,
                    kind: ArgKind::Extractor { body: false },
                }),
            }
        }

        if let Some(path) = path {
            let names: Vec<String> = sig
                .inputs
                .iter()
                .filter_map(|input| match input {
                    FnArg::Typed(typed) => match &*typed.pat {
                        Pat::Ident(pat) => Some(pat.ident.to_string()),
                        _ => None,
                    },
                    FnArg::Receiver(_) => None,
                })
                .collect();
            for (param, bound) in path.params.iter().zip(&bound_params) {
                if *bound {
                    continue;
                }
                let binding = patterns
                    .iter()
                    .find(|(pattern, _)| mentions(pattern.to_token_stream(), &param.name));
                if let Some((pattern, rejected)) = binding {
                    if *rejected {
                        continue;
                    }
                    push(
                        &mut errors,
                        syn::Error::new_spanned(
                            pattern,
                            format!(
                                "`{}` is bound inside a pattern, but the path parameter `<{}>` needs a parameter of its own\nhelp: write `{}: String` (or any `FromStr` type) as a parameter of `{name}`",
                                param.name, param.name, param.name
                            ),
                        ),
                    );
                    continue;
                }
                if patterns
                    .iter()
                    .any(|(pattern, _)| matches!(pattern, Pat::Wild(_)))
                {
                    // `_` may be this parameter; its own error says to name it.
                    continue;
                }
                let hint = match crate::suggest::closest(
                    &param.name,
                    names.iter().map(String::as_str),
                ) {
                    Some(close) => format!(
                        "help: did you mean `<{close}>`? (or rename the parameter `{close}` to `{}`)",
                        param.name
                    ),
                    None => format!(
                        "help: add a parameter `{}: String` (or any `FromStr` type) to `{name}`",
                        param.name
                    ),
                };
                push(
                    &mut errors,
                    syn::Error::new(
                        param.span,
                        format!(
                            "the path parameter `<{}>` has no matching parameter in `{name}`\n{hint}",
                            param.name
                        ),
                    ),
                );
                // Stable Rust has no notes for proc macros: the pointer at the
                // parameter list is an error of its own, worded as a note.
                let note = format!(
                    "`{name}`'s parameters are here, and none is named `{}` (for `<{}>` above)",
                    param.name, param.name
                );
                push(
                    &mut errors,
                    syn::Error::new(sig.paren_token.span.join(), note),
                );
            }
        }

        // The last extractor may read the body.
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

        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        match errors {
            Some(errors) => Err(errors),
            None => Ok(Handler { args, output }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;
    use syn::LitStr;

    fn handler(path: &str, item: TokenStream) -> Result<Handler, Vec<String>> {
        let path = RoutePath::parse(&LitStr::new(path, Span::call_site())).expect("a valid path");
        let item: ItemFn = syn::parse2(item).expect("a function");
        Handler::parse(&item, Some(&path))
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
    fn unused_names_follow_the_type() {
        let name = |ty: TokenStream| unused_name(&syn::parse2(ty).unwrap());
        assert_eq!(name(quote::quote!(atode::BackgroundTasks)), "_tasks");
        assert_eq!(name(quote::quote!(Json<Item>)), "_json");
        assert_eq!(name(quote::quote!(UserAgent)), "_user_agent");
        assert_eq!(name(quote::quote!((u8, u8))), "_value");
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
