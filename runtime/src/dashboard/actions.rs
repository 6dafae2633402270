//! The actions on one call: retry now, cancel, discard. Each is the
//! queue's own (`TaskQueue::retry`, `cancel`, `discard`), answered `200`,
//! `409` when the call's state does not allow it, or `404`; each answers
//! the same when repeated.

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use super::api::{call_id, detail, json, unavailable};
use super::routes::{CALL, CANCEL, DISCARD, RETRY};
use super::{base, queue_of};
use crate::Body;
use crate::durable::{Cancellation, Discard, Retry, TaskStatus};
use crate::extract::RequestParts;
use crate::response::ResponseBody;
use crate::routing::HandlerFuture;

#[derive(Clone, Copy)]
enum Action {
    Retry,
    Cancel,
    Discard,
}

/// What an action answers: the call's status after it, or why it was
/// refused and the status that refused it.
#[derive(Serialize)]
struct Answer<'a> {
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    status: &'a TaskStatus,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Retry => "retry",
            Action::Cancel => "cancel",
            Action::Discard => "discard",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Action::Retry => RETRY,
            Action::Cancel => CANCEL,
            Action::Discard => DISCARD,
        }
    }
}

pub(super) fn retry(parts: RequestParts, _body: Body) -> HandlerFuture {
    act(parts, Action::Retry)
}

pub(super) fn cancel(parts: RequestParts, _body: Body) -> HandlerFuture {
    act(parts, Action::Cancel)
}

pub(super) fn discard(parts: RequestParts, _body: Body) -> HandlerFuture {
    act(parts, Action::Discard)
}

fn act(parts: RequestParts, action: Action) -> HandlerFuture {
    if cross_site(&parts) {
        let refused = detail(
            StatusCode::FORBIDDEN,
            "the dashboard's actions are not taken from another site",
        );
        return Box::pin(std::future::ready(refused));
    }
    let queue = match queue_of(&parts) {
        Ok(queue) => queue,
        Err(answer) => return answer,
    };
    let id = call_id(&parts);
    let html = wants_html(&parts);
    let base = base(&parts, action.suffix());
    Box::pin(async move {
        let Some(id) = id else {
            return detail(StatusCode::NOT_FOUND, "no call has this id");
        };
        // (status code, refusal, the call's status after the action)
        let answer = match action {
            Action::Retry => queue.retry(id).await.map(|answer| match answer {
                Retry::Queued(status) => Some((StatusCode::OK, None, status)),
                Retry::Refused(status) => Some((
                    StatusCode::CONFLICT,
                    Some("a running or completed call is not retried"),
                    status,
                )),
                Retry::Unknown => None,
            }),
            Action::Cancel => queue.cancel(id).await.map(|answer| match answer {
                Cancellation::Cancelled(status) => Some((StatusCode::OK, None, status)),
                Cancellation::Finished(status) => Some((
                    StatusCode::CONFLICT,
                    Some("a completed or discarded call cannot be cancelled"),
                    status,
                )),
                Cancellation::Unknown => None,
            }),
            Action::Discard => queue.discard(id).await.map(|answer| match answer {
                Discard::Discarded(status) => Some((StatusCode::OK, None, status)),
                Discard::Refused(status) => Some((
                    StatusCode::CONFLICT,
                    Some("only a waiting call is discarded: a running one is cancelled"),
                    status,
                )),
                Discard::Unknown => None,
            }),
        };
        let (code, refusal, status) = match answer {
            Ok(Some(answer)) => answer,
            Ok(None) => return detail(StatusCode::NOT_FOUND, "no call has this id"),
            Err(error) => return unavailable(&error),
        };
        if html {
            // A form posted without the script: back to the call's page,
            // which says what happened.
            let page = CALL.replace("{id}", &id.to_string());
            let location = format!("{base}{page}?{}={}", action.name(), code.as_u16());
            return see_other(&location);
        }
        let answer = Answer {
            action: action.name(),
            detail: refusal,
            status: &status,
        };
        json(code, &answer)
    })
}

/// Whether the request came from a page of another site: a browser says
/// so (`Sec-Fetch-Site`, `Origin`), and a cookie guarding the dashboard
/// must not let another site's form act.
fn cross_site(parts: &RequestParts) -> bool {
    let headers = parts.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| parts.uri().authority().map(|authority| authority.as_str()));
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    host != Some(origin_host)
}

/// Whether the client asked for a page (a form's post), not JSON.
fn wants_html(parts: &RequestParts) -> bool {
    parts
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

fn see_other(location: &str) -> http::Response<ResponseBody> {
    let mut response = http::Response::new(Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response.map(ResponseBody::plain)
}

#[cfg(feature = "openapi")]
fn describe(op: &mut crate::openapi::Operation<'_>, done: &str, refused: &str) {
    super::api::id_parameter(op);
    let status = op.output_schema::<TaskStatus>();
    let answer = serde_json::json!({
        "type": "object",
        "properties": {
            "action": {"type": "string"},
            "detail": {"type": "string"},
            "status": status,
        },
        "required": ["action", "status"],
    });
    op.response(200, done).json(answer.clone());
    op.response(409, refused).json(answer);
    op.error(403, "Sent from another site");
    op.error(404, "No call has this id");
    op.error(503, "The durable queue could not be read");
}

#[cfg(feature = "openapi")]
pub(super) fn describe_retry(op: &mut crate::openapi::Operation<'_>) {
    describe(
        op,
        "The call is due now (already due: unchanged); it runs at a worker's next look",
        "The call is running or completed, and is left as it is",
    );
}

#[cfg(feature = "openapi")]
pub(super) fn describe_cancel(op: &mut crate::openapi::Operation<'_>) {
    describe(
        op,
        "The call is cancelled, or was: a waiting call never runs, a running `async fn` is \
         stopped, a running regular `fn` runs to its end and its result is ignored",
        "The call had completed or been discarded, and stays so",
    );
}

#[cfg(feature = "openapi")]
pub(super) fn describe_discard(op: &mut crate::openapi::Operation<'_>) {
    describe(
        op,
        "The call is discarded, or was: it never runs",
        "The call is running, completed or cancelled, and stays so",
    );
}
