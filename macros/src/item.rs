//! The item under the attribute: the handler function, or an error that
//! names what the attribute is on instead.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::{Ident, ItemFn};

use crate::ctxt::Ctxt;

/// The function the attribute is on, or `None` after reporting why there
/// is none.
pub(crate) fn parse(cx: &Ctxt, macro_name: &str, item: TokenStream) -> Option<ItemFn> {
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(item) => Some(item),
        Err(error) => {
            cx.syn_error(not_a_function(macro_name, item, error));
            None
        }
    }
}

/// The error for an attribute on something other than a function: names
/// what it is on, or passes on syn's error for a function it cannot parse.
fn not_a_function(macro_name: &str, item: TokenStream, parse_error: syn::Error) -> syn::Error {
    let Some(keyword) = leading_keyword(item.clone()) else {
        return syn::Error::new_spanned(
            item,
            format!("`#[{macro_name}]` goes on an `async fn` handler"),
        );
    };
    let Some(what) = what_item(&keyword.to_string()) else {
        return parse_error;
    };
    let hint = if keyword == "impl" {
        format!(
            "help: put `#[{macro_name}(\"/path\")]` on a free `async fn` outside the `impl` block"
        )
    } else {
        format!(
            "help: write `#[{macro_name}(\"/path\")] async fn handler(...) -> impl IntoResponse {{ ... }}`"
        )
    };
    syn::Error::new(
        keyword.span(),
        format!("`#[{macro_name}]` goes on an `async fn` handler, not on {what}\n{hint}"),
    )
}

/// What an item that starts with `keyword` is, for a message; `None` for a
/// function, whose own syntax error says more.
pub(crate) fn what_item(keyword: &str) -> Option<&'static str> {
    Some(match keyword {
        "fn" | "async" | "unsafe" | "extern" => return None,
        "struct" => "a `struct`",
        "enum" => "an `enum`",
        "union" => "a `union`",
        "trait" => "a `trait`",
        "impl" => "an `impl` block",
        "mod" => "a module",
        "const" => "a `const`",
        "static" => "a `static`",
        "type" => "a type alias",
        "use" => "a `use` declaration",
        "macro_rules" => "a macro",
        _ => "this item",
    })
}

/// The keyword that says what an item is, past its attributes and visibility.
pub(crate) fn leading_keyword(item: TokenStream) -> Option<Ident> {
    let mut tokens = item.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            // `#[...]`: an attribute.
            TokenTree::Punct(punct) if punct.as_char() == '#' => {
                tokens.next();
            }
            TokenTree::Ident(ident) if ident == "pub" => {
                // `pub(crate)`, `pub(in path)`.
                if matches!(tokens.peek(), Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis)
                {
                    tokens.next();
                }
            }
            TokenTree::Ident(ident) => return Some(ident),
            _ => return None,
        }
    }
    None
}

/// What to say of each qualifier a function atode calls cannot have: a
/// route handler and a durable task are both called by atode, never by
/// the user, so neither may be `unsafe`, foreign, generic or variadic.
pub(crate) struct Forbidden<'a> {
    pub(crate) unsafety: &'a str,
    pub(crate) abi: &'a str,
    pub(crate) generics: String,
    pub(crate) variadic: &'a str,
}

/// Reports each qualifier of `sig` that `say` forbids, at the qualifier.
pub(crate) fn forbid_qualifiers(cx: &Ctxt, sig: &syn::Signature, say: Forbidden<'_>) {
    use quote::ToTokens;
    use syn::spanned::Spanned;

    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        cx.error(unsafety.span(), say.unsafety);
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned_by(abi, say.abi);
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let generics = if sig.generics.params.is_empty() {
            sig.generics.where_clause.to_token_stream()
        } else {
            sig.generics.to_token_stream()
        };
        cx.error_spanned_by(generics, say.generics);
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, say.variadic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn names_the_item_the_attribute_is_on() {
        assert_eq!(
            leading_keyword(quote!(
                #[doc = "x"]
                pub(crate) struct S;
            ))
            .unwrap(),
            "struct"
        );
        assert_eq!(leading_keyword(quote!(impl S {})).unwrap(), "impl");
    }
}
