//! `KeepAlive`: comments sent while a stream is quiet.

use std::time::Duration;

use bytes::Bytes;

use super::Event;

/// Sends a comment line when an [`Sse`](super::Sse) stream has sent nothing
/// for a while, so proxies and load balancers that close idle connections
/// keep it open. Browsers ignore comments. The timer restarts after every
/// event.
///
/// ```
/// use atode::sse::KeepAlive;
/// use std::time::Duration;
///
/// let keep_alive = KeepAlive::new().interval(Duration::from_secs(5)).text("still here");
/// assert_eq!(keep_alive.comment(), ": still here\n\n");
/// assert_eq!(KeepAlive::new().comment(), ":\n\n");
/// ```
#[derive(Clone, Debug)]
pub struct KeepAlive {
    interval: Duration,
    comment: Bytes,
}

/// How long a stream may be quiet before [`KeepAlive::new`] sends a
/// comment: 15 seconds, under the idle timeouts of common proxies (nginx's
/// is 60 s).
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

impl KeepAlive {
    /// An empty comment (`:\n\n`) after every [`DEFAULT_KEEP_ALIVE`] of
    /// quiet.
    ///
    /// ```
    /// use atode::sse::{DEFAULT_KEEP_ALIVE, KeepAlive};
    ///
    /// assert_eq!(KeepAlive::new().period(), DEFAULT_KEEP_ALIVE);
    /// ```
    pub fn new() -> Self {
        KeepAlive {
            interval: DEFAULT_KEEP_ALIVE,
            comment: Bytes::from_static(b":\n\n"),
        }
    }

    /// Sets how long the stream may be quiet before a comment. A zero
    /// interval is raised to a millisecond, so a stream cannot spin.
    ///
    /// ```
    /// use atode::sse::KeepAlive;
    /// use std::time::Duration;
    ///
    /// assert_eq!(KeepAlive::new().interval(Duration::ZERO).period(), Duration::from_millis(1));
    /// ```
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Sets the comment's text; line breaks in it give a comment line each.
    ///
    /// ```
    /// use atode::sse::KeepAlive;
    ///
    /// assert_eq!(KeepAlive::new().text("ping").comment(), ": ping\n\n");
    /// ```
    pub fn text(mut self, text: impl Into<String>) -> Self {
        // A comment has no field to be invalid in, so it always encodes.
        if let Ok(comment) = Event::default().comment(text).encode() {
            self.comment = comment;
        }
        self
    }

    /// How long the stream may be quiet before a comment.
    pub fn period(&self) -> Duration {
        self.interval
    }

    /// The bytes sent each time.
    pub fn comment(&self) -> &Bytes {
        &self.comment
    }
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive::new()
    }
}
