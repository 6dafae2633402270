//! Code generation: the glue beside a handler, and `routes!`'s list. No
//! decisions are made here; `route` and `signature` have made them.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

use crate::route::Route;
use crate::signature::ArgKind;

/// The handler, unchanged, and beside it a same-named braced struct (types
/// and functions live in different namespaces) implementing `RouteHandler`.
pub(crate) fn route(route: &Route) -> TokenStream {
    let item = &route.item;
    let name = &item.sig.ident;
    let vis = &item.vis;
    let cfgs: Vec<_> = item.attrs.iter().filter(|attr| attr.path().is_ident("cfg")).collect();
    let name_str = name.to_string();
    let router_path = &route.path.router;
    let declared = &route.path.declared;
    let methods = route.methods.iter().map(|method| format_ident!("{}", method.as_str()));

    // Locals use mixed-site hygiene, so they cannot collide with user names.
    let parts = quote_spanned!(Span::mixed_site()=> __atode_parts);
    let body = quote_spanned!(Span::mixed_site()=> __atode_body);
    let path_parser = quote_spanned!(Span::mixed_site()=> __atode_path);
    let label = syn::Lifetime::new("'__atode_extract", Span::mixed_site());
    let local = |i: usize| format_ident!("__atode_arg{}", i, span = Span::mixed_site());

    let path_args: Vec<_> = route
        .handler
        .args
        .iter()
        .enumerate()
        .filter_map(|(i, arg)| match &arg.kind {
            ArgKind::Path { index, name } => Some((local(i), &arg.ty, *index, name)),
            _ => None,
        })
        .collect();
    let parse_path = if path_args.is_empty() {
        quote!()
    } else {
        let parses = path_args.iter().map(|(local, ty, index, name)| {
            quote_spanned! {ty.span()=>
                let #local = #path_parser.parse::<#ty>(&#parts, #index, #name);
            }
        });
        let locals = path_args.iter().map(|(local, ..)| local);
        let somes = path_args.iter().map(|(local, ..)| quote!(::core::option::Option::Some(#local)));
        quote! {
            let mut #path_parser = ::atode::__private::PathParser::new();
            #(#parses)*
            let (#(#somes,)*) = (#(#locals,)*) else {
                break #label ::core::result::Result::Err(#path_parser.into_response());
            };
        }
    };

    let mut body_used = false;
    let extracts = route.handler.args.iter().enumerate().filter_map(|(i, arg)| {
        let local = local(i);
        let ty = &arg.ty;
        let call = match arg.kind {
            ArgKind::Path { .. } => return None,
            ArgKind::Extractor { body: true } => {
                body_used = true;
                quote_spanned! {ty.span()=>
                    <#ty as ::atode::__private::FromRequest<_>>::from_request(&mut #parts, #body).await
                }
            }
            ArgKind::Tasks | ArgKind::Extractor { body: false } => quote_spanned! {ty.span()=>
                <#ty as ::atode::__private::FromRequestParts>::from_request_parts(&mut #parts).await
            },
        };
        Some(quote! {
            let #local = match #call {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(rejection) => {
                    break #label ::core::result::Result::Err(::atode::IntoResponse::into_response(rejection));
                }
            };
        })
    });
    let extracts: Vec<_> = extracts.collect();
    let body_param = if body_used { body.clone() } else { quote!(_) };

    let call_args = (0..route.handler.args.len()).map(local);
    let respond = quote_spanned! {route.handler.output_span=>
        ::atode::__private::into_response(#name(#(#call_args),*).await)
    };
    let boxed = quote_spanned!(name.span()=> ::atode::__private::boxed);

    quote! {
        #item

        #(#cfgs)*
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code, missing_docs, unreachable_pub)]
        #vis struct #name {}

        #(#cfgs)*
        impl ::atode::__private::RouteHandler for #name {
            const INFO: ::atode::__private::RouteInfo = ::atode::__private::RouteInfo {
                name: #name_str,
                methods: ::atode::__private::Methods::NONE #(.union(::atode::__private::Methods::#methods))*,
                path: #router_path,
                declared: #declared,
            };

            fn call(
                #parts: ::atode::__private::RequestParts,
                #body_param: ::atode::__private::RequestBody,
            ) -> ::atode::__private::HandlerFuture {
                #boxed(async move {
                    #[allow(unused_mut)]
                    let mut #parts = #parts;
                    let result: ::core::result::Result<::atode::Response, ::atode::Response> = #label: {
                        #parse_path
                        #(#extracts)*
                        ::core::result::Result::Ok(#respond)
                    };
                    ::atode::__private::finish(#parts, result)
                })
            }
        }
    }
}

/// `routes![a, b::c]` → a `Vec` of the routes' definitions.
pub(crate) fn routes(paths: &[Path]) -> TokenStream {
    let defs = paths.iter().map(|path| {
        quote_spanned! {path.span()=>
            ::atode::__private::RouteDef::of::<#path>()
        }
    });
    quote! {
        ::std::vec![#(#defs),*]
    }
}
