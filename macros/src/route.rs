//! The whole route, checked: what [`crate::expand`] writes the glue from.

use syn::ItemFn;

use crate::method::Method;
use crate::path::RoutePath;
use crate::signature::Handler;

/// A route attribute on a handler, every part of it free of mistakes.
pub(crate) struct Route {
    pub(crate) methods: Vec<Method>,
    pub(crate) path: RoutePath,
    /// `body_limit = <bytes>`: this route's own body limit, a constant expression.
    pub(crate) body_limit: Option<syn::Expr>,
    pub(crate) handler: Handler,
    pub(crate) item: ItemFn,
}
