//! The service hyper drives for one connection: the app, with the client's
//! address, behind hyper's own `Service` trait, so no hyper type reaches
//! atode's public API.

use std::convert::Infallible;
use std::net::SocketAddr;

use crate::routing::{RouteFuture, Routes};
use crate::{Body, Response, ResponseBody};

#[derive(Clone)]
pub(crate) struct ConnectionService {
    pub(crate) routes: Routes,
    pub(crate) remote: SocketAddr,
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for ConnectionService {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn call(&self, request: http::Request<hyper::body::Incoming>) -> RouteFuture {
        self.routes
            .handle(request.map(Body::incoming), Some(self.remote))
    }
}
