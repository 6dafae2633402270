//! What atode's response types add to an operation.

use std::borrow::Cow;
use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use schemars::JsonSchema;
use serde_json::json;

use super::{Operation, OperationOutput, Status};
use crate::extract::{BodyRejection, FormRejection};
use crate::response::{Html, Redirect};
use crate::{BackgroundTasks, HttpError, Json, JsonRejection, ValidationError};

const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const OCTETS: &str = "application/octet-stream";

/// `T` as JSON.
impl<T: JsonSchema> OperationOutput for Json<T> {
    fn operation_output(op: &mut Operation<'_>) {
        let schema = op.output_schema::<T>();
        op.this_response().json(schema);
    }
}

macro_rules! text {
    ($($ty:ty),*) => {$(
        /// Text, as `text/plain; charset=utf-8`.
        impl OperationOutput for $ty {
            fn operation_output(op: &mut Operation<'_>) {
                op.this_response().content(TEXT, json!({ "type": "string" }));
            }
        }
    )*};
}
text!(&'static str, String, Cow<'static, str>);

macro_rules! octets {
    ($($ty:ty),*) => {$(
        /// Bytes, as `application/octet-stream`.
        impl OperationOutput for $ty {
            fn operation_output(op: &mut Operation<'_>) {
                op.this_response().content(OCTETS, json!({}));
            }
        }
    )*};
}
octets!(Bytes, Vec<u8>);

/// A page, as `text/html; charset=utf-8`.
impl<T> OperationOutput for Html<T> {
    fn operation_output(op: &mut Operation<'_>) {
        op.this_response()
            .content(HTML, json!({ "type": "string" }));
    }
}

/// No body.
impl OperationOutput for () {
    fn operation_output(op: &mut Operation<'_>) {
        op.this_response();
    }
}

/// Never answers.
impl OperationOutput for Infallible {
    fn operation_output(_: &mut Operation<'_>) {}
}

/// A status chosen at run time, with no body: the route's `status = ...`,
/// or `default`.
impl OperationOutput for StatusCode {
    fn operation_output(op: &mut Operation<'_>) {
        op.with_status_at_run_time(|op| {
            op.this_response();
        });
    }
}

/// A `3XX` (or the route's `status = ...`) with its `Location`.
impl OperationOutput for Redirect {
    fn operation_output(op: &mut Operation<'_>) {
        let status = match op.declared {
            Some(declared) if op.status == op.success => declared,
            _ => Status::Class(3),
        };
        op.response(status, "Redirect")
            .header("Location", json!({ "type": "string" }));
    }
}

/// `T`, at a status chosen at run time: the route's `status = ...`, or
/// `default`.
impl<T: OperationOutput> OperationOutput for (StatusCode, T) {
    fn operation_output(op: &mut Operation<'_>) {
        op.with_status_at_run_time(T::operation_output);
    }
}

/// `T`, at a status chosen at run time.
impl<T: OperationOutput> OperationOutput for (StatusCode, HeaderMap, T) {
    fn operation_output(op: &mut Operation<'_>) {
        op.with_status_at_run_time(T::operation_output);
    }
}

/// `T`, at a status chosen at run time.
impl<K, V, const N: usize, T: OperationOutput> OperationOutput for (StatusCode, [(K, V); N], T) {
    fn operation_output(op: &mut Operation<'_>) {
        op.with_status_at_run_time(T::operation_output);
    }
}

/// `T`, with headers of the handler's choosing.
impl<T: OperationOutput> OperationOutput for (HeaderMap, T) {
    fn operation_output(op: &mut Operation<'_>) {
        T::operation_output(op);
    }
}

/// `T`, with headers of the handler's choosing.
impl<K, V, const N: usize, T: OperationOutput> OperationOutput for ([(K, V); N], T) {
    fn operation_output(op: &mut Operation<'_>) {
        T::operation_output(op);
    }
}

/// `T`: the tasks add nothing to the response.
impl<T: OperationOutput> OperationOutput for (T, BackgroundTasks) {
    fn operation_output(op: &mut Operation<'_>) {
        T::operation_output(op);
    }
}

/// Both sides: `T` at the route's success status, `E` at the statuses it
/// documents, or `default`.
impl<T: OperationOutput, E: OperationOutput> OperationOutput for Result<T, E> {
    fn operation_output(op: &mut Operation<'_>) {
        T::operation_output(op);
        op.with_status(Status::Default, E::operation_output);
    }
}

/// The `422` in FastAPI's shape.
impl OperationOutput for ValidationError {
    fn operation_output(op: &mut Operation<'_>) {
        op.validation_error();
    }
}

/// `413`, `415` and `422`, as [`Json`] rejects.
impl OperationOutput for JsonRejection {
    fn operation_output(op: &mut Operation<'_>) {
        BodyRejection::operation_output(op);
        op.validation_error();
    }
}

/// `400`, `413`, `415` and `422`, as [`Form`](crate::Form) rejects.
impl OperationOutput for FormRejection {
    fn operation_output(op: &mut Operation<'_>) {
        BodyRejection::operation_output(op);
        op.validation_error();
    }
}

/// `400`, `413` and `415`.
impl OperationOutput for BodyRejection {
    fn operation_output(op: &mut Operation<'_>) {
        op.error(400, "The body could not be read");
        op.error(413, "The body is over the limit");
        op.error(415, "The body's Content-Type is not the one expected");
    }
}

/// `{"detail": ...}` at a status chosen at run time: on the error side of
/// a `Result`, each status of the route's `errors = [...]` with its reason
/// as the description, or `default` when the route lists none; else the
/// route's `status = ...`, or `default`.
impl OperationOutput for HttpError {
    fn operation_output(op: &mut Operation<'_>) {
        let schema = op.schemas.fixed("HTTPException", || {
            json!({
                "title": "HTTPException",
                "type": "object",
                "required": ["detail"],
                "properties": { "detail": { "title": "Detail" } },
            })
        });
        if op.status == Status::Default && !op.errors.is_empty() {
            // The statuses listed replace `default`: it would say that any
            // other status is an `HttpError` too, which the route denies.
            for &code in op.errors {
                let reason = StatusCode::from_u16(code)
                    .ok()
                    .and_then(|status| status.canonical_reason())
                    .unwrap_or("Error");
                op.response(code, reason).json(schema.clone());
            }
            op.errors_described = true;
            return;
        }
        op.with_status_at_run_time(|op| {
            op.this_response().json(schema);
        });
    }
}
