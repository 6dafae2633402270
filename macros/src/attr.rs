//! The attribute's arguments as written: `"/path"`, or `GET, POST, "/path"`
//! for `#[route]`, then optionally `body_limit = <bytes>` and the keys for
//! the OpenAPI document (`tags = [...]`, `deprecated`, ...). Read here
//! without judgement; [`valid`] says what is wrong with them.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Token};

mod doc_keys;
mod hint;
mod key;
mod status_code;
pub(crate) mod valid;

/// The arguments, in order, as far as they could be read.
pub(crate) struct AttrArgs {
    pub(crate) args: Vec<AttrArg>,
    /// syn's error where the arguments stopped making sense. It is reported
    /// after the mistakes in the arguments before it.
    pub(crate) malformed: Option<syn::Error>,
    /// The first string literal among the arguments, even one `args` could
    /// not reach: suggestions quote it as the path.
    pub(crate) first_string: Option<LitStr>,
}

/// One comma-separated argument.
pub(crate) enum AttrArg {
    /// `"/items/<id>"`.
    Path(LitStr),
    /// `body_limit = 1024`, `tags = ["items"]`, or any other `key = value`.
    KeyValue { key: Ident, value: syn::Expr },
    /// `GET`, `deprecated`, or a bare word where the path should be.
    Word(Ident),
    /// `errors(404, 409)`: a key written as a call, which no key is.
    Call {
        key: Ident,
        args: proc_macro2::Group,
    },
    /// Tokens that are none of these, up to the next comma.
    Stray(TokenStream),
}

/// Reads the arguments, stopping at the first one syn cannot read.
pub(crate) fn parse(tokens: TokenStream) -> AttrArgs {
    let first_string = tokens
        .clone()
        .into_iter()
        .find_map(|token| syn::parse2::<LitStr>(token.into_token_stream()).ok());
    let mut args = Vec::new();
    let parser = |input: ParseStream| -> syn::Result<()> {
        while !input.is_empty() {
            args.push(arg(input)?);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    };
    let malformed = parser.parse2(tokens).err();
    AttrArgs {
        args,
        malformed,
        first_string,
    }
}

fn arg(input: ParseStream) -> syn::Result<AttrArg> {
    if input.peek(LitStr) {
        return Ok(AttrArg::Path(input.parse()?));
    }
    // `concat!(...)` and other macro calls: one argument, read whole.
    if input.peek(Ident::peek_any) && input.peek2(Token![!]) {
        let mut call = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            call.extend(std::iter::once(input.parse::<TokenTree>()?));
        }
        return Ok(AttrArg::Stray(call));
    }
    if input.peek(Ident::peek_any) && input.peek2(syn::token::Paren) {
        let key = input.call(Ident::parse_any)?;
        let args = input.parse()?;
        return Ok(AttrArg::Call { key, args });
    }
    if input.peek(Ident::peek_any) && input.peek2(Token![=]) {
        let key = input.call(Ident::parse_any)?;
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        return Ok(AttrArg::KeyValue { key, value });
    }
    if input.peek(Ident::peek_any) {
        return Ok(AttrArg::Word(input.call(Ident::parse_any)?));
    }
    let mut stray = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        stray.extend(std::iter::once(input.parse::<TokenTree>()?));
    }
    Ok(AttrArg::Stray(stray))
}
