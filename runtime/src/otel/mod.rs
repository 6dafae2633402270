//! One trace from a request to its tasks (feature `otel`), for
//! OpenTelemetry: with the feature on, atode makes
//!
//! - a span per request (`otel.kind = server`), the child of the client's
//!   span when the request carries a W3C `traceparent`, named
//!   `METHOD /route/{template}` once routed, with the status;
//! - a span per in-process background task, a child of its request's;
//! - a span for the request's commit of its durable calls, a child of its
//!   request's;
//! - a span per durable attempt, in whatever process runs it: the call
//!   stores the `traceparent` of the span that queued it, its first
//!   attempt is that span's child and each retry is linked to it, so a
//!   trace viewer shows the request, and every attempt under or beside it.
//!
//! They are [`tracing`] spans; [`Otel::layer`] turns them (and the app's
//! own) into OpenTelemetry spans, and [`Otel::from_env`] exports them over
//! OTLP/HTTP as the standard `OTEL_*` environment variables say
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_SERVICE_NAME`, ...):
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_subscriber::util::SubscriberInitExt;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let otel = atode::otel::Otel::from_env()?;
//! tracing_subscriber::registry().with(otel.layer()).init();
//! atode::run(atode::App::new()).await?;
//! otel.shutdown().await; // sends what is left
//! # Ok(()) }
//! ```
//!
//! Without a layer, the spans cost what a disabled `tracing` span costs.

mod context;
mod request;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_subscriber::registry::LookupSpan;

pub(crate) use context::{current_context, extract_headers, set_parent};
#[cfg(feature = "durable")]
pub(crate) use context::{link_or_parent, traceparent};
pub(crate) use request::{RequestSpan, name_request, request_span};

/// A tracer provider, and the [`tracing`] layer that feeds it atode's
/// spans and the app's.
#[derive(Debug)]
pub struct Otel {
    provider: SdkTracerProvider,
}

impl Otel {
    /// Exports spans over OTLP/HTTP (protobuf), in batches, as the
    /// `OTEL_*` environment variables configure it: the endpoint
    /// (`http://localhost:4318` by default), headers, timeout, and the
    /// service's name and attributes. Call it inside a Tokio runtime: the
    /// batches are sent from it.
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() {
    /// // OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 OTEL_SERVICE_NAME=shop
    /// let otel = atode::otel::Otel::from_env().expect("an OTLP exporter");
    /// # drop(otel);
    /// # }
    /// ```
    pub fn from_env() -> Result<Otel, OtelError> {
        use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;

        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .map_err(|error| OtelError(error.to_string()))?;
        let processor =
            BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(opentelemetry_sdk::Resource::builder().build())
            .build();
        Ok(Otel { provider })
    }

    /// Spans to `provider`, made by the caller: another exporter, or the
    /// SDK's in-memory one in a test.
    ///
    /// ```
    /// use opentelemetry_sdk::trace::SdkTracerProvider;
    ///
    /// let otel = atode::otel::Otel::with_provider(SdkTracerProvider::builder().build());
    /// # drop(otel);
    /// ```
    pub fn with_provider(provider: SdkTracerProvider) -> Otel {
        Otel { provider }
    }

    /// The [`tracing_subscriber`] layer that makes OpenTelemetry spans of
    /// `tracing`'s, atode's included.
    ///
    /// ```
    /// use opentelemetry_sdk::trace::SdkTracerProvider;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let otel = atode::otel::Otel::with_provider(SdkTracerProvider::builder().build());
    /// let subscriber = tracing_subscriber::registry().with(otel.layer());
    /// # drop(subscriber);
    /// ```
    pub fn layer<S>(&self) -> tracing_opentelemetry::OpenTelemetryLayer<S, SdkTracer>
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer().with_tracer(self.provider.tracer("atode"))
    }

    /// Sends the spans not sent yet, and stops the exporter; an error is
    /// logged. The SDK waits for its exporter by blocking a thread: one
    /// of Tokio's blocking threads, so that the runtime's workers go on
    /// sending the last batch meanwhile.
    pub async fn shutdown(self) {
        let provider = self.provider;
        let stopped = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        match stopped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(target: "atode::otel", %error, "the span exporter did not shut down cleanly")
            }
            Err(error) => {
                tracing::warn!(target: "atode::otel", %error, "the span exporter's shutdown panicked")
            }
        }
    }
}

/// Why the OTLP exporter could not be made: an `OTEL_*` variable it could
/// not read, said in the message.
#[derive(Debug)]
pub struct OtelError(String);

impl std::fmt::Display for OtelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the OTLP span exporter could not be made: {}", self.0)
    }
}

impl std::error::Error for OtelError {}
