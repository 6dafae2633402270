//! `JsonEvent<T>`: an event whose data is a `T`, so the route that streams
//! it documents `T`'s schema.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;

use super::Event;

/// A server-sent event whose data is `T` as JSON: what
/// [`Event::json`] makes. It goes on the wire as the [`Event`] it wraps;
/// the type is what a route's OpenAPI document reads, so an
/// `Sse<impl Stream<Item = Result<JsonEvent<Tick>, E>>>` route documents
/// `Tick`'s schema as its events' data, where a stream of plain `Event`s
/// can only say "a string".
///
/// ```
/// use atode::sse::{Event, JsonEvent, Sse, Stream};
/// use atode::{get, routes, App, testing::TestClient};
/// use serde::Serialize;
/// use std::convert::Infallible;
///
/// #[derive(Serialize, schemars::JsonSchema)]
/// struct Tick {
///     n: u32,
/// }
///
/// #[get("/ticks")]
/// async fn ticks() -> Sse<impl Stream<Item = Result<JsonEvent<Tick>, Infallible>>> {
///     let events = (1..=2).map(|n| Ok(Event::default().event("tick").json(Tick { n })));
///     Sse::new(tokio_stream::iter(events))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new().routes(routes![ticks]);
/// let document = app.openapi().unwrap();
/// let stream = &document["paths"]["/ticks"]["get"]["responses"]["200"]["content"]["text/event-stream"];
/// assert_eq!(
///     stream["schema"]["properties"]["data"]["contentSchema"]["$ref"],
///     "#/components/schemas/Tick"
/// );
/// let client = TestClient::new(app);
/// assert_eq!(
///     client.get("/ticks").await.text(),
///     "event: tick\ndata: {\"n\":1}\n\nevent: tick\ndata: {\"n\":2}\n\n"
/// );
/// # }
/// ```
#[must_use = "an event does nothing until a stream yields it"]
pub struct JsonEvent<T> {
    event: Event,
    /// `fn() -> T`: a `JsonEvent` holds no `T` (its JSON is written
    /// already), so it is `Send` and `Sync` whatever `T` is.
    data: PhantomData<fn() -> T>,
}

impl Event {
    /// Sets the data to `data` as JSON, on one line, and makes the event a
    /// [`JsonEvent<T>`], whose route documents `T` as its events' data.
    /// Should `T` fail to serialize (a map whose keys are not strings), the
    /// event cannot be written: the stream that yields it logs why and ends
    /// there, as for any [`InvalidEvent`](super::InvalidEvent).
    ///
    /// [`json_data`](Event::json_data) sets the same data and reports the
    /// error at once, but the route documents it as text.
    ///
    /// ```
    /// use atode::sse::Event;
    ///
    /// let event = Event::default().id("1").json(serde_json::json!({ "n": 1 }));
    /// assert_eq!(Event::from(event).encode().unwrap(), "id: 1\ndata: {\"n\":1}\n\n");
    /// ```
    pub fn json<T: Serialize>(self, data: T) -> JsonEvent<T> {
        let event = match serde_json::to_string(&data) {
            Ok(json) => self.data(json),
            Err(error) => self.unserializable(&error),
        };
        JsonEvent {
            event,
            data: PhantomData,
        }
    }
}

impl<T> From<JsonEvent<T>> for Event {
    fn from(event: JsonEvent<T>) -> Self {
        event.event
    }
}

impl<T> Clone for JsonEvent<T> {
    fn clone(&self) -> Self {
        JsonEvent {
            event: self.event.clone(),
            data: PhantomData,
        }
    }
}

impl<T> fmt::Debug for JsonEvent<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JsonEvent").field(&self.event).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn data_that_does_not_serialize_makes_the_event_invalid() {
        let keys_not_strings = BTreeMap::from([((1, 2), "x")]);
        let event = Event::from(Event::default().json(keys_not_strings));
        let error = event.encode().unwrap_err();
        assert_eq!(error.field(), "data");
        assert_eq!(
            error.to_string(),
            "the `data` of a server-sent event could not be written as JSON: key must be a string"
        );
    }
}
