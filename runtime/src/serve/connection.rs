//! The service hyper drives for one connection: the app, with the client's
//! address, behind hyper's own `Service` trait, so no hyper type reaches
//! atode's public API.

use std::convert::Infallible;

use http::{Version, header};
use std::net::SocketAddr;

use super::head_deadline::HeadWatch;
use crate::routing::{RouteFuture, Routes};
use crate::{Response, ResponseBody};
use http_body::Body as _;

#[derive(Clone)]
pub(crate) struct ConnectionService {
    pub(crate) routes: Routes,
    pub(crate) remote: SocketAddr,
    /// The connection's requests in progress, for the header timeout.
    pub(crate) head: HeadWatch,
    /// The connection's place under the connection limit, which a
    /// WebSocket upgraded from it keeps.
    #[cfg(feature = "ws")]
    pub(crate) place: crate::ws::ConnectionPlace,
    /// The app's metrics, which time each request from here.
    #[cfg(feature = "metrics")]
    pub(crate) metrics: Option<std::sync::Arc<crate::metrics::AppMetrics>>,
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for ConnectionService {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    #[inline]
    fn call(
        &self,
        #[allow(unused_mut)] mut request: http::Request<hyper::body::Incoming>,
    ) -> RouteFuture {
        #[cfg(feature = "metrics")]
        let timing = (self.metrics.as_ref())
            .map(|metrics| crate::metrics::RequestTiming::start(metrics, request.method()));
        #[cfg(feature = "otel")]
        let span = crate::otel::request_span(&mut request);
        // The outermost future times the request and holds its span.
        let timed = move |future: RouteFuture| {
            #[cfg(feature = "metrics")]
            let future = future.timed(timing);
            #[cfg(feature = "otel")]
            let future = future.traced(span);
            future
        };
        let in_progress = self.head.begin(request.version());
        if request.version() == Version::HTTP_11 && !has_one_host(request.headers()) {
            return timed(RouteFuture::ready(bad_host())).holding(in_progress);
        }
        #[cfg(feature = "ws")]
        {
            route_websocket_connect_as_get(&mut request);
            // Only a request that may upgrade carries the place (hyper
            // gives no other an `OnUpgrade`), so others pay one look-up in
            // empty extensions.
            if request
                .extensions()
                .get::<hyper::upgrade::OnUpgrade>()
                .is_some()
            {
                request.extensions_mut().insert(self.place.clone());
            }
        }
        if request.body().is_end_stream() {
            return timed(self.routes.handle(request, Some(self.remote))).holding(in_progress);
        }
        // hyper 1.x ends a chunked body's trailers only at CRLF, so a bare
        // LF there would let it read the next request's head as trailers
        // and serve a request hidden after it (scripts/http1_framing.sh,
        // `trailer-bare-lf-smuggle`): no request follows a chunked one on
        // its connection. Browsers never send chunked requests.
        let chunked = request.version() <= Version::HTTP_11
            && request.headers().contains_key(header::TRANSFER_ENCODING);
        // A body to come: read under the connection's body limits.
        let request = request.map(|body| self.head.timed_body(body));
        let future = timed(self.routes.handle(request, Some(self.remote)));
        let future = if chunked {
            future.last_on_connection()
        } else {
            future
        };
        future.holding(in_progress)
    }
}

/// RFC 9112 §3.2: an HTTP/1.1 request has exactly one `Host`; without
/// one, or with two, which one the app would read is a guess.
fn has_one_host(headers: &http::HeaderMap) -> bool {
    let mut hosts = headers.get_all(header::HOST).iter();
    hosts.next().is_some() && hosts.next().is_none()
}

/// The `400` for a request without exactly one `Host`, which closes the
/// connection as any other malformed request does.
fn bad_host() -> Response {
    let mut response = crate::response::json_detail(
        http::StatusCode::BAD_REQUEST,
        "An HTTP/1.1 request must have exactly one Host header",
    );
    crate::response::close_connection(response.headers_mut());
    response
}

/// RFC 8441: over HTTP/2 a WebSocket handshake is a `CONNECT` with
/// `:protocol` `websocket`. It stands for the `GET` of HTTP/1.1, so it is
/// routed as one: a `#[get]` route with a `WebSocketUpgrade` serves both.
/// The `:protocol` stays in the extensions, for the extractor.
#[cfg(feature = "ws")]
fn route_websocket_connect_as_get<B>(request: &mut http::Request<B>) {
    if request.method() == http::Method::CONNECT
        && request
            .extensions()
            .get::<hyper::ext::Protocol>()
            .is_some_and(|protocol| protocol.as_str().eq_ignore_ascii_case("websocket"))
    {
        *request.method_mut() = http::Method::GET;
    }
}
