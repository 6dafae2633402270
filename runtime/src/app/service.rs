//! The app as a tower service: for driving it from tower or hyper code of
//! your own, and for the server and the `TestClient`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::Bytes;

use super::App;
use crate::extract::RemoteAddr;
use crate::routing::RouteFuture;
use crate::{Body, BoxError, Response, ResponseBody};

impl App {
    /// Serves one request through the layers (if any) and the routing.
    pub(crate) fn handle(
        &self,
        #[cfg_attr(not(feature = "otel"), allow(unused_mut))] mut request: http::Request<Body>,
        remote: Option<SocketAddr>,
    ) -> RouteFuture {
        #[cfg(feature = "metrics")]
        let timing = (self.shared().metrics.as_ref())
            .map(|metrics| crate::metrics::RequestTiming::start(metrics, request.method()));
        #[cfg(feature = "otel")]
        let span = crate::otel::request_span(&mut request);
        let future = self.service().handle(request, remote);
        #[cfg(feature = "metrics")]
        let future = future.timed(timing);
        #[cfg(feature = "otel")]
        let future = future.traced(span);
        future
    }
}

impl<B> tower_service::Service<http::Request<B>> for App
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> RouteFuture {
        let request = request.map(Body::new);
        let remote = request.extensions().get::<RemoteAddr>().map(|addr| addr.0);
        self.handle(request, remote)
    }
}
