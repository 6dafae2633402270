//! The route table: matchit for paths, a method set per path.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use http::{HeaderValue, Method};

use super::layout::ParamLayout;
use super::{Methods, RouteDef, Routes, Wrap};
use crate::extract::{PathParams, Requirements};
use crate::fx_hash::FxHasher;
use crate::shared::AppShared;

/// Every registered route, by path and then by method.
#[derive(Clone, Default)]
pub(crate) struct RouteTable {
    paths: matchit::Router<usize>,
    endpoints: Vec<Endpoint>,
    /// Router-syntax path to its index in `endpoints`; also the first
    /// look-up for each request whose path is a static route's
    /// ([`ParamLayout::is_static`]).
    by_path: HashMap<&'static str, usize, BuildHasherDefault<FxHasher>>,
    /// Routes left out because another route answers their requests:
    /// reported by [`App::check`](crate::App::check) as a start-up error.
    conflicts: Vec<String>,
}

/// The routes that share one path.
#[derive(Clone)]
struct Endpoint {
    routes: Vec<TableRoute>,
    allowed: Methods,
    /// The `Allow` header for a 405, built once.
    allow: HeaderValue,
    /// Where the path's parameters sit in a request matched to it.
    params: ParamLayout,
}

/// A route in the table, with the layers and middleware of the routers it
/// came in (most have none).
#[derive(Clone)]
pub(crate) struct TableRoute {
    pub(crate) def: RouteDef,
    /// Innermost first.
    wraps: Arc<[Wrap]>,
    /// The route inside its wraps, once the app is built
    /// ([`RouteTable::bind`]); `None` for a route without any.
    pub(crate) bound: Option<Routes>,
}

impl TableRoute {
    /// What its routers' middleware needs from the app.
    pub(crate) fn wraps_requirements(&self, needs: &mut Requirements) {
        for wrap in self.wraps.iter() {
            wrap.requirements(needs);
        }
    }
}

/// What the table says about a request.
pub(crate) enum Match<'r> {
    /// A route answers; `params` are where its parameters sit in the path.
    Found {
        route: &'r TableRoute,
        params: PathParams,
    },
    /// The path exists, the method does not: answer 405 with this `Allow`.
    MethodNotAllowed(HeaderValue),
    NotFound,
}

impl RouteTable {
    /// Adds `route`, unless another route already answers one of its
    /// requests: then it is left out and the conflict, naming both
    /// handlers, is kept for [`RouteTable::conflicts`]. Two handlers for one
    /// request is a mistake best caught at start-up.
    pub(crate) fn add(&mut self, route: RouteDef, wraps: Vec<Wrap>) {
        let info = route.info();
        let index = match self.by_path.get(info.path) {
            Some(&index) => index,
            None => {
                let index = self.endpoints.len();
                if let Err(error) = self.paths.insert(info.path, index) {
                    let other = match &error {
                        matchit::InsertError::Conflict { with } => self
                            .by_path
                            .get(with.as_str())
                            .and_then(|&other| self.endpoints[other].routes.first())
                            .map(|other| {
                                let other = other.def.info();
                                format!("`{}` ({})", other.name, other.declared)
                            }),
                        _ => None,
                    };
                    self.conflicts.push(match other {
                        Some(other) => format!(
                            "`{}` ({}) and {other} match the same requests: make one path more specific, or merge the handlers",
                            info.name, info.declared
                        ),
                        None => format!(
                            "`{}` ({}) cannot be routed: {error}",
                            info.name, info.declared
                        ),
                    });
                    return;
                }
                self.by_path.insert(info.path, index);
                self.endpoints.push(Endpoint {
                    routes: Vec::new(),
                    allowed: Methods::NONE,
                    allow: HeaderValue::from_static(""),
                    params: ParamLayout::of(info.path),
                });
                index
            }
        };
        let endpoint = &mut self.endpoints[index];
        let overlap = endpoint.allowed.intersection(info.methods);
        if !overlap.is_empty() {
            let other = endpoint
                .routes
                .iter()
                .find(|r| !r.def.info().methods.intersection(overlap).is_empty());
            let methods: Vec<_> = overlap.iter().map(|m| m.to_string()).collect();
            self.conflicts.push(format!(
                "`{}` and `{}` both answer {} {}: remove or rename one",
                other.map_or("another route", |r| r.def.info().name),
                info.name,
                methods.join(", "),
                info.declared,
            ));
            return;
        }
        endpoint.allowed = endpoint.allowed.union(info.methods);
        endpoint.routes.push(TableRoute {
            def: route,
            wraps: wraps.into(),
            bound: None,
        });
        let allow: Vec<_> = endpoint.answered().iter().map(|m| m.to_string()).collect();
        endpoint.allow = HeaderValue::from_str(&allow.join(", "))
            .unwrap_or_else(|_| HeaderValue::from_static(""));
    }

    /// Records a problem found outside the table (a router's prefix), for
    /// [`App::check`](crate::App::check).
    pub(crate) fn problem(&mut self, problem: String) {
        self.conflicts.push(problem);
    }

    /// The routes left out, and why.
    pub(crate) fn conflicts(&self) -> &[String] {
        &self.conflicts
    }

    /// Every registered route.
    #[cfg(feature = "openapi")]
    pub(crate) fn routes(&self) -> impl Iterator<Item = &RouteDef> {
        self.table_routes().map(|route| &route.def)
    }

    /// Every registered route, with its routers' layers and middleware.
    pub(crate) fn table_routes(&self) -> impl Iterator<Item = &TableRoute> {
        self.endpoints.iter().flat_map(|endpoint| &endpoint.routes)
    }

    /// Whether some route has layers or middleware of its own.
    pub(crate) fn has_wraps(&self) -> bool {
        self.table_routes().any(|route| !route.wraps.is_empty())
    }

    /// Builds each route that has layers or middleware of its own into
    /// them, with the app's shared parts: done when the app is built, since
    /// middleware reads the app's state, which may be given after the
    /// routes.
    pub(crate) fn bind(&mut self, shared: &Arc<AppShared>) {
        for endpoint in &mut self.endpoints {
            for route in &mut endpoint.routes {
                if route.wraps.is_empty() {
                    continue;
                }
                let core = Routes::route(route.def, Arc::clone(shared));
                let wrapped = route
                    .wraps
                    .iter()
                    .fold(core, |inner, wrap| wrap.apply(inner, shared));
                route.bound = Some(wrapped);
            }
        }
    }

    pub(crate) fn at(&self, method: &Method, path: &str) -> Match<'_> {
        // A path with parameters (or a literal brace) is left to matchit,
        // even for a request that spells it out.
        let static_route = self
            .by_path
            .get(path)
            .copied()
            .filter(|&index| self.endpoints[index].params.is_static());
        let (index, params) = match static_route {
            Some(index) => (index, PathParams::default()),
            None => match self.paths.at(path) {
                Ok(matched) => {
                    let index = *matched.value;
                    (
                        index,
                        self.endpoints[index].params.read(path, &matched.params),
                    )
                }
                Err(_) => return Match::NotFound,
            },
        };
        let endpoint = &self.endpoints[index];
        match endpoint.find(method) {
            Some(route) => Match::Found { route, params },
            None => Match::MethodNotAllowed(endpoint.allow.clone()),
        }
    }
}

impl Endpoint {
    fn find(&self, method: &Method) -> Option<&TableRoute> {
        let wanted = Methods::of(method);
        let exact = self
            .routes
            .iter()
            .find(|r| !r.def.info().methods.intersection(wanted).is_empty());
        // HEAD is answered by the GET route unless one claims HEAD itself;
        // hyper sends the headers and drops the body.
        let get = || {
            self.routes
                .iter()
                .find(|r| r.def.info().methods.contains(&Method::GET))
        };
        exact.or_else(|| if *method == Method::HEAD { get() } else { None })
    }

    /// The methods this path answers, HEAD included wherever GET is.
    fn answered(&self) -> Methods {
        if self.allowed.contains(&Method::GET) {
            self.allowed.union(Methods::HEAD)
        } else {
            self.allowed
        }
    }
}
