//! `Wrap`: one layer or middleware function, as an app or a router keeps
//! it until the app is built; then it wraps the service inside it, with the
//! app's shared parts (its state) at hand.

use std::sync::Arc;

use bytes::Bytes;

use super::{Layered, Routes};
use crate::extract::Requirements;
use crate::shared::AppShared;
use crate::{Body, BoxError};

/// Wraps the service inside it, given the app's shared parts.
type Build = dyn Fn(Routes, &Arc<AppShared>) -> Routes + Send + Sync;

/// A layer or middleware, not yet applied.
#[derive(Clone)]
pub(crate) struct Wrap {
    build: Arc<Build>,
    /// What a middleware function's extractors need from the app, so
    /// [`App::check`](crate::App::check) reports a missing state.
    requirements: fn(&mut Requirements),
}

impl Wrap {
    /// A tower layer.
    pub(crate) fn layer<L, B>(layer: L) -> Self
    where
        L: tower_layer::Layer<Routes> + Send + Sync + 'static,
        L::Service: tower_service::Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower_service::Service<http::Request<Body>>>::Future: Send + 'static,
        <L::Service as tower_service::Service<http::Request<Body>>>::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Wrap {
            build: Arc::new(move |inner, _| {
                Routes::layered(Arc::new(Layered::new(layer.layer(inner))))
            }),
            requirements: |_| {},
        }
    }

    /// Any other wrapping, with what it needs from the app.
    pub(crate) fn new(
        build: impl Fn(Routes, &Arc<AppShared>) -> Routes + Send + Sync + 'static,
        requirements: fn(&mut Requirements),
    ) -> Self {
        Wrap {
            build: Arc::new(build),
            requirements,
        }
    }

    /// `inner`, wrapped.
    pub(crate) fn apply(&self, inner: Routes, shared: &Arc<AppShared>) -> Routes {
        (self.build)(inner, shared)
    }

    pub(crate) fn requirements(&self, needs: &mut Requirements) {
        (self.requirements)(needs);
    }
}

impl std::fmt::Debug for Wrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wrap")
    }
}
