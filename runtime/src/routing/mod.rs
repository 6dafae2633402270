//! Routing: the routes the macros describe, the table that matches a
//! request's method and path to one of them, and the dispatch of a request
//! to its handler, inside the app's layers.

mod dispatch;
mod future;
mod group;
mod layered;
mod layout;
#[cfg(any(feature = "metrics", feature = "otel"))]
mod matched;
mod methods;
pub(crate) mod route;
mod router;
mod scoped;
mod slashes;
mod wrap;

pub use future::RouteFuture;
pub use group::Router;
pub use layered::Routes;
pub use methods::Methods;
pub use route::{RouteDef, RouteDoc, RouteInfo};

#[doc(hidden)]
pub use route::RouteHandler;

pub(crate) use dispatch::Routing;
pub(crate) use layered::{Layered, LayeredService};
#[cfg(any(feature = "metrics", feature = "otel"))]
pub(crate) use matched::MatchedRoute;
pub(crate) use route::HandlerFuture;
pub(crate) use router::{Match, RouteTable};
pub use wrap::RoutesLayer;
pub(crate) use wrap::Wrap;
