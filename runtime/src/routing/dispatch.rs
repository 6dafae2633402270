//! `Routing`: the route table and what its routes share, and the dispatch
//! of one request to its handler (or to a 404, 405 or 503).

use std::net::SocketAddr;
use std::sync::Arc;

use http::{StatusCode, header};

use super::future::RouteFuture;
use super::layered::LayeredService;
use super::router::TableRoute;
use super::{Match, RouteDef, RouteTable, slashes};
use crate::Body;
use crate::body::IntoBody;
use crate::extract::{PathParams, RequestParts};
use crate::response::json_detail;
use crate::shared::AppShared;

/// The routes and what they share: the service at the core of the layers.
#[derive(Clone)]
pub(crate) struct Routing {
    pub(crate) router: RouteTable,
    pub(crate) shared: Arc<AppShared>,
    /// The OpenAPI document and its page, answered before the routes.
    #[cfg(feature = "openapi")]
    pub(crate) docs: Option<Arc<crate::openapi::DocsSite>>,
    /// Where a request no route matches goes.
    pub(crate) unmatched: Unmatched,
}

/// What answers a request that no route matches: services mounted under a
/// prefix, then the redirect to the path's twin with its last slash
/// toggled, then the fallback; a known path's other methods, the `405`
/// handler. Each `None` is atode's own `404` or `405`.
#[derive(Clone, Default)]
pub(crate) struct Unmatched {
    /// `(prefix, service)`, the prefix without a trailing `/`.
    pub(crate) mounts: Vec<(String, Arc<dyn LayeredService>)>,
    /// No redirect to a path's twin (`App::redirect_slashes(false)`).
    pub(crate) strict_slashes: bool,
    pub(crate) fallback: Option<Arc<dyn LayeredService>>,
    pub(crate) method_not_allowed: Option<Arc<dyn LayeredService>>,
}

impl Unmatched {
    /// The mounted service `path` is under, with the path it sees.
    fn mount<'p>(&self, path: &'p str) -> Option<(&Arc<dyn LayeredService>, &'p str)> {
        self.mounts.iter().find_map(|(prefix, service)| {
            let rest = path.strip_prefix(prefix.as_str())?;
            match rest {
                "" => Some((service, "/")),
                rest if rest.starts_with('/') => Some((service, rest)),
                _ => None,
            }
        })
    }
}

/// `request` with its path replaced by `path`, the query kept.
fn with_path(mut request: http::Request<Body>, path: &str) -> http::Request<Body> {
    let uri = request.uri();
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    if let Ok(path_and_query) = path_and_query.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

impl Routing {
    /// `routing` with each route that has layers or middleware of its own
    /// built into them (a copy, when there are any).
    pub(crate) fn bound(routing: Arc<Routing>) -> Arc<Routing> {
        if !routing.router.has_wraps() {
            return routing;
        }
        let mut bound = (*routing).clone();
        bound.router.bind(&routing.shared);
        Arc::new(bound)
    }

    /// Routes one request. `remote` is the client's address, when known.
    pub(crate) fn handle<B: IntoBody>(
        self: &Arc<Self>,
        request: http::Request<B>,
        remote: Option<SocketAddr>,
    ) -> RouteFuture {
        let matched = self.router.at(request.method(), request.uri().path());
        #[cfg(feature = "otel")]
        if let Match::Found { route, .. } = &matched {
            crate::otel::name_request(&request, route.def.info);
        }
        // The document and its page come before the routes. A route without
        // parameters never answers one of their paths (`App::check` refuses
        // it), so a request it matches skips the look-up.
        #[cfg(feature = "openapi")]
        if let Some(docs) = &self.docs {
            let static_route = matches!(&matched, Match::Found { params, .. } if params.is_empty());
            if !static_route {
                // The headers, for `If-None-Match`: the page's files are
                // revalidated rather than sent again.
                if let Some(response) =
                    docs.answer(request.method(), request.uri().path(), request.headers())
                {
                    return RouteFuture::ready(response);
                }
            }
        }
        let found = match matched {
            // A route with layers or middleware of its own is served
            // through them.
            Match::Found {
                route:
                    TableRoute {
                        bound: Some(bound),
                        def,
                        ..
                    },
                ..
            } => Some(Err((bound.clone(), def.info))),
            Match::Found { route, params } => Some(Ok((route.def, params))),
            Match::MethodNotAllowed(allow) => {
                let Some(handler) = &self.unmatched.method_not_allowed else {
                    let mut response =
                        json_detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
                    response.headers_mut().insert(header::ALLOW, allow);
                    return RouteFuture::ready(response);
                };
                let answer = handler.call(request.map(IntoBody::into_body));
                return RouteFuture::layered(Box::pin(async move {
                    let mut response = answer.await;
                    response.headers_mut().insert(header::ALLOW, allow);
                    response
                }));
            }
            Match::NotFound => None,
        };
        let found = match found {
            Some(Err((bound, _route))) => {
                let future = bound.handle(request, remote);
                // The route's own middleware may answer without reaching
                // it: the route is named here.
                #[cfg(any(feature = "metrics", feature = "otel"))]
                if self.shared.names_routes() {
                    return future.answered_by(super::MatchedRoute::of(_route));
                }
                return future;
            }
            Some(Ok(found)) => Some(found),
            None => None,
        };
        let Some((route, params)) = found else {
            let mut request = request.map(IntoBody::into_body);
            // As behind a layer: a service of the user's reads the client's
            // address from the request.
            if let Some(remote) = remote {
                request
                    .extensions_mut()
                    .insert(crate::extract::RemoteAddr(remote));
            }
            let path = request.uri().path().to_owned();
            if let Some((service, rest)) = self.unmatched.mount(&path) {
                return RouteFuture::layered(service.call(with_path(request, rest)));
            }
            if let Some(response) = self.slash_redirect(&request) {
                return RouteFuture::ready(response);
            }
            return match &self.unmatched.fallback {
                Some(fallback) => RouteFuture::layered(fallback.call(request)),
                None => RouteFuture::ready(json_detail(StatusCode::NOT_FOUND, "Not Found")),
            };
        };
        run(route, request, params, remote, &self.shared)
    }

    /// The `307` to the twin of the request's path (its last slash toggled)
    /// when a route matches the twin: one look-up more, for a request no
    /// route matched.
    fn slash_redirect(&self, request: &http::Request<Body>) -> Option<crate::Response> {
        if self.unmatched.strict_slashes {
            return None;
        }
        let uri = request.uri();
        let twin = slashes::twin(uri.path())?;
        match self.router.at(request.method(), &twin) {
            Match::NotFound => None,
            Match::Found { .. } | Match::MethodNotAllowed(_) => {
                Some(slashes::redirect(&twin, uri.query()))
            }
        }
    }
}

/// Calls `route`'s handler on `request`, whose path parameters are `params`:
/// for the table's own routes and for those inside their routers' wraps.
pub(super) fn run<B: IntoBody>(
    route: RouteDef,
    request: http::Request<B>,
    params: PathParams,
    remote: Option<SocketAddr>,
    shared: &Arc<AppShared>,
) -> RouteFuture {
    let (head, body) = request.into_parts();
    let mut parts = RequestParts::new(head, params, route.info, Arc::clone(shared));
    parts.set_remote_addr(remote);
    let future = RouteFuture::running(route.info, (route.call)(parts, body.into_body()));
    #[cfg(any(feature = "metrics", feature = "otel"))]
    if shared.names_routes() {
        return future.answered_by(super::MatchedRoute::of(route.info));
    }
    future
}
