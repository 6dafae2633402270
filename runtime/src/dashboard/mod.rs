//! The task dashboard (feature `dashboard`), served by
//! [`App::task_dashboard`](crate::App::task_dashboard): pages over the
//! app's in-process tasks and its durable queue, and the JSON API they
//! share with the OpenAPI document.
//!
//! Under the dashboard's path (`/admin/tasks` here):
//!
//! | route | what |
//! | --- | --- |
//! | `GET /admin/tasks` | the overview: in-process tasks' counts per task and per handler (the route's function that queued them), requests per route, durable calls per state and queue, throughput and failures over the last minutes |
//! | `GET /admin/tasks/calls?state=&queue=&task=&after=&before=&cursor=` | the durable calls, newest first, filtered and paged by the database |
//! | `GET /admin/tasks/calls/{id}` | one call: arguments (secrets hidden, [`Durable::redact`](crate::durable::Durable::redact)), attempts and errors, the request that queued it |
//! | `GET /admin/tasks/api/overview`, `/api/calls`, `/api/calls/{id}` | the same as JSON |
//! | `POST /admin/tasks/api/calls/{id}/retry`, `/cancel`, `/discard` | the actions: `200`, `409` when the call's state does not allow it, `404` for an unknown id; each idempotent |
//! | `GET /admin/tasks/api/events` | server-sent events: the overview, each time it changes |
//!
//! The pages are HTML rendered on the server, readable without
//! JavaScript; a small script (served from the binary, as its style sheet
//! is) updates the counts from the events and sends the actions. An action
//! posted by a form without the script (`Accept: text/html`) answers `303
//! See Other` back to the call's page, which says what happened; any other
//! request gets JSON. A page forbids every other origin
//! (`Content-Security-Policy`), and an action sent from another site
//! (its `Origin` or `Sec-Fetch-Site` says so) is refused with `403`.

mod actions;
mod api;
mod assets;
mod events;
mod html;
mod overview;
mod pages;
mod query;
mod routes;

pub(crate) use routes::routes;

use http::StatusCode;

use crate::durable::TaskQueue;
use crate::extract::RequestParts;
use crate::response::{ResponseBody, json_detail};
use crate::routing::HandlerFuture;

/// The app's durable queue, or the answer for an app without one.
fn queue_of(parts: &RequestParts) -> Result<TaskQueue, HandlerFuture> {
    parts.shared().runner.durable_queue().ok_or_else(|| {
        let response = json_detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "the app has no durable queue (App::durable)",
        );
        Box::pin(std::future::ready(response.map(ResponseBody::plain))) as HandlerFuture
    })
}

/// The dashboard's path, from the path of the route serving `parts`,
/// which is the dashboard's followed by `suffix`.
fn base(parts: &RequestParts, suffix: &str) -> &'static str {
    let path = parts.route_path();
    path.strip_suffix(suffix).unwrap_or(path)
}
