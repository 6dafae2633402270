//! Prometheus metrics (feature `metrics`): what the app's requests,
//! background tasks and durable calls did, served in the OpenMetrics text
//! format that Prometheus scrapes.
//!
//! [`App::metrics`](crate::App::metrics) turns them on and serves them at a
//! path; [`App::metrics_with`](crate::App::metrics_with) does the same
//! behind middleware of yours (a login, an IP check), as a
//! [`Router`](crate::Router) of one route. Nothing is measured until one of
//! them is called, and an app built without the feature has none of it.
//!
//! | metric | labels | what it counts |
//! | --- | --- | --- |
//! | `http_server_request_duration_seconds` (histogram) | `method`, `route`, `status` | each request, from the app receiving it to its response's head; its `_count` is the number of requests |
//! | `atode_background_tasks_total` | `task`, `handler`, `outcome` | in-process tasks that ended, by the handler whose request queued them: `completed`, `failed`, `panicked`, `timed_out` |
//! | `atode_background_task_pickup_seconds` (histogram) | `task` | from the response handing its tasks over to the task starting |
//! | `atode_background_task_run_seconds` (histogram) | `task` | how long the task ran |
//! | `atode_background_tasks_pending` (gauge) | | tasks handed over and not finished |
//! | `atode_background_tasks_lost_total` | `reason` | tasks that never ran: `discarded` (their handler failed, or their request was refused), `abandoned` (at a shutdown deadline) |
//! | `atode_background_refused_requests_total` | | requests refused with `503` at the cap on pending work |
//! | `atode_durable_calls_written_total` | | durable calls this process committed |
//! | `atode_durable_attempts_total` | `task`, `outcome` | attempts this process's workers made: `completed`, `failed`, `panicked`, `cancelled` |
//! | `atode_durable_task_pickup_seconds` (histogram) | `task` | from a call's scheduled time to its attempt starting |
//! | `atode_durable_task_run_seconds` (histogram) | `task` | how long an attempt ran |
//! | `atode_durable_queue_depth` (gauge) | `queue`, `task`, `state` | calls in the database not yet finished (`available`, `scheduled`, `retryable`, `running`), read at each scrape, whichever process queued them |
//!
//! `route` is the route's path as declared, in the router's syntax
//! (`/items/{id}`), never the request's path, so the number of series is
//! bounded by the routes; a request no route answered (a `404`, `/docs`, a
//! mounted service) has an empty `route`, which Prometheus treats as no
//! label. `method` is one of the standard methods or `_OTHER`. `task` is
//! the task function's path (`std::any::type_name`), or the durable task's
//! name; `handler` the function of the route whose request queued the task.
//! A metric's series appear once something was counted.
//!
//! ```
//! use atode::{get, routes, App, testing::TestClient};
//!
//! #[get("/items/<id>")]
//! async fn item(id: u32) -> String {
//!     format!("item {id}")
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().routes(routes![item]).metrics("/metrics"));
//! client.get("/items/7").await;
//! let scrape = client.get("/metrics").await;
//! assert!(scrape.header("content-type").unwrap().starts_with("application/openmetrics-text"));
//! assert!(scrape.text().contains(
//!     r#"http_server_request_duration_seconds_count{method="GET",route="/items/{id}",status="200"} 1"#
//! ));
//! # }
//! ```

mod background;
#[cfg(feature = "durable")]
mod durable;
mod endpoint;
mod http;
#[cfg(feature = "dashboard")]
mod recent;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash};
use std::sync::RwLock;

use prometheus_client::registry::Registry;

use crate::fx_hash::FxHasher;

pub(crate) use self::background::BackgroundMetrics;
#[cfg(feature = "durable")]
pub(crate) use self::durable::{AttemptOutcome, DurableMetrics};
pub(crate) use self::endpoint::endpoint;
pub(crate) use self::http::{RequestMetrics, RequestTiming};

/// The `Content-Type` of the metrics page: the OpenMetrics text format,
/// which Prometheus asks for and reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// An app's metrics: one registry, shared by the app's clones and servers,
/// and the handles its parts count with.
pub(crate) struct AppMetrics {
    registry: Registry,
    pub(crate) requests: RequestMetrics,
    pub(crate) background: BackgroundMetrics,
    #[cfg(feature = "durable")]
    pub(crate) durable: std::sync::Arc<DurableMetrics>,
}

impl AppMetrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::default();
        let requests = RequestMetrics::register(&mut registry);
        let background = BackgroundMetrics::register(&mut registry);
        #[cfg(feature = "durable")]
        let durable = std::sync::Arc::new(DurableMetrics::register(&mut registry));
        AppMetrics {
            registry,
            requests,
            background,
            #[cfg(feature = "durable")]
            durable,
        }
    }

    /// The OpenMetrics text of every metric, ending with `# EOF`.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a `String` cannot fail, and the registry holds only
        // metrics whose encoding does not fail.
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(target: "atode::metrics", %error, "the metrics could not be encoded");
        }
        text
    }
}

impl std::fmt::Debug for AppMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppMetrics").finish_non_exhaustive()
    }
}

/// Buckets for request durations, in seconds: OpenTelemetry's advice for
/// `http.server.request.duration`, from 5 ms to 10 s.
const REQUEST_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Buckets for tasks' pickup and run times, in seconds: tasks wait and run
/// from a millisecond to minutes.
const TASK_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 300.0,
];

/// A family's metrics by a key that is cheap to hash (an address, an
/// index, a status): prometheus-client's own look-up hashes the labels'
/// text with SipHash on every observation, which was most of the cost the
/// metrics added to a request (`bench/callgrind.sh`). None of the keys is
/// a client's text, so a weak hash cannot be turned against the map.
pub(crate) struct ByKey<K, V>(RwLock<HashMap<K, V, BuildHasherDefault<FxHasher>>>);

impl<K, V> Default for ByKey<K, V> {
    fn default() -> Self {
        ByKey(RwLock::default())
    }
}

impl<K: Hash + Eq, V> ByKey<K, V> {
    /// Calls `observe` with `key`'s value, made by `make` the first time.
    pub(crate) fn with(&self, key: K, make: impl FnOnce() -> V, observe: impl FnOnce(&V)) {
        let map = self
            .0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(value) = map.get(&key) {
            observe(value);
            return;
        }
        drop(map);
        let mut map = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        observe(map.entry(key).or_insert_with(make));
    }

    /// Calls `read` with each value, for a reader of the counts (the task
    /// dashboard); the map is read-locked meanwhile.
    #[cfg(feature = "dashboard")]
    pub(crate) fn for_each(&self, mut read: impl FnMut(&V)) {
        let map = self
            .0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.values().for_each(&mut read);
    }
}
