//! What a handler's signature cannot be, each mistake reported at the
//! part of the signature it is about.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Pat, PatType, Signature, Type};

use super::hint;
use super::input::{Input, Role};
use super::{Arg, ArgKind};
use crate::ctxt::Ctxt;
use crate::path::RoutePath;

/// Checks what the signature says besides its parameters: a router calls
/// the handler as a plain, concrete `async fn`.
pub(super) fn check_qualifiers(cx: &Ctxt, sig: &Signature) {
    let name = &sig.ident;
    if sig.asyncness.is_none() {
        cx.error(
            sig.fn_token.span(),
            format!("a route handler must be an `async fn`\nhelp: write `async fn {name}`"),
        );
    }
    if let Some(constness) = &sig.constness {
        cx.error(
            constness.span(),
            "a route handler cannot be a `const fn`\nhelp: remove `const`",
        );
    }
    crate::item::forbid_qualifiers(
        cx,
        sig,
        crate::item::Forbidden {
            unsafety: "a route handler cannot be an `unsafe fn`: the router calls it without an `unsafe` block\nhelp: remove `unsafe`, and put an `unsafe` block with its safety argument inside the handler",
            abi: "a route handler cannot declare an ABI\nhelp: remove it",
            generics: format!(
                "a route handler cannot be generic: the router needs one concrete `{name}` to call\nhelp: remove the generic parameters, or call a generic function from a concrete handler"
            ),
            variadic: "a route handler cannot be variadic",
        },
    );
}

/// Checks each parameter's role, reporting those a handler cannot take.
/// Returns the arguments of the roles it can take, and which of the
/// route's `params` path parameters a parameter is named after
/// (`path_parsed`: whether the route's path parsed at all).
pub(super) fn check_inputs(
    cx: &Ctxt,
    name: &Ident,
    inputs: &[Input<'_>],
    params: usize,
    path_parsed: bool,
) -> (Vec<Arg>, Vec<bool>) {
    let mut checked = Checked {
        args: Vec::new(),
        bound: vec![false; params],
        tasks_seen: None,
        scalars: Vec::new(),
    };
    for input in inputs {
        match input {
            Input::Receiver(receiver) => {
                cx.error_spanned_by(
                    receiver,
                    "a route handler cannot take `self`: it must be a free function\nhelp: move it out of the `impl` block, and reach shared values through `State<T>`",
                );
            }
            Input::Destructured { pat, ty } => checked.args.push(Arg {
                ty: (*ty).clone(),
                kind: ArgKind::Extractor { body: false },
                shown: super::shown(&quote::quote!(#pat: #ty)),
            }),
            Input::Refused { pat, ty } => cx.error_spanned_by(pat, hint::pattern(pat, ty)),
            Input::Named {
                typed,
                ident,
                ty,
                role,
            } => checked.named(cx, name, typed, ident, ty, role),
        }
    }
    // A number or a `bool` that names no path parameter is FastAPI's query
    // parameter: say how atode reads one. Unless a path parameter is left
    // unbound, when the parameter is more likely its typo, reported there,
    // or the path itself is wrong, which is the one mistake to fix first.
    if path_parsed && checked.bound.iter().all(|bound| *bound) {
        for (typed, ident, ty) in &checked.scalars {
            cx.error_spanned_by(typed, hint::query_parameter(ident, ty));
        }
    }
    (checked.args, checked.bound)
}

/// What [`check_inputs`] has found so far.
struct Checked<'a> {
    args: Vec<Arg>,
    /// Which path parameters a handler parameter is named after.
    bound: Vec<bool>,
    /// The name of the `BackgroundTasks` parameter, once one is seen.
    tasks_seen: Option<&'a Ident>,
    /// Parameters of a scalar type (`u32`, `bool`, ...) that name no path
    /// parameter: no extractor takes such a type.
    scalars: Vec<(&'a PatType, &'a Ident, &'a Type)>,
}

impl<'a> Checked<'a> {
    /// Checks `ident: ty`, a parameter whose role is `role`.
    fn named(
        &mut self,
        cx: &Ctxt,
        name: &Ident,
        typed: &'a PatType,
        ident: &'a Ident,
        ty: &'a Type,
        role: &Role,
    ) {
        match *role {
            Role::ImplTrait { param } => {
                if let Some(index) = param {
                    self.bound[index] = true;
                }
                cx.error_spanned_by(
                    ty,
                    format!(
                        "a route handler cannot take `impl Trait`: that makes `{name}` generic, and the router needs one concrete function to call\nhelp: name the type of `{ident}`"
                    ),
                );
            }
            Role::TasksByRef => cx.error_spanned_by(
                ty,
                format!(
                    "take `BackgroundTasks` by value: `{ident}: BackgroundTasks`\nnote: it is a cheap handle; clones share the request's one list of tasks"
                ),
            ),
            Role::Tasks { param: Some(index) } => {
                self.bound[index] = true;
                cx.error(
                    ident.span(),
                    format!(
                        "`{ident}` is named after the path parameter `<{ident}>`, but has the type `BackgroundTasks`\nhelp: rename one of them"
                    ),
                );
            }
            Role::Tasks { param: None } => match self.tasks_seen {
                Some(first) => cx.error_spanned_by(
                    typed,
                    format!(
                        "`{name}` already takes `BackgroundTasks` as `{first}`; a request has one list of tasks\nhelp: remove `{ident}`, and use `{first}`"
                    ),
                ),
                None => {
                    self.tasks_seen = Some(ident);
                    self.args.push(Arg {
                        ty: ty.clone(),
                        kind: ArgKind::Tasks,
                        shown: super::shown(typed),
                    });
                }
            },
            Role::Path { index } => {
                self.bound[index] = true;
                if let Type::Reference(reference) = ty {
                    cx.error_spanned_by(
                        ty,
                        format!(
                            "the path parameter `{ident}` cannot borrow: it is parsed from the request, which the handler outlives\nhelp: take it owned: `{ident}: {}`",
                            hint::owned(reference)
                        ),
                    );
                    return;
                }
                self.args.push(Arg {
                    ty: ty.clone(),
                    shown: super::shown(typed),
                    kind: ArgKind::Path {
                        index,
                        name: ident.to_string(),
                    },
                });
            }
            Role::Extractor => {
                if hint::is_scalar(ty) {
                    self.scalars.push((typed, ident, ty));
                }
                self.args.push(Arg {
                    ty: ty.clone(),
                    kind: ArgKind::Extractor { body: false },
                    shown: super::shown(typed),
                });
            }
        }
    }
}

/// Reports each path parameter no handler parameter is named after,
/// unless another error already accounts for it.
pub(super) fn check_unbound(
    cx: &Ctxt,
    sig: &Signature,
    path: &RoutePath,
    inputs: &[Input<'_>],
    bound: &[bool],
) {
    let name = &sig.ident;
    // Patterns that bind names of their own: a path parameter they mention
    // gets a message about the pattern, not "no such parameter". Refused
    // ones have an error already, and suppress any other.
    let patterns: Vec<(&Pat, bool)> = inputs
        .iter()
        .filter_map(|input| match input {
            Input::Destructured { pat, .. } => Some((*pat, false)),
            Input::Refused { pat, .. } => Some((*pat, true)),
            _ => None,
        })
        .collect();
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
    for (param, bound) in path.params.iter().zip(bound) {
        if *bound {
            continue;
        }
        let binding = patterns
            .iter()
            .find(|(pattern, _)| mentions(pattern.to_token_stream(), &param.name));
        if let Some((pattern, refused)) = binding {
            if !refused {
                cx.error_spanned_by(
                    pattern,
                    format!(
                        "`{}` is bound inside a pattern, but the path parameter `<{}>` needs a parameter of its own\nhelp: write `{}: String` (or any `FromStr` type) as a parameter of `{name}`",
                        param.name, param.name, param.name
                    ),
                );
            }
            continue;
        }
        if patterns
            .iter()
            .any(|(pattern, _)| matches!(pattern, Pat::Wild(_)))
        {
            // `_` may be this parameter; its own error says to name it.
            continue;
        }
        cx.error(
            param.span,
            format!(
                "the path parameter `<{}>` has no matching parameter in `{name}`\n{}",
                param.name,
                hint::missing_param(&param.name, &names, name)
            ),
        );
        // Stable Rust has no notes for proc macros: the pointer at the
        // parameter list is an error of its own, worded as a note.
        cx.error(
            sig.paren_token.span.join(),
            format!(
                "`{name}`'s parameters are here, and none is named `{}` (for `<{}>` above)",
                param.name, param.name
            ),
        );
    }
}

/// Whether `tokens` hold the identifier `name` anywhere, groups included.
fn mentions(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == name,
        TokenTree::Group(group) => mentions(group.stream(), name),
        _ => false,
    })
}
