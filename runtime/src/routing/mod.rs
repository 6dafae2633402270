//! Routing: the routes the macros describe, and the table that matches a
//! request's method and path to one of them.

mod methods;
mod route;
mod router;

pub use crate::service::Routes;
pub use methods::Methods;
pub use route::{HandlerFuture, RouteDef, RouteHandler, RouteInfo};

pub(crate) use router::{Match, Router};
