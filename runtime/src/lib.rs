//! atode (後で, "later") is an HTTP framework in which route attributes on
//! `async fn`s define the handlers, and a handler can queue
//! [`BackgroundTasks`] that run **after its response has been written**.
//!
//! ```no_run
//! use atode::{post, routes, App, BackgroundTasks, Json};
//! use serde::Serialize;
//!
//! #[derive(Serialize)]
//! struct Message {
//!     message: &'static str,
//! }
//!
//! fn write_notification(email: String, message: &'static str) -> std::io::Result<()> {
//!     std::fs::write("log.txt", format!("notification for {email}: {message}"))
//! }
//!
//! #[post("/send-notification/<email>")]
//! async fn send_notification(email: String, background_tasks: BackgroundTasks) -> Json<Message> {
//!     background_tasks.add_task(write_notification, (email, "some notification"));
//!     Json(Message { message: "Notification sent in the background" })
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     atode::run(App::new().routes(routes![send_notification])).await
//! }
//! ```
//!
//! The route attributes are [`get`], [`post`], [`put`], [`patch`],
//! [`delete`], [`head`], [`options`] and [`route`] (several methods). A path
//! names its parameters `<name>` (one segment) or `<name..>` (the rest of the
//! path); each binds the handler parameter of that name, parsed with
//! `FromStr`. A parameter of type [`BackgroundTasks`] is injected, and any
//! other parameter is an [extractor](extract).
//!
//! When and how tasks run (order, failures, shutdown) is described on
//! [`BackgroundTasks`] and in the README.
//!
//! A test drives the app in-process with [`testing::TestClient`], which
//! returns once the request's background tasks have run:
//!
//! ```
//! use atode::testing::TestClient;
//! use atode::{post, routes, App, BackgroundTasks, State};
//! use std::sync::{Arc, Mutex};
//!
//! #[derive(Clone, Default)]
//! struct Log(Arc<Mutex<Vec<String>>>);
//!
//! fn write_notification(log: Log, email: String) {
//!     log.0.lock().unwrap().push(format!("notification for {email}"));
//! }
//!
//! #[post("/send-notification/<email>")]
//! async fn send_notification(
//!     email: String,
//!     State(log): State<Log>,
//!     background_tasks: BackgroundTasks,
//! ) -> &'static str {
//!     background_tasks.add_task(write_notification, (log, email));
//!     "Notification sent in the background"
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let log = Log::default();
//! let app = App::new().state(log.clone()).routes(routes![send_notification]);
//! let response = TestClient::new(app).post("/send-notification/ada@example.com").await;
//! assert_eq!(response.text(), "Notification sent in the background");
//! assert_eq!(*log.0.lock().unwrap(), ["notification for ada@example.com"]);
//! # }
//! ```

#![warn(missing_docs)]
// A promise, not a habit: atode has no `unsafe`, and this keeps it so.
#![forbid(unsafe_code)]

mod app;
pub mod background;
pub mod body;
#[cfg(feature = "broadcast")]
pub mod broadcast;
#[cfg(feature = "cookies")]
pub mod cookies;
#[cfg(feature = "dashboard")]
pub mod dashboard;
#[cfg(feature = "durable")]
pub mod durable;
pub mod extract;
mod fx_hash;
mod json;
mod lifecycle;
pub mod lifespan;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod middleware;
#[cfg(feature = "multipart")]
pub mod multipart;
#[cfg(feature = "openapi")]
pub mod openapi;
#[cfg(feature = "otel")]
pub mod otel;
mod panic;
pub mod response;
pub mod routing;
mod serve;
mod shared;
pub mod sse;
pub mod testing;
#[cfg(test)]
mod testing_logs;
mod time;
#[cfg(feature = "validation")]
pub mod validation;
#[cfg(feature = "ws")]
pub mod ws;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use app::{App, DEFAULT_BODY_LIMIT, StartupError};
pub use background::{BackgroundTasks, TaskMonitor, TaskStats};
pub use body::{Body, BoxError};
pub use extract::{
    ErrorDetail, Form, FromRequest, FromRequestParts, Query, RemoteAddr, RequestParts, State,
    TypedHeader, ValidationError,
};
pub use json::{Json, JsonRejection};
pub use response::{Html, HttpError, IntoResponse, Redirect, Response, ResponseBody};
pub use routing::{RouteFuture, Router};
pub use serve::{DEFAULT_ADDR, Limits, Serve, run, serve, shutdown_signal};

pub use http::{HeaderMap, Method, StatusCode, Uri};

/// The `http` crate, whose types atode's API uses.
pub use http;

pub use atode_macros::{delete, get, head, options, patch, post, put, route, routes};

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
