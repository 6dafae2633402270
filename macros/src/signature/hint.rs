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

/// Whether `ty` is a number, a `bool` or a `char` (or an `Option` of one):
/// a value FastAPI reads from the query string, and no extractor takes.
/// `String` is not one: it is the raw body's extractor.
pub(super) fn is_scalar(ty: &Type) -> bool {
    const SCALARS: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64", "bool", "char",
    ];
    let Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    match &last.arguments {
        syn::PathArguments::None => SCALARS.iter().any(|scalar| last.ident == scalar),
        syn::PathArguments::AngleBracketed(args) if last.ident == "Option" => {
            matches!(args.args.first(), Some(syn::GenericArgument::Type(inner)) if args.args.len() == 1 && is_scalar(inner))
        }
        _ => false,
    }
}

/// The error for `ident: ty`, a scalar that names no path parameter: how
/// to read it from the query string, or the path.
pub(super) fn query_parameter(ident: &Ident, ty: &Type) -> String {
    let ty = ty.to_token_stream().to_string().replace(' ', "");
    format!(
        "`{ident}: {ty}` is not a path parameter (the path has no `<{ident}>`), and no extractor takes a `{ty}`\n\
         help: to read it from the query string (`?{ident}=...`), as FastAPI does, take it with `Query<T>`:\n\
         \x20     #[derive(serde::Deserialize)]\n\
         \x20     struct Params {{ {ident}: {ty} }}\n\
         \x20     and in the handler: `Query(Params {{ {ident} }}): Query<Params>`\n\
         help: or, to read it from the path, add `<{ident}>` to the route's path"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;

    #[test]
    fn scalars_are_numbers_bools_and_chars_and_their_options() {
        let scalar = |ty: TokenStream| is_scalar(&syn::parse2(ty).unwrap());
        assert!(scalar(quote::quote!(u32)));
        assert!(scalar(quote::quote!(Option<bool>)));
        assert!(!scalar(quote::quote!(String)));
        assert!(!scalar(quote::quote!(Json<u32>)));
        assert!(!scalar(quote::quote!(Option<String>)));
    }

    #[test]
    fn unused_names_follow_the_type() {
        let name = |ty: TokenStream| unused_name(&syn::parse2(ty).unwrap());
        assert_eq!(name(quote::quote!(atode::BackgroundTasks)), "_tasks");
        assert_eq!(name(quote::quote!(Json<Item>)), "_json");
        assert_eq!(name(quote::quote!(UserAgent)), "_user_agent");
        assert_eq!(name(quote::quote!((u8, u8))), "_value");
    }
}
