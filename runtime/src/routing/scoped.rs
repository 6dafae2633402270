//! A route served inside its routers' layers and middleware: the service at
//! the core of those, as the app's routing is at the core of the app's.

use std::net::SocketAddr;
use std::sync::Arc;

use http::StatusCode;

use super::RouteDef;
use super::dispatch::run;
use super::future::RouteFuture;
use super::layout::ParamLayout;
use crate::body::IntoBody;
use crate::response::json_detail;
use crate::shared::AppShared;

/// One route as a service. The request reaches it through the route's own
/// layers, which may have rewritten its path, so the path parameters are
/// read from the path it arrives with.
pub(crate) struct ScopedRoute {
    def: RouteDef,
    shared: Arc<AppShared>,
    /// The route's one path, to read its parameters from.
    path: matchit::Router<()>,
    /// Where those parameters sit in a request it matches.
    layout: ParamLayout,
}

impl ScopedRoute {
    pub(crate) fn new(def: RouteDef, shared: Arc<AppShared>) -> Self {
        let mut path = matchit::Router::new();
        // The table already accepted this path, so it is a valid one.
        let _ = path.insert(def.info().path, ());
        let layout = ParamLayout::of(def.info().path);
        ScopedRoute {
            def,
            shared,
            path,
            layout,
        }
    }

    pub(crate) fn handle<B: IntoBody>(
        &self,
        request: http::Request<B>,
        remote: Option<SocketAddr>,
    ) -> RouteFuture {
        let params = match self.path.at(request.uri().path()) {
            Ok(matched) => self.layout.read(request.uri().path(), &matched.params),
            // A middleware sent the request somewhere this route does not
            // answer.
            Err(_) => return RouteFuture::ready(json_detail(StatusCode::NOT_FOUND, "Not Found")),
        };
        run(self.def, request, params, remote, &self.shared)
    }
}
