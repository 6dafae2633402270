//! Route attribute macros for atode: `#[get("/items/<id>")]` and friends,
//! and `routes![...]`. Use them through the `atode` crate, which re-exports
//! them and holds the types the generated code names.
//!
//! Each attribute goes `parse → validate → expand`: [`route`] reads the
//! attribute's arguments, [`path`] the `<param>` grammar of the path,
//! [`signature`] classifies the handler's parameters, and [`expand`] writes
//! the glue. Every error found is reported, and the user's function is
//! emitted unchanged beside them so the rest of the crate still type-checks.

use proc_macro::TokenStream;

mod expand;
mod path;
mod route;
mod routes;
mod signature;
mod suggest;

use route::Method;

fn attribute(
    verb: Option<Method>,
    macro_name: &'static str,
    args: TokenStream,
    item: TokenStream,
) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match route::Route::parse(verb, macro_name, args.into(), item.clone()) {
        Ok(route) => expand::route(&route).into(),
        Err(rejected) => {
            // The function as written, and a stand-in for its route, so one
            // mistake is one error and not a cascade from every place that
            // calls the handler or lists it in `routes!`.
            let stand_in = rejected.item.as_deref().map(expand::stand_in);
            let errors = rejected.errors.into_compile_error();
            quote::quote!(#item #stand_in #errors).into()
        }
    }
}

macro_rules! verb {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            attribute(Some(Method::$method), stringify!($name), args, item)
        }
    };
}

verb!(
    /// A `GET` route: `#[get("/items/<id>")]` on an `async fn`. A `GET`
    /// route also answers `HEAD`, unless a `#[head]` route claims the path.
    get, Get
);
verb!(
    /// A `POST` route: `#[post("/send-notification/<email>")]` on an `async fn`.
    post, Post
);
verb!(
    /// A `PUT` route: `#[put("/items/<id>")]` on an `async fn`.
    put, Put
);
verb!(
    /// A `PATCH` route: `#[patch("/items/<id>")]` on an `async fn`.
    patch, Patch
);
verb!(
    /// A `DELETE` route: `#[delete("/items/<id>")]` on an `async fn`.
    delete, Delete
);
verb!(
    /// A `HEAD` route: `#[head("/items/<id>")]` on an `async fn`.
    head, Head
);
verb!(
    /// An `OPTIONS` route: `#[options("/items")]` on an `async fn`.
    options, Options
);

/// A route for several methods: `#[route(GET, POST, "/items")]`.
#[proc_macro_attribute]
pub fn route(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(None, "route", args, item)
}

/// The routes to register with `App::routes`: `routes![index, items::show]`,
/// each a path to a function that has a route attribute.
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    match routes::parse(input.into()) {
        Ok(paths) => expand::routes(&paths).into(),
        Err(error) => error.into_compile_error().into(),
    }
}
