//! What a task's signature cannot be, each mistake reported at the part of
//! the signature it is about; and, once checked, what the glue needs of it.
//!
//! A worker calls the task by its name with arguments read back from the
//! queue, so the function must be free (no `self`), concrete (not generic)
//! and take owned, serializable arguments. Whether each argument type is
//! serializable, and whether the return type is `()` or a `Result`, the
//! compiler checks on the generated code, at each type.

use quote::ToTokens;
use syn::{
    FnArg, GenericArgument, Lifetime, PathArguments, ReturnType, Signature, Type, TypeReference,
};

use crate::ctxt::Ctxt;

/// The most arguments a task takes: they are stored as one tuple, and serde
/// (de)serializes tuples of up to 16.
const MAX_ARGS: usize = 16;

const NOT_GENERIC: &str = "a durable task cannot be generic: its calls are stored by name and arguments, and a worker must know the concrete types";

/// The task's function as the glue calls it.
pub(crate) struct TaskFn {
    /// Each parameter's type, in order.
    pub(crate) args: Vec<Type>,
    /// The return type as written; `None` for `()`.
    pub(crate) output: Option<Type>,
    pub(crate) is_async: bool,
}

/// The function `sig` declares, after reporting every mistake in it. With
/// mistakes, what is returned is incomplete.
pub(crate) fn check(cx: &Ctxt, sig: &Signature) -> TaskFn {
    check_qualifiers(cx, sig);
    let mut args = Vec::new();
    for (index, input) in sig.inputs.iter().enumerate() {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                cx.error_spanned_by(
                    receiver,
                    "a durable task cannot take `self`: a worker calls it with only the arguments stored in the queue\nhelp: make it a free function outside the `impl` block, and pass what it needs as arguments",
                );
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        if index == MAX_ARGS {
            cx.error_spanned_by(
                typed,
                format!(
                    "a durable task takes at most {MAX_ARGS} arguments: they are stored as one tuple, and serde stores tuples of up to {MAX_ARGS}\nhelp: gather them in a struct that derives `Serialize` and `Deserialize`, and take that"
                ),
            );
        }
        check_arg_type(cx, &typed.ty);
        args.push((*typed.ty).clone());
    }
    let output = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    };
    TaskFn {
        args,
        output,
        is_async: sig.asyncness.is_some(),
    }
}

/// Checks what the signature says besides its parameters.
fn check_qualifiers(cx: &Ctxt, sig: &Signature) {
    crate::item::forbid_qualifiers(
        cx,
        sig,
        crate::item::Forbidden {
            unsafety: "a durable task cannot be an `unsafe fn`: a worker calls it with whatever the queue holds, with no `unsafe` block to vouch for it\nhelp: remove `unsafe`, and put an `unsafe` block with its safety argument inside the function",
            abi: "a durable task cannot declare an ABI: a worker calls it as a Rust function\nhelp: remove it",
            generics: format!(
                "{NOT_GENERIC}\nhelp: remove the generic parameters; a task can call a generic function with concrete types"
            ),
            variadic: "a durable task cannot be variadic",
        },
    );
}

/// Reports the first part of `ty` that makes the task generic or borrows.
fn check_arg_type(cx: &Ctxt, ty: &Type) {
    match not_owned(ty) {
        Some(NotOwned::ImplTrait(ty)) => cx.error_spanned_by(
            ty,
            format!("{NOT_GENERIC}\nhelp: name the argument's type instead of `impl Trait`"),
        ),
        Some(NotOwned::Reference(reference)) => cx.error_spanned_by(
            reference,
            format!(
                "a durable task's arguments are stored as JSON in the queue and read back by a worker, so they must be owned: {}",
                owned(reference)
            ),
        ),
        Some(NotOwned::Elided(lifetime)) => cx.error_spanned_by(
            lifetime,
            "a durable task's arguments are stored as JSON in the queue and read back by a worker, so they must be owned\nhelp: use `'static`, or an owned type",
        ),
        None => {}
    }
}

/// What keeps a type from being one concrete, owned type.
enum NotOwned<'a> {
    /// `impl Display`: a generic parameter.
    ImplTrait(&'a Type),
    /// `&str`, `&'static [u8]`.
    Reference(&'a TypeReference),
    /// `Cow<'_, str>`: a lifetime parameter.
    Elided(&'a Lifetime),
}

/// The first part of `ty` that is not owned, looking into tuples, arrays,
/// slices and generic arguments (`Vec<&str>`).
fn not_owned(ty: &Type) -> Option<NotOwned<'_>> {
    match ty {
        Type::ImplTrait(_) => Some(NotOwned::ImplTrait(ty)),
        Type::Reference(reference) => Some(NotOwned::Reference(reference)),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(not_owned),
        Type::Array(array) => not_owned(&array.elem),
        Type::Slice(slice) => not_owned(&slice.elem),
        Type::Paren(paren) => not_owned(&paren.elem),
        Type::Group(group) => not_owned(&group.elem),
        Type::Path(path) => path.path.segments.iter().find_map(|segment| {
            let PathArguments::AngleBracketed(args) = &segment.arguments else {
                return None;
            };
            args.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(ty) => not_owned(ty),
                GenericArgument::Lifetime(lifetime) if lifetime.ident == "_" => {
                    Some(NotOwned::Elided(lifetime))
                }
                _ => None,
            })
        }),
        _ => None,
    }
}

/// The fix for a borrowed argument: its owned counterpart.
fn owned(reference: &TypeReference) -> String {
    let written = shown(reference);
    let suggestion = match &*reference.elem {
        Type::Path(path) if path.path.is_ident("str") => "String".to_owned(),
        Type::Path(path) if path.path.is_ident("Path") => "PathBuf".to_owned(),
        Type::Slice(slice) => format!("Vec<{}>", shown(&slice.elem)),
        Type::TraitObject(_) => return format!("use an owned type instead of `{written}`"),
        elem => shown(elem),
    };
    format!("use `{suggestion}` instead of `{written}`")
}

/// `tokens` as a person writes them: `Vec<u8>`, not `Vec < u8 >`.
fn shown(tokens: &impl ToTokens) -> String {
    let mut text = tokens.to_token_stream().to_string();
    for (spaced, tight) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ::", "::"),
        (":: ", "::"),
        (" ,", ","),
        ("& ", "&"),
    ] {
        text = text.replace(spaced, tight);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn check_fn(item: TokenStream) -> Result<TaskFn, Vec<String>> {
        let item: syn::ItemFn = syn::parse2(item).expect("a function");
        crate::ctxt::run(|cx| check(cx, &item.sig))
            .map_err(|errors| errors.into_iter().map(|error| error.to_string()).collect())
    }

    fn errors(item: TokenStream) -> Vec<String> {
        check_fn(item).err().expect("errors")
    }

    #[test]
    fn reads_the_arguments_and_the_output() {
        let task = check_fn(quote!(
            async fn send((a, b): (u32, u32), mut email: String, _: Vec<u8>) -> Result<(), String> {
            }
        ))
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        assert_eq!(task.args.len(), 3);
        assert!(task.is_async && task.output.is_some());
        let task = check_fn(quote!(
            fn write(data: Cow<'static, str>) {}
        ))
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        assert!(!task.is_async && task.output.is_none());
    }

    #[test]
    fn suggests_the_owned_type() {
        let errors = errors(quote!(
            fn f(a: &str, b: &'static [u8], c: &mut Item, d: Vec<&str>, e: &Path, f: &dyn Display) {
            }
        ));
        assert_eq!(errors.len(), 6, "{errors:?}");
        assert!(
            errors[0].ends_with("use `String` instead of `&str`"),
            "{errors:?}"
        );
        assert!(
            errors[1].ends_with("use `Vec<u8>` instead of `&'static [u8]`"),
            "{errors:?}"
        );
        assert!(
            errors[2].ends_with("use `Item` instead of `&mut Item`"),
            "{errors:?}"
        );
        assert!(
            errors[3].ends_with("use `String` instead of `&str`"),
            "{errors:?}"
        );
        assert!(
            errors[4].ends_with("use `PathBuf` instead of `&Path`"),
            "{errors:?}"
        );
        assert!(
            errors[5].ends_with("use an owned type instead of `&dyn Display`"),
            "{errors:?}"
        );
    }

    #[test]
    fn refuses_generics_and_receivers() {
        let errors = errors(quote!(
            unsafe fn f<T: Serialize>(&self, a: impl Display, b: Cow<'_, str>)
            where
                T: Send,
            {
            }
        ));
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors[0].contains("`unsafe fn`"), "{errors:?}");
        assert!(
            errors[1].starts_with("a durable task cannot be generic"),
            "{errors:?}"
        );
        assert!(errors[2].contains("cannot take `self`"), "{errors:?}");
        assert!(
            errors[3].starts_with("a durable task cannot be generic"),
            "{errors:?}"
        );
        assert!(errors[4].contains("use `'static`"), "{errors:?}");
    }

    #[test]
    fn shows_types_as_written() {
        let ty: Type = syn::parse2(quote!(&'a [std::vec::Vec<(u8, u16)>])).expect("a type");
        assert_eq!(shown(&ty), "&'a [std::vec::Vec<(u8, u16)>]");
    }

    #[test]
    fn counts_the_arguments() {
        let args = (0..17).map(|i| quote::format_ident!("a{i}"));
        let errors = errors(quote!(fn f(#(#args: u8),*) {}));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("at most 16 arguments"), "{errors:?}");
    }
}
