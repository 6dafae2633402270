//! Requests: a duration histogram per method, route and status.

use std::sync::Arc;
#[cfg(feature = "dashboard")]
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use http::{Method, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::{AppMetrics, ByKey, REQUEST_BUCKETS};
use crate::routing::MatchedRoute;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

pub(crate) struct RequestMetrics {
    durations: Family<RequestLabels, Histogram, fn() -> Histogram>,
    /// The family's histograms by a key that is cheap to hash.
    series: ByKey<SeriesKey, Series>,
}

/// One series: its histogram, and for the task dashboard its labels and
/// its count of requests.
struct Series {
    histogram: Histogram,
    #[cfg(feature = "dashboard")]
    route: &'static str,
    #[cfg(feature = "dashboard")]
    status: u16,
    #[cfg(feature = "dashboard")]
    requests: AtomicU64,
}

/// A series by the address of its route's path (each route's is its own
/// `&'static str`, the empty one for no route), its method's index in
/// `METHODS`, and its status. None of it is a client's text, so a weak
/// hash cannot be turned against the map.
type SeriesKey = (usize, u8, u16);

impl RequestMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let durations: Family<RequestLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(REQUEST_BUCKETS));
        registry.register_with_unit(
            "http_server_request_duration",
            "Requests, from the app receiving each to its response's head",
            Unit::Seconds,
            durations.clone(),
        );
        RequestMetrics {
            durations,
            series: ByKey::default(),
        }
    }

    fn observe(&self, labels: RequestLabels, method: u8, seconds: f64) {
        let key = (labels.route.as_ptr() as usize, method, labels.status);
        self.series.with(
            key,
            || Series {
                histogram: self.durations.get_or_create_owned(&labels),
                #[cfg(feature = "dashboard")]
                route: labels.route,
                #[cfg(feature = "dashboard")]
                status: labels.status,
                #[cfg(feature = "dashboard")]
                requests: AtomicU64::new(0),
            },
            |series| {
                series.histogram.observe(seconds);
                // The histogram's own count is not public; the dashboard's is.
                #[cfg(feature = "dashboard")]
                series.requests.fetch_add(1, Ordering::Relaxed);
            },
        );
    }
}

impl RequestMetrics {
    /// Each route's requests and, of them, those answered with a `5xx`,
    /// sorted by route; `""` is the requests no route answered.
    #[cfg(feature = "dashboard")]
    pub(crate) fn per_route(&self) -> Vec<(&'static str, u64, u64)> {
        let mut routes = std::collections::BTreeMap::<&'static str, (u64, u64)>::new();
        self.series.for_each(|series| {
            let requests = series.requests.load(Ordering::Relaxed);
            let counts = routes.entry(series.route).or_default();
            counts.0 += requests;
            if series.status >= 500 {
                counts.1 += requests;
            }
        });
        routes
            .into_iter()
            .map(|(route, (requests, errors))| (route, requests, errors))
            .collect()
    }
}

/// One request being timed, from the app receiving it.
pub(crate) struct RequestTiming {
    metrics: Arc<AppMetrics>,
    /// The method's index in `METHODS`.
    method: u8,
    start: Instant,
}

impl RequestTiming {
    pub(crate) fn start(metrics: &Arc<AppMetrics>, method: &Method) -> Self {
        RequestTiming {
            metrics: Arc::clone(metrics),
            method: method_index(method),
            start: Instant::now(),
        }
    }

    /// Records the request as answered with `status` by `route` (`None`
    /// when no route answered it).
    pub(crate) fn finish(self, route: Option<MatchedRoute>, status: StatusCode) {
        let labels = RequestLabels {
            method: METHODS[usize::from(self.method)].1,
            route: route.map_or("", |route| route.0),
            status: status.as_u16(),
        };
        let elapsed = self.start.elapsed().as_secs_f64();
        self.metrics.requests.observe(labels, self.method, elapsed);
    }
}

/// The standard methods and their labels; past them, `_OTHER`.
static METHODS: [(Method, &str); 10] = [
    (Method::GET, "GET"),
    (Method::HEAD, "HEAD"),
    (Method::POST, "POST"),
    (Method::PUT, "PUT"),
    (Method::DELETE, "DELETE"),
    (Method::CONNECT, "CONNECT"),
    (Method::OPTIONS, "OPTIONS"),
    (Method::TRACE, "TRACE"),
    (Method::PATCH, "PATCH"),
    // Never compared: found or not, the last index is the fallback.
    (Method::GET, "_OTHER"),
];

/// `method`'s index in `METHODS`: a method of a client's making is
/// `_OTHER`, so it cannot grow the number of series.
fn method_index(method: &Method) -> u8 {
    let other = METHODS.len() - 1;
    let index = METHODS[..other]
        .iter()
        .position(|(known, _)| known == method)
        .unwrap_or(other);
    index as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(method: &Method) -> &'static str {
        METHODS[usize::from(method_index(method))].1
    }

    #[test]
    fn a_method_of_the_clients_making_is_other() {
        assert_eq!(label(&Method::PATCH), "PATCH");
        assert_eq!(label(&Method::GET), "GET");
        let made_up = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(label(&made_up), "_OTHER");
    }
}
