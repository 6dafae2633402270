//! What atode's extractors add to an operation: their parameters, their
//! request body, and the responses their rejections give.

use bytes::Bytes;
use schemars::JsonSchema;
use serde_json::json;

use super::{Operation, OperationInput};
use crate::extract::{BasicAuth, BearerToken, Form, Header, Query, RemoteAddr, State, TypedHeader};
use crate::{BackgroundTasks, Json};

/// `application/json`, `422` when it does not parse or fit `T`, `413` over
/// the body limit, `415` without a JSON `Content-Type`.
impl<T: JsonSchema> OperationInput for Json<T> {
    fn operation_input(op: &mut Operation<'_>) {
        let schema = op.input_schema::<T>();
        op.request_body("application/json", schema);
        body_errors(op);
        op.validation_error();
    }
}

/// `application/x-www-form-urlencoded`; rejections as for [`Json`], and
/// `400` for a body that is not UTF-8.
impl<T: JsonSchema> OperationInput for Form<T> {
    fn operation_input(op: &mut Operation<'_>) {
        let schema = op.input_schema::<T>();
        op.request_body("application/x-www-form-urlencoded", schema);
        body_errors(op);
        op.error(400, "The body is not UTF-8");
        op.validation_error();
    }
}

/// One query parameter per field of `T`.
impl<T: JsonSchema> OperationInput for Query<T> {
    fn operation_input(op: &mut Operation<'_>) {
        op.query_parameters::<T>();
        op.validation_error();
    }
}

/// Any bytes, as `application/octet-stream`; `413` over the body limit.
impl OperationInput for Bytes {
    fn operation_input(op: &mut Operation<'_>) {
        op.request_body("application/octet-stream", json!({}));
        op.error(413, "The body is over the limit");
    }
}

/// Text, as `text/plain`; `400` if it is not UTF-8, `413` over the limit.
impl OperationInput for String {
    fn operation_input(op: &mut Operation<'_>) {
        op.request_body("text/plain", json!({ "type": "string" }));
        op.error(400, "The body is not UTF-8");
        op.error(413, "The body is over the limit");
    }
}

fn body_errors(op: &mut Operation<'_>) {
    op.error(413, "The body is over the limit");
    op.error(415, "The body's Content-Type is not the one expected");
}

/// The header `H` names, as its [`Header::operation_input`] describes it,
/// and the `422` for a missing or malformed one.
impl<H: Header> OperationInput for TypedHeader<H> {
    fn operation_input(op: &mut Operation<'_>) {
        H::operation_input(op);
        op.validation_error();
    }
}

/// The `HTTPBearer` scheme, as FastAPI names it, and the `401`.
impl OperationInput for BearerToken {
    fn operation_input(op: &mut Operation<'_>) {
        <BearerToken as Header>::operation_input(op);
        unauthorized(op, "Bearer");
    }
}

/// The `HTTPBasic` scheme and the `401`.
impl OperationInput for BasicAuth {
    fn operation_input(op: &mut Operation<'_>) {
        op.security("HTTPBasic", json!({ "type": "http", "scheme": "basic" }));
        unauthorized(op, "Basic");
    }
}

fn unauthorized(op: &mut Operation<'_>, challenge: &str) {
    if op.optional {
        return;
    }
    let schema = op.http_error();
    op.response(401, "Not authenticated").json(schema).header(
        "WWW-Authenticate",
        json!({ "type": "string", "const": challenge }),
    );
}

/// `503` with `Retry-After` while the app's cap on pending background work
/// is reached.
impl OperationInput for BackgroundTasks {
    fn operation_input(op: &mut Operation<'_>) {
        if op.optional {
            return;
        }
        let schema = op.http_error();
        op.response(503, "Too much background work is pending; retry shortly")
            .json(schema)
            .header("Retry-After", json!({ "type": "integer" }));
    }
}

/// Reads what the app holds, nothing from the request.
impl<T> OperationInput for State<T> {
    fn operation_input(_: &mut Operation<'_>) {}
}

/// Read from the connection, not the request.
impl OperationInput for RemoteAddr {
    fn operation_input(_: &mut Operation<'_>) {}
}

macro_rules! reads_nothing_documented {
    ($($ty:ty),*) => {$(
        /// Part of every request: nothing to document.
        impl OperationInput for $ty {
            fn operation_input(_: &mut Operation<'_>) {}
        }
    )*};
}
reads_nothing_documented!(http::HeaderMap, http::Method, http::Uri, http::Version);

/// What `T` reads, none of it required, and none of its rejections: the
/// handler gets `None` instead.
impl<T: OperationInput> OperationInput for Option<T> {
    fn operation_input(op: &mut Operation<'_>) {
        op.optional(T::operation_input);
    }
}

/// What `T` reads, none of it required: the handler gets the rejection.
impl<T: OperationInput, E> OperationInput for Result<T, E> {
    fn operation_input(op: &mut Operation<'_>) {
        op.optional(T::operation_input);
    }
}

#[cfg(feature = "durable")]
/// Reached through the app, not the request.
impl OperationInput for crate::durable::TaskQueue {
    fn operation_input(_: &mut Operation<'_>) {}
}
