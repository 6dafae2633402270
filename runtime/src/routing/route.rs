//! What the route macros generate: a description of the route, and the
//! function that extracts the parameters and calls the handler.

use std::future::Future;
use std::pin::Pin;

use super::Methods;
use crate::extract::{RequestParts, Requirements};
use crate::{Body, Response, ResponseBody};

/// The future a generated route returns: the response, with the request's
/// background tasks attached to its body. Written by the route macros, not
/// by hand.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>;

/// A route, as its attribute describes it: for listing an app's routes (in
/// a log line or a docs page) through [`RouteDef::info`].
///
/// ```
/// use atode::{get, routes, Method};
///
/// #[get("/items/<id>")]
/// async fn show(id: u32) -> String {
///     id.to_string()
/// }
///
/// let info = routes![show][0].info();
/// assert_eq!(info.name, "show");
/// assert!(info.methods.contains(&Method::GET));
/// assert_eq!(info.declared, "/items/<id>");
/// assert_eq!(info.path, "/items/{id}");
/// assert_eq!(info.body_limit, None);
/// ```
#[derive(Debug)]
pub struct RouteInfo {
    /// The handler's name, for logs.
    pub name: &'static str,
    /// The methods it answers.
    pub methods: Methods,
    /// The path in the router's syntax (`/items/{id}`).
    pub path: &'static str,
    /// The path as written in the attribute (`/items/<id>`).
    pub declared: &'static str,
    /// The route's own body limit (`body_limit = ...` in its attribute),
    /// in place of the app's.
    pub body_limit: Option<usize>,
    /// What the route's doc comment and attribute say for its API documentation.
    pub doc: RouteDoc,
}

/// What a route says of itself for the app's OpenAPI document: from its
/// doc comment and the keys of its attribute (`tags = [...]`, `deprecated`,
/// `include_in_schema = false`, `status = 201`, `response_description = "..."`,
/// `errors = [404, 409]`).
///
/// ```
/// use atode::{post, routes};
///
/// /// Create an item.
/// ///
/// /// Stores it as sent.
/// #[post("/items", tags = ["items"], status = 201, errors = [409])]
/// async fn create_item() {}
///
/// let doc = &routes![create_item][0].info().doc;
/// assert_eq!(doc.summary, Some("Create an item."));
/// assert_eq!(doc.description, Some("Stores it as sent."));
/// assert_eq!(doc.tags, ["items"]);
/// assert_eq!(doc.status, Some(201));
/// assert_eq!(doc.errors, [409]);
/// assert!(doc.include_in_schema && !doc.deprecated);
/// ```
#[derive(Debug)]
pub struct RouteDoc {
    /// The doc comment's first paragraph.
    pub summary: Option<&'static str>,
    /// The rest of the doc comment.
    pub description: Option<&'static str>,
    /// `tags = ["items", ...]`.
    pub tags: &'static [&'static str],
    /// `deprecated` in the attribute, or `#[deprecated]` on the handler.
    pub deprecated: bool,
    /// `false` with `include_in_schema = false`: the route is served but
    /// left out of the document.
    pub include_in_schema: bool,
    /// `status = 201`: the status the route answers with on success.
    pub status: Option<u16>,
    /// `response_description = "..."`: the success response's description.
    pub response_description: Option<&'static str>,
    /// `errors = [404, 409]`: the statuses the route's
    /// [`HttpError`](crate::HttpError)s answer with, each documented with
    /// its body in place of the one `default` response.
    pub errors: &'static [u16],
}

impl RouteDoc {
    /// What a route with no doc comment and no documentation keys says.
    #[doc(hidden)]
    pub const DEFAULT: RouteDoc = RouteDoc {
        summary: None,
        description: None,
        tags: &[],
        deprecated: false,
        include_in_schema: true,
        status: None,
        response_description: None,
        errors: &[],
    };
}

/// Implemented by the type a route macro generates beside each handler
/// (it has the handler's name). Not written by hand: use the route
/// attributes and [`routes!`](crate::routes).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route",
    label = "`routes![...]` takes functions with a route attribute",
    note = "add `#[get(\"/path\")]` (or `#[post]`, `#[route(GET, POST, \"/path\")]`, ...) to the handler"
)]
pub trait RouteHandler {
    /// The route's description.
    const INFO: RouteInfo;

    /// Declares what the route's extractors need from the app.
    fn requirements(needs: &mut Requirements);

    /// Extracts the parameters, calls the handler, and attaches its tasks.
    fn call(parts: RequestParts, body: Body) -> HandlerFuture;

    /// Describes the route's operation from its handler's types.
    #[cfg(feature = "openapi")]
    fn describe(op: &mut crate::openapi::Operation<'_>);
}

/// A route ready to register with [`App::routes`](crate::App::routes): made
/// by [`routes!`](crate::routes), which gives a `Vec` of them, so a module
/// can export its routes as one list.
///
/// ```
/// use atode::{get, routes, App, testing::TestClient};
/// use atode::routing::RouteDef;
///
/// mod users {
///     use atode::{get, routes, routing::RouteDef};
///
///     #[get("/users")]
///     async fn list() -> &'static str {
///         "[]"
///     }
///
///     pub fn routes() -> Vec<RouteDef> {
///         routes![list]
///     }
/// }
///
/// #[get("/")]
/// async fn index() -> &'static str {
///     "home"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let all: Vec<RouteDef> = routes![index].into_iter().chain(users::routes()).collect();
/// let client = TestClient::new(App::new().routes(all));
/// assert_eq!(client.get("/users").await.text(), "[]");
/// assert_eq!(client.get("/").await.text(), "home");
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct RouteDef {
    pub(crate) info: &'static RouteInfo,
    pub(crate) call: fn(RequestParts, Body) -> HandlerFuture,
    pub(crate) requirements: fn(&mut Requirements),
    #[cfg(feature = "openapi")]
    pub(crate) describe: fn(&mut crate::openapi::Operation<'_>),
}

impl RouteDef {
    /// The route `H` describes: what [`routes!`](crate::routes) calls for
    /// each handler it lists. Not for hand-written code.
    #[doc(hidden)]
    ///
    /// ```
    /// use atode::get;
    /// use atode::routing::RouteDef;
    ///
    /// #[get("/health")]
    /// async fn health() -> &'static str {
    ///     "ok"
    /// }
    ///
    /// let route = RouteDef::of::<health>();
    /// assert_eq!(route.info().declared, "/health");
    /// ```
    pub fn of<H: RouteHandler>() -> Self {
        RouteDef {
            info: const { &H::INFO },
            call: H::call,
            requirements: H::requirements,
            #[cfg(feature = "openapi")]
            describe: H::describe,
        }
    }

    /// The route's description: its handler's name, methods and path.
    ///
    /// ```
    /// use atode::{route, routes, Method};
    ///
    /// #[route(GET, POST, "/items")]
    /// async fn items() -> &'static str {
    ///     "[]"
    /// }
    ///
    /// let info = routes![items][0].info();
    /// assert_eq!(info.methods.iter().collect::<Vec<_>>(), [Method::GET, Method::POST]);
    /// ```
    pub fn info(&self) -> &'static RouteInfo {
        self.info
    }
}

impl std::fmt::Debug for RouteDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RouteDef").field(self.info).finish()
    }
}
