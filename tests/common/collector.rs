//! A stand-in OpenTelemetry collector on loopback: it takes OTLP/HTTP
//! exports (`POST /v1/traces`, protobuf), answers them as a collector
//! does, and hands the spans to the test, decoded with OTLP's own message
//! types.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use tokio::sync::mpsc;

pub struct Collector {
    pub addr: SocketAddr,
    spans: mpsc::UnboundedReceiver<Span>,
}

impl Collector {
    pub async fn start() -> Collector {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (sender, spans) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let sender = sender.clone();
                    async move {
                        let path = request.uri().path().to_owned();
                        let body = request.into_body().collect().await?.to_bytes();
                        if path == "/v1/traces" {
                            let export = ExportTraceServiceRequest::decode(body)
                                .expect("an OTLP trace export in protobuf");
                            for resource in export.resource_spans {
                                for scope in resource.scope_spans {
                                    for span in scope.spans {
                                        let _ = sender.send(span);
                                    }
                                }
                            }
                        }
                        // An empty `ExportTraceServiceResponse`: all accepted.
                        let response = http::Response::builder()
                            .header(http::header::CONTENT_TYPE, "application/x-protobuf")
                            .body(Full::new(Bytes::new()))
                            .expect("a response");
                        Ok::<_, hyper::Error>(response)
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        Collector { addr, spans }
    }

    /// The OTLP endpoint to give an exporter (`OTEL_EXPORTER_OTLP_ENDPOINT`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next span exported that `wanted` accepts, skipping the others.
    pub async fn span(&mut self, what: &str, wanted: impl Fn(&Span) -> bool) -> Span {
        super::within(what, async {
            loop {
                let span = self.spans.recv().await.expect("the collector runs");
                if wanted(&span) {
                    return span;
                }
            }
        })
        .await
    }
}
