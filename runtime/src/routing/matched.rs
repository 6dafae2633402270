//! `MatchedRoute`: the route that answered a request, for its metrics and
//! its span, handed from the routing to the app's outermost future in the
//! response's extensions when layers or middleware stand between them.

use super::RouteInfo;

/// A route's path in the router's syntax (`/items/{id}`): a bounded label,
/// never the request's path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatchedRoute(pub(crate) &'static str);

impl MatchedRoute {
    pub(crate) fn of(route: &'static RouteInfo) -> Self {
        MatchedRoute(route.path)
    }
}
