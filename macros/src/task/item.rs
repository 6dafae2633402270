//! The item under `#[task]`: a function, or an error that names what the
//! attribute is on instead.

use proc_macro2::TokenStream;
use syn::ItemFn;

use crate::ctxt::Ctxt;
use crate::item::{leading_keyword, what_item};

/// The function the attribute is on, or `None` after reporting why there
/// is none.
pub(crate) fn parse(cx: &Ctxt, item: TokenStream) -> Option<ItemFn> {
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => Some(function),
        Err(error) => {
            cx.syn_error(not_a_function(item, error));
            None
        }
    }
}

/// The error for `#[task]` on something other than a function: names what
/// it is on, or passes on syn's error for a function it cannot parse.
fn not_a_function(item: TokenStream, parse_error: syn::Error) -> syn::Error {
    const WHY: &str = "a durable task is a free function, which a worker calls by its name with the arguments stored in the queue";
    let Some(keyword) = leading_keyword(item.clone()) else {
        return syn::Error::new_spanned(item, format!("`#[task]` goes on a function: {WHY}"));
    };
    let Some(what) = what_item(&keyword.to_string()) else {
        return parse_error;
    };
    let help = if keyword == "impl" {
        "help: put `#[task]` on a function outside the `impl` block"
    } else {
        "help: write `#[task] async fn send_welcome(user_id: u64) -> Result<(), String> { ... }`"
    };
    syn::Error::new(
        keyword.span(),
        format!("`#[task]` goes on a function, not on {what}: {WHY}\n{help}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn error(item: TokenStream) -> String {
        match crate::ctxt::run(|cx| parse(cx, item)) {
            Ok(_) => panic!("expected an error"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn names_the_item_the_attribute_is_on() {
        let error = error(quote!(
            static F: fn() = f;
        ));
        assert!(
            error.starts_with("`#[task]` goes on a function, not on a `static`"),
            "{error}"
        );
        assert!(error.contains("free function"), "{error}");
    }

    #[test]
    fn reads_a_function() {
        assert!(
            crate::ctxt::run(|cx| parse(
                cx,
                quote!(
                    fn f() {}
                )
            ))
            .is_ok()
        );
    }
}
