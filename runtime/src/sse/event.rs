//! `Event`: one server-sent event, and its bytes on the wire.

use std::fmt;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};

/// One server-sent event: what a [`Sse`](super::Sse) stream yields, written
/// as the `text/event-stream` format says.
///
/// Each field is optional. `data` may hold several lines; each becomes a
/// `data:` line of its own, and the browser joins them back with `\n`.
/// `id` and `event` are one line each: a line break in them (or a NUL in
/// `id`, which browsers would drop the field for) makes the event invalid,
/// and [`encode`](Event::encode) says why.
///
/// ```
/// use atode::sse::Event;
/// use std::time::Duration;
///
/// let event = Event::default()
///     .event("tick")
///     .id("7")
///     .retry(Duration::from_secs(3))
///     .data("first line\nsecond line");
/// assert_eq!(
///     event.encode().unwrap(),
///     "event: tick\nid: 7\nretry: 3000\ndata: first line\ndata: second line\n\n"
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use = "an event does nothing until a stream yields it"]
pub struct Event {
    comment: Option<String>,
    event: Option<String>,
    id: Option<String>,
    retry: Option<Duration>,
    data: Option<String>,
    invalid: Option<InvalidEvent>,
}

impl Event {
    /// Sets the event's data (replacing any set before). Line breaks
    /// (`\n`, `\r\n` or `\r`) split it into one `data:` line each.
    ///
    /// ```
    /// use atode::sse::Event;
    ///
    /// let event = Event::default().data("a\r\nb\n");
    /// assert_eq!(event.encode().unwrap(), "data: a\ndata: b\ndata: \n\n");
    /// ```
    pub fn data(mut self, data: impl Into<String>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Sets the data to `value` as JSON, on one line (JSON escapes its line
    /// breaks). Fails only where `serde_json` would, such as a map whose
    /// keys are not strings.
    ///
    /// ```
    /// use atode::sse::Event;
    ///
    /// let event = Event::default().json_data(serde_json::json!({ "n": 1 })).unwrap();
    /// assert_eq!(event.encode().unwrap(), "data: {\"n\":1}\n\n");
    /// ```
    pub fn json_data<T: serde::Serialize>(self, value: T) -> Result<Self, serde_json::Error> {
        Ok(self.data(serde_json::to_string(&value)?))
    }

    /// Sets the event's type, which the browser dispatches it as
    /// (`addEventListener("tick", ...)`); without one it is a `message`.
    ///
    /// ```
    /// use atode::sse::Event;
    ///
    /// assert_eq!(Event::default().event("tick").encode().unwrap(), "event: tick\n\n");
    /// let broken = Event::default().event("two\nlines");
    /// assert_eq!(
    ///     broken.encode().unwrap_err().to_string(),
    ///     "the `event` field of a server-sent event cannot hold a line break"
    /// );
    /// ```
    pub fn event(mut self, event: impl Into<String>) -> Self {
        let event = event.into();
        self.check("event", &event, &['\r', '\n']);
        self.event = Some(event);
        self
    }

    /// Sets the event's id, which a reconnecting browser sends back in
    /// `Last-Event-ID` (read it with [`LastEventId`](super::LastEventId)).
    ///
    /// ```
    /// use atode::sse::Event;
    ///
    /// assert_eq!(Event::default().id("42").encode().unwrap(), "id: 42\n\n");
    /// assert!(Event::default().id("4\r2").encode().is_err());
    /// assert!(Event::default().id("4\02").encode().is_err());
    /// ```
    pub fn id(mut self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.check("id", &id, &['\r', '\n', '\0']);
        self.id = Some(id);
        self
    }

    /// Sets how long the browser waits before reconnecting once the
    /// stream ends, written in whole milliseconds.
    ///
    /// ```
    /// use atode::sse::Event;
    /// use std::time::Duration;
    ///
    /// let event = Event::default().retry(Duration::from_millis(1500));
    /// assert_eq!(event.encode().unwrap(), "retry: 1500\n\n");
    /// ```
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Sets a comment, which the browser ignores: a `:` line per line of
    /// it, written before the fields.
    ///
    /// ```
    /// use atode::sse::Event;
    ///
    /// let event = Event::default().comment("hello\nthere");
    /// assert_eq!(event.encode().unwrap(), ": hello\n: there\n\n");
    /// ```
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The event as it goes on the wire: its comment lines, then `event`,
    /// `id`, `retry` and the `data` lines, then the blank line that ends
    /// it. An `Err` names the field that cannot be written; an
    /// [`Sse`](super::Sse) stream that yields such an event logs it and
    /// ends there.
    ///
    /// ```
    /// use atode::sse::Event;
    ///
    /// let event = Event::default().data("hello").id("1");
    /// assert_eq!(event.encode().unwrap(), "id: 1\ndata: hello\n\n");
    /// ```
    pub fn encode(&self) -> Result<Bytes, InvalidEvent> {
        if let Some(invalid) = &self.invalid {
            return Err(invalid.clone());
        }
        let mut out = BytesMut::new();
        if let Some(comment) = &self.comment {
            for line in lines(comment) {
                field(&mut out, "", line);
            }
        }
        if let Some(event) = &self.event {
            field(&mut out, "event", event);
        }
        if let Some(id) = &self.id {
            field(&mut out, "id", id);
        }
        if let Some(retry) = self.retry {
            field(&mut out, "retry", &retry.as_millis().to_string());
        }
        if let Some(data) = &self.data {
            for line in lines(data) {
                field(&mut out, "data", line);
            }
        }
        out.put_u8(b'\n');
        Ok(out.freeze())
    }

    /// Records the first field that cannot be written: the builder methods
    /// stay chainable, and `encode` reports it.
    fn check(&mut self, name: &'static str, value: &str, forbidden: &[char]) {
        if self.invalid.is_none() {
            if let Some(found) = value.chars().find(|c| forbidden.contains(c)) {
                self.invalid = Some(InvalidEvent {
                    field: name,
                    problem: if found == '\0' {
                        Problem::Nul
                    } else {
                        Problem::LineBreak
                    },
                });
            }
        }
    }

    /// The event, unwritable: its data did not serialize as JSON
    /// ([`Event::json`]).
    pub(super) fn unserializable(mut self, error: &serde_json::Error) -> Self {
        if self.invalid.is_none() {
            self.invalid = Some(InvalidEvent {
                field: "data",
                problem: Problem::Json(error.to_string()),
            });
        }
        self
    }
}

/// `name: value\n`, or `: value\n` for a comment.
fn field(out: &mut BytesMut, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_u8(b'\n');
}

/// The lines of `text`, split where the event-stream format ends a line:
/// at `\r\n`, `\r` or `\n`. A trailing break gives a last, empty line, so
/// the browser gets the text back whole.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(at) => {
                let skip = if text[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[at + skip..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// An [`Event`] field that the event-stream format cannot carry: a line
/// break in `id` or `event`, a NUL in `id`, or data that did not serialize
/// as JSON ([`Event::json`]).
///
/// ```
/// use atode::sse::Event;
///
/// let error = Event::default().id("a\nb").encode().unwrap_err();
/// assert_eq!(error.field(), "id");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidEvent {
    field: &'static str,
    problem: Problem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Problem {
    LineBreak,
    Nul,
    /// serde_json's message.
    Json(String),
}

impl InvalidEvent {
    /// The field's name: `"id"`, `"event"` or `"data"`.
    pub fn field(&self) -> &'static str {
        self.field
    }
}

impl fmt::Display for InvalidEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.problem {
            Problem::LineBreak => "a line break",
            Problem::Nul => "a NUL",
            Problem::Json(error) => {
                return write!(
                    f,
                    "the `{}` of a server-sent event could not be written as JSON: {error}",
                    self.field
                );
            }
        };
        write!(
            f,
            "the `{}` field of a server-sent event cannot hold {what}",
            self.field
        )
    }
}

impl std::error::Error for InvalidEvent {}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(event: Event) -> String {
        String::from_utf8(event.encode().expect("valid").to_vec()).expect("utf-8")
    }

    #[test]
    fn every_kind_of_line_break_splits_data() {
        let event = Event::default().data("a\nb\r\nc\rd");
        assert_eq!(wire(event), "data: a\ndata: b\ndata: c\ndata: d\n\n");
    }

    #[test]
    fn empty_and_trailing_lines_are_kept() {
        assert_eq!(wire(Event::default().data("")), "data: \n\n");
        assert_eq!(
            wire(Event::default().data("\n\nx\n")),
            "data: \ndata: \ndata: x\ndata: \n\n"
        );
    }

    #[test]
    fn fields_come_in_a_fixed_order_whatever_the_calls_order() {
        let event = Event::default()
            .data("d")
            .retry(Duration::from_millis(5))
            .id("i")
            .event("e")
            .comment("c");
        assert_eq!(wire(event), ": c\nevent: e\nid: i\nretry: 5\ndata: d\n\n");
    }

    #[test]
    fn data_set_twice_keeps_the_last() {
        assert_eq!(
            wire(Event::default().data("old").data("new")),
            "data: new\n\n"
        );
    }

    #[test]
    fn id_and_event_refuse_every_line_break() {
        for bad in ["a\rb", "a\nb", "a\r\nb", "\n"] {
            assert_eq!(Event::default().id(bad).encode().unwrap_err().field(), "id");
            assert_eq!(
                Event::default().event(bad).encode().unwrap_err().field(),
                "event"
            );
        }
    }

    #[test]
    fn the_first_bad_field_is_reported() {
        let error = Event::default()
            .event("a\rb")
            .id("c\nd")
            .encode()
            .unwrap_err();
        assert_eq!(error.field(), "event");
        let error = Event::default().id("x\0").encode().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the `id` field of a server-sent event cannot hold a NUL"
        );
        // A NUL is fine in an event's type; only `id` drops it.
        assert_eq!(wire(Event::default().event("a\0")), "event: a\0\n\n");
    }
}
