//! W3C trace context in and out: a request's `traceparent` header, and
//! the `traceparent` a durable call stores for its attempts.

#[cfg(feature = "durable")]
use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Sets `span`'s parent to the client's span a request names in its
/// `traceparent` header, if it names one.
pub(crate) fn extract_headers(span: &tracing::Span, headers: &http::HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let context = TraceContextPropagator::new().extract(&Headers(headers));
    if context.span().span_context().is_remote() {
        // Only fails for a span no OpenTelemetry layer records.
        let _ = span.set_parent(context);
    }
}

/// The trace context of the current span, when an OpenTelemetry layer
/// records it.
pub(crate) fn current_context() -> Option<opentelemetry::Context> {
    let span = tracing::Span::current();
    if span.is_disabled() {
        return None;
    }
    let context = span.context();
    context.span().span_context().is_valid().then_some(context)
}

/// Makes `span` a child of the span `context` holds.
pub(crate) fn set_parent(span: &tracing::Span, context: opentelemetry::Context) {
    // Only fails for a span no OpenTelemetry layer records.
    let _ = span.set_parent(context);
}

/// The `traceparent` of `span`, when an OpenTelemetry layer records it:
/// what a durable call stores so that its attempts join the trace.
#[cfg(feature = "durable")]
pub(crate) fn traceparent(span: &tracing::Span) -> Option<String> {
    if span.is_disabled() {
        return None;
    }
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove("traceparent")
}

/// Joins an attempt's `span` to the span that queued its call, whose
/// `traceparent` the call stored: its child for the first attempt, linked
/// for a retry (a retry is caused by the request, not part of it, and a
/// trace whose root lasted 50 ms should not stretch over an hour of
/// backoff).
#[cfg(feature = "durable")]
pub(crate) fn link_or_parent(span: &tracing::Span, traceparent: &str, first_attempt: bool) {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    let queued_by = context.span().span_context().clone();
    if !queued_by.is_valid() {
        return;
    }
    if first_attempt {
        let _ = span.set_parent(context);
    } else {
        span.add_link(queued_by);
    }
}

/// A request's headers, as the propagator reads them.
struct Headers<'h>(&'h http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}
