//! The fixes suggested for a handler's parameters.

use quote::ToTokens;
use syn::{Ident, Pat, Type, TypeReference};

use super::input::is_tasks;

/// Why a parameter pattern is not accepted, with the fix.
pub(super) fn pattern(pat: &Pat, ty: &Type) -> String {
    let ty = ty.to_token_stream();
    match pat {
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
    }
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

/// The owned type a borrowed path parameter should take instead.
pub(super) fn owned(reference: &TypeReference) -> String {
    match &*reference.elem {
        Type::Path(path) if path.path.is_ident("str") => "String".to_owned(),
        elem => elem.to_token_stream().to_string(),
    }
}

/// The fix for the path parameter `param` that none of `names`, the
/// parameters of the handler `handler`, is named after: the typo, or the
/// parameter to add.
pub(super) fn missing_param(param: &str, names: &[String], handler: &Ident) -> String {
    match crate::suggest::closest(param, names.iter().map(String::as_str)) {
        Some(close) => format!(
            "help: did you mean `<{close}>`? (or rename the parameter `{close}` to `{param}`)"
        ),
        None => format!(
            "help: add a parameter `{param}: String` (or any `FromStr` type) to `{handler}`"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;

    #[test]
    fn unused_names_follow_the_type() {
        let name = |ty: TokenStream| unused_name(&syn::parse2(ty).unwrap());
        assert_eq!(name(quote::quote!(atode::BackgroundTasks)), "_tasks");
        assert_eq!(name(quote::quote!(Json<Item>)), "_json");
        assert_eq!(name(quote::quote!(UserAgent)), "_user_agent");
        assert_eq!(name(quote::quote!((u8, u8))), "_value");
    }
}
