//! Route attribute macros for atode: `#[get("/items/<id>")]` and friends,
//! and `routes![...]`; and `#[task]`, which makes a function a durable
//! task. Use them through the `atode` crate, which re-exports them and holds
//! the types the generated code names.
//!
//! Each attribute goes `parse → validate → expand`: `item` reads the
//! function, `attr` the attribute's arguments, `path` the `<param>` grammar
//! of the path, `signature` classifies the handler's parameters, and
//! `expand` writes the glue. Each part parses what is written, then checks
//! it, reporting into one `ctxt::Ctxt`, so every error found is reported;
//! the user's function is emitted unchanged beside them so the rest of the
//! crate still type-checks. `#[task]` goes the same way, through the parts
//! of `task`.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use proc_macro2::Span;

mod attr;
mod ctxt;
mod doc;
mod expand;
mod item;
mod method;
mod path;
mod route;
mod routes;
mod signature;
mod suggest;
mod task;
mod value;

use ctxt::Ctxt;
use method::Method;
use path::RoutePath;
use route::Route;
use signature::Handler;
use task::Task;
use task::options::Options;

fn attribute(
    verb: Option<Method>,
    macro_name: &'static str,
    args: TokenStream,
    item: TokenStream,
) -> TokenStream {
    route_attribute(verb, macro_name, args.into(), item.into()).into()
}

/// A route attribute's expansion: the glue, or the errors.
fn route_attribute(
    verb: Option<Method>,
    macro_name: &str,
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    // Every part is read and checked, whatever the others hold: a bad
    // method does not hide a bad path, nor a bad path a bad signature.
    let cx = Ctxt::new();
    let function = item::parse(&cx, macro_name, item.clone());
    let args = attr::valid::check(&cx, verb, macro_name, attr::parse(args));
    let path = args
        .path
        .as_ref()
        .and_then(|lit| RoutePath::parse(&cx, lit));
    let handler = function
        .as_ref()
        .map(|function| Handler::parse(&cx, function, path.as_ref()));
    match (cx.check(), function, path, handler) {
        (Ok(()), Some(item), Some(path), Some(handler)) => expand::route(&Route {
            methods: args.methods,
            path,
            body_limit: args.body_limit,
            doc: args.doc,
            handler,
            item,
        }),
        (checked, function, ..) => {
            // Unreachable: a part is missing only after an error about it.
            let errors = checked
                .err()
                .unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid route"));
            // The function as written, and a stand-in for its route, so one
            // mistake is one error and not a cascade from every place that
            // calls the handler or lists it in `routes!`.
            let stand_in = function.as_ref().map(expand::stand_in);
            let errors = errors.into_compile_error();
            quote::quote!(#item #stand_in #errors)
        }
    }
}

/// `#[task]`'s expansion: the task, or the errors.
fn task_attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    // The function and the options are each read and checked, whatever the
    // other holds: a bad option does not hide a bad argument type.
    let cx = Ctxt::new();
    let function = task::item::parse(&cx, item.clone());
    let options = task::options::check(&cx, attr::parse(args));
    let signature = function
        .as_ref()
        .and_then(|function| cx.unless_errors(|| task::signature::check(&cx, &function.sig)));
    let checked = cx.check();
    match (function, signature) {
        (Some(item), Some(function)) => {
            // With mistaken options, the task with the default ones: a
            // mistaken option is one error, not one more at every place
            // that queues the task.
            let options = if checked.is_ok() {
                options
            } else {
                Options::default()
            };
            let task = task::expand::task(&Task {
                options,
                function,
                item,
            });
            let errors = checked.err().map(syn::Error::into_compile_error);
            quote::quote!(#task #errors)
        }
        (function, _) => {
            // Unreachable: a part is missing only after an error about it.
            let errors = checked
                .err()
                .unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid task"));
            let stand_in = match &function {
                Some(function) => task::expand::stand_in(function),
                None => item,
            };
            let errors = errors.into_compile_error();
            quote::quote!(#stand_in #errors)
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
    ///
    /// `<name>` binds the handler parameter of that name, parsed with
    /// `FromStr`; `<name..>` takes the rest of the path. Other parameters
    /// are extractors or `BackgroundTasks`. `body_limit = <bytes>` after the
    /// path sets the route's own body limit.
    ///
    /// These keys, on every route attribute, describe the route in the app's
    /// OpenAPI document (with its doc comment, whose first paragraph is the
    /// summary): `tags = ["items"]`, `deprecated`, `include_in_schema = false`
    /// (served, but left out of the document), `status = 201` (the status on
    /// success), `response_description = "Item created"` and
    /// `errors = [404, 409]` (the statuses its `HttpError`s answer with,
    /// from 400 to 599, each documented with `HttpError`'s body).
    ///
    /// ```
    /// use atode::{get, routes, App, testing::TestClient};
    ///
    /// #[get("/items/<id>")]
    /// async fn item(id: u32) -> String {
    ///     format!("item {id}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![item]));
    /// assert_eq!(client.get("/items/7").await.text(), "item 7");
    /// assert_eq!(client.get("/items/seven").await.status(), 422);
    /// # }
    /// ```
    get, Get
);
verb!(
    /// A `POST` route: `#[post("/send-notification/<email>")]` on an `async fn`.
    ///
    /// ```
    /// use atode::{post, routes, App, BackgroundTasks, testing::TestClient};
    ///
    /// fn send(_to: String) {}
    ///
    /// #[post("/send-notification/<email>")]
    /// async fn notify(email: String, tasks: BackgroundTasks) -> &'static str {
    ///     tasks.add_task(send, (email,));
    ///     "sent"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![notify]));
    /// assert_eq!(client.post("/send-notification/a@example.com").await.text(), "sent");
    /// # }
    /// ```
    post, Post
);
verb!(
    /// A `PUT` route: `#[put("/items/<id>")]` on an `async fn`.
    ///
    /// ```
    /// use atode::{put, routes, App, testing::TestClient};
    ///
    /// #[put("/items/<id>")]
    /// async fn replace(id: u32, body: String) -> String {
    ///     format!("{id} is now {body}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![replace]));
    /// assert_eq!(client.put("/items/1").body("new").await.text(), "1 is now new");
    /// # }
    /// ```
    put, Put
);
verb!(
    /// A `PATCH` route: `#[patch("/items/<id>")]` on an `async fn`.
    ///
    /// ```
    /// use atode::{patch, routes, App, testing::TestClient};
    ///
    /// #[patch("/items/<id>")]
    /// async fn rename(id: u32, name: String) -> String {
    ///     format!("{id} renamed {name}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![rename]));
    /// assert_eq!(client.patch("/items/2").body("b").await.text(), "2 renamed b");
    /// # }
    /// ```
    patch, Patch
);
verb!(
    /// A `DELETE` route: `#[delete("/items/<id>")]` on an `async fn`.
    ///
    /// ```
    /// use atode::{delete, routes, App, StatusCode, testing::TestClient};
    ///
    /// #[delete("/items/<id>")]
    /// async fn remove(id: u32) -> StatusCode {
    ///     let _ = id;
    ///     StatusCode::NO_CONTENT
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![remove]));
    /// assert_eq!(client.delete("/items/3").await.status(), 204);
    /// # }
    /// ```
    delete, Delete
);
verb!(
    /// A `HEAD` route: `#[head("/items/<id>")]` on an `async fn`.
    ///
    /// ```
    /// use atode::{head, routes, App, StatusCode, testing::TestClient};
    ///
    /// #[head("/items/<id>")]
    /// async fn exists(id: u32) -> StatusCode {
    ///     if id == 1 { StatusCode::OK } else { StatusCode::NOT_FOUND }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![exists]));
    /// assert_eq!(client.head("/items/1").await.status(), 200);
    /// assert_eq!(client.head("/items/2").await.status(), 404);
    /// # }
    /// ```
    head, Head
);
verb!(
    /// An `OPTIONS` route: `#[options("/items")]` on an `async fn`.
    ///
    /// ```
    /// use atode::{options, routes, App, testing::TestClient};
    ///
    /// #[options("/items")]
    /// async fn allowed() -> ([(&'static str, &'static str); 1], ()) {
    ///     ([("allow", "GET, POST, OPTIONS")], ())
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().routes(routes![allowed]));
    /// let response = client.request(atode::Method::OPTIONS, "/items").await;
    /// assert_eq!(response.header("allow"), Some("GET, POST, OPTIONS"));
    /// # }
    /// ```
    options, Options
);

/// A route for several methods: `#[route(GET, POST, "/items")]`, with the
/// methods in uppercase before the path. It takes the same keys as
/// `#[get]` (`body_limit`, `tags`, `deprecated`, ...).
///
/// ```
/// use atode::{route, routes, App, Method, testing::TestClient};
///
/// #[route(GET, POST, "/echo")]
/// async fn echo(method: Method) -> String {
///     method.to_string()
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![echo]));
/// assert_eq!(client.get("/echo").await.text(), "GET");
/// assert_eq!(client.post("/echo").await.text(), "POST");
/// assert_eq!(client.put("/echo").await.status(), 405);
/// # }
/// ```
#[proc_macro_attribute]
pub fn route(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(None, "route", args, item)
}

/// A durable task: `#[task]` on a `fn` or an `async fn` whose calls are
/// stored in the app's queue (a database) and run later by a worker, in
/// this process or another, with retries.
///
/// The function's name becomes a value to queue, and the function itself
/// its `call`:
///
/// ```ignore
/// use atode::durable::task;
///
/// /// Sends the welcome email.
/// #[task(queue = "mail", max_attempts = 5, timeout = "30s")]
/// pub async fn send_welcome(user_id: u64, email: String) -> Result<(), String> {
///     # let _ = (user_id, email);
///     Ok(())
/// }
///
/// // In a handler: stored now, run after the response is written.
/// let id: atode::durable::TaskId = background_tasks.add_task(send_welcome, (user_id, email));
/// // Directly, in this process, now:
/// send_welcome::call(user_id, email).await?;
/// ```
///
/// The options, all optional:
///
/// - `queue = "mail"`: the queue its calls go to (`"default"` otherwise):
///   1 to 128 ASCII letters, digits, `_` and `-`.
/// - `max_attempts = 5`: how many times a call is tried, from 1 to 1000,
///   the first attempt included (25 otherwise).
/// - `priority = 2`: from 1 (runs first) to 4 (runs last); 1 otherwise.
/// - `timeout = "30s"`: how long one attempt may take. A duration is a
///   whole number and a unit (`ms`, `s`, `m`, `h`, `d`), or several from
///   the largest unit down: `"1h30m"`.
/// - `unique_for = "1h"`: a call with the same arguments as one queued in
///   the current window of this length is not queued again.
/// - `name = "send_welcome_v1"`: the name stored with each call, by which a
///   worker finds the task; the function's name otherwise. Give one to
///   rename the function without stranding calls queued before a deploy.
///
/// The function must be free (no `self`), not generic, and take owned
/// arguments that implement `Serialize` and `DeserializeOwned` (they are
/// stored as JSON); it returns `()` or a `Result` whose error implements
/// `Display`, and an `Err` is retried.
///
/// The example is not run here, where `atode` cannot be a dependency with
/// its `durable` feature; it runs as the doctest of `atode::durable::Task`.
#[proc_macro_attribute]
pub fn task(args: TokenStream, item: TokenStream) -> TokenStream {
    task_attribute(args.into(), item.into()).into()
}

/// The routes to register with `App::routes`: `routes![index, items::show]`,
/// each a path to a function that has a route attribute.
///
/// ```
/// use atode::{get, routes, App, testing::TestClient};
///
/// #[get("/")]
/// async fn index() -> &'static str {
///     "home"
/// }
///
/// mod items {
///     #[atode::get("/items")]
///     pub async fn list() -> &'static str {
///         "[]"
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().routes(routes![index, items::list]));
/// assert_eq!(client.get("/").await.text(), "home");
/// assert_eq!(client.get("/items").await.text(), "[]");
/// # }
/// ```
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    match routes::parse(input.into()) {
        Ok(paths) => expand::routes(&paths).into(),
        Err(error) => error.into_compile_error().into(),
    }
}
