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
        }
    }
}
