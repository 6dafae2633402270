//! The span of one request: opened when the app receives it, named by its
//! route once routed, closed with its response's head.

use http::StatusCode;
use tracing::field::Empty;

use crate::routing::MatchedRoute;

/// A request's span, and its method for the span's final name.
pub(crate) struct RequestSpan {
    span: tracing::Span,
    method: http::Method,
}

/// The span of a request, the child of the client's span when its
/// `traceparent` header names one; `None` when nothing records spans. The
/// request carries it (`Named`) to the routing, which names it by its
/// route before the handler runs: OpenTelemetry fixes a span's name when
/// the span starts, which a task queued by the handler makes it do.
pub(crate) fn request_span<B>(request: &mut http::Request<B>) -> Option<RequestSpan> {
    let method = request.method();
    let span = tracing::info_span!(
        target: "atode::request",
        "request",
        otel.name = method.as_str(),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method.as_str(),
        url.path = request.uri().path(),
        http.route = Empty,
        http.response.status_code = Empty,
    );
    if span.is_disabled() {
        return None;
    }
    super::extract_headers(&span, request.headers());
    let method = method.clone();
    request.extensions_mut().insert(Named(span.clone()));
    Some(RequestSpan { span, method })
}

/// The request's span, as the routing finds it in the request.
#[derive(Clone)]
pub(crate) struct Named(tracing::Span);

/// Names the span of `request` by the route that answers it
/// (`POST /signup/{email}`), when the request has one.
pub(crate) fn name_request<B>(
    request: &http::Request<B>,
    route: &'static crate::routing::RouteInfo,
) {
    if let Some(Named(span)) = request.extensions().get::<Named>() {
        let name = format!("{} {}", request.method(), route.path);
        span.record("otel.name", name.as_str());
        span.record("http.route", route.path);
    }
}

impl RequestSpan {
    pub(crate) fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Records the route (for a route the routing did not name the span
    /// by, one behind its own middleware) and the status; a `5xx` marks
    /// the span an error.
    pub(crate) fn finish(self, route: Option<MatchedRoute>, status: StatusCode) {
        if let Some(MatchedRoute(route)) = route {
            self.span.record("http.route", route);
            self.span
                .record("otel.name", format!("{} {route}", self.method).as_str());
        }
        self.span
            .record("http.response.status_code", i64::from(status.as_u16()));
        if status.is_server_error() {
            self.span.record("otel.status_code", "ERROR");
        }
    }
}
