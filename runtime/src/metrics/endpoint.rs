//! The metrics page: a route of the app's table, so the app's middleware
//! and layers (and a router's, with `App::metrics_with`) stand before it
//! as before any other route.

use http::{HeaderValue, StatusCode, header};

use crate::Body;
use crate::extract::RequestParts;
use crate::response::{ResponseBody, json_detail, with_content_type};
use crate::routing::{HandlerFuture, Methods, RouteDef, RouteDoc, RouteInfo};

/// The route serving the metrics at `path`, or what is wrong with `path`:
/// a plain path, without parameters (`/metrics`, `/admin/metrics`).
pub(crate) fn endpoint(path: &str) -> Result<RouteDef, String> {
    let plain = path.starts_with('/')
        && !path.contains(['{', '}', '<', '>', '*', '?', '#'])
        && !path.contains("//");
    if !plain {
        return Err(format!(
            "the metrics path {path:?} is not a plain path: it starts with `/` and has no parameters"
        ));
    }
    // One route per app that turns them on, made once: leaked, as the
    // routes a `Router` re-homes under its prefix are.
    let path: &'static str = Box::leak(path.to_owned().into_boxed_str());
    let info: &'static RouteInfo = Box::leak(Box::new(RouteInfo {
        name: "atode::metrics",
        methods: Methods::GET,
        path,
        declared: path,
        body_limit: None,
        // An operations endpoint, not part of the API the document describes.
        doc: RouteDoc {
            include_in_schema: false,
            ..RouteDoc::DEFAULT
        },
    }));
    Ok(RouteDef {
        info,
        call: serve,
        requirements: |_| {},
        #[cfg(feature = "openapi")]
        describe: |_| {},
    })
}

/// Brings the counts read at a scrape up to date (the runner's, and the
/// durable queue's depth from its database), then encodes every metric.
fn serve(parts: RequestParts, _body: Body) -> HandlerFuture {
    let app = std::sync::Arc::clone(parts.shared());
    Box::pin(async move {
        let Some(metrics) = app.metrics.clone() else {
            // Only an app with metrics has this route.
            return json_detail(StatusCode::NOT_FOUND, "Not Found").map(ResponseBody::plain);
        };
        let stats = app.runner.stats();
        metrics.background.observe_runner(&stats);
        #[cfg(feature = "durable")]
        if let Some(queue) = app.runner.durable_queue() {
            metrics.durable.observe_queue(&queue, &stats.durable).await;
        }
        let text = metrics.encode();
        let mut response = with_content_type(
            Body::from(text),
            HeaderValue::from_static(super::CONTENT_TYPE),
        );
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response.map(ResponseBody::plain)
    })
}
