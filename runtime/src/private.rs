//! What the route macros' generated code calls. Not a public API: names
//! here change without notice.

pub use crate::extract::{FromRequest, FromRequestParts, PathParser, RequestParts, Requirements};
pub use crate::routing::route::HandlerFuture;
pub use crate::routing::{Methods, RouteDef, RouteDoc, RouteHandler, RouteInfo};

#[cfg(feature = "openapi")]
pub use crate::openapi::Operation;
#[cfg(feature = "openapi")]
pub use crate::openapi::probe;

/// Its input, when atode is built with its `openapi` feature; else nothing.
/// The route macros wrap what they generate for the document in it, since
/// they cannot see atode's features.
#[cfg(feature = "openapi")]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_openapi {
    ($($item:tt)*) => { $($item)* };
}

/// Its input, when atode is built with its `openapi` feature; else nothing.
#[cfg(not(feature = "openapi"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_openapi {
    ($($item:tt)*) => {};
}

pub use crate::__if_openapi as if_openapi;

pub use crate::background::task::{Async, Blocking};
pub use crate::extract::validated;
pub use crate::extract::{ViaParts, ViaRequest};

#[cfg(feature = "durable")]
pub use crate::background::task::Work;

/// One attempt of a `#[task]` regular `fn`: run on a blocking thread.
#[cfg(feature = "durable")]
pub fn task_blocking<F, R>(function: F) -> Work
where
    F: FnOnce() -> R + Send + 'static,
    R: crate::background::TaskResult,
{
    Work::blocking(function)
}

/// One attempt of a `#[task]` `async fn`.
#[cfg(feature = "durable")]
pub fn task_future<F>(future: F) -> Work
where
    F: Future + Send + 'static,
    F::Output: crate::background::TaskResult,
{
    Work::future(future)
}

use std::pin::Pin;

use crate::background::CompletionBody;
use crate::response::{HandlerFailed, overloaded};
use crate::{BackgroundTasks, Body, IntoResponse, Response, ResponseBody};

/// The handler's return value as a response. A function rather than a
/// method call so a type error points at the handler's return type.
pub fn into_response<T: IntoResponse>(value: T) -> Response {
    value.into_response()
}

/// A route's `status = N`: the status of a response the handler returned
/// successfully and left at `200`. An `Err`'s response keeps its own.
pub fn declared_status(mut response: Response, status: u16) -> Response {
    if response.status() == http::StatusCode::OK
        && response.extensions().get::<HandlerFailed>().is_none()
    {
        if let Ok(status) = http::StatusCode::from_u16(status) {
            *response.status_mut() = status;
        }
    }
    response
}

/// Boxes the generated future. The bound is where a handler whose future is
/// not `Send` (an `Rc` held across an `.await`) is reported.
pub fn boxed<F>(future: F) -> HandlerFuture
where
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    Box::pin(future)
}

/// The `503` for a request the app's cap refused, checked after the
/// extractors and before the handler; `None` for a request admitted (or
/// one that never reached for its tasks).
pub fn refusal(parts: &RequestParts) -> Option<Response> {
    parts.refused().then(overloaded)
}

/// Ends a request: attaches its background tasks to the response body, or
/// discards them (with a logged count) when the request failed. `result` is
/// `Err` when an extractor rejected the request before the handler ran.
///
/// The response comes back at once (`Ok`) unless the request has durable
/// calls to write first: then `Err` holds the write, to await. The request
/// stays where it is (in the route's future) and is dropped with it.
///
/// Inlined into each route's future for the common case, a request that
/// reached for no tasks answered by a response that carries none: its
/// body is the response's, with nothing attached.
#[inline]
pub fn finish(
    parts: &mut RequestParts,
    result: Result<Response, Response>,
) -> Result<Response<ResponseBody>, Writing<'_>> {
    match result {
        Ok(response) if parts.untouched_work() && response.extensions().is_empty() => {
            Ok(response.map(ResponseBody::plain))
        }
        result => finish_work(parts, result),
    }
}

/// [`finish`] for a request with work, or an answer that carries some or
/// failed.
fn finish_work(
    parts: &mut RequestParts,
    result: Result<Response, Response>,
) -> Result<Response<ResponseBody>, Writing<'_>> {
    let (mut response, rejected) = match result {
        Ok(response) => (response, false),
        Err(rejection) => (rejection, true),
    };
    let mut carries = Carries::take(&mut response, parts);
    // Work the handler returned is admitted under the cap as queued work
    // is; past it the whole request is refused, before any durable call of
    // it is written.
    let returns_work = carries.error_path.is_some()
        || (!rejected && !carries.failed && carries.tasks.as_ref().is_some_and(|t| !t.is_empty()));
    let refused = parts.refused() || (returns_work && !parts.admit_returned());
    if refused {
        // Discarded with the request's own tasks, and counted there.
        if let Some(error_path) = carries.error_path.take() {
            carries.tasks = Some(match carries.tasks.take() {
                Some(tasks) => {
                    tasks.append(&error_path);
                    tasks
                }
                None => error_path,
            });
        }
    }
    #[allow(unused_mut)]
    let mut reason = if refused {
        Some("the app's cap on pending background work was reached")
    } else if rejected {
        Some("an extractor rejected the request")
    } else if carries.failed {
        Some("its handler returned an error")
    } else {
        None
    };
    // The handler succeeded: its durable calls are written before the
    // response's first byte, or the client is told the work was not taken.
    #[cfg(feature = "durable")]
    if reason.is_none() {
        let jobs = parts.take_durable(carries.tasks.as_ref());
        if !jobs.is_empty() {
            return Err(Box::pin(async move {
                if let Err(unwritten) = parts.write_durable(jobs).await {
                    reason = Some("its durable tasks could not be written to the queue");
                    response = unwritten;
                }
                complete(parts, response, carries, reason, refused)
            }));
        }
    }
    Ok(complete(parts, response, carries, reason, refused))
}

/// What a response brought back for the request's work.
struct Carries {
    /// The handler returned an error (its tasks must not run).
    failed: bool,
    /// A list of tasks the response carries.
    tasks: Option<BackgroundTasks>,
    /// Work an error brought for its own path.
    error_path: Option<BackgroundTasks>,
}

impl Carries {
    fn take(response: &mut Response, parts: &RequestParts) -> Self {
        // Most responses carry nothing: skip the three look-ups.
        if response.extensions().is_empty() {
            return Carries {
                failed: false,
                tasks: None,
                error_path: None,
            };
        }
        let extensions = response.extensions_mut();
        // A server-sent event stream ends when the server shuts down.
        if let Some(slot) = extensions.remove::<crate::sse::ShutdownSlot>() {
            slot.connect(parts.closing());
        }
        Carries {
            failed: extensions.remove::<HandlerFailed>().is_some(),
            tasks: extensions.remove::<BackgroundTasks>(),
            error_path: extensions
                .remove::<crate::response::ErrorPathTasks>()
                .map(|tasks| tasks.0)
                .filter(|tasks| !tasks.is_empty()),
        }
    }
}

/// Hands the request's work on (or discards it, for `reason`) and attaches
/// what runs after the response to its body.
fn complete(
    parts: &mut RequestParts,
    response: Response,
    carries: Carries,
    reason: Option<&'static str>,
    refused: bool,
) -> Response<ResponseBody> {
    let tasks = parts.finish_work(carries.tasks, reason, carries.error_path);
    if refused {
        // Whatever an extractor made of the refusal, the client is told to retry.
        return overloaded().map(ResponseBody::plain);
    }
    match tasks {
        Some(tasks) => {
            response.map(|body| ResponseBody::direct(CompletionBody::with_tasks(body, tasks)))
        }
        None => response.map(ResponseBody::plain),
    }
}

/// The rest of [`finish`] for a request whose durable calls are still
/// being written.
pub type Writing<'a> = Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send + 'a>>;

/// The body a generated route receives.
pub type RequestBody = Body;

/// The runtime's decoders, for the fuzz targets and property tests.
pub mod fuzz {
    use std::borrow::Cow;

    use serde::de::DeserializeOwned;

    use crate::ValidationError;

    /// Percent-decodes one path segment; `None` if it is not UTF-8.
    pub fn decode_path_segment(raw: &str) -> Option<Cow<'_, str>> {
        crate::extract::decode::percent_decode(raw)
    }

    /// Checks a raw `<rest..>` value: `Ok` only for a safe relative path.
    pub fn check_rest_path(raw: &str) -> Result<(), &'static str> {
        crate::extract::path::safe_relative_path(raw)
    }

    /// Deserializes a query string as `Query<T>` does.
    pub fn query<T: DeserializeOwned>(raw: &str) -> Result<T, ValidationError> {
        crate::extract::urlencoded::from_urlencoded(
            raw,
            "query",
            crate::extract::DEFAULT_MAX_FIELDS,
        )
    }
}
