//! Code generation for `#[task]`. No decisions are made here; `options` and
//! `signature` have made them.
//!
//! The function's name becomes a unit struct, a value that
//! `add_task(send_welcome, (id,))` takes and a type that implements
//! `Task`; the function itself becomes the struct's `call`.

use proc_macro2::{Delimiter, Group, Ident, Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::{ItemFn, LitStr};

use super::Task;
use crate::expand::{bounds, parenthesized};

/// The attributes of `item` that decide whether it exists: each generated
/// item carries them.
fn cfgs(item: &ItemFn) -> Vec<&syn::Attribute> {
    item.attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .collect()
}

/// The unit struct named after the function, with the function as its
/// `call`. The function's docs go on the struct, which is what users name;
/// its other attributes (`#[allow]`, `#[tracing::instrument]`) stay on the
/// function. Spanned at the function's name: in an `impl` block, where a
/// struct cannot go, rustc's error then points there.
///
/// With `register`, the `impl` also registers the task with every queue
/// the program opens (`durable/registry.rs`), so no task can be left off a
/// queue's builder. Inside this `impl`: in an `impl` block, where the
/// struct is never made, the one error about this `impl` is all.
fn unit_struct(item: &ItemFn, register: bool) -> TokenStream {
    let name = &item.sig.ident;
    let span = name.span();
    let vis = &item.vis;
    let cfgs = cfgs(item);
    let docs = item.attrs.iter().filter(|attr| attr.path().is_ident("doc"));
    let attrs = item
        .attrs
        .iter()
        .filter(|attr| !attr.path().is_ident("doc") && !attr.path().is_ident("cfg"));
    let mut sig = item.sig.clone();
    sig.ident = Ident::new("call", span);
    let block = &item.block;
    let registration = if register {
        let function = Ident::new("__atode_register", Span::mixed_site());
        quote! {
            // Never called: the `static` inside is what registers.
            #[allow(dead_code)]
            fn #function() {
                ::atode::durable::__private::inventory::submit! {
                    ::atode::durable::__private::TaskRegistration::of::<#name>()
                }
            }
        }
    } else {
        TokenStream::new()
    };
    quote_spanned! {span=>
        #(#docs)*
        #(#cfgs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        #vis struct #name;

        #(#cfgs)*
        impl #name {
            /// Calls the task's function directly, in this process, now.
            #(#attrs)*
            #vis #sig #block

            #registration
        }
    }
}

/// The task: the unit struct, its `Task` impl, and the checks of its
/// argument types.
pub(crate) fn task(task: &Task) -> TokenStream {
    let item = &task.item;
    let name = &item.sig.ident;
    let cfgs = cfgs(item);
    let unit = unit_struct(item, true);
    let task_name = task
        .options
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(&name.unraw().to_string(), name.span()));
    let arg_count = task.function.args.len();
    let args_tuple = args_tuple(task);
    let options = options(task);

    // Locals use mixed-site hygiene, so they cannot collide with user names.
    let args = Ident::new("args", Span::mixed_site());
    let locals: Vec<Ident> = (0..arg_count)
        .map(|i| format_ident!("__a{}", i, span = Span::mixed_site()))
        .collect();
    let call = quote!(#name::call(#(#locals),*));
    let work = work(task, call);
    let checks = arg_checks(task);
    // At the function's name, as the unit struct: see `unit_struct`.
    quote_spanned! {name.span()=>
        #unit

        #(#cfgs)*
        impl ::atode::durable::Task for #name {
            const NAME: &'static str = #task_name;
            type Args = #args_tuple;
            #options
            fn run(#args: Self::Args) -> ::atode::__private::Work {
                let (#(#locals,)*) = #args;
                #work
            }
        }

        #checks
    }
}

/// The tuple of the argument types, spanned like the function's parameter
/// list: the compiler's errors about the tuple (a type that cannot be
/// stored in the queue) then point at the parameters rather than at the
/// attribute.
fn args_tuple(task: &Task) -> TokenStream {
    let types = &task.function.args;
    let mut group = Group::new(Delimiter::Parenthesis, quote!(#(#types,)*));
    group.set_span(task.item.sig.paren_token.span.join());
    group.into_token_stream()
}

/// `fn options()`, setting the options given; nothing when none is, as the
/// trait's default is then right.
fn options(task: &Task) -> TokenStream {
    let options = &task.options;
    let mut setters = Vec::new();
    if let Some(queue) = &options.queue {
        setters.push(quote!(.queue(#queue)));
    }
    if let Some(attempts) = &options.max_attempts {
        let mut lit = Literal::u64_unsuffixed(attempts.value);
        lit.set_span(attempts.span);
        setters.push(quote!(.max_attempts(#lit)));
    }
    if let Some(priority) = &options.priority {
        let mut lit = Literal::u64_unsuffixed(priority.value);
        lit.set_span(priority.span);
        setters.push(quote!(.priority(#lit)));
    }
    for (setter, duration) in [
        ("timeout", &options.timeout),
        ("unique_for", &options.unique_for),
    ] {
        if let Some(duration) = duration {
            let setter = Ident::new(setter, Span::call_site());
            let mut millis = Literal::u64_unsuffixed(duration.value);
            millis.set_span(duration.span);
            setters.push(quote!(.#setter(::core::time::Duration::from_millis(#millis))));
        }
    }
    if setters.is_empty() {
        return TokenStream::new();
    }
    quote! {
        fn options() -> ::atode::durable::TaskOptions {
            ::atode::durable::TaskOptions::new() #(#setters)*
        }
    }
}

/// One attempt's work: the call, as a future for an `async fn` and as a
/// closure for a regular `fn`, which the runtime runs on a thread of its
/// own.
///
/// The call's value goes through `TaskResult::into_outcome`, spanned over
/// the return type, so a type that is not `()` or a `Result` is reported
/// there, once; the future is spanned at the function's name, so one that
/// is not `Send` is reported there, as for a route handler.
fn work(task: &Task, call: TokenStream) -> TokenStream {
    let name = task.item.sig.ident.span();
    let (first, last) = task.function.output.as_ref().map_or((name, name), bounds);
    let value = if task.function.is_async {
        quote!(#call.await)
    } else {
        call
    };
    // The path from the type's first token to its last, as the argument.
    let method = Ident::new("into_outcome", last);
    let into_outcome = quote_spanned!(first=> ::atode::background::TaskResult::#method);
    // `identity(value)`, spanned like the type: rustc underlines the
    // argument whose type lacks the trait.
    let identity = quote_spanned!(first=> ::core::convert::identity);
    let value = parenthesized(value, last);
    let outcome = parenthesized(quote!(#identity #value), last);
    let body = braced(quote!(#into_outcome #outcome), name);
    if task.function.is_async {
        quote_spanned!(name=> ::atode::__private::task_future(async move #body))
    } else {
        quote_spanned!(name=> ::atode::__private::task_blocking(move || #body))
    }
}

/// `{#tokens}` with the braces at `span`.
fn braced(tokens: TokenStream, span: Span) -> TokenStream {
    let mut group = Group::new(Delimiter::Brace, tokens);
    group.set_span(span);
    group.into_token_stream()
}

/// A check of each argument type, spanned over the type, so a type that
/// cannot be stored in the queue is reported there, with `TaskArg`'s
/// message, rather than as a tuple deep in the generated code.
fn arg_checks(task: &Task) -> TokenStream {
    if task.function.args.is_empty() {
        return TokenStream::new();
    }
    let cfgs = cfgs(&task.item);
    let check = Ident::new("__atode_task_arg", Span::mixed_site());
    let checks = task.function.args.iter().map(|ty| {
        let (first, last) = bounds(ty);
        let function = quote_spanned!(first=> #check::<#ty>);
        let args = parenthesized(TokenStream::new(), last);
        quote_spanned!(last=> #function #args;)
    });
    quote_spanned! {task.item.sig.ident.span()=>
        #(#cfgs)*
        const _: () = {
            fn #check<T: ::atode::durable::TaskArg>() {}
            #[allow(dead_code)]
            fn __atode_task_args() {
                #(#checks)*
            }
        };
    }
}

/// For a task whose signature has mistakes: the unit struct and its `call`,
/// so code that calls the function adds no error of its own. A function
/// with `self` is left as it is: it is in an `impl` block, where a struct
/// cannot go.
pub(crate) fn stand_in(item: &ItemFn) -> TokenStream {
    if item.sig.receiver().is_some() {
        return item.to_token_stream();
    }
    unit_struct(item, false)
}
