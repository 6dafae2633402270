//! The whole route, checked: what [`crate::expand`] writes the glue from.

use syn::{ItemFn, LitStr};

use crate::method::Method;
use crate::path::RoutePath;
use crate::signature::Handler;

/// A route attribute on a handler, every part of it free of mistakes.
pub(crate) struct Route {
    pub(crate) methods: Vec<Method>,
    pub(crate) path: RoutePath,
    /// `body_limit = <bytes>`: this route's own body limit, a constant expression.
    pub(crate) body_limit: Option<syn::Expr>,
    /// The keys for the OpenAPI document.
    pub(crate) doc: DocArgs,
    pub(crate) handler: Handler,
    pub(crate) item: ItemFn,
}

/// The attribute's keys for the OpenAPI document, checked.
#[derive(Default)]
pub(crate) struct DocArgs {
    /// `tags = ["items", ...]`.
    pub(crate) tags: Vec<LitStr>,
    /// `deprecated`.
    pub(crate) deprecated: bool,
    /// `include_in_schema = false`.
    pub(crate) include_in_schema: Option<bool>,
    /// `status = 201`.
    pub(crate) status: Option<u16>,
    /// `response_description = "..."`.
    pub(crate) response_description: Option<LitStr>,
    /// `errors = [404, 409]`: the statuses its `HttpError`s answer with.
    pub(crate) errors: Vec<u16>,
}
