//! Code generation: the glue beside a handler, and `routes!`'s list. No
//! decisions are made here; `route` and `signature` have made them.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, Path};

use crate::route::Route;
use crate::signature::{Arg, ArgKind};

/// The spans of the first and the last token of `tokens`.
///
/// An expression whose first token has the first span and whose last has
/// the last covers exactly what `tokens` cover, so an error the expression
/// causes underlines `tokens`, and coincides with an error about `tokens`
/// themselves (rustc then reports the two once).
pub(crate) fn bounds(tokens: &impl ToTokens) -> (Span, Span) {
    let mut tokens = tokens.to_token_stream().into_iter();
    let first = tokens
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let last = tokens.last().map_or(first, |token| token.span());
    (first, last)
}

/// `(#args)` with the parentheses at `span`.
pub(crate) fn parenthesized(args: TokenStream, span: Span) -> TokenTree {
    let mut group = Group::new(Delimiter::Parenthesis, args);
    group.set_span(span);
    TokenTree::Group(group)
}

/// The attributes of `item` that decide whether it exists.
fn cfgs(item: &ItemFn) -> impl Iterator<Item = &syn::Attribute> {
    item.attrs.iter().filter(|attr| attr.path().is_ident("cfg"))
}

/// The same-named struct and its `RouteHandler` impl, whose body is `body`.
///
/// Both are spanned at the handler's name: on a function in an `impl`
/// block, where neither can go, rustc's errors then point at the handler.
fn glue(item: &ItemFn, body: TokenStream) -> TokenStream {
    let name = &item.sig.ident;
    let span = name.span();
    let vis = &item.vis;
    let cfgs: Vec<_> = cfgs(item).collect();
    let mut body = Group::new(Delimiter::Brace, body);
    body.set_span(span);
    quote_spanned! {span=>
        #(#cfgs)*
        #[doc(hidden)]
        #[allow(
            non_camel_case_types,
            dead_code,
            missing_docs,
            missing_debug_implementations,
            unreachable_pub,
            clippy::redundant_pub_crate
        )]
        #vis struct #name {}

        #(#cfgs)*
        #[allow(deprecated)]
        impl ::atode::__private::RouteHandler for #name #body
    }
}

/// The names the generated code gives its locals. Mixed-site hygiene, so
/// they cannot collide with the user's names.
struct Locals {
    parts: TokenStream,
    body: TokenStream,
    path_parser: TokenStream,
    /// The block the extractions `break` out of with a rejection.
    label: syn::Lifetime,
}

impl Locals {
    fn new() -> Self {
        Locals {
            parts: quote_spanned!(Span::mixed_site()=> __atode_parts),
            body: quote_spanned!(Span::mixed_site()=> __atode_body),
            path_parser: quote_spanned!(Span::mixed_site()=> __atode_path),
            label: syn::Lifetime::new("'__atode_extract", Span::mixed_site()),
        }
    }

    /// The local holding the handler's `i`th argument.
    fn arg(i: usize) -> Ident {
        format_ident!("__atode_arg{}", i, span = Span::mixed_site())
    }
}

/// The handler, unchanged, and beside it a same-named braced struct (types
/// and functions live in different namespaces) implementing `RouteHandler`.
pub(crate) fn route(route: &Route) -> TokenStream {
    let item = &route.item;
    let name = &item.sig.ident;
    let name_str = name.to_string();
    let router_path = &route.path.router;
    let declared = &route.path.declared;
    let methods = route
        .methods
        .iter()
        .map(|method| format_ident!("{}", method.as_str()));
    let locals = Locals::new();
    let parts = &locals.parts;

    let (needs_param, requirements) = requirements(route);
    let body_limit = match &route.body_limit {
        Some(limit) => quote!(::core::option::Option::Some(#limit)),
        None => quote!(::core::option::Option::None),
    };
    let (extracts, body_used) = extractions(route, &locals);
    let body_param = if body_used {
        // Taken by whichever round the body extractor runs in.
        let body = &locals.body;
        quote!(mut #body)
    } else {
        quote!(_)
    };
    let future = handler_future(route, &locals, &extracts);
    let boxed = quote_spanned!(name.span()=> ::atode::__private::boxed);
    let boxed_call = parenthesized(future, name.span());

    let route_doc = route_doc(route);
    let describe = describe(route);
    let glue = glue(
        item,
        quote! {
            const INFO: ::atode::__private::RouteInfo = ::atode::__private::RouteInfo {
                name: #name_str,
                methods: ::atode::__private::Methods::NONE #(.union(::atode::__private::Methods::#methods))*,
                path: #router_path,
                declared: #declared,
                body_limit: #body_limit,
                doc: #route_doc,
            };

            ::atode::__private::if_openapi! { #describe }

            fn requirements(#needs_param: &mut ::atode::__private::Requirements) {
                #(#requirements)*
            }

            fn call(
                // Mutable here rather than rebound in the future, which
                // would hold the request twice and move it once more.
                #[allow(unused_mut)] mut #parts: ::atode::__private::RequestParts,
                #body_param: ::atode::__private::RequestBody,
            ) -> ::atode::__private::HandlerFuture {
                #boxed #boxed_call
            }
        },
    );
    quote! {
        #item
        #glue
    }
}

/// Parses the path parameters, answering the `422` of every one that does
/// not parse at once.
fn parse_path(route: &Route, locals: &Locals) -> TokenStream {
    let Locals {
        parts,
        path_parser,
        label,
        ..
    } = locals;
    let local = Locals::arg;
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
    if path_args.is_empty() {
        quote!()
    } else {
        let parses = path_args.iter().map(|(local, ty, index, name)| {
            quote_spanned! {ty.span()=>
                let #local = #path_parser.parse::<#ty>(&#parts, #index, #name);
            }
        });
        let locals = path_args.iter().map(|(local, ..)| local);
        let somes = path_args
            .iter()
            .map(|(local, ..)| quote!(::core::option::Option::Some(#local)));
        quote! {
            let mut #path_parser = ::atode::extract::PathParser::new();
            #(#parses)*
            let (#(#somes,)*) = (#(#locals,)*) else {
                break #label ::core::result::Result::Err(#path_parser.into_response());
            };
        }
    }
}

/// What each extractor needs from the app (its state), checked at
/// start-up: the parameter of `requirements` and its statements.
fn requirements(route: &Route) -> (TokenStream, Vec<TokenStream>) {
    // Spanned like the extraction itself, so a type that is no extractor
    // still makes one error.
    let needs = quote_spanned!(Span::mixed_site()=> __atode_needs);
    let requirements: Vec<_> = route
        .handler
        .args
        .iter()
        .filter_map(|arg| {
            let ty = &arg.ty;
            let (first, last) = bounds(ty);
            let function = match arg.kind {
                ArgKind::Path { .. } => return None,
                ArgKind::Extractor { body: true } => {
                    quote_spanned!(first=> <#ty as ::atode::__private::FromRequest<_>>::requirements)
                }
                ArgKind::Tasks | ArgKind::Extractor { body: false } => {
                    quote_spanned!(first=> <#ty as ::atode::__private::FromRequestParts>::requirements)
                }
            };
            let args = parenthesized(quote!(#needs), last);
            Some(quote_spanned!(last=> #function #args;))
        })
        .collect();
    let needs_param = if requirements.is_empty() {
        quote!(_)
    } else {
        needs.clone()
    };
    (needs_param, requirements)
}

/// The extractions and the path's parsing, in the order they run, each
/// answering its rejection; and whether one of them reads the body.
///
/// The order: the handler's `BackgroundTasks` (so a request the cap on
/// pending work refuses pays for nothing else), then the dependencies,
/// then the path parameters, then the inputs, each round in the
/// signature's order. Only an extractor's type knows which round is its
/// own (`FromRequestParts::INPUT`), so every extractor is written in both
/// rounds behind that constant, and the round it is not in is a dead
/// branch the compiler drops.
fn extractions(route: &Route, locals: &Locals) -> (Vec<TokenStream>, bool) {
    let Locals { parts, label, .. } = locals;
    // The check of the app's cap on pending work: an extractor (or the
    // handler's own parameter) that reached for the request's
    // `BackgroundTasks` while the cap is full marked the request refused,
    // and it is answered `503` here, whatever the extractor did with the
    // refusal.
    let refusal = quote! {
        if let ::core::option::Option::Some(refusal) = ::atode::__private::refusal(&#parts) {
            break #label ::core::result::Result::Err(refusal);
        }
    };
    let args = || route.handler.args.iter().enumerate();
    let tasks = args()
        .filter(|(_, arg)| matches!(arg.kind, ArgKind::Tasks))
        .map(|(i, arg)| task_list(arg, i, locals, &refusal));
    let extractors: Vec<_> = args()
        .filter_map(|(i, arg)| extraction(arg, i, locals, &refusal).map(|value| (i, value)))
        .collect();
    let dependencies = extractors.iter().map(|(i, Extraction { input, value })| {
        let local = Locals::arg(*i);
        quote! {
            let #local = if #input {
                ::core::option::Option::None
            } else {
                ::core::option::Option::Some(#value)
            };
        }
    });
    let inputs = extractors.iter().map(|(i, Extraction { value, .. })| {
        let local = Locals::arg(*i);
        quote! {
            let #local = match #local {
                ::core::option::Option::Some(value) => value,
                ::core::option::Option::None => #value,
            };
        }
    });
    let mut extracts: Vec<_> = tasks.chain(dependencies).collect();
    let any = !extracts.is_empty();
    extracts.push(parse_path(route, locals));
    extracts.extend(inputs);
    if any {
        // Before the handler runs.
        extracts.push(refusal.clone());
    }
    let body_used = route
        .handler
        .args
        .iter()
        .any(|arg| matches!(arg.kind, ArgKind::Extractor { body: true }));
    (extracts, body_used)
}

/// The handler's `i`th argument, `arg`, its `BackgroundTasks`: a refused
/// request goes no further.
fn task_list(arg: &Arg, i: usize, locals: &Locals, refusal: &TokenStream) -> TokenStream {
    let Locals { parts, label, .. } = locals;
    let local = Locals::arg(i);
    let ty = &arg.ty;
    let (first, last) = bounds(ty);
    let function =
        quote_spanned!(first=> <#ty as ::atode::__private::FromRequestParts>::from_request_parts);
    let args = parenthesized(quote!(&mut #parts), last);
    let call = quote_spanned!(last=> #function #args .await);
    quote! {
        let #local = match #call {
            ::core::result::Result::Ok(value) => value,
            ::core::result::Result::Err(rejection) => {
                break #label ::core::result::Result::Err(::atode::IntoResponse::into_response(rejection));
            }
        };
        #refusal
    }
}

/// An extractor as the glue runs it.
struct Extraction {
    /// Whether it is one of the request's inputs: a constant expression.
    input: TokenStream,
    /// The extraction: a block that is the value, or `break`s with the
    /// rejection.
    value: TokenStream,
}

/// One extractor: the handler's `i`th argument, `arg`, taken from the
/// request (`None` for a path parameter, parsed apart, or the
/// `BackgroundTasks`), its rejection answered, its `validator` rules
/// checked.
fn extraction(arg: &Arg, i: usize, locals: &Locals, refusal: &TokenStream) -> Option<Extraction> {
    let Locals {
        parts, body, label, ..
    } = locals;
    let local = Locals::arg(i);
    let ty = &arg.ty;
    // Spanned over the type, so a type that is no extractor is one error
    // under the parameter's type.
    let (first, last) = bounds(ty);
    let (input, call) = match arg.kind {
        ArgKind::Path { .. } | ArgKind::Tasks => return None,
        ArgKind::Extractor { body: true } => {
            let function =
                quote_spanned!(first=> <#ty as ::atode::__private::FromRequest<_>>::from_request);
            let input = quote_spanned!(first=> <#ty as ::atode::__private::FromRequest<_>>::INPUT);
            let args = parenthesized(quote!(&mut #parts, ::core::mem::take(&mut #body)), last);
            // Refused before the body is read, not after.
            let call = quote_spanned!(last=> {
                #refusal
                #function #args .await
            });
            (input, call)
        }
        ArgKind::Extractor { body: false } => {
            let function = quote_spanned!(first=> <#ty as ::atode::__private::FromRequestParts>::from_request_parts);
            let input =
                quote_spanned!(first=> <#ty as ::atode::__private::FromRequestParts>::INPUT);
            let args = parenthesized(quote!(&mut #parts), last);
            (input, quote_spanned!(last=> #function #args .await))
        }
    };
    // A `Json<T>`, `Query<T>` or `Form<T>` whose `T` has `validator`
    // rules is checked here; any other type passes through a no-op
    // (see `atode::__private::validated`).
    let value = quote! {{
        let #local = match #call {
            ::core::result::Result::Ok(value) => value,
            ::core::result::Result::Err(rejection) => {
                break #label ::core::result::Result::Err(::atode::IntoResponse::into_response(rejection));
            }
        };
        if let ::core::result::Result::Err(rejection) = {
            #[allow(unused_imports)]
            use ::atode::__private::validated::{Unvalidated as _, Validated as _};
            (&::atode::__private::validated::Probe::<#ty>::new()).check(&#local)
        } {
            break #label ::core::result::Result::Err(::atode::IntoResponse::into_response(rejection));
        }
        #local
    }};
    Some(Extraction { input, value })
}

/// The future the route's `call` boxes: the extractions (the path parsed
/// among them), the handler called, and the request finished with its
/// response.
fn handler_future(route: &Route, locals: &Locals, extracts: &[TokenStream]) -> TokenStream {
    let Locals { parts, label, .. } = locals;
    let name = &route.item.sig.ident;
    let local = Locals::arg;
    let call_args = (0..route.handler.args.len()).map(local);
    // `status = N`: applied to the response as the handler made it.
    let with_status = |response: TokenStream| match route.doc.status {
        Some(status) => quote!(::atode::__private::declared_status(#response, #status)),
        None => response,
    };
    // Spanned over the return type, so one that is not a response is
    // reported there.
    // The handler taken as a value, as a router takes it: clippy's
    // `unused_async` then accepts a handler that awaits nothing, which the
    // route attribute requires to be `async` all the same.
    let handler = quote_spanned!(Span::mixed_site()=> __atode_handler);
    let call = quote! {{
        let #handler = #name;
        #handler(#(#call_args),*).await
    }};
    let respond = match &route.handler.output {
        Some(output) => {
            let value = quote_spanned!(Span::mixed_site()=> __atode_value);
            let (first, last) = bounds(output);
            let function = quote_spanned!(first=> ::atode::__private::into_response);
            // `identity(value)`, spanned like the type, so the type is what
            // rustc underlines as "does not implement `IntoResponse`".
            let identity = quote_spanned!(first=> ::core::convert::identity);
            let value_arg = parenthesized(value.clone(), last);
            let args = parenthesized(quote!(#identity #value_arg), last);
            let response = with_status(quote!(#function #args));
            quote! {
                #[allow(unit_bindings, clippy::let_unit_value)]
                let #value = #call;
                ::core::result::Result::Ok(#response)
            }
        }
        None => {
            let response = with_status(quote!(::atode::__private::into_response(#call)));
            quote!(::core::result::Result::Ok(#response))
        }
    };
    // Spanned at the handler's name, so a future that is not `Send` is
    // reported at the handler rather than at the attribute.
    quote_spanned! {name.span()=>
        async move {
            let result: ::core::result::Result<::atode::Response, ::atode::Response> = #label: {
                #(#extracts)*
                #respond
            };
            match ::atode::__private::finish(&mut #parts, result) {
                ::core::result::Result::Ok(response) => response,
                ::core::result::Result::Err(writing) => writing.await,
            }
        }
    }
}

/// The route's `RouteDoc`: its doc comment and its attribute's keys.
fn route_doc(route: &Route) -> TokenStream {
    let docs = crate::doc::docs(&route.item.attrs);
    let option = |text: Option<String>| match text {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let summary = option(docs.summary);
    let description = option(docs.description);
    let doc = &route.doc;
    let tags = &doc.tags;
    let deprecated = doc.deprecated || crate::doc::deprecated(&route.item.attrs);
    let include = doc.include_in_schema.unwrap_or(true);
    let status = match doc.status {
        Some(status) => quote!(::core::option::Option::Some(#status)),
        None => quote!(::core::option::Option::None),
    };
    let response_description = option(doc.response_description.as_ref().map(LitStr::value));
    let errors = &doc.errors;
    quote! {
        ::atode::__private::RouteDoc {
            summary: #summary,
            description: #description,
            tags: &[#(#tags),*],
            deprecated: #deprecated,
            include_in_schema: #include,
            status: #status,
            response_description: #response_description,
            errors: &[#(#errors),*],
        }
    }
}

/// `describe`: each of the handler's types asked to describe itself, in
/// the order of the signature, then the return type. A type that cannot
/// is recorded as a gap, not refused (see `atode::openapi::probe`).
fn describe(route: &Route) -> TokenStream {
    let op = quote_spanned!(Span::mixed_site()=> __atode_op);
    let probe = |ty: &syn::Type| quote!((&::atode::__private::probe::Probe::<#ty>::new()));
    let mut calls = Vec::new();
    let mut has_path = false;
    for arg in &route.handler.args {
        let ty = &arg.ty;
        let shown = &arg.shown;
        let probe = probe(ty);
        calls.push(match &arg.kind {
            ArgKind::Path { name, .. } => {
                has_path = true;
                quote!(#probe.path_parameter(#op, #name);)
            }
            ArgKind::Tasks | ArgKind::Extractor { .. } => quote!(#probe.input(#op, #shown);),
        });
    }
    if has_path {
        calls.push(quote!(::atode::__private::probe::path_rejects(#op);));
    }
    calls.push(match &route.handler.output {
        Some(output) if names_impl_trait(output) => {
            // `impl Trait` has no name to probe; a stand-in that implements
            // nothing takes its place, so a type that describes itself
            // whatever it wraps (`Sse<impl Stream>`) still does, and any
            // other is a gap.
            let shown = crate::signature::shown(output);
            let mut named = output.clone();
            opaque_impls(&mut named);
            let probe = probe(&named);
            quote!(#probe.output(#op, #shown);)
        }
        Some(output) => {
            let shown = crate::signature::shown(output);
            let probe = probe(output);
            quote!(#probe.output(#op, #shown);)
        }
        None => {
            let probe = probe(&syn::parse_quote!(()));
            quote!(#probe.output(#op, "()");)
        }
    });
    quote! {
        fn describe(#op: &mut ::atode::__private::Operation<'_>) {
            #[allow(unused_imports)]
            use ::atode::__private::probe::{
                Input as _, InputGap as _, Output as _, OutputGap as _, PathSchema as _, PathText as _,
            };
            #(#calls)*
        }
    }
}

/// Whether `ty` is or contains `impl Trait`, a type no code can name.
fn names_impl_trait(ty: &syn::Type) -> bool {
    fn scan(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Ident(ident) => ident == "impl",
            TokenTree::Group(group) => scan(group.stream()),
            _ => false,
        })
    }
    scan(ty.to_token_stream())
}

/// Replaces each `impl Trait` in `ty` with `Opaque`, atode's stand-in,
/// keeping the `Item = ...` it names (`impl Stream<Item = X>` becomes
/// `Opaque<X>`): what an event stream documents is its item's type.
fn opaque_impls(ty: &mut syn::Type) {
    use syn::{GenericArgument, PathArguments, Type, TypeParamBound};
    match ty {
        Type::ImplTrait(bounds) => {
            let item = bounds.bounds.iter().find_map(|bound| {
                let TypeParamBound::Trait(bound) = bound else {
                    return None;
                };
                let PathArguments::AngleBracketed(args) = &bound.path.segments.last()?.arguments
                else {
                    return None;
                };
                args.args.iter().find_map(|arg| match arg {
                    GenericArgument::AssocType(assoc) if assoc.ident == "Item" => {
                        Some(assoc.ty.clone())
                    }
                    _ => None,
                })
            });
            *ty = match item {
                Some(mut item) => {
                    opaque_impls(&mut item);
                    syn::parse_quote!(::atode::__private::probe::Opaque<#item>)
                }
                None => syn::parse_quote!(::atode::__private::probe::Opaque),
            };
        }
        Type::Path(path) => {
            if let Some(qself) = &mut path.qself {
                opaque_impls(&mut qself.ty);
            }
            for segment in &mut path.path.segments {
                if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        match arg {
                            GenericArgument::Type(ty) => opaque_impls(ty),
                            GenericArgument::AssocType(assoc) => opaque_impls(&mut assoc.ty),
                            _ => {}
                        }
                    }
                }
            }
        }
        Type::Tuple(tuple) => tuple.elems.iter_mut().for_each(opaque_impls),
        Type::Array(array) => opaque_impls(&mut array.elem),
        Type::Slice(slice) => opaque_impls(&mut slice.elem),
        Type::Reference(reference) => opaque_impls(&mut reference.elem),
        Type::Paren(paren) => opaque_impls(&mut paren.elem),
        Type::Group(group) => opaque_impls(&mut group.elem),
        _ => {}
    }
}

/// For a handler whose attribute has errors: the same-named struct, so
/// `routes![handler]` adds no error of its own. It is never called: the
/// crate does not compile.
pub(crate) fn stand_in(item: &ItemFn) -> TokenStream {
    if item.sig.receiver().is_some() {
        // In an `impl` block, where a struct cannot go.
        return TokenStream::new();
    }
    let name_str = item.sig.ident.to_string();
    glue(
        item,
        quote! {
            const INFO: ::atode::__private::RouteInfo = ::atode::__private::RouteInfo {
                name: #name_str,
                methods: ::atode::__private::Methods::NONE,
                path: "/",
                declared: "/",
                body_limit: ::core::option::Option::None,
                doc: ::atode::__private::RouteDoc::DEFAULT,
            };

            ::atode::__private::if_openapi! {
                fn describe(_: &mut ::atode::__private::Operation<'_>) {}
            }

            fn requirements(_: &mut ::atode::__private::Requirements) {}

            fn call(
                _: ::atode::__private::RequestParts,
                _: ::atode::__private::RequestBody,
            ) -> ::atode::__private::HandlerFuture {
                ::core::unreachable!()
            }
        },
    )
}

/// A path as written, for messages: `api::v1::show`.
fn display(path: &Path) -> String {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let leading = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{leading}{}", segments.join("::"))
}

/// `routes![a, b::c]` → a `Vec` of the routes' definitions.
///
/// Each entry goes through a trait of its own whose message names the
/// entry, so an entry without a route attribute says so. For a path of
/// several segments, a glob import also supplies a stand-in type named like
/// the handler, which the handler's own struct shadows when it exists: a
/// plain function then gets that message too, instead of rustc's "expected
/// type, found function". A single name cannot get the stand-in: a handler
/// declared inside a function body is reachable only by name, and the glob
/// would shadow it.
pub(crate) fn routes(paths: &[Path]) -> TokenStream {
    let defs = paths.iter().map(|path| {
        let shown = display(path);
        let message = format!("`{shown}` is not a route: it has no route attribute, so `routes!` cannot register it");
        let note = format!(
            "add a route attribute to `{shown}`, such as `#[get(\"/path\")]`, `#[post(\"/path\")]` or `#[route(GET, POST, \"/path\")]`"
        );
        let (first, last) = bounds(path);
        let module = Ident::new("__atode_route", Span::call_site());
        // The stand-in would also capture a first segment of the same name
        // (`local::local`), so such a path goes without.
        let stand_in = path.segments.len() > 1 && path.segments.first().map(|s| &s.ident) != path.segments.last().map(|s| &s.ident);
        let (imports, stand_in_type) = match path.segments.last() {
            Some(segment) if stand_in => {
                let ident = &segment.ident;
                let imports = quote! {
                    #[allow(unused_imports, clippy::wildcard_imports)]
                    use #module::not_a_route::*;
                    #[allow(unused_imports)]
                    use #path;
                };
                (imports, quote!(pub mod not_a_route { pub struct #ident {} }))
            }
            _ => (quote!(), quote!()),
        };
        let named = if stand_in {
            let ident = path.segments.last().map(|segment| Ident::new(&segment.ident.to_string(), first));
            quote!(#ident)
        } else {
            path.to_token_stream()
        };
        let function = quote_spanned!(first=> <#named as #module::IsRoute>::definition);
        let args = parenthesized(TokenStream::new(), last);
        quote! {
            {
                #[allow(non_camel_case_types, dead_code, missing_docs, missing_debug_implementations, unreachable_pub)]
                mod #module {
                    #[diagnostic::on_unimplemented(message = #message, label = "not a route", note = #note)]
                    pub trait IsRoute {
                        fn definition() -> ::atode::__private::RouteDef;
                    }

                    impl<T: ::atode::__private::RouteHandler> IsRoute for T {
                        fn definition() -> ::atode::__private::RouteDef {
                            ::atode::__private::RouteDef::of::<T>()
                        }
                    }

                    #stand_in_type
                }
                #imports
                #function #args
            }
        }
    });
    quote! {
        ::std::vec![#(#defs),*]
    }
}
