//! Server-sent events: a response that streams [`Event`]s as
//! `text/event-stream`, with keep-alive comments, and the `Last-Event-ID` a
//! reconnecting browser sends.
//!
//! A handler returns [`Sse`] over any [`Stream`] of
//! `Result<Event, E>`; the browser's `EventSource` reconnects when the
//! stream ends or breaks, sending the last id it saw, which the handler
//! reads with [`LastEventId`] to resume:
//!
//! ```
//! use atode::sse::{Event, KeepAlive, LastEventId, Sse};
//! use atode::{get, routes, App, testing::TestClient};
//! use std::convert::Infallible;
//!
//! #[get("/feed")]
//! async fn feed(last: Option<LastEventId>) -> Sse<impl futures_core::Stream<Item = Result<Event, Infallible>>> {
//!     // Resume after the last id the client saw.
//!     let first = last.and_then(|LastEventId(id)| id.parse::<u32>().ok()).map_or(1, |id| id + 1);
//!     let events = (first..first + 2).map(|n| Ok(Event::default().id(n.to_string()).data(format!("item {n}"))));
//!     Sse::new(tokio_stream::iter(events)).keep_alive(KeepAlive::new())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().routes(routes![feed]));
//! let resumed = client.get("/feed").header("last-event-id", "4").await;
//! assert_eq!(resumed.text(), "id: 5\ndata: item 5\n\nid: 6\ndata: item 6\n\n");
//! # }
//! ```
//!
//! A stream of [`JsonEvent<T>`]s ([`Event::json`]) sends `T` as each
//! event's JSON data, and documents `T`'s schema in the OpenAPI document.
//!
//! `examples/sse_clock.rs` is a whole program: a clock that ticks once a
//! second, resumes from `Last-Event-ID`, and logs from a background task
//! when the stream ends.

mod event;
mod json_event;
mod keep_alive;
mod last_event_id;
mod response;
#[cfg(feature = "openapi")]
mod schema;

pub use event::{Event, InvalidEvent};
pub use json_event::JsonEvent;
pub use keep_alive::{DEFAULT_KEEP_ALIVE, KeepAlive};
pub use last_event_id::LastEventId;
pub(crate) use response::ShutdownSlot;
pub use response::Sse;
#[cfg(feature = "openapi")]
pub use schema::EventSchema;

/// The stream trait [`Sse`] takes (`futures-core`'s, which tokio-stream and
/// futures share), so a handler can name `impl Stream<Item = ...>` without
/// a dependency of its own.
pub use futures_core::Stream;
