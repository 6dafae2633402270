//! The handler's signature, classified: each parameter is a path parameter
//! (named after a `<name>`), the request's `BackgroundTasks` (by type, any
//! name, any position), or an extractor.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use crate::path::RoutePath;
use crate::route::push;

pub(crate) struct Handler {
    pub(crate) args: Vec<Arg>,
    /// Where a return type that is not a response is reported.
    pub(crate) output_span: Span,
}

pub(crate) struct Arg {
    pub(crate) ty: Type,
    pub(crate) kind: ArgKind,
}

pub(crate) enum ArgKind {
    /// The `index`-th parameter of the route's path.
    Path { index: usize, name: String },
    Tasks,
    /// An extractor; `body` for the last one, which may read the body.
    Extractor { body: bool },
}

const TASKS: &str = "BackgroundTasks";

/// Whether `ty` names `BackgroundTasks` (by its last path segment, so
/// `atode::BackgroundTasks` counts too).
fn is_tasks(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|last| last.ident == TASKS && last.arguments.is_empty()))
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
            push(&mut errors, syn::Error::new(constness.span(), "a route handler cannot be a `const fn`"));
        }
        if matches!(sig.safety, syn::Safety::Unsafe(_)) {
            push(&mut errors, syn::Error::new(name.span(), "a route handler cannot be an `unsafe fn`: the router calls it without an `unsafe` block"));
        }
        if let Some(abi) = &sig.abi {
            push(&mut errors, syn::Error::new(abi.span(), "a route handler cannot declare an ABI"));
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            push(
                &mut errors,
                syn::Error::new(
                    sig.generics.span(),
                    format!("a route handler cannot be generic: the router needs one concrete `{name}` to call\nhelp: remove the generic parameters, or call a generic function from a concrete handler"),
                ),
            );
        }
        if let Some(variadic) = &sig.variadic {
            push(&mut errors, syn::Error::new(variadic.span(), "a route handler cannot be variadic"));
        }

        let mut args = Vec::new();
        let mut tasks_seen: Option<Ident> = None;
        let mut bound_params = vec![false; path.map_or(0, |p| p.params.len())];
        for input in &sig.inputs {
            let typed = match input {
                FnArg::Receiver(receiver) => {
                    push(
                        &mut errors,
                        syn::Error::new(
                            receiver.span(),
                            "a route handler cannot take `self`: it must be a free function\nhelp: move it out of the `impl` block, and reach shared values through `State<T>`",
                        ),
                    );
                    continue;
                }
                FnArg::Typed(typed) => typed,
            };
            let ident = match &*typed.pat {
                Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
                other => {
                    push(
                        &mut errors,
                        syn::Error::new(
                            other.span(),
                            "a route handler's parameters must be plain names, such as `email: String`\nhelp: name the parameter, and destructure it in the body",
                        ),
                    );
                    continue;
                }
            };
            let ty = (*typed.ty).clone();
            let param = path.and_then(|path| path.params.iter().position(|p| ident == p.name.as_str()));

            if let Type::Reference(reference) = &ty {
                if is_tasks(&reference.elem) {
                    push(
                        &mut errors,
                        syn::Error::new(
                            ty.span(),
                            format!("take `BackgroundTasks` by value: `{ident}: BackgroundTasks`\nnote: it is a cheap handle; clones share the request's one list of tasks"),
                        ),
                    );
                    continue;
                }
            }
            if is_tasks(&ty) {
                if let Some(first) = &tasks_seen {
                    push(
                        &mut errors,
                        syn::Error::new(
                            typed.span(),
                            format!("`{name}` already takes `BackgroundTasks` as `{first}`; a request has one list of tasks\nhelp: remove `{ident}`, and use `{first}`"),
                        ),
                    );
                    continue;
                }
                if param.is_some() {
                    push(
                        &mut errors,
                        syn::Error::new(
                            ident.span(),
                            format!("`{ident}` is named after the path parameter `<{ident}>`, but has the type `BackgroundTasks`\nhelp: rename one of them"),
                        ),
                    );
                    continue;
                }
                tasks_seen = Some(ident);
                args.push(Arg { ty, kind: ArgKind::Tasks });
                continue;
            }
            match param {
                Some(index) => {
                    bound_params[index] = true;
                    args.push(Arg { ty, kind: ArgKind::Path { index, name: ident.to_string() } });
                }
                None => args.push(Arg { ty, kind: ArgKind::Extractor { body: false } }),
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
                let hint = match crate::suggest::closest(&param.name, names.iter().map(String::as_str)) {
                    Some(close) => format!("help: did you mean `<{close}>`? or rename the parameter `{close}` to `{}`", param.name),
                    None => format!("help: add a parameter `{}: String` (or any `FromStr` type) to `{name}`", param.name),
                };
                push(
                    &mut errors,
                    syn::Error::new(param.span, format!("the path parameter `<{}>` has no matching parameter in `{name}`\n{hint}", param.name)),
                );
                let note = format!("note: `{name}`'s parameters are here; one of them must be named `{}`", param.name);
                push(&mut errors, syn::Error::new(sig.paren_token.span.join(), note));
            }
        }

        // The last extractor may read the body.
        if let Some(Arg { kind: ArgKind::Extractor { body }, .. }) =
            args.iter_mut().rev().find(|arg| matches!(arg.kind, ArgKind::Extractor { .. }))
        {
            *body = true;
        }

        let output_span = match &sig.output {
            ReturnType::Default => sig.ident.span(),
            ReturnType::Type(_, ty) => ty.span(),
        };
        match errors {
            Some(errors) => Err(errors),
            None => Ok(Handler { args, output_span }),
        }
    }
}
