//! `routes![a, b::c]`: a comma-separated list of handler paths.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Path, Token};

pub(crate) fn parse(input: TokenStream) -> syn::Result<Vec<Path>> {
    let parser = Punctuated::<Path, Token![,]>::parse_terminated;
    parser.parse2(input).map(|paths| paths.into_iter().collect()).map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("{error}\nhelp: `routes!` takes the handlers' names, separated by commas: `routes![index, items::show]`"),
        )
    })
}
