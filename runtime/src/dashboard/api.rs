//! The JSON API the pages and the OpenAPI document share: the overview, a
//! page of calls, and one call.

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::Value;

use super::{overview, query, queue_of};
use crate::Body;
use crate::durable::calls::{CallPage, CallRow};
use crate::durable::{DurableError, TaskId, TaskQueue, TaskStatus};
use crate::extract::RequestParts;
use crate::response::{ResponseBody, json_detail, with_content_type};
use crate::routing::HandlerFuture;

/// A call in a list: its status, and where it is queued.
#[derive(Debug, Serialize)]
pub(super) struct CallSummary {
    #[serde(flatten)]
    pub(super) status: TaskStatus,
    pub(super) queue: String,
}

/// A page of calls, newest first; `next_cursor` asks for the next.
#[derive(Debug, Serialize)]
pub(super) struct CallList {
    pub(super) calls: Vec<CallSummary>,
    pub(super) next_cursor: Option<i64>,
}

/// One call whole.
#[derive(Debug, Serialize)]
pub(super) struct CallDetail {
    #[serde(flatten)]
    pub(super) status: TaskStatus,
    pub(super) queue: String,
    pub(super) priority: i16,
    /// The arguments, in the task's parameters' order, secrets hidden.
    pub(super) args: Value,
    /// The failed attempts, oldest first.
    pub(super) errors: Vec<AttemptError>,
    /// When the last attempt started.
    pub(super) attempted_at: Option<String>,
    /// The workers (River clients) that ran an attempt.
    pub(super) attempted_by: Vec<String>,
    pub(super) queued_by: QueuedBy,
}

#[derive(Debug, Serialize)]
pub(super) struct AttemptError {
    pub(super) attempt: i32,
    pub(super) at: String,
    pub(super) error: String,
}

/// The request that queued a call, as far as it was recorded with it: its
/// route (by an app with the dashboard), and its trace (with `otel`, when
/// its spans were recorded); the trace id is the request's id in a trace
/// viewer.
#[derive(Debug, Default, Serialize)]
pub(super) struct QueuedBy {
    pub(super) route: Option<String>,
    pub(super) trace_id: Option<String>,
    pub(super) traceparent: Option<String>,
}

impl CallSummary {
    fn of(call: CallRow) -> Option<Self> {
        Some(CallSummary {
            status: TaskStatus::from_row(call.id?, &call.row),
            queue: call.row.queue,
        })
    }
}

impl CallList {
    pub(super) fn of(page: CallPage) -> Self {
        CallList {
            // A row without an atode id is no call of atode's.
            calls: page.calls.into_iter().filter_map(CallSummary::of).collect(),
            next_cursor: page.next,
        }
    }
}

impl CallDetail {
    pub(super) fn of(queue: &TaskQueue, id: TaskId, call: CallRow) -> Self {
        let row = call.row;
        let envelope: Value = serde_json::from_str(row.encoded_args.get()).unwrap_or(Value::Null);
        let mut args = envelope.get("args").cloned().unwrap_or(Value::Null);
        queue.redactions().apply(&row.kind, &mut args);
        let text = |key: &str| row.metadata.get::<String>(key).ok().flatten();
        let traceparent =
            text("traceparent").or_else(|| Some(envelope.get("traceparent")?.as_str()?.to_owned()));
        let queued_by = QueuedBy {
            route: text("atode_route")
                .or_else(|| Some(envelope.get("route")?.as_str()?.to_owned())),
            // `00-<trace id>-<span id>-<flags>`.
            trace_id: traceparent
                .as_deref()
                .and_then(|parent| parent.split('-').nth(1))
                .map(str::to_owned),
            traceparent,
        };
        CallDetail {
            status: TaskStatus::from_row(id, &row),
            queue: row.queue.clone(),
            priority: row.priority,
            args,
            errors: row
                .errors
                .iter()
                .map(|error| AttemptError {
                    attempt: error.attempt,
                    at: error.at.to_string(),
                    error: error.error.clone(),
                })
                .collect(),
            attempted_at: row.attempted_at.map(|at| at.to_string()),
            attempted_by: row.attempted_by.clone(),
            queued_by,
        }
    }
}

/// `value` as a `200` JSON response, never stored.
pub(super) fn json(status: StatusCode, value: &impl Serialize) -> http::Response<ResponseBody> {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut response = with_content_type(
        Body::from(body),
        HeaderValue::from_static("application/json"),
    );
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.map(ResponseBody::plain)
}

/// The answer to a database that did not answer.
pub(super) fn unavailable(error: &DurableError) -> http::Response<ResponseBody> {
    tracing::warn!(target: "atode::dashboard", %error, "the durable queue could not be read");
    json_detail(
        StatusCode::SERVICE_UNAVAILABLE,
        "the durable queue could not be read",
    )
    .map(ResponseBody::plain)
}

pub(super) fn detail(status: StatusCode, detail: &str) -> http::Response<ResponseBody> {
    json_detail(status, detail).map(ResponseBody::plain)
}

pub(super) fn overview(parts: RequestParts, _body: Body) -> HandlerFuture {
    let app = std::sync::Arc::clone(parts.shared());
    Box::pin(async move {
        match overview::read(&app).await {
            Ok(overview) => json(StatusCode::OK, &overview),
            Err(error) => unavailable(&error),
        }
    })
}

pub(super) fn calls(parts: RequestParts, _body: Body) -> HandlerFuture {
    let queue = match queue_of(&parts) {
        Ok(queue) => queue,
        Err(answer) => return answer,
    };
    let filter = query::filter(parts.uri().query());
    Box::pin(async move {
        let filter = match filter {
            Ok(filter) => filter,
            Err(problem) => return detail(StatusCode::BAD_REQUEST, &problem),
        };
        match queue.list_calls(&filter).await {
            Ok(page) => json(StatusCode::OK, &CallList::of(page)),
            Err(error) => unavailable(&error),
        }
    })
}

pub(super) fn call(parts: RequestParts, _body: Body) -> HandlerFuture {
    let queue = match queue_of(&parts) {
        Ok(queue) => queue,
        Err(answer) => return answer,
    };
    let id = call_id(&parts);
    Box::pin(async move {
        let Some(id) = id else {
            return detail(StatusCode::NOT_FOUND, "no call has this id");
        };
        match queue.call_row(id).await {
            Ok(Some(call)) => json(StatusCode::OK, &CallDetail::of(&queue, id, call)),
            Ok(None) => detail(StatusCode::NOT_FOUND, "no call has this id"),
            Err(error) => unavailable(&error),
        }
    })
}

/// The `{id}` of the route's path, if it is a task id.
pub(super) fn call_id(parts: &RequestParts) -> Option<TaskId> {
    parts.path_param(0)?.parse().ok()
}

#[cfg(feature = "openapi")]
pub(super) fn describe_overview(op: &mut crate::openapi::Operation<'_>) {
    op.response(
        200,
        "In-process counts per task and per handler, requests per route; durable calls per state and queue; \
         throughput and failure rate over the last five minutes",
    )
    .json(serde_json::json!({"type": "object"}));
    op.error(503, "The durable queue could not be read");
}

#[cfg(feature = "openapi")]
pub(super) fn describe_calls(op: &mut crate::openapi::Operation<'_>) {
    use crate::openapi::ParameterIn;
    let text = serde_json::json!({"type": "string"});
    for name in [
        "state", "queue", "task", "after", "before", "cursor", "limit",
    ] {
        op.parameter(ParameterIn::Query, name, text.clone(), false);
    }
    let status = op.output_schema::<TaskStatus>();
    op.response(200, "A page of calls, newest first")
        .json(serde_json::json!({
            "type": "object",
            "properties": {
                "calls": {"type": "array", "items": status},
                "next_cursor": {"type": ["integer", "null"]},
            },
            "required": ["calls", "next_cursor"],
        }));
    op.error(400, "A filter could not be read");
    op.error(503, "The durable queue could not be read");
}

#[cfg(feature = "openapi")]
pub(super) fn describe_call(op: &mut crate::openapi::Operation<'_>) {
    id_parameter(op);
    op.response(
        200,
        "The call: its status, arguments (secrets hidden), attempts' errors, and the request that queued it",
    )
    .json(serde_json::json!({"type": "object"}));
    op.error(404, "No call has this id");
    op.error(503, "The durable queue could not be read");
}

#[cfg(feature = "openapi")]
pub(super) fn id_parameter(op: &mut crate::openapi::Operation<'_>) {
    op.parameter(
        crate::openapi::ParameterIn::Path,
        "id",
        serde_json::json!({"type": "string", "format": "uuid"}),
        true,
    );
}
