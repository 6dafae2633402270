//! `AppShared`: what every request of an app can reach, from its
//! extractors to its background tasks.

use std::sync::Arc;

use crate::background::{TaskRunner, TaskSettings};
use crate::extract::StateMap;
use crate::lifecycle::Lifecycle;

/// The app's state, its task runner and its settings, shared by the routing
/// and every request's [`RequestParts`](crate::RequestParts). The builder
/// copies it before changing a setting (`Arc::make_mut`), so a configured
/// clone keeps its settings to itself; the runner it points to is the
/// app's, shared by its clones.
#[derive(Clone)]
pub(crate) struct AppShared {
    pub(crate) state: StateMap,
    pub(crate) runner: Arc<TaskRunner>,
    pub(crate) body_limit: usize,
    /// The most `name=value` pairs `Query` and `Form` read.
    pub(crate) max_fields: usize,
    /// The cap on pending background work and the task timeout.
    pub(crate) tasks: TaskSettings,
    /// Whose requests these are: each server, and each `TestClient`,
    /// serves a copy of the app with a lifecycle of its own
    /// ([`App::with_lifecycle`](crate::App)), which its requests reach
    /// through the `Arc` of this they already hold. The app's own, for an
    /// app called as a tower service, never drains.
    pub(crate) lifecycle: Lifecycle,
    /// The app's metrics, once `App::metrics` turned them on: one set for
    /// the app, its clones and its servers.
    #[cfg(feature = "metrics")]
    pub(crate) metrics: Option<Arc<crate::metrics::AppMetrics>>,
}

impl AppShared {
    /// Whether requests are told which route answered them: for the
    /// metrics' `route` label, and the request span's when something
    /// records spans (a cached answer of `tracing`'s: telling costs the
    /// response an extension when layers stand between the routing and
    /// the server).
    #[cfg(any(feature = "metrics", feature = "otel"))]
    pub(crate) fn names_routes(&self) -> bool {
        #[cfg(feature = "metrics")]
        if self.metrics.is_some() {
            return true;
        }
        #[cfg(feature = "otel")]
        return tracing::enabled!(target: "atode::request", tracing::Level::INFO);
        #[cfg(not(feature = "otel"))]
        false
    }
}

impl Default for AppShared {
    fn default() -> Self {
        AppShared {
            state: StateMap::default(),
            runner: Arc::default(),
            body_limit: crate::DEFAULT_BODY_LIMIT,
            max_fields: crate::extract::DEFAULT_MAX_FIELDS,
            tasks: TaskSettings::default(),
            lifecycle: Lifecycle::default(),
            #[cfg(feature = "metrics")]
            metrics: None,
        }
    }
}
