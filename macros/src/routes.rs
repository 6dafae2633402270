//! `routes![a, b::c]`: a comma-separated list of handler paths.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::{Path, PathArguments, Token};

const USAGE: &str =
    "help: `routes!` takes the handlers' names, separated by commas: `routes![index, items::show]`";

pub(crate) fn parse(input: TokenStream) -> syn::Result<Vec<Path>> {
    let parser = |input: ParseStream| -> syn::Result<Vec<Path>> {
        let mut paths = Vec::new();
        while !input.is_empty() {
            let path: Path = input.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!(
                        "expected the name of a handler, such as `index` or `items::show`\n{USAGE}"
                    ),
                )
            })?;
            if let Some(segment) = path
                .segments
                .iter()
                .find(|segment| !matches!(segment.arguments, PathArguments::None))
            {
                return Err(syn::Error::new_spanned(
                    &segment.arguments,
                    format!("a handler is named without generic arguments\n{USAGE}"),
                ));
            }
            if input.peek(syn::token::Paren) {
                let shown = quote::quote!(#path).to_string().replace(' ', "");
                return Err(syn::Error::new(
                    input.span(),
                    format!(
                        "`routes!` takes the handlers themselves, not calls to them\nhelp: write `{shown}`, not `{shown}(...)`"
                    ),
                ));
            }
            paths.push(path);
            if input.is_empty() {
                break;
            }
            if !input.peek(Token![,]) {
                return Err(syn::Error::new(
                    input.span(),
                    format!("expected `,` between two handlers\n{USAGE}"),
                ));
            }
            input.parse::<Token![,]>()?;
        }
        Ok(paths)
    };
    parser.parse2(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn error(input: TokenStream) -> String {
        parse(input)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn reads_names_and_paths() {
        let paths = parse(quote!(index, api::v1::show, crate::about,)).unwrap();
        assert_eq!(paths.len(), 3);
        assert!(parse(quote!()).unwrap().is_empty());
    }

    #[test]
    fn explains_what_is_wrong() {
        assert!(error(quote!(index; about)).contains("expected `,` between two handlers"));
        assert!(error(quote!(index())).contains("not calls"));
        assert!(error(quote!(show::<u8>)).contains("without generic arguments"));
        assert!(error(quote!("/index")).contains("expected the name of a handler"));
    }
}
