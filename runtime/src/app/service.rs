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
        request: http::Request<Body>,
        remote: Option<SocketAddr>,
    ) -> RouteFuture {
        self.service().handle(request, remote)
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
