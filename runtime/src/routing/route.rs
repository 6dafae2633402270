//! What the route macros generate: a description of the route, and the
//! function that extracts the parameters and calls the handler.

use std::future::Future;
use std::pin::Pin;

use super::Methods;
use crate::extract::{RequestParts, Requirements};
use crate::{Body, CompletionBody, Response};

/// The future a generated route returns: the response, with the request's
/// background tasks attached to its body.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response<CompletionBody>> + Send>>;

/// A route, as its attribute describes it.
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
}

/// Implemented by the type a route macro generates beside each handler.
/// Not written by hand: use the route attributes and [`routes!`](crate::routes).
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
}

/// A route ready to register with [`App::routes`](crate::App::routes): made
/// by [`routes!`](crate::routes).
#[derive(Clone, Copy)]
pub struct RouteDef {
    pub(crate) info: &'static RouteInfo,
    pub(crate) call: fn(RequestParts, Body) -> HandlerFuture,
    pub(crate) requirements: fn(&mut Requirements),
    /// Whether an extractor queues background tasks: such a route is
    /// refused with `503` while the cap on pending work is reached.
    pub(crate) uses_tasks: bool,
}

impl RouteDef {
    /// The route `H` describes.
    pub fn of<H: RouteHandler>() -> Self {
        let mut needs = Requirements::default();
        H::requirements(&mut needs);
        RouteDef {
            info: const { &H::INFO },
            call: H::call,
            requirements: H::requirements,
            uses_tasks: needs.uses_tasks(),
        }
    }

    /// The route's description.
    pub fn info(&self) -> &'static RouteInfo {
        self.info
    }
}

impl std::fmt::Debug for RouteDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RouteDef").field(self.info).finish()
    }
}
