//! `TaskQueue` as a handler parameter.

use http::StatusCode;

use super::queue::TaskQueue;
use crate::extract::Requirements;
use crate::response::json_detail;
use crate::{FromRequestParts, RequestParts, Response};

/// The app's queue: to read a call's state (`GET /tasks/<id>`), or to
/// write a call in the handler's own transaction. An app without one does
/// not start: [`App::check`](crate::App::check) names the route and says
/// to call [`App::durable`](crate::App::durable).
impl FromRequestParts for TaskQueue {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        parts.app_runner().durable_queue().ok_or_else(|| {
            tracing::error!(
                target: "atode::durable",
                route = parts.route_name(),
                "a handler takes `TaskQueue`, and the app has no durable queue: give it one with `App::durable`"
            );
            json_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        })
    }

    fn requirements(needs: &mut Requirements) {
        needs.durable_queue();
    }
}
