//! What an event stream says of itself in the OpenAPI document: the schema
//! of one event, with its data's type when the events carry one.

use futures_core::Stream;
use serde_json::{Value, json};

use super::{Event, JsonEvent, Sse};
use crate::openapi::{Operation, OperationOutput};

/// What the events of an [`Sse`] stream document, one event's schema:
/// implemented by [`Event`] (its data is text) and by [`JsonEvent<T>`]
/// (its data is `T` as JSON). A type of your own that a stream yields
/// (anything `Into<Event>`) implements it to be documented.
///
/// An event is an object of the fields an `EventSource` reads (`data`,
/// `event`, `id`, `retry`): what OpenAPI 3.2 calls an event stream's
/// `itemSchema`, and what tools read `schema` as under `text/event-stream`
/// in a 3.1 document. Typed data stays a string on the wire, so it is
/// described as JSON Schema describes JSON held in a string:
/// `contentMediaType: application/json` and `contentSchema`, as OpenAPI
/// 3.2's own example of a server-sent event stream does.
///
/// ```
/// use atode::openapi::Operation;
/// use atode::sse::{Event, EventSchema};
/// use serde_json::{json, Value};
///
/// /// A line of a log, sent as its text.
/// struct LogLine(String);
///
/// impl From<LogLine> for Event {
///     fn from(line: LogLine) -> Event {
///         Event::default().event("log").data(line.0)
///     }
/// }
///
/// impl EventSchema for LogLine {
///     fn event_schema(_: &mut Operation<'_>) -> Value {
///         json!({
///             "type": "object",
///             "required": ["data", "event"],
///             "properties": { "data": { "type": "string" }, "event": { "const": "log" } },
///         })
///     }
/// }
/// ```
pub trait EventSchema {
    /// The schema of one event, as an `EventSource` reads it.
    fn event_schema(op: &mut Operation<'_>) -> Value;
}

/// `ServerSentEvent`: its data is text.
impl EventSchema for Event {
    fn event_schema(op: &mut Operation<'_>) -> Value {
        op.schemas.fixed("ServerSentEvent", || {
            event_object(json!({ "type": "string" }))
        })
    }
}

/// Its data is `T` as JSON, in the string the `data:` lines carry.
impl<T: schemars::JsonSchema> EventSchema for JsonEvent<T> {
    fn event_schema(op: &mut Operation<'_>) -> Value {
        let data = op.output_schema::<T>();
        // Inline, not in `components`: one per data type, and no name of
        // its own to give it.
        event_object(json!({
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": data,
        }))
    }
}

/// One event of the stream whose `data` is `data`.
fn event_object(data: Value) -> Value {
    json!({
        "title": "ServerSentEvent",
        "description": "One event of the stream, as an EventSource reads it: its data lines joined with line breaks, its type (`message` unless named), and its id and reconnection delay (milliseconds) if sent.",
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": data,
            "event": { "type": "string" },
            "id": { "type": "string" },
            "retry": { "type": "integer", "minimum": 0 },
        },
    })
}

/// A `text/event-stream` body whose schema describes one event of the
/// stream ([`EventSchema`]).
impl<S, I, E> OperationOutput for Sse<S>
where
    S: Stream<Item = Result<I, E>>,
    I: EventSchema,
{
    fn operation_output(op: &mut Operation<'_>) {
        let event = I::event_schema(op);
        op.this_response().content("text/event-stream", event);
    }
}
