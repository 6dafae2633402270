//! `AppShared`: what every request of an app can reach, from its
//! extractors to its background tasks.

use std::sync::Arc;

use crate::background::TaskRunner;
use crate::extract::StateMap;

/// The app's state, its task runner and its settings, shared by the routing
/// and every request's [`RequestParts`](crate::RequestParts).
#[derive(Clone)]
pub(crate) struct AppShared {
    pub(crate) state: StateMap,
    pub(crate) runner: Arc<TaskRunner>,
    pub(crate) body_limit: usize,
    /// The most `name=value` pairs `Query` and `Form` read.
    pub(crate) max_fields: usize,
    /// `true` once the server serving the app starts shutting down: what
    /// ends a stream that would otherwise hold the shutdown forever.
    pub(crate) closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// The open WebSockets, which shutdown closes.
    #[cfg(feature = "ws")]
    pub(crate) sessions: Arc<crate::ws::Sessions>,
    /// The uploads waiting in temporary files, which an abandoned shutdown
    /// deletes.
    #[cfg(feature = "multipart")]
    pub(crate) uploads: Arc<crate::multipart::Spooled>,
}
