//! The handler's parameters as written, each given the role its pattern,
//! its type and its name say it has. No judgement here: [`super::valid`]
//! says which roles a handler cannot have.

use syn::{FnArg, Ident, Pat, PatType, Receiver, Signature, Type};

use crate::path::RoutePath;

const TASKS: &str = "BackgroundTasks";

/// One parameter of the handler.
pub(super) enum Input<'a> {
    /// `self`, `&self`.
    Receiver(&'a Receiver),
    /// `name: Type`.
    Named {
        typed: &'a PatType,
        ident: &'a Ident,
        ty: &'a Type,
        role: Role,
    },
    /// `State(db): State<Db>`, `Json(Item { name, .. }): Json<Item>`: an
    /// extractor destructured in place, the idiomatic Rust way.
    Destructured { pat: &'a Pat, ty: &'a Type },
    /// Any other pattern: `_`, `(a, b)`, `ref name`, `name @ ..`.
    Refused { pat: &'a Pat, ty: &'a Type },
}

/// What a named parameter is, by its type first and then by its name.
pub(super) enum Role {
    /// `impl Trait`, named after the path parameter `param` or none.
    ImplTrait {
        param: Option<usize>,
    },
    /// `&BackgroundTasks`.
    TasksByRef,
    /// `BackgroundTasks`, named after the path parameter `param` or none.
    Tasks {
        param: Option<usize>,
    },
    /// Named after the `index`-th path parameter.
    Path {
        index: usize,
    },
    Extractor,
}

/// Each parameter of `sig`, in order, with its role in a route of `path`
/// (without one, no parameter is a path parameter).
pub(super) fn parse<'a>(sig: &'a Signature, path: Option<&RoutePath>) -> Vec<Input<'a>> {
    sig.inputs
        .iter()
        .map(|input| {
            let typed = match input {
                FnArg::Receiver(receiver) => return Input::Receiver(receiver),
                FnArg::Typed(typed) => typed,
            };
            let ty = &*typed.ty;
            match &*typed.pat {
                Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => Input::Named {
                    typed,
                    ident: &pat.ident,
                    ty,
                    role: role(&pat.ident, ty, path),
                },
                pat @ (Pat::TupleStruct(_) | Pat::Struct(_)) => Input::Destructured { pat, ty },
                pat => Input::Refused { pat, ty },
            }
        })
        .collect()
}

fn role(ident: &Ident, ty: &Type, path: Option<&RoutePath>) -> Role {
    let param = path.and_then(|path| path.params.iter().position(|p| ident == p.name.as_str()));
    if let Type::ImplTrait(_) = ty {
        return Role::ImplTrait { param };
    }
    if let Type::Reference(reference) = ty {
        if is_tasks(&reference.elem) {
            return Role::TasksByRef;
        }
    }
    if is_tasks(ty) {
        return Role::Tasks { param };
    }
    match param {
        Some(index) => Role::Path { index },
        None => Role::Extractor,
    }
}

/// Whether `ty` names `BackgroundTasks` (by its last path segment, so
/// `atode::BackgroundTasks` counts too).
pub(super) fn is_tasks(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|last| last.ident == TASKS && last.arguments.is_empty()))
}
