//! `Routing`: the route table and what its routes share, and the dispatch
//! of one request to its handler (or to a 404, 405 or 503).

use std::net::SocketAddr;
use std::sync::Arc;

use http::{StatusCode, header};

use super::future::RouteFuture;
use super::{Match, RouteDef, Router};
use crate::Body;
use crate::extract::{PathParams, RequestParts};
use crate::response::json_detail;
use crate::shared::AppShared;

/// The routes and what they share: the service at the core of the layers.
#[derive(Clone)]
pub(crate) struct Routing {
    pub(crate) router: Router,
    pub(crate) shared: Arc<AppShared>,
    /// The OpenAPI document and its page, answered before the routes.
    #[cfg(feature = "openapi")]
    pub(crate) docs: Option<Arc<crate::openapi::DocsSite>>,
}

impl Routing {
    /// Routes one request. `remote` is the client's address, when known.
    pub(crate) fn handle(
        self: &Arc<Self>,
        request: http::Request<Body>,
        remote: Option<SocketAddr>,
    ) -> RouteFuture {
        #[cfg(feature = "openapi")]
        if let Some(docs) = &self.docs {
            if let Some(response) = docs.answer(request.method(), request.uri().path()) {
                return RouteFuture::ready(response);
            }
        }
        let (head, body) = request.into_parts();
        match self.router.at(&head.method, head.uri.path()) {
            Match::Found {
                route: RouteDef { info, call, .. },
                params,
            } => {
                let params =
                    PathParams::from_slices(head.uri.path(), params.iter().map(|(_, value)| value));
                let mut parts = RequestParts::new(head, params, info, Arc::clone(&self.shared));
                parts.set_remote_addr(remote);
                RouteFuture::running(info, call(parts, body))
            }
            Match::MethodNotAllowed(allow) => {
                let mut response =
                    json_detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
                response.headers_mut().insert(header::ALLOW, allow);
                RouteFuture::ready(response)
            }
            Match::NotFound => RouteFuture::ready(json_detail(StatusCode::NOT_FOUND, "Not Found")),
        }
    }
}
