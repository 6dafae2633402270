//! Live updates: the overview as a server-sent event each time it
//! changes, read once a second on the server; the page listens with
//! `EventSource` and polls nothing.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::overview;
use crate::Body;
use crate::extract::RequestParts;
use crate::response::{IntoResponse, ResponseBody};
use crate::routing::HandlerFuture;
use crate::sse::{Event, KeepAlive, ShutdownSlot, Sse};

/// How often the counts are read for a listening page.
const EVERY: Duration = Duration::from_secs(1);

pub(super) fn serve(parts: RequestParts, _body: Body) -> HandlerFuture {
    let app = Arc::clone(parts.shared());
    let closing = parts.closing();
    let (events, received) = mpsc::channel::<Result<Event, Infallible>>(1);
    // Ends when the page goes (the send fails) or the server stops.
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = None;
        loop {
            every.tick().await;
            let Ok(now) = overview::read(&app).await else {
                // A database that does not answer: the page keeps the last.
                continue;
            };
            if last.as_ref() == Some(&now) {
                continue;
            }
            let Ok(event) = Event::default().event("overview").json_data(&now) else {
                continue;
            };
            if events.send(Ok(event)).await.is_err() {
                return;
            }
            last = Some(now);
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(received);
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new())
        .into_response();
    if let Some(slot) = response.extensions_mut().remove::<ShutdownSlot>() {
        slot.connect(closing);
    }
    Box::pin(std::future::ready(response.map(ResponseBody::plain)))
}
